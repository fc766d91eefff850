// Invariants of the decomposition on random models (no fixtures needed).
#include <cmath>
#include <random>

#include "clipscope/decompose/decompose.h"
#include "clipscope/model/clip_model.h"
#include "clipscope/base/error.h"
#include "test_support.h"

namespace clipscope {
namespace {

using test::random_pixels;

class RandomTiny : public ::testing::TestWithParam<const char*> {
protected:
    void SetUp() override {
        model_ = std::make_unique<ClipModel>(ClipModel::load(GetParam()));
        pixels_ = random_pixels(3, model_->config().vision.image_size, 11);
        full_ = decompose(*model_, pixels_);
    }
    std::unique_ptr<ClipModel> model_;
    FloatArray pixels_;
    Decomposition full_;
};

TEST_P(RandomTiny, SumOfPartsIsTheNormalisedEmbedding) {
    const auto& c = model_->config();
    const int64_t B = 3, L = c.vision.layers, N = c.vision.tokens(), H = c.vision.heads, E = c.embed_dim;
    for (int64_t b = 0; b < B; ++b) {
        std::vector<double> sum(static_cast<size_t>(E), 0.0);
        for (int64_t i = 0; i < L * N * H; ++i)
            for (int64_t e = 0; e < E; ++e)
                sum[static_cast<size_t>(e)] += full_.attentions.data[(b * L * N * H + i) * E + e];
        for (int64_t j = 0; j <= L; ++j)
            for (int64_t e = 0; e < E; ++e) sum[static_cast<size_t>(e)] += full_.mlps.data[(b * (L + 1) + j) * E + e];
        double norm = 0;
        for (int64_t e = 0; e < E; ++e)
            norm += double(full_.embedding.data[b * E + e]) * full_.embedding.data[b * E + e];
        norm = std::sqrt(norm);
        for (int64_t e = 0; e < E; ++e)
            EXPECT_NEAR(sum[static_cast<size_t>(e)], full_.embedding.data[b * E + e] / norm, 1e-5);
    }
    EXPECT_LT(full_.max_sum_error(), 1e-5);
}

TEST_P(RandomTiny, PerHeadForwardEqualsFusedForward) {
    EXPECT_LT(test::max_abs_diff(full_.embedding, model_->encode_image(pixels_)), 1e-5);
}

TEST_P(RandomTiny, NonSpatialTermsAreSpatialTermsSummedOverTokens) {
    const auto& c = model_->config();
    const int64_t B = 3, L = c.vision.layers, N = c.vision.tokens(), H = c.vision.heads, E = c.embed_dim;
    FloatArray summed({B, L, H, E});
    FloatArray cls({B, L, E});
    for (int64_t b = 0; b < B; ++b)
        for (int64_t l = 0; l < L; ++l)
            for (int64_t n = 0; n < N; ++n)
                for (int64_t h = 0; h < H; ++h)
                    for (int64_t e = 0; e < E; ++e) {
                        const float v = full_.attentions.data[(((b * L + l) * N + n) * H + h) * E + e];
                        summed.data[((b * L + l) * H + h) * E + e] += v;
                        if (n == 0) cls.data[(b * L + l) * E + e] += v;
                    }
    EXPECT_LT(test::max_abs_diff(summed, full_.heads), 1e-6);
    EXPECT_LT(test::max_abs_diff(cls, full_.cls_attn), 1e-6);
    DecomposeOptions nonspatial;
    nonspatial.spatial = false;
    const Decomposition ns = decompose(*model_, pixels_, nonspatial);
    EXPECT_TRUE(ns.attentions.data.empty());
    EXPECT_LT(test::max_abs_diff(ns.heads, full_.heads), 1e-7);
    EXPECT_LT(test::max_abs_diff(ns.mlps, full_.mlps), 1e-7);
    EXPECT_LT(ns.max_sum_error(), 1e-5);
}

TEST_P(RandomTiny, LastKLayersKeepsExactlyThoseSpatialTerms) {
    const auto& c = model_->config();
    const int64_t L = c.vision.layers, per_layer = c.vision.tokens() * c.vision.heads * c.embed_dim;
    DecomposeOptions last2;
    last2.spatial_last_layers = 2;
    const Decomposition d = decompose(*model_, pixels_, last2);
    ASSERT_EQ(d.first_spatial_layer, L - 2);
    ASSERT_EQ(d.attentions.shape[1], 2);
    for (int64_t b = 0; b < 3; ++b)
        for (int64_t i = 0; i < 2 * per_layer; ++i)
            ASSERT_EQ(d.attentions.data[b * 2 * per_layer + i], full_.attentions.data[(b * L + L - 2) * per_layer + i]);
    EXPECT_LT(d.max_sum_error(), 1e-5);
    DecomposeOptions bad;
    bad.spatial_last_layers = L + 1;
    EXPECT_THROW(decompose(*model_, pixels_, bad), Error);
}

TEST_P(RandomTiny, BatchElementsAreIndependent) {
    const auto& c = model_->config();
    const int64_t per = 3 * c.vision.image_size * c.vision.image_size;
    FloatArray one({1, 3, c.vision.image_size, c.vision.image_size},
                   std::vector<float>(pixels_.data.begin() + per, pixels_.data.begin() + 2 * per));
    const Decomposition d = decompose(*model_, one);
    const int64_t n = d.attentions.size();
    double m = 0;
    for (int64_t i = 0; i < n; ++i)
        m = std::max(m, std::abs(double(d.attentions.data[i]) - full_.attentions.data[n + i]));
    EXPECT_LT(m, 1e-6);
}

// The maps a large model's app view draws (DecomposeOptions::map_directions): every head's
// spatial term dotted with each direction, formed without the E-wide terms.
TEST_P(RandomTiny, ProjectedHeadMapsAreTheSpatialTermsProjected) {
    const auto& c = model_->config();
    const int64_t B = 3, L = c.vision.layers, N = c.vision.tokens(), H = c.vision.heads, E = c.embed_dim, P = N - 1;
    FloatArray u({2, E});
    std::mt19937 rng(3);
    std::normal_distribution<float> normal;
    for (float& v : u.data) v = normal(rng) / std::sqrt(static_cast<float>(E));
    DecomposeOptions options;
    options.spatial = false;
    options.map_directions = &u;
    const Decomposition d = decompose(*model_, pixels_, options);
    EXPECT_TRUE(d.attentions.data.empty());
    ASSERT_EQ(d.head_maps.shape, (Shape{B, 2, L, H, P}));
    EXPECT_EQ(d.map_directions.data, u.data);
    double worst = 0;
    for (int64_t b = 0; b < B; ++b)
        for (int64_t t = 0; t < 2; ++t)
            for (int64_t l = 0; l < L; ++l)
                for (int64_t h = 0; h < H; ++h)
                    for (int64_t p = 0; p < P; ++p) {
                        double dot = 0;
                        const float* v = full_.attentions.data.data() + (((b * L + l) * N + p + 1) * H + h) * E;
                        for (int64_t e = 0; e < E; ++e) dot += double(v[e]) * u.data[t * E + e];
                        worst =
                            std::max(worst, std::abs(dot - d.head_maps.data[(((b * 2 + t) * L + l) * H + h) * P + p]));
                    }
    EXPECT_LT(worst, 1e-6);
    ASSERT_EQ(d.map_error.size(), 3u);
    for (double e : d.map_error) EXPECT_LT(e, 1e-6);
    EXPECT_LT(test::max_abs_diff(d.heads, full_.heads), 1e-7);
    // Spatial terms and maps together: the same maps.
    DecomposeOptions both;
    both.map_directions = &u;
    const Decomposition d2 = decompose(*model_, pixels_, both);
    EXPECT_LT(test::max_abs_diff(d2.head_maps, d.head_maps), 1e-7);
    EXPECT_LT(test::max_abs_diff(d2.attentions, full_.attentions), 1e-7);
    // Directions of another width, or not finite, are refused by name.
    FloatArray wrong({2, E + 1});
    options.map_directions = &wrong;
    EXPECT_THROW(decompose(*model_, pixels_, options), Error);
    FloatArray nan = u;
    nan.data[1] = std::nanf("");
    options.map_directions = &nan;
    EXPECT_THROW(decompose(*model_, pixels_, options), Error);
}

TEST_P(RandomTiny, WrongInputShapeIsAUsageError) {
    EXPECT_THROW(decompose(*model_, random_pixels(1, model_->config().vision.image_size + 8, 1)), Error);
    EXPECT_THROW(model_->encode_image(FloatArray({2, 2})), Error);
}

INSTANTIATE_TEST_SUITE_P(Architectures, RandomTiny, ::testing::Values("random:tiny", "random:tiny@5"));

}  // namespace
}  // namespace clipscope
