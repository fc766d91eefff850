#include "clipscope/decompose/decompose.h"
#include "clipscope/analysis/segmentation.h"

#include <cmath>
#include <filesystem>

#include "clipscope/model/clip_model.h"
#include "clipscope/base/error.h"
#include "clipscope/analysis/heatmap.h"
#include "clipscope/io/segmentation_data.h"
#include "clipscope/analysis/segmentation_maps.h"
#include "test_support.h"

namespace clipscope {
namespace {

// Hand-computed: thresholds 0.9 (P 1, R .5), 0.8 (P .5, R .5), 0.7 (P 2/3, R 1).
TEST(Segmentation, AveragePrecisionMatchesHandComputedCases) {
    EXPECT_NEAR(average_precision({0.9f, 0.8f, 0.7f, 0.6f}, {1, 0, 1, 0}), 0.5 + (2.0 / 3) * 0.5, 1e-12);
    // Tied scores form one threshold: (0.5: tp 1 of 2 seen, R .5), (0.2: P 2/3, R 1).
    EXPECT_NEAR(average_precision({0.5f, 0.5f, 0.2f}, {1, 0, 1}), 0.5 * 0.5 + 0.5 * (2.0 / 3), 1e-12);
    EXPECT_NEAR(average_precision({0.1f, 0.2f}, {1, 1}), 1.0, 1e-12);
    EXPECT_EQ(average_precision({0.1f, 0.2f}, {0, 0}), 0.0);  // scikit-learn's NaN, mapped to 0 as the reference does
    EXPECT_THROW(average_precision({0.1f}, {0, 1}), Error);
}

TEST(Segmentation, ForegroundIsAboveTheMeanOfTheClampedNormalisedMap) {
    FloatArray grid({2, 2}, {-5.0f, 1.0f, 2.0f, 3.0f});  // clamp -> 0 1 2 3 -> 0 1/3 2/3 1, mean 0.5
    const ForegroundPrediction p = predict_foreground(grid, 1);
    EXPECT_EQ(p.foreground, (std::vector<uint8_t>{0, 0, 1, 1}));
    EXPECT_NEAR(p.heat[1], 1.0 / 3, 1e-7);
    EXPECT_FALSE(p.undefined);
    const ForegroundPrediction up = predict_foreground(grid, 16);
    EXPECT_EQ(up.size, 32);
    EXPECT_EQ(up.foreground.size(), 32u * 32u);
    // A constant map is 0/0 in the reference: everything background, every score 0.
    const ForegroundPrediction flat = predict_foreground(FloatArray({2, 2}, {-1.0f, -2.0f, -3.0f, -4.0f}), 2);
    EXPECT_TRUE(flat.undefined);
    for (auto f : flat.foreground) EXPECT_EQ(f, 0);
    const SegmentationCounts c = score_segmentation(flat, std::vector<uint8_t>(16, 1));
    EXPECT_EQ(c.correct, 0);
    EXPECT_NEAR(c.ap, 0.5, 1e-12);  // all 32 scores tie at 0: precision 16/32 at recall 1
}

TEST(Segmentation, CountsAndDatasetMetricsMatchHandComputedCase) {
    ForegroundPrediction p;
    p.size = 2;
    p.heat = {0.0f, 0.2f, 0.7f, 1.0f};
    p.foreground = {0, 0, 1, 1};
    const SegmentationCounts c = score_segmentation(p, {0, 1, 1, 1});
    EXPECT_EQ(c.correct, 3);
    EXPECT_EQ(c.labeled, 4);
    EXPECT_EQ(c.intersection, (std::array<int64_t, 2>{1, 2}));
    EXPECT_EQ(c.union_, (std::array<int64_t, 2>{2, 3}));
    // Scores: bg channel 1, .8, .3, 0 vs targets 1 0 0 0; fg channel 0 .2 .7 1 vs 0 1 1 1.
    const double ap = average_precision({1.0f, 0.8f, 0.3f, 0.0f, 0.0f, 0.2f, 0.7f, 1.0f}, {1, 0, 0, 0, 0, 1, 1, 1});
    EXPECT_NEAR(c.ap, ap, 1e-12);
    SegmentationTotals t;
    t.add(c);
    t.add(c);
    EXPECT_NEAR(t.pixel_accuracy(), 0.75, 1e-12);
    EXPECT_NEAR(t.iou(0), 0.5, 1e-12);
    EXPECT_NEAR(t.iou(1), 2.0 / 3, 1e-12);
    EXPECT_NEAR(t.mean_iou(), (0.5 + 2.0 / 3) / 2, 1e-12);
    EXPECT_NEAR(t.mean_ap(), ap, 1e-12);
    EXPECT_THROW(score_segmentation(p, {0, 1}), Error);
}

TEST(Segmentation, ClassContrastDirectionAndTop1) {
    FloatArray classifier({2, 3}, {1.0f, 0.0f, 2.0f, 0.0f, 3.0f, 0.0f});  // [E=2, C=3]
    const FloatArray d = class_contrast_direction(classifier, 2);
    EXPECT_NEAR(d.data[0], 2.0 - 1.0, 1e-6);
    EXPECT_NEAR(d.data[1], 0.0 - 1.0, 1e-6);
    const float z[2] = {1.0f, 1.0f};  // scores 1, 3, 2
    EXPECT_EQ(top1_class(z, classifier), 1);
    const float tie[2] = {2.0f, 0.0f};  // scores 2, 0, 4 -> 2; with {1, 0.5}: 1, 1.5, 2
    EXPECT_EQ(top1_class(tie, classifier), 2);
    FloatArray equal({1, 2}, {1.0f, 1.0f});
    const float one[1] = {1.0f};
    EXPECT_EQ(top1_class(one, equal), 0);  // ties go to the lowest index, like torch
}

// The decomposition's map is s[m, c*] - mean_c s[m, c] per token (method.md §6.2),
// computed through one contrast direction: check it against the per-class maps.
TEST(Segmentation, DecompositionMapEqualsPerClassScoresMinusTheirMean) {
    const ClipModel model = ClipModel::load("random:tiny");
    const int64_t E = model.config().embed_dim, G = model.config().vision.grid(), C = 5;
    FloatArray classifier({E, C});
    for (size_t i = 0; i < classifier.data.size(); ++i) classifier.data[i] = std::sin(0.37f * static_cast<float>(i));
    const FloatArray pixels = test::random_pixels(1, model.config().preprocess.image_size, 11);
    const SegmentationMaps maps =
        segmentation_maps(model, pixels, classifier, {SegmentationMethod::Decomposition, SegmentationMethod::Rollout});
    ASSERT_EQ(maps.grids.size(), 2u);
    EXPECT_LT(maps.self_check, 1e-5);
    const Decomposition d = decompose(model, pixels);
    EXPECT_EQ(maps.predicted_class, top1_class(d.embedding.data.data(), classifier));
    FloatArray rows({C, E});
    for (int64_t c = 0; c < C; ++c)
        for (int64_t e = 0; e < E; ++e)
            rows.data[static_cast<size_t>(c * E + e)] = classifier.data[static_cast<size_t>(e * C + c)];
    const FloatArray per_class = token_maps(d, 0, rows, {}, G);
    for (int64_t m = 0; m < G * G; ++m) {
        double mean = 0;
        for (int64_t c = 0; c < C; ++c) mean += per_class.data[static_cast<size_t>(c * G * G + m)];
        const double expected = per_class.data[static_cast<size_t>(maps.predicted_class * G * G + m)] - mean / C;
        EXPECT_NEAR(maps.grids[0].data[static_cast<size_t>(m)], expected, 1e-5);
    }
    EXPECT_THROW(segmentation_maps(model, pixels, FloatArray(), {SegmentationMethod::Decomposition}), Error);
}

// Attention rows sum to 1, so the class token's share of its own row is what the patches leave.
TEST(Segmentation, AttentionBaselinesAreDistributionsOverTokens) {
    const ClipModel model = ClipModel::load("random:tiny");
    const int64_t G = model.config().vision.grid();
    const AttentionBaselines b =
        attention_baselines(model, test::random_pixels(2, model.config().preprocess.image_size, 3));
    ASSERT_EQ(b.last_layer_cls.shape, (Shape{2, G * G}));
    ASSERT_EQ(b.rollout.shape, (Shape{2, G * G}));
    for (const FloatArray* a : {&b.last_layer_cls, &b.rollout})
        for (int64_t i = 0; i < 2; ++i) {
            double sum = 0;
            for (int64_t m = 0; m < G * G; ++m) {
                const float v = a->data[static_cast<size_t>(i * G * G + m)];
                EXPECT_GE(v, 0.0f);
                sum += v;
            }
            EXPECT_GT(sum, 0.0);
            EXPECT_LT(sum, 1.0);
        }
    EXPECT_THROW(parse_method("gradcam"), Error);
    EXPECT_EQ(parse_method("rollout"), SegmentationMethod::Rollout);
}

Image pattern_image(int w, int h, int seed) {
    Image im{w, h, 3, false, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3), {}};
    for (size_t i = 0; i < im.pixels.size(); ++i)
        im.pixels[i] = static_cast<uint8_t>((i * 37 + static_cast<size_t>(seed) * 11) % 251);
    return im;
}

Mask pattern_mask(int w, int h) {
    Mask m{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h)};
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) m.data[static_cast<size_t>(y) * w + x] = (x + 2 * y) % 3 == 0;
    return m;
}

// gtsegs_ijcv.mat's layout (object references, MATLAB's column-major axes, 512-byte user block) round trips.
TEST(SegmentationData, ImagenetSegmentationFileRoundTrips) {
    test::TempDir dir;
    const std::vector<Image> images = {pattern_image(5, 3, 1), pattern_image(4, 4, 2)};
    const std::vector<Mask> masks = {pattern_mask(5, 3), pattern_mask(4, 4)};
    const std::string path = dir.path("gtsegs_ijcv.mat");
    write_imagenet_segmentation(path, images, masks);
    const auto ds = open_imagenet_segmentation(path);
    ASSERT_EQ(ds->size(), 2);
    for (int64_t i = 0; i < 2; ++i) {
        const SegmentationSample s = ds->load(i);
        EXPECT_EQ(s.image.width, images[static_cast<size_t>(i)].width);
        EXPECT_EQ(s.image.height, images[static_cast<size_t>(i)].height);
        EXPECT_EQ(s.image.pixels, images[static_cast<size_t>(i)].pixels);
        EXPECT_EQ(s.mask.data, masks[static_cast<size_t>(i)].data);
        EXPECT_NE(s.name.find("[" + std::to_string(i) + "]"), std::string::npos);
    }
    EXPECT_THROW(ds->load(2), Error);
}

TEST(SegmentationData, BrokenFilesGiveErrorsNamingTheFile) {
    test::TempDir dir;
    auto expect_input_error = [](const std::string& path, const std::string& needle) {
        try {
            open_imagenet_segmentation(path)->load(0);
            ADD_FAILURE() << "no error for " << path;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::InputFile);
            EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    expect_input_error(dir.path("missing.mat"), "no such file");
    test::write_bytes(dir.path("empty.mat"), "");
    expect_input_error(dir.path("empty.mat"), "not an HDF5 file");
    test::write_bytes(dir.path("text.mat"), "MATLAB 5.0 MAT-file, not v7.3");
    expect_input_error(dir.path("text.mat"), "not an HDF5 file");
    // A valid file cut short.
    const std::string good = dir.path("good.mat");
    write_imagenet_segmentation(good, {pattern_image(64, 48, 3)}, {pattern_mask(64, 48)});
    const auto size = std::filesystem::file_size(good);
    std::filesystem::copy_file(good, dir.path("cut.mat"));
    std::filesystem::resize_file(dir.path("cut.mat"), size / 2);
    try {
        open_imagenet_segmentation(dir.path("cut.mat"))->load(0);
        ADD_FAILURE() << "a truncated file was read";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("cut.mat"), std::string::npos) << e.what();
    }
}

TEST(SegmentationData, MaskFolderPairsByRelativeNameAndRejectsOrphans) {
    test::TempDir dir;
    const std::string images = dir.path("images"), masks = dir.path("masks");
    std::filesystem::create_directories(images + "/a");
    std::filesystem::create_directories(masks + "/a");
    // Minimal 2x1 PPM files: cv::imread reads them.
    test::write_bytes(images + "/a/x.ppm", std::string("P6\n2 1\n255\n") + std::string("\x10\x20\x30\x40\x50\x60", 6));
    test::write_bytes(masks + "/a/x.ppm", std::string("P6\n2 1\n255\n") + std::string("\x00\x00\x00\x00\xff\x00", 6));
    const auto ds = open_mask_folder(images, masks);
    ASSERT_EQ(ds->size(), 1);
    const SegmentationSample s = ds->load(0);
    EXPECT_EQ(s.mask.data, (std::vector<uint8_t>{0, 1}));
    test::write_bytes(images + "/a/y.ppm", std::string("P6\n2 1\n255\n") + std::string(6, '\x10'));
    EXPECT_THROW(open_mask_folder(images, masks), Error);
}

// Masks are black and one foreground value; what would need a threshold is refused by name.
TEST(SegmentationData, MaskFilesWithMoreThanTwoValuesOrNoBlackAreRefused) {
    test::TempDir dir;
    const std::string images = dir.path("images"), masks = dir.path("masks");
    std::filesystem::create_directories(images);
    std::filesystem::create_directories(masks);
    const auto ppm = [](const std::string& rgb) { return std::string("P6\n3 1\n255\n") + rgb; };
    test::write_bytes(images + "/x.ppm", ppm(std::string(9, '\x40')));
    const auto load_with = [&](const std::string& mask) {
        test::write_bytes(masks + "/x.ppm", ppm(mask));
        return open_mask_folder(images, masks)->load(0);
    };
    const auto refused = [&](const std::string& mask, const std::string& needle) {
        try {
            load_with(mask);
            ADD_FAILURE() << "accepted a mask needing " << needle;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("x.ppm"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    EXPECT_EQ(load_with(std::string("\x00\x00\x00\x01\x01\x01\x00\x00\x00", 9)).mask.data,
              (std::vector<uint8_t>{0, 1, 0}));  // 0/1 masks, as numpy writes them
    EXPECT_EQ(load_with(std::string(9, '\xff')).mask.data, (std::vector<uint8_t>{1, 1, 1}));  // all object
    // JPEG noise in the background (3 is not 0): would count as object.
    refused(std::string("\x00\x00\x00\x03\x03\x03\xff\xff\xff", 9), "more than two values");
    // Pascal VOC style: object, void border (224,224,192), background.
    refused(std::string("\x80\x00\x00\xe0\xe0\xc0\x00\x00\x00", 9), "more than two values");
    refused(std::string("\x80\x00\x00\x00\x80\x00\x80\x00\x00", 9), "not black and a foreground value");
}

// The reference squashes the mask to S x S; the default gives it the image's crop.
TEST(SegmentationData, MaskAlignmentCropVersusReference) {
    PreprocessConfig p;
    p.image_size = 4;
    Mask m{8, 4, std::vector<uint8_t>(32, 0)};
    for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 2; ++x) m.data[static_cast<size_t>(y) * 8 + x] = 1;  // leftmost quarter
    const auto cropped = align_mask(m, p, MaskAlignment::Crop);        // the crop keeps columns 2..5: no foreground
    const auto squashed = align_mask(m, p, MaskAlignment::Reference);  // columns halve: column 0 is foreground
    for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 4; ++x) {
            EXPECT_EQ(cropped[static_cast<size_t>(y) * 4 + x], 0);
            EXPECT_EQ(squashed[static_cast<size_t>(y) * 4 + x], x == 0 ? 1 : 0);
        }
}

}  // namespace
}  // namespace clipscope
