// Filling a store with index_into_store: the same terms as decomposing batch by batch,
// cancellable between batches, resumed to the same bytes, loader errors passed on.
#include "clipscope/analysis/indexing.h"

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/decompose/decompose.h"
#include "test_support.h"

namespace clipscope {
namespace {

class Indexing : public ::testing::Test {
protected:
    static void SetUpTestSuite() { model_ = new ClipModel(ClipModel::load("random:tiny")); }
    static void TearDownTestSuite() { delete model_; }

    StoreInfo info(int64_t images) const {
        StoreInfo s = store_info_for(*model_);
        s.batch = 3;
        for (int64_t i = 0; i < images; ++i) s.images.push_back({"image" + std::to_string(i) + ".png", ""});
        return s;
    }
    // Image i is always the same pixels, whichever batch it falls in.
    BatchPixels pixels() const {
        const int64_t S = model_->config().vision.image_size;
        return [S](int64_t first, int64_t count) { return test::image_batch(first, count, S, 100); };
    }
    static ClipModel* model_;
};
ClipModel* Indexing::model_ = nullptr;

TEST_F(Indexing, StoresTheTermsOfEachBatchInOrder) {
    test::TempDir dir;
    const StoreInfo s = info(7);
    {
        StoreWriter w = StoreWriter::open(dir.path("s"), s);
        const IndexReport r = index_into_store(*model_, w, pixels());
        EXPECT_EQ(r.indexed, 7);
        EXPECT_LT(r.max_sum_error, 1e-5);
        EXPECT_EQ(index_into_store(*model_, w, pixels()).indexed, 0);  // complete: nothing to do
    }
    const Store store = Store::open(dir.path("s"));
    ASSERT_TRUE(store.complete());
    DecomposeOptions nonspatial;
    nonspatial.spatial = false;
    const Decomposition last = decompose(*model_, pixels()(6, 1), nonspatial);
    EXPECT_LT(test::max_abs_diff(store.read("heads", 6, 1), last.heads), 1e-6);
    EXPECT_LT(test::max_abs_diff(store.read("mlps", 6, 1), last.mlps), 1e-6);
}

TEST_F(Indexing, CancelledBetweenBatchesThenResumedGivesTheSameBytes) {
    test::TempDir dir;
    const StoreInfo s = info(8);
    {
        StoreWriter w = StoreWriter::open(dir.path("whole"), s);
        index_into_store(*model_, w, pixels());
    }
    {
        StoreWriter w = StoreWriter::open(dir.path("cut"), s);
        RunControl control;
        control.set_progress_callback([&](int64_t done, int64_t, const std::string&) {
            if (done >= 3) control.request_cancel();
        });
        try {
            index_into_store(*model_, w, pixels(), &control);
            ADD_FAILURE() << "not cancelled";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Cancelled);
        }
        EXPECT_EQ(w.done(), 3);
    }
    {
        StoreWriter w = StoreWriter::open(dir.path("cut"), s);
        EXPECT_EQ(index_into_store(*model_, w, pixels()).indexed, 5);
    }
    for (const char* f : {"manifest.json", "progress.json", "embedding.npy", "heads.npy", "mlps.npy", "cls_attn.npy"})
        EXPECT_EQ(read_file_bytes(dir.path(std::string("whole/") + f), 1 << 22),
                  read_file_bytes(dir.path(std::string("cut/") + f), 1 << 22))
            << f;
}

TEST_F(Indexing, AnUnreadableImageStopsWithItsNameAndKeepsWhatWasWritten) {
    test::TempDir dir;
    StoreInfo s = info(0);
    for (int i = 0; i < 4; ++i) s.images.push_back({dir.path("missing" + std::to_string(i) + ".png"), ""});
    StoreWriter w = StoreWriter::open(dir.path("s"), s);
    try {
        index_into_store(*model_, w, image_files_of(w, *model_));
        ADD_FAILURE() << "indexed missing files";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("missing0.png"), std::string::npos) << e.what();
    }
    EXPECT_EQ(w.done(), 0);
}

}  // namespace
}  // namespace clipscope
