// Stores through the reference's .npy layout and back, and shards merged into one
// store: the same bytes as one run, and bad shard sets refused before anything is written.
#include "clipscope/analysis/store_transfer.h"

#include <filesystem>

#include "clipscope/analysis/indexing.h"
#include "clipscope/analysis/store.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "test_support.h"

namespace clipscope {
namespace {

class StoreTransfer : public ::testing::Test {
protected:
    static void SetUpTestSuite() { model_ = new ClipModel(ClipModel::load("random:tiny")); }
    static void TearDownTestSuite() { delete model_; }

    // A store of `count` images with reproducible pixels; `shard` as `index --shard` records it.
    void make_store(const std::string& folder, int64_t first, int64_t count, const std::string& shard = "") const {
        StoreInfo info = store_info_for(*model_);
        info.batch = 2;
        info.shard = shard;
        for (int64_t i = first; i < first + count; ++i)
            info.images.push_back({"image" + std::to_string(i) + ".png", ""});
        StoreWriter w = StoreWriter::open(folder, info);
        const int64_t S = model_->config().vision.image_size;
        index_into_store(*model_, w, [&](int64_t f, int64_t n) { return test::image_batch(first + f, n, S, 0); });
    }
    static ClipModel* model_;
};
ClipModel* StoreTransfer::model_ = nullptr;

TEST_F(StoreTransfer, ReferenceLayoutRoundTripKeepsTheTerms) {
    test::TempDir dir;
    make_store(dir.path("store"), 0, 5);
    const std::string name = export_reference_layout(dir.path("store"), {dir.path("ref"), "smoke", ""});
    EXPECT_EQ(name, "tiny");
    EXPECT_TRUE(std::filesystem::exists(reference_array_path({dir.path("ref"), "smoke", ""}, "attn", "tiny")));
    EXPECT_EQ(import_reference_layout(*model_, {dir.path("ref"), "smoke", ""}, dir.path("back")), 5);
    const Store a = Store::open(dir.path("store")), b = Store::open(dir.path("back"));
    for (const char* array : {"heads", "mlps", "cls_attn"})
        EXPECT_EQ(test::values(a.read(array, 0, 5)), test::values(b.read(array, 0, 5))) << array;
    EXPECT_TRUE(b.info().embedding_normalised);
    EXPECT_EQ(b.info().images.at(4).path, "image4.png");
    // Arrays of another shape are refused naming the file.
    write_text_atomically(
        reference_array_path({dir.path("ref"), "smoke", ""}, "mlp", "tiny"),
        read_file_bytes(reference_array_path({dir.path("ref"), "smoke", ""}, "cls_attn", "tiny"), 1 << 22));
    try {
        import_reference_layout(*model_, {dir.path("ref"), "smoke", ""}, dir.path("wrong"));
        ADD_FAILURE() << "imported misshapen arrays";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("smoke_mlp_tiny.npy"), std::string::npos) << e.what();
    }
}

TEST_F(StoreTransfer, MergedShardsEqualOneRunAndBadSetsAreRefused) {
    test::TempDir dir;
    make_store(dir.path("whole"), 0, 6);
    make_store(dir.path("s0"), 0, 2, "0/3");
    make_store(dir.path("s1"), 2, 2, "1/3");
    make_store(dir.path("s2"), 4, 2, "2/3");
    make_store(dir.path("plain"), 0, 2);
    EXPECT_THROW(merge_store_shards({dir.path("s0"), dir.path("s1")}, dir.path("m1")), Error);  // shard 2 missing
    EXPECT_THROW(merge_store_shards({dir.path("s0"), dir.path("s1"), dir.path("s1")}, dir.path("m2")), Error);  // twice
    EXPECT_THROW(merge_store_shards({dir.path("s0"), dir.path("plain"), dir.path("s2")}, dir.path("m3")),
                 Error);  // not a shard
    for (const char* m : {"m1", "m2", "m3"}) EXPECT_FALSE(std::filesystem::exists(dir.path(m))) << m;
    EXPECT_EQ(merge_store_shards({dir.path("s2"), dir.path("s0"), dir.path("s1")}, dir.path("merged")), 6);
    for (const char* f : {"embedding.npy", "heads.npy", "mlps.npy", "cls_attn.npy"})
        EXPECT_EQ(read_file_bytes(dir.path(std::string("whole/") + f), 1 << 22),
                  read_file_bytes(dir.path(std::string("merged/") + f), 1 << 22))
            << f;
}

}  // namespace
}  // namespace clipscope
