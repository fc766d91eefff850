// The resumable segmentation run (segmentation_run.h): an interrupted run resumed with
// the same settings ends with exactly the table and totals of an uninterrupted one,
// whatever state its journal was left in; other settings start over.
#include "clipscope/analysis/segmentation_run.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "clipscope/analysis/zero_shot.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "test_support.h"

namespace clipscope {
namespace {
namespace fs = std::filesystem;

// Random images with a centred square of foreground, in memory.
class MemoryDataset : public SegmentationDataset {
public:
    explicit MemoryDataset(int64_t n, int mask_width = 60) : n_(n), mask_width_(mask_width) {}
    int64_t size() const override { return n_; }
    std::string name(int64_t i) const override { return "mem[" + std::to_string(i) + "], a \"quoted\" name"; }
    SegmentationSample load(int64_t i) const override {
        SegmentationSample s;
        s.name = name(i);
        s.image.width = 60;
        s.image.height = 50;
        s.image.pixels.resize(60 * 50 * 3);
        std::mt19937 rng(static_cast<unsigned>(100 + i));
        for (auto& p : s.image.pixels) p = static_cast<uint8_t>(rng() % 256);
        s.mask.width = mask_width_;
        s.mask.height = 50;
        s.mask.data.assign(static_cast<size_t>(mask_width_ * 50), 0);
        for (int y = 15; y < 35; ++y)
            for (int x = 20; x < 40 && x < mask_width_; ++x) s.mask.data[static_cast<size_t>(y * mask_width_ + x)] = 1;
        return s;
    }

private:
    int64_t n_;
    int mask_width_;
};

// Cancels the run once `after` images are done.
struct CancelAfter {
    RunControl control;
    explicit CancelAfter(int64_t after) {
        control.set_progress_callback([this, after](int64_t done, int64_t, const std::string&) {
            if (done == after) control.request_cancel();
        });
    }
};

class SegmentationRun : public ::testing::Test {
protected:
    void SetUp() override {
        model_ = std::make_unique<ClipModel>(ClipModel::load("random:tiny@5"));
        classifier_ = FloatArray({model_->config().embed_dim, 2});
        std::mt19937 rng(3);
        std::normal_distribution<float> normal;
        for (auto& x : classifier_.data) x = normal(rng);
        options_.methods = {SegmentationMethod::Decomposition, SegmentationMethod::Rollout};
        options_.count = 5;
        options_.settings_line = "# settings: test";
    }
    SegmentationRunOptions at(const std::string& prefix) const {
        SegmentationRunOptions o = options_;
        o.out_prefix = dir_.path(prefix);
        return o;
    }
    static std::string text_of(const std::string& path) { return read_file_bytes(path, 1 << 24); }

    test::TempDir dir_;
    std::unique_ptr<ClipModel> model_;
    FloatArray classifier_;
    SegmentationRunOptions options_;
    MemoryDataset data_{5};
};

void expect_same_totals(const SegmentationRunResult& a, const SegmentationRunResult& b) {
    ASSERT_EQ(a.totals.size(), b.totals.size());
    for (size_t k = 0; k < a.totals.size(); ++k) {
        EXPECT_EQ(a.totals[k].pixel_accuracy(), b.totals[k].pixel_accuracy());
        EXPECT_EQ(a.totals[k].iou(0), b.totals[k].iou(0));
        EXPECT_EQ(a.totals[k].iou(1), b.totals[k].iou(1));
        EXPECT_EQ(a.totals[k].mean_ap(), b.totals[k].mean_ap());
    }
    EXPECT_EQ(a.worst_self_check, b.worst_self_check);
}

TEST_F(SegmentationRun, AResumedRunEndsWithTheUninterruptedTable) {
    const SegmentationRunResult whole = run_segmentation(*model_, data_, classifier_, at("whole"));
    EXPECT_EQ(whole.resumed_rows, 0);
    EXPECT_LT(whole.worst_self_check, 1e-5);
    EXPECT_FALSE(fs::exists(dir_.path("whole.csv.partial")));

    CancelAfter cancel(2);
    EXPECT_THROW(run_segmentation(*model_, data_, classifier_, at("cut"), &cancel.control), Error);
    EXPECT_FALSE(fs::exists(dir_.path("cut.csv")));
    ASSERT_TRUE(fs::exists(dir_.path("cut.csv.partial")));
    const SegmentationRunResult resumed = run_segmentation(*model_, data_, classifier_, at("cut"));
    EXPECT_EQ(resumed.resumed_rows, 2 * 2);  // two images, two methods
    expect_same_totals(resumed, whole);
    EXPECT_EQ(text_of(dir_.path("cut.csv")), text_of(dir_.path("whole.csv")));
    EXPECT_FALSE(fs::exists(dir_.path("cut.csv.partial")));
}

TEST_F(SegmentationRun, ATornJournalLineIsRecomputedAndOtherSettingsStartOver) {
    const SegmentationRunResult whole = run_segmentation(*model_, data_, classifier_, at("whole"));
    CancelAfter cancel(3);
    EXPECT_THROW(run_segmentation(*model_, data_, classifier_, at("torn"), &cancel.control), Error);
    // Cut the journal in the middle of its last row, as a crash during a write would.
    std::string journal = text_of(dir_.path("torn.csv.partial"));
    journal.resize(journal.size() - 30);
    std::ofstream(dir_.path("torn.csv.partial"), std::ios::binary | std::ios::trunc) << journal;
    const SegmentationRunResult resumed = run_segmentation(*model_, data_, classifier_, at("torn"));
    EXPECT_EQ(resumed.resumed_rows, 3 * 2 - 1);
    expect_same_totals(resumed, whole);
    EXPECT_EQ(text_of(dir_.path("torn.csv")), text_of(dir_.path("whole.csv")));

    CancelAfter again(2);
    EXPECT_THROW(run_segmentation(*model_, data_, classifier_, at("other"), &again.control), Error);
    SegmentationRunOptions other = at("other");
    other.settings_line = "# settings: another threshold";
    EXPECT_EQ(run_segmentation(*model_, data_, classifier_, other).resumed_rows, 0);
}

// A mask of another size is skipped and named (the run goes on); with strict, it is the
// error; when no image is left, the run fails rather than report on nothing.
TEST_F(SegmentationRun, AMaskOfAnotherSizeIsSkippedOrWithStrictAnErrorNamingTheSample) {
    const MemoryDataset bad(2, 61);
    SegmentationRunOptions strict = at("bad");
    strict.strict = true;
    try {
        run_segmentation(*model_, bad, classifier_, strict);
        ADD_FAILURE() << "a 61x50 mask on a 60x50 image was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("mem[0]"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("61x50"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(dir_.path("bad.csv")));
    try {
        run_segmentation(*model_, bad, classifier_, at("bad"));
        ADD_FAILURE() << "a run with every image skipped succeeded";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("images could be used"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("61x50"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(dir_.path("bad.csv")));
}

}  // namespace
}  // namespace clipscope
