#include "clipscope/analysis/textspan.h"

#include <cmath>

#include "clipscope/base/error.h"
#include "clipscope/io/npy.h"
#include "test_support.h"

namespace clipscope {
namespace {

// docs/method.md §15.2: the reference function on a 6×4 matrix.
TEST(TextSpan, MethodAppendixVector) {
    const FloatArray D({6, 4}, {1, 0, 2, 0, 0, 1, 1, 1, 2, 1, 0, 0, 1, 1, 1, 0, 0, 2, 1, 1, 3, 0, 1, 0});
    const FloatArray T({5, 4}, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0.6f, 0.8f, 0, 0, 0, 0, 0.6f, 0.8f});
    TextSpanOptions o;
    o.rank = 3;
    o.iterations = 2;
    const TextSpanResult r = text_span(D, T, o);
    ASSERT_EQ(r.picks.size(), 2u);
    EXPECT_EQ(r.picks[0].index, 0);
    EXPECT_EQ(r.picks[1].index, 1);
    const std::vector<float> expected = {1.0201f, -0.0560f, 1.0555f, -0.0158f, -0.0518f, 1.1447f, 0.9504f, 0.6453f,
                                         2.0147f, 0.9590f,  1.0118f, 0.2591f,  1.0535f,  0.8506f, 0.9962f, 0.3574f,
                                         0.0014f, 1.9961f,  0.8952f, 0.9926f,  2.9622f,  0.1056f, 1.0909f, -0.2386f};
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(r.reconstruction.data[i], expected[i], 6e-5) << i;

    o.rank = 4;
    o.iterations = 4;
    const TextSpanResult full = text_span(D, T, o);
    std::vector<int64_t> picks;
    for (const auto& p : full.picks) picks.push_back(p.index);
    EXPECT_EQ(picks, (std::vector<int64_t>{0, 1, 2, 4}));
    EXPECT_LT(test::max_abs_diff(full.reconstruction, D), 1e-5);
    EXPECT_NEAR(full.total_variance_explained, 1.0, 1e-9);  // four independent directions span everything
}

TEST(TextSpan, MatchesReferenceFixturePicksAndReconstruction) {
    CLIPSCOPE_REQUIRE_SHARED();
    const FloatArray D = read_npy_float(test::fixture("textspan/data.npy"));
    const FloatArray T = read_npy_float(test::fixture("textspan/text_features.npy"));
    TextSpanOptions o;
    o.rank = 32;
    o.iterations = 10;
    const TextSpanResult r = text_span(D, T, o);
    const Int64Array expected = read_npy_int(test::fixture("textspan/indices.npy"));
    std::vector<int64_t> picks;
    for (const auto& p : r.picks) picks.push_back(p.index);
    EXPECT_EQ(picks, test::values(expected));
    EXPECT_LT(test::max_abs_diff(r.reconstruction, read_npy_float(test::fixture("textspan/reconstruct.npy"))), 2e-5);
    EXPECT_LT(
        test::max_abs_diff(r.projected_texts, read_npy_float(test::fixture("textspan/text_features_projected.npy"))),
        2e-6);
    // The shares add up to the variance of the reconstruction around the mean
    // (the picked directions are orthogonal), relative to the data's.
    const int64_t n = D.shape[0], E = D.shape[1];
    std::vector<double> mean(static_cast<size_t>(E), 0.0);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t e = 0; e < E; ++e) mean[static_cast<size_t>(e)] += D.data[i * E + e] / double(n);
    double data_ss = 0, recon_ss = 0;
    for (int64_t i = 0; i < n; ++i)
        for (int64_t e = 0; e < E; ++e) {
            data_ss += std::pow(D.data[i * E + e] - mean[static_cast<size_t>(e)], 2);
            recon_ss += std::pow(r.reconstruction.data[i * E + e] - mean[static_cast<size_t>(e)], 2);
        }
    EXPECT_NEAR(r.total_variance_explained, recon_ss / data_ss, 1e-5);
    for (const auto& p : r.picks) EXPECT_GT(p.variance_explained, 0.0);
    EXPECT_LT(r.total_variance_explained, 1.0);
}

// The basis used by ablations is the projector's factor: orthonormal rows with Q = BᵀB.
TEST(TextSpan, BasisIsAnOrthonormalFactorOfTheProjector) {
    const int64_t N = 40, E = 6, T = 9;
    FloatArray D({N, E}), texts({T, E});
    for (size_t i = 0; i < D.data.size(); ++i)
        D.data[i] = std::sin(0.7f * static_cast<float>(i)) + 0.1f * static_cast<float>(i % 5);
    for (size_t i = 0; i < texts.data.size(); ++i) texts.data[i] = std::cos(1.3f * static_cast<float>(i));
    HeadStatistics stats(E);
    stats.add(D.data.data(), N);
    TextSpanOptions options;
    options.rank = 5;
    options.iterations = 3;
    const TextSpanFit fit = text_span_fit(stats, texts, options);
    ASSERT_EQ(fit.basis.shape, (Shape{static_cast<int64_t>(fit.picks.size()), E}));
    const int64_t k = fit.basis.shape[0];
    for (int64_t a = 0; a < k; ++a)
        for (int64_t b = 0; b < k; ++b) {
            double dot = 0;
            for (int64_t e = 0; e < E; ++e)
                dot += fit.basis.data[static_cast<size_t>(a * E + e)] * fit.basis.data[static_cast<size_t>(b * E + e)];
            EXPECT_NEAR(dot, a == b ? 1.0 : 0.0, 1e-5);
        }
    for (int64_t i = 0; i < E; ++i)
        for (int64_t j = 0; j < E; ++j) {
            double q = 0;
            for (int64_t a = 0; a < k; ++a)
                q += fit.basis.data[static_cast<size_t>(a * E + i)] * fit.basis.data[static_cast<size_t>(a * E + j)];
            EXPECT_NEAR(q, fit.span_projector.data[static_cast<size_t>(i * E + j)], 1e-5);
        }
}

TEST(TextSpan, BadShapesAreUsageErrors) {
    EXPECT_THROW(text_span(FloatArray({4, 3}), FloatArray({5, 2}), {}), Error);
    EXPECT_THROW(text_span(FloatArray({1, 3}), FloatArray({5, 3}), {}), Error);
    TextSpanOptions too_many;
    too_many.iterations = 6;
    EXPECT_THROW(text_span(FloatArray({4, 3}), FloatArray({5, 3}), too_many), Error);
}

}  // namespace
}  // namespace clipscope
