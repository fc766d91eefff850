#include "clipscope/analysis/store.h"

#include <filesystem>
#include <limits>
#include <random>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/base/file_digest.h"
#include "test_support.h"

namespace clipscope {
namespace {
namespace fs = std::filesystem;

StoreInfo small_info(int64_t images) {
    StoreInfo s = test::store_info(3, 4, 8, 2, images);
    s.model_spec = s.weights_fingerprint = "random:tiny";
    s.model_format = "random";
    s.architecture = "tiny";
    for (int64_t i = 0; i < images; ++i) {
        s.images[static_cast<size_t>(i)].path += ".png";
        s.images[static_cast<size_t>(i)].label = i % 2 ? "cat" : "dog";
    }
    return s;
}

// A decomposition-shaped batch whose values encode (image, array, element).
Decomposition fake_batch(const StoreInfo& s, int64_t first, int64_t count) {
    Decomposition d = test::zero_batch(s, count);
    int array = 0;
    for (FloatArray* a : {&d.embedding, &d.heads, &d.mlps, &d.cls_attn}) {
        const int64_t per = a->size() / count;
        for (int64_t i = 0; i < a->size(); ++i)
            a->data[static_cast<size_t>(i)] =
                static_cast<float>((first + i / per) * 1000 + array * 100) + 0.25f * (i % per);
        ++array;
    }
    return d;
}

void fill(StoreWriter& w, const StoreInfo& s) {
    while (w.done() < w.size()) {
        const int64_t n = std::min(s.batch, w.size() - w.done());
        w.append(fake_batch(s, w.done(), n));
    }
}

TEST(Store, WrittenRowsReadBackInOrder) {
    test::TempDir dir;
    const StoreInfo info = small_info(5);
    {
        StoreWriter w = StoreWriter::open(dir.path("s"), info);
        fill(w, info);
    }
    const Store s = Store::open(dir.path("s"));
    EXPECT_TRUE(s.complete());
    EXPECT_EQ(s.info().images.at(3).label, "cat");
    const FloatArray heads = s.read("heads", 1, 3);
    EXPECT_EQ(heads.shape, (Shape{3, 3, 4, 8}));
    EXPECT_EQ(test::values(heads), test::values(fake_batch(info, 1, 3).heads));
    EXPECT_EQ(test::values(s.read("mlps", 4, 1)), test::values(fake_batch(info, 4, 1).mlps));
    EXPECT_THROW(s.read("heads", 4, 2), Error);
    EXPECT_THROW(s.read("nope", 0, 1), Error);
}

TEST(Store, ResumedStoreIsByteIdenticalToAnUninterruptedOne) {
    test::TempDir dir;
    const StoreInfo info = small_info(7);
    {
        StoreWriter w = StoreWriter::open(dir.path("whole"), info);
        fill(w, info);
    }
    {
        StoreWriter w = StoreWriter::open(dir.path("resumed"), info);
        w.append(fake_batch(info, 0, 2));
        // A crash after writing rows 2..3 but before recording them: progress still says 2.
        const std::string progress = read_file_bytes(dir.path("resumed/progress.json"), 100);
        w.append(fake_batch(info, 2, 2));
        write_text_atomically(dir.path("resumed/progress.json"), progress);
    }
    {
        StoreWriter w = StoreWriter::open(dir.path("resumed"), info);
        EXPECT_EQ(w.done(), 2);
        fill(w, info);
    }
    for (const char* f : {"manifest.json", "embedding.npy", "heads.npy", "mlps.npy", "cls_attn.npy", "progress.json"})
        EXPECT_EQ(read_file_bytes(dir.path(std::string("whole/") + f), 1 << 20),
                  read_file_bytes(dir.path(std::string("resumed/") + f), 1 << 20))
            << f;
}

TEST(Store, OtherSettingsOrForeignFoldersAreRefusedUntouched) {
    test::TempDir dir;
    const StoreInfo info = small_info(4);
    {
        StoreWriter w = StoreWriter::open(dir.path("s"), info);
        w.append(fake_batch(info, 0, 2));
    }
    StoreInfo other = info;
    other.batch = 4;
    EXPECT_THROW(StoreWriter::open(dir.path("s"), other), Error);
    other = info;
    other.images.pop_back();
    EXPECT_THROW(StoreWriter::open(dir.path("s"), other), Error);
    EXPECT_EQ(Store::open(dir.path("s")).done(), 2);
    fs::create_directories(dir.path("foreign"));
    test::write_bytes(dir.path("foreign/thesis.tex"), "precious");
    EXPECT_THROW(StoreWriter::open(dir.path("foreign"), info), Error);
    EXPECT_EQ(read_file_bytes(dir.path("foreign/thesis.tex"), 100), "precious");
}

// The display form is kept for people and takes no part in whether a store is this run's:
// a store written before display forms were recorded, or from a list file that spells
// the same files differently, resumes.
TEST(Store, DisplayNamesRoundTripAndDoNotBlockAResume) {
    test::TempDir dir;
    StoreInfo info = small_info(3);
    for (size_t i = 0; i < info.images.size(); ++i) info.images[i].display = "cls/" + std::to_string(i) + ".png";
    {
        StoreWriter w = StoreWriter::open(dir.path("s"), info);
        w.append(fake_batch(info, 0, 2));
    }
    EXPECT_EQ(Store::open(dir.path("s")).info().images.at(1).display, "cls/1.png");
    StoreInfo respelled = info;
    for (auto& e : respelled.images) e.display.clear();
    {
        StoreWriter w = StoreWriter::open(dir.path("s"), respelled);
        EXPECT_EQ(w.done(), 2);
        fill(w, respelled);
    }
    const Store s = Store::open(dir.path("s"));
    EXPECT_TRUE(s.complete());
    EXPECT_EQ(s.info().images.at(2).display, "cls/2.png");  // the first run's manifest stands
    respelled.images.at(1).path += "x";                     // another file is still another store
    EXPECT_THROW(StoreWriter::open(dir.path("s"), respelled), Error);
}

// The store records how its images were preprocessed, so that a resume with another
// resize mode is refused and a query image is prepared as the store's images were.
TEST(Store, PreprocessingRoundTripsAndOnlyNonDefaultsAreWritten) {
    test::TempDir dir;
    StoreInfo info = small_info(2);
    { StoreWriter::open(dir.path("plain"), info); }
    EXPECT_EQ(read_file_bytes(dir.path("plain/manifest.json"), 1 << 20).find("resize_mode"), std::string::npos);
    info.preprocess.resize_mode = "longest";
    info.preprocess.interpolation = "bilinear";
    info.preprocess.fill = 114;
    { StoreWriter::open(dir.path("s"), info); }
    const PreprocessConfig back = Store::open(dir.path("s")).info().preprocess;
    EXPECT_TRUE(same_preprocessing(back, info.preprocess));
    StoreInfo other = info;
    other.preprocess.resize_mode = "squash";
    try {
        StoreWriter::open(dir.path("s"), other);
        ADD_FAILURE() << "resumed with another resize mode";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("preprocess.resize_mode"), std::string::npos) << e.what();
    }
}

// Linux file names are bytes: one that is not UTF-8 must come back from the manifest
// exactly (JSON alone would turn it into U+FFFD and the image could not be reopened).
TEST(Store, NonUtf8FileNamesAndLabelsRoundTripExactly) {
    test::TempDir dir;
    StoreInfo info = small_info(3);
    info.images[0].path = std::string("photos/caf\xe9.jpg");  // Latin-1 e-acute
    info.images[1].path = "photos/\xff\xfe\x80.png";
    info.images[1].label = std::string("\xc3\x28");  // invalid two-byte sequence
    info.images[2].path = "photos/caf\xc3\xa9.jpg";  // valid UTF-8 stays plain text
    {
        StoreWriter w = StoreWriter::open(dir.path("s"), info);
        w.append(fake_batch(info, 0, 2));
    }
    const Store store = Store::open(dir.path("s"));
    ASSERT_EQ(store.info().images.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(store.info().images[i].path, info.images[i].path) << i;
        EXPECT_EQ(store.info().images[i].label, info.images[i].label) << i;
    }
    const std::string manifest = read_file_bytes(dir.path("s/manifest.json"), 1 << 20);
    EXPECT_NE(manifest.find("\"path_hex\": \"70686f746f732f636166e92e6a7067\""), std::string::npos) << manifest;
    EXPECT_NE(manifest.find("\"label_hex\": \"c328\""), std::string::npos) << manifest;
    // The same settings reopen the store to resume it (the exact names compare equal).
    StoreWriter resumed = StoreWriter::open(dir.path("s"), info);
    EXPECT_EQ(resumed.done(), 2);
}

TEST(Store, HalfPrecisionRoundsOnlyToF16) {
    test::TempDir dir;
    StoreInfo info = small_info(2);
    info.dtype = "f16";
    {
        StoreWriter w = StoreWriter::open(dir.path("h"), info);
        fill(w, info);
    }
    const Store s = Store::open(dir.path("h"));
    const FloatArray got = s.read("embedding", 0, 2), want = fake_batch(info, 0, 2).embedding;
    for (size_t i = 0; i < got.data.size(); ++i)
        EXPECT_NEAR(got.data[i], want.data[i], std::abs(want.data[i]) * 1e-3 + 1e-3);
    EXPECT_LT(fs::file_size(dir.path("h/heads.npy")), 2 * 3 * 4 * 8 * 4);
}

TEST(Store, DamagedStoresAreClearErrors) {
    test::TempDir dir;
    const StoreInfo info = small_info(2);
    {
        StoreWriter w = StoreWriter::open(dir.path("s"), info);
        fill(w, info);
    }
    fs::resize_file(dir.path("s/heads.npy"), 100);
    try {
        Store::open(dir.path("s"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("heads.npy"), std::string::npos);
    }
    test::write_bytes(dir.path("s/manifest.json"), "{broken");
    EXPECT_THROW(Store::open(dir.path("s")), Error);
    EXPECT_THROW(Store::open(dir.path("absent")), Error);

    // A NaN in a row decodes but is not a term: the read names the array, the row and its image.
    StoreInfo three = small_info(3);
    {
        StoreWriter w = StoreWriter::open(dir.path("nan"), three);
        Decomposition d = fake_batch(three, 0, 3);
        d.mlps.data[d.mlps.data.size() - 1] = std::numeric_limits<float>::quiet_NaN();  // last row
        w.append(d);
    }
    const Store nan = Store::open(dir.path("nan"));
    EXPECT_NO_THROW(nan.read("mlps", 0, 2));
    try {
        nan.read("mlps", 1, 2);
        ADD_FAILURE() << "a NaN was read";
    } catch (const Error& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("mlps.npy"), std::string::npos) << m;
        EXPECT_NE(m.find("row 2 (" + three.images[2].path + ")"), std::string::npos) << m;
    }
}

TEST(Store, WeightsFingerprintDependsOnEveryByte) {
    test::TempDir dir;
    test::write_bytes(dir.path("a"), std::string(1000, 'x'));
    test::write_bytes(dir.path("b"), std::string(999, 'x') + "y");
    EXPECT_NE(fnv1a64_file_fingerprint(dir.path("a")), fnv1a64_file_fingerprint(dir.path("b")));
    EXPECT_EQ(fnv1a64_file_fingerprint(dir.path("a")), fnv1a64_file_fingerprint(dir.path("a")));
    // The value stores have recorded since the first release: FNV-1a over 8-byte words, then the tail.
    EXPECT_EQ(fnv1a64_file_fingerprint(dir.path("a")), std::string("fnv1a64:303f5d8f16fbdb51:1000"));
    EXPECT_THROW(fnv1a64_file_fingerprint(dir.path("absent")), Error);
}

}  // namespace
}  // namespace clipscope

#include "clipscope/analysis/store_textspan.h"

namespace clipscope {
namespace {

// The streaming store pass gives each head exactly the fit of its gathered [N, E] matrix.
TEST(StoreTextSpan, EveryHeadMatchesTextSpanOnItsOwnMatrix) {
    test::TempDir dir;
    StoreInfo info = small_info(9);
    std::mt19937 rng(3);
    std::normal_distribution<float> normal;
    std::vector<Decomposition> batches;
    {
        StoreWriter w = StoreWriter::open(dir.path("s"), info);
        while (w.done() < w.size()) {
            Decomposition d = fake_batch(info, w.done(), std::min(info.batch, w.size() - w.done()));
            for (auto& x : d.heads.data) x = normal(rng);
            w.append(d);
            batches.push_back(d);
        }
    }
    FloatArray texts({6, 8});
    for (auto& x : texts.data) x = normal(rng);
    TextSpanOptions o;
    o.rank = 5;
    o.iterations = 3;
    const Store store = Store::open(dir.path("s"));
    const auto spans = text_span_store(store, texts, o, 2);
    ASSERT_EQ(spans.size(), 2u * 4u);
    EXPECT_EQ(spans.front().layer, 1);
    for (const auto& hs : spans) {
        FloatArray matrix({9, 8});
        int64_t row = 0;
        for (const auto& d : batches)
            for (int64_t i = 0; i < d.heads.shape[0]; ++i, ++row)
                for (int64_t e = 0; e < 8; ++e)
                    matrix.data[static_cast<size_t>(row * 8 + e)] =
                        d.heads.data[static_cast<size_t>(((i * 3 + hs.layer) * 4 + hs.head) * 8 + e)];
        const TextSpanResult direct = text_span(matrix, texts, o);
        ASSERT_EQ(direct.picks.size(), hs.fit.picks.size());
        for (size_t k = 0; k < direct.picks.size(); ++k) {
            EXPECT_EQ(direct.picks[k].index, hs.fit.picks[k].index);
            EXPECT_NEAR(direct.picks[k].variance_explained, hs.fit.picks[k].variance_explained, 1e-9);
        }
    }
    EXPECT_THROW(text_span_store(store, texts, o, 4), Error);
    EXPECT_THROW(text_span_store(store, FloatArray({6, 7}), o, 1), Error);
}

}  // namespace
}  // namespace clipscope

#include "clipscope/io/dataset.h"

namespace clipscope {
namespace {

TEST(Dataset, ImageFolderLabelsListFilesAndErrors) {
    test::TempDir dir;
    fs::create_directories(dir.path("set/cat"));
    fs::create_directories(dir.path("set/dog"));
    for (const char* f : {"set/cat/b.png", "set/cat/a.JPG", "set/dog/c.jpeg", "set/dog/notes.txt"})
        test::write_bytes(dir.path(f), "x");
    const auto entries = list_image_folder(dir.path("set"));
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(fs::path(entries[0].path).filename(), "a.JPG");
    EXPECT_EQ(entries[0].label, "cat");
    EXPECT_EQ(entries[2].label, "dog");
    EXPECT_EQ(entries[0].display, "cat/a.JPG");  // shown relative to the folder, opened absolute
    EXPECT_TRUE(fs::path(entries[0].path).is_absolute());
    test::write_bytes(dir.path("set/loose.png"), "x");  // not one level down: no labels
    for (const auto& e : list_image_folder(dir.path("set"))) EXPECT_EQ(e.label, "");
    test::write_bytes(dir.path("list.txt"), "# images\nset/cat/a.JPG\tcat\n/abs/x.png\n\n");
    const auto listed = read_image_list(dir.path("list.txt"));
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].path, dir.path("set/cat/a.JPG"));
    EXPECT_EQ(listed[0].label, "cat");
    EXPECT_EQ(listed[0].display, "set/cat/a.JPG");  // as the list file wrote it
    EXPECT_EQ(listed[1].path, "/abs/x.png");
    EXPECT_EQ(shown_name(ImageEntry{"/abs/y.png", "", ""}), "/abs/y.png");
    fs::create_directories(dir.path("empty"));
    EXPECT_THROW(list_image_folder(dir.path("empty")), Error);
    EXPECT_THROW(list_image_folder(dir.path("missing")), Error);
}

}  // namespace
}  // namespace clipscope
