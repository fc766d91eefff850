// Live ablation on stored parts: the unablated sum is the unit embedding, part scores add
// up to the embedding's projection, and mean-ablation with an image's own terms changes
// nothing while zero-ablation removes exactly the term.
#include "clipscope/decompose/decompose.h"
#include "clipscope/analysis/live_ablation.h"

#include <gtest/gtest.h>

#include <cmath>

#include "clipscope/model/clip_model.h"
#include "clipscope/base/error.h"
#include "clipscope/analysis/heatmap.h"
#include "clipscope/analysis/zero_shot.h"
#include "clipscope/decompose/pooled_decomposition.h"
#include "test_support.h"

namespace clipscope {
namespace {

class LiveAblationTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        model_ = new ClipModel(ClipModel::load("random:tiny"));
        d_ = new Decomposition(decompose(*model_, test::random_pixels(2, model_->config().vision.image_size, 3)));
    }
    static void TearDownTestSuite() {
        delete d_;
        delete model_;
    }
    static ClipModel* model_;
    static Decomposition* d_;
    int64_t L() const { return d_->heads.shape[1]; }
    int64_t H() const { return d_->heads.shape[2]; }
    int64_t E() const { return d_->heads.shape[3]; }
    std::vector<float> unit_embedding(int64_t b) const {
        std::vector<float> z(d_->embedding.data.begin() + b * E(), d_->embedding.data.begin() + (b + 1) * E());
        double n = 0;
        for (float v : z) n += double(v) * v;
        for (float& v : z) v = static_cast<float>(v / std::sqrt(n));
        return z;
    }
};
ClipModel* LiveAblationTest::model_ = nullptr;
Decomposition* LiveAblationTest::d_ = nullptr;

TEST_F(LiveAblationTest, NothingAblatedGivesTheUnitEmbedding) {
    const auto z = unit_embedding(1);
    const auto sum = ablated_embedding(*d_, 1, {});
    for (int64_t e = 0; e < E(); ++e) EXPECT_NEAR(sum[size_t(e)], z[size_t(e)], 1e-5);
}

TEST_F(LiveAblationTest, PartScoresAddUpToTheProjection) {
    const auto z = unit_embedding(0);
    std::vector<float> dir(size_t(E()), 0.f);
    dir[3] = 0.6f, dir[5] = -0.8f;
    const PartScores s = part_scores(*d_, 0, dir);
    ASSERT_EQ(s.heads.size(), size_t(L() * H()));
    ASSERT_EQ(s.mlps.size(), size_t(L() + 1));
    double total = 0;
    for (float v : s.heads) total += v;
    for (float v : s.mlps) total += v;
    EXPECT_NEAR(total, 0.6 * z[3] - 0.8 * z[5], 1e-5);
}

TEST_F(LiveAblationTest, ZeroAblationRemovesTheTermAndOwnMeansChangeNothing) {
    LiveAblation a;
    a.heads = {{1, 0}};
    a.mlps = {0};
    const auto before = ablated_embedding(*d_, 0, {});
    const auto zeroed = ablated_embedding(*d_, 0, a);
    for (int64_t e = 0; e < E(); ++e) {
        const float head = d_->heads.data[size_t((1 * H() + 0) * E() + e)];
        const float mlp = d_->mlps.data[size_t(e)];
        EXPECT_NEAR(zeroed[size_t(e)], before[size_t(e)] - head - mlp, 1e-5);
    }
    // "Means" equal to image 0's own terms: mean-ablation gives image 0 back unchanged.
    FloatArray head_means({L(), H(), E()}), mlp_means({L() + 1, E()});
    std::copy(d_->heads.data.begin(), d_->heads.data.begin() + L() * H() * E(), head_means.data.begin());
    std::copy(d_->mlps.data.begin(), d_->mlps.data.begin() + (L() + 1) * E(), mlp_means.data.begin());
    a.head_means = &head_means;
    a.mlp_means = &mlp_means;
    const auto same = ablated_embedding(*d_, 0, a);
    for (int64_t e = 0; e < E(); ++e) EXPECT_NEAR(same[size_t(e)], before[size_t(e)], 1e-6);
}

TEST_F(LiveAblationTest, ScoresProbabilitiesAndKeptHeads) {
    const auto z = unit_embedding(0);
    FloatArray texts({2, E()});
    for (int64_t e = 0; e < E(); ++e) texts.data[size_t(e)] = z[size_t(e)];  // the image's own direction
    texts.data[size_t(E())] = 1.f;
    const auto cos = cosine_scores(ablated_embedding(*d_, 0, {}), texts);
    EXPECT_NEAR(cos[0], 1.0, 1e-5);
    const auto p = label_probabilities({0.3f, 0.1f}, 100.f);
    EXPECT_NEAR(p[0] + p[1], 1.0, 1e-6);
    EXPECT_NEAR(p[0] / p[1], std::exp(20.0), std::exp(20.0) * 1e-3);
    LiveAblation a;
    a.heads = {{0, 1}};
    const auto kept = kept_heads(*d_, a);
    EXPECT_EQ(kept.size(), size_t(L() * H() - 1));
    EXPECT_EQ(std::count(kept.begin(), kept.end(), std::make_pair<int64_t, int64_t>(0, 1)), 0);
    // Every head ablated: a zero embedding has no direction, and scores are 0 rather than NaN.
    for (int64_t l = 0; l < L(); ++l)
        for (int64_t h = 0; h < H(); ++h) a.heads.emplace_back(l, h);
    for (int64_t m = 0; m <= L(); ++m) a.mlps.push_back(m);
    EXPECT_EQ(cosine_scores(ablated_embedding(*d_, 0, a), texts), (std::vector<float>{0.f, 0.f}));
}

TEST_F(LiveAblationTest, BadRequestsAreRefused) {
    LiveAblation a;
    a.heads = {{L(), 0}};
    EXPECT_THROW(ablated_embedding(*d_, 0, a), Error);
    a.heads.clear();
    a.mlps = {L() + 1};
    EXPECT_THROW(ablated_embedding(*d_, 0, a), Error);
    FloatArray wrong({1, 2});
    LiveAblation m;
    m.head_means = &wrong;
    EXPECT_THROW(ablated_embedding(*d_, 0, m), Error);
    EXPECT_THROW(ablated_embedding(*d_, 2, {}), Error);
    EXPECT_THROW(part_scores(*d_, 0, {1.f}), Error);
    LiveAblation pooling;  // a class-token model has no pooling term to ablate
    pooling.pooling = true;
    EXPECT_THROW(ablated_embedding(*d_, 0, pooling), Error);
    EXPECT_TRUE(part_scores(*d_, 0, unit_embedding(0)).pooling.empty());
}

TEST(LabelScores, FollowTheModelsRule) {
    ZeroShotScoring softmax{ScoreRule::Softmax, 100.f, 0.f}, sigmoid{ScoreRule::Sigmoid, 10.f, -2.f},
        cosine{ScoreRule::Cosine, 0.f, 0.f};
    const std::vector<float> cos{0.3f, 0.1f};
    EXPECT_EQ(label_scores(cos, softmax), label_probabilities(cos, 100.f));
    const auto s = label_scores(cos, sigmoid);
    ASSERT_EQ(s.size(), 2u);
    EXPECT_NEAR(s[0], 1.0 / (1.0 + std::exp(-(10.0 * 0.3 - 2.0))), 1e-6);
    EXPECT_NEAR(s[1], 1.0 / (1.0 + std::exp(-(10.0 * 0.1 - 2.0))), 1e-6);
    EXPECT_EQ(label_scores(cos, cosine), cos);
}

// An attention-pooled model's terms (SigLIP): the pooling MLP is one more part, counted in
// the sum, and ablating it removes exactly that term.
TEST(LiveAblationPooled, ThePoolingTermIsAPartThatCanBeAblated) {
    CLIPSCOPE_REQUIRE_SHARED();
    const ClipModel model = ClipModel::load(test::fixture("siglip/tiny-siglip"));
    const Decomposition d = decompose_image_terms(model, test::random_pixels(1, model.config().vision.image_size, 5));
    ASSERT_EQ(d.leading_tokens, 0);
    const int64_t E = d.heads.shape[3];
    const auto z = ablated_embedding(d, 0, {});
    double n = 0;
    for (float v : z) n += double(v) * v;
    EXPECT_NEAR(n, 1.0, 1e-4);  // the parts sum to the unit embedding
    std::vector<float> axis(static_cast<size_t>(E), 0.f);
    axis[3] = 1.f;
    const PartScores parts = part_scores(d, 0, axis);
    ASSERT_EQ(parts.pooling.size(), 1u);
    EXPECT_NEAR(parts.pooling[0], d.pooling.data[3], 1e-7);
    double total = parts.pooling[0];
    for (float v : parts.heads) total += v;
    for (float v : parts.mlps) total += v;
    EXPECT_NEAR(total, z[3], 1e-5);
    LiveAblation off;
    off.pooling = true;
    const auto without = ablated_embedding(d, 0, off);
    for (int64_t e = 0; e < E; ++e) EXPECT_NEAR(without[size_t(e)], z[size_t(e)] - d.pooling.data[size_t(e)], 1e-6);
    FloatArray mean({E});
    for (int64_t e = 0; e < E; ++e) mean.data[size_t(e)] = d.pooling.data[size_t(e)];
    off.pooling_mean = &mean;  // its own mean changes nothing
    const auto own = ablated_embedding(d, 0, off);
    for (int64_t e = 0; e < E; ++e) EXPECT_NEAR(own[size_t(e)], z[size_t(e)], 1e-6);
}

}  // namespace
}  // namespace clipscope
