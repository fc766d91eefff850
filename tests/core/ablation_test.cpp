#include "clipscope/analysis/ablation.h"

#include "clipscope/base/error.h"
#include "test_support.h"

namespace clipscope {
namespace {

// A store of 12 images whose terms point towards their class (3 classes, E = 3)
// through one informative head (1, 2); every other term is the same for all
// images, so the outcomes below are exact.
class AblationStore : public ::testing::Test {
protected:
    void SetUp() override {
        info_ = test::store_info(2, 3, 3, 4, 12);
        for (int i = 0; i < 12; ++i) labels_.push_back(i % 3);
        test::make_store(dir_.path("s"), info_, [&](Decomposition& d, int64_t first) {
            for (int r = 0; r < 4; ++r) {
                const int label = static_cast<int>(labels_[static_cast<size_t>(first + r)]);
                for (int k = 0; k < 2 * 3 * 3; ++k)
                    d.heads.data[static_cast<size_t>(r * 18 + k)] = 0.1f * static_cast<float>(k % 4);
                d.heads.data[static_cast<size_t>(r * 18 + (1 * 3 + 2) * 3 + label)] += 1.0f;
                for (int k = 0; k < 9; ++k) d.mlps.data[static_cast<size_t>(r * 9 + k)] = 0.01f * static_cast<float>(k);
                for (int k = 0; k < 6; ++k)
                    d.cls_attn.data[static_cast<size_t>(r * 6 + k)] = 0.02f * static_cast<float>(k);
            }
        });
        classifier_ = FloatArray({3, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1});  // class c = axis c
    }
    test::TempDir dir_;
    StoreInfo info_;
    std::vector<int64_t> labels_;
    FloatArray classifier_;
};

TEST_F(AblationStore, AblatingNothingIsTheBaselineAndTheInformativeHeadMatters) {
    const Store store = Store::open(dir_.path("s"));
    AblationSpec nothing{"nothing"};
    AblationSpec head{"head 1.2"};
    head.heads = {{1, 2}, {1, 2}};  // listed twice, ablated once
    AblationSpec other{"head 0.1"};
    other.heads = {{0, 1}};
    AblationSpec mlps{"mlps"};
    mlps.mlps = true;
    const auto r = evaluate_ablations(store, classifier_, labels_, {nothing, head, other, mlps});
    ASSERT_EQ(r.size(), 5u);
    EXPECT_EQ(r[0].name, "baseline");
    EXPECT_EQ(r[0].accuracy(), 100.0);
    EXPECT_EQ(r[1].correct, r[0].correct);
    // Mean-ablating the informative head leaves every image with the same sum, so
    // all get one class: exactly the 4 images of that class are right.
    EXPECT_EQ(r[2].correct, 4);
    EXPECT_EQ(r[2].total, 12);
    EXPECT_EQ(r[3].accuracy(), 100.0);
    EXPECT_EQ(r[4].accuracy(), 100.0);
}

TEST_F(AblationStore, MeanAblatingEverythingGivesTheMeanClassifierDecision) {
    const Store store = Store::open(dir_.path("s"));
    AblationSpec all{"all"};
    all.mlps = true;
    all.layers = {0, 1};
    const auto r = evaluate_ablations(store, classifier_, labels_, {all});
    // Every image becomes the same mean vector, so every image gets one class: 4 of 12 correct.
    EXPECT_EQ(r[1].correct, 4);
    AblationSpec zero = all;
    zero.zero = true;
    // All zero: every score is 0, ties go to class 0.
    EXPECT_EQ(evaluate_ablations(store, classifier_, labels_, {zero})[1].correct, 4);
}

// Only the evaluated images (label >= 0) enter the means: with just class 0 evaluated,
// the informative head's mean points to class 0 and every evaluated image stays right.
// (Over all 12 images the mean would be uniform and the constant terms favour class 2.)
TEST_F(AblationStore, MeansAreOverTheEvaluatedImagesAndPredictionsAreReported) {
    const Store store = Store::open(dir_.path("s"));
    AblationSpec head{"head 1.2"};
    head.heads = {{1, 2}};
    std::vector<int64_t> only_class0 = labels_;
    for (auto& l : only_class0) l = l == 0 ? 0 : -1;
    const auto r = evaluate_ablations(store, classifier_, only_class0, {head});
    EXPECT_EQ(r[1].total, 4);
    EXPECT_EQ(r[1].correct, 4);
    const auto all = evaluate_ablations(store, classifier_, labels_, {head});
    EXPECT_EQ(all[0].predictions, labels_);
    for (auto p : all[1].predictions) EXPECT_EQ(p, 2);
    for (size_t i = 0; i < only_class0.size(); ++i)
        if (only_class0[i] < 0) {
            EXPECT_EQ(r[1].predictions[i], -1);
        }
}

// Reconstruction = mean + projection onto the basis: a full basis changes nothing,
// an empty one with the head's mean is mean-ablation.
TEST_F(AblationStore, TextSpanReconstructionLimits) {
    const Store store = Store::open(dir_.path("s"));
    ReconstructedHead full{1, 2, {0.25f, -1.0f, 3.0f}, FloatArray({3, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1})};
    AblationSpec keep{"full basis"};
    keep.reconstructed = {full};
    // The head's mean over the 12 images: constants 0.1*(k%4) at k = 15, 16, 17 plus 1/3 on every axis.
    ReconstructedHead empty{1, 2, {0.3f + 1.0f / 3, 0.0f + 1.0f / 3, 0.1f + 1.0f / 3}, FloatArray({0, 3})};
    AblationSpec mean_only{"empty basis"};
    mean_only.reconstructed = {empty};
    AblationSpec ablated{"mean-ablated"};
    ablated.heads = {{1, 2}};
    const auto r = evaluate_ablations(store, classifier_, labels_, {keep, mean_only, ablated});
    EXPECT_EQ(r[1].predictions, r[0].predictions);
    EXPECT_EQ(r[2].predictions, r[3].predictions);
    AblationSpec both{"both"};
    both.heads = {{1, 2}};
    both.reconstructed = {full};
    EXPECT_THROW(evaluate_ablations(store, classifier_, labels_, {both}), Error);
    ReconstructedHead narrow{1, 2, {0.0f, 0.0f}, FloatArray({0, 3})};
    AblationSpec bad{"bad"};
    bad.reconstructed = {narrow};
    EXPECT_THROW(evaluate_ablations(store, classifier_, labels_, {bad}), Error);
}

TEST_F(AblationStore, SweepAndBadSpecs) {
    const auto sweep = cumulative_layer_sweep(3);
    ASSERT_EQ(sweep.size(), 3u);
    EXPECT_EQ(sweep[2].layers, (std::vector<int64_t>{0, 1, 2}));
    const Store store = Store::open(dir_.path("s"));
    AblationSpec bad{"bad"};
    bad.heads = {{2, 0}};
    EXPECT_THROW(evaluate_ablations(store, classifier_, labels_, {bad}), Error);
    AblationSpec mixed{"mixed"};
    mixed.cls = true;
    mixed.heads = {{0, 0}};
    EXPECT_THROW(evaluate_ablations(store, classifier_, labels_, {mixed}), Error);
    EXPECT_THROW(evaluate_ablations(store, classifier_, {0, 1}, {}), Error);
}

}  // namespace
}  // namespace clipscope
