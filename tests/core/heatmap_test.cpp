#include "clipscope/decompose/decompose.h"
#include "clipscope/analysis/heatmap.h"

#include "clipscope/analysis/direction_maps.h"
#include "clipscope/decompose/pooled_decomposition.h"

#include <opencv2/imgcodecs.hpp>

#include "clipscope/model/clip_model.h"
#include "clipscope/base/error.h"
#include "test_support.h"

namespace clipscope {
namespace {

// Summed over patches and all cells, the map is the heads' terms minus their
// class-token cells, dotted with the text (the class-token cell is not a patch).
TEST(Heatmap, PatchMapsAddUpToTheHeadTermsWithoutTheClassToken) {
    const ClipModel model = ClipModel::load("random:tiny");
    const Decomposition d = decompose(model, test::random_pixels(2, 48, 4));
    const int64_t L = 3, H = 4, E = 32, G = 6;
    FloatArray text({1, E});
    for (int64_t e = 0; e < E; ++e) text.data[static_cast<size_t>(e)] = std::cos(static_cast<float>(e));
    const FloatArray maps = token_maps(d, 1, text, {}, G);
    ASSERT_EQ(maps.shape, (Shape{1, G, G}));
    double map_sum = 0;
    for (float v : maps.data) map_sum += v;
    double expected = 0;
    for (int64_t l = 0; l < L; ++l) {
        for (int64_t e = 0; e < E; ++e) {
            for (int64_t h = 0; h < H; ++h)
                expected += d.heads.data[static_cast<size_t>(((1 * L + l) * H + h) * E + e)] *
                            text.data[static_cast<size_t>(e)];
            expected -= d.cls_attn.data[static_cast<size_t>((1 * L + l) * E + e)] * text.data[static_cast<size_t>(e)];
        }
    }
    EXPECT_NEAR(map_sum, expected, 1e-5);
    // A selection of one head gives that head's own map; the selections add up.
    MapSelection a, b;
    a.heads = {{2, 1}};
    b.heads = {{2, 1}, {0, 3}};
    MapSelection c;
    c.heads = {{0, 3}};
    const FloatArray ma = token_maps(d, 1, text, a, G), mb = token_maps(d, 1, text, b, G),
                     mc = token_maps(d, 1, text, c, G);
    for (size_t i = 0; i < ma.data.size(); ++i) EXPECT_NEAR(ma.data[i] + mc.data[i], mb.data[i], 1e-6);
    MapSelection bad;
    bad.heads = {{3, 0}};
    EXPECT_THROW(token_maps(d, 1, text, bad, G), Error);
}

// A combination of the projected directions (A minus B, as the app draws it) gives the map
// token_maps draws from the E-wide terms for that direction, on either kind of pooling.
void expect_combined_maps_match(const ClipModel& model, const FloatArray& pixels, int64_t grid) {
    const int64_t E = model.config().embed_dim;
    FloatArray u({3, E});
    for (int64_t i = 0; i < 3 * E; ++i) u.data[static_cast<size_t>(i)] = std::sin(0.7f * static_cast<float>(i));
    DecomposeOptions options;
    options.map_directions = &u;
    const Decomposition d = decompose_image_terms(model, pixels, options);
    const std::vector<float> c = {1.0f, -1.0f, 0.25f};
    FloatArray direction({1, E});
    for (int64_t e = 0; e < E; ++e)
        for (int64_t t = 0; t < 3; ++t)
            direction.data[static_cast<size_t>(e)] +=
                c[static_cast<size_t>(t)] * u.data[static_cast<size_t>(t * E + e)];
    const std::vector<std::pair<int64_t, int64_t>> heads = {{0, 1}, {1, 2}, {1, 0}};
    MapSelection selection;
    selection.heads = heads;
    const FloatArray expected = token_maps(d, 0, direction, selection, grid);
    const FloatArray got = combined_head_map(d, 0, c, heads, grid);
    ASSERT_EQ(got.shape, (Shape{grid, grid}));
    for (size_t i = 0; i < got.data.size(); ++i) EXPECT_NEAR(got.data[i], expected.data[i], 1e-6) << i;
    // One patch: each head's value is its own one-head map there.
    const std::vector<float> at = head_values_at_patch(d, 0, c, 2);
    const int64_t H = model.config().vision.heads;
    MapSelection one;
    one.heads = {{1, 2}};
    EXPECT_NEAR(at[static_cast<size_t>(1 * H + 2)], token_maps(d, 0, direction, one, grid).data[2], 1e-6);
    EXPECT_THROW(combined_head_map(d, 0, {1.0f}, heads, grid), Error);
    EXPECT_THROW(combined_head_map(d, 0, c, {{99, 0}}, grid), Error);
    EXPECT_THROW(combined_head_map(d, 0, c, heads, grid + 1), Error);
    EXPECT_TRUE(has_head_maps(d));
}

TEST(DirectionMaps, ACombinationOfProjectedDirectionsIsTheMapOfTheCombinedDirection) {
    const ClipModel model = ClipModel::load("random:tiny");
    expect_combined_maps_match(model, test::random_pixels(1, 48, 4), 6);
}

TEST(DirectionMaps, TheSameThroughTheAttentionPoolingHead) {
    CLIPSCOPE_REQUIRE_SHARED();
    const ClipModel model = ClipModel::load(test::fixture("siglip/tiny-siglip"));
    expect_combined_maps_match(model, test::random_pixels(1, model.config().vision.image_size, 9),
                               model.config().vision.grid());
}

TEST(Heatmap, BilinearUpsamplingMatchesTorchAlignCornersFalse) {
    const FloatArray g({2, 2}, {0, 1, 2, 3});
    const FloatArray u = upsample_bilinear(g, 2);
    // torch.nn.functional.interpolate(g, scale_factor=2, mode="bilinear", align_corners=False)
    const std::vector<float> expected = {0,    0.25f, 0.75f, 1,    0.5f, 0.75f, 1.25f, 1.5f,
                                         1.5f, 1.75f, 2.25f, 2.5f, 2,    2.25f, 2.75f, 3};
    EXPECT_EQ(test::values(u), expected);
}

TEST(Heatmap, OverlayIsAPngOfTheCropSize) {
    test::TempDir dir;
    const Image crop = image_from_rgb(8, 8, std::vector<uint8_t>(8 * 8 * 3, 100));
    FloatArray map({8, 8});
    for (size_t i = 0; i < map.data.size(); ++i) map.data[i] = static_cast<float>(i);
    write_heatmap_overlay(dir.path("o.png"), crop, map, 0.5);
    const cv::Mat png = cv::imread(dir.path("o.png"));
    EXPECT_EQ(png.cols, 8);
    EXPECT_EQ(png.rows, 8);
    EXPECT_NE(png.at<cv::Vec3b>(0, 0), png.at<cv::Vec3b>(7, 7));  // low and high ends get different colours
    EXPECT_THROW(write_heatmap_overlay(dir.path("x.png"), crop, FloatArray({4, 4}), 0.5), Error);
}

}  // namespace
}  // namespace clipscope
