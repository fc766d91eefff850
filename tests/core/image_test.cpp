#include "clipscope/io/image.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "clipscope/base/error.h"
#include "image_header.h"  // private to core
#include "test_support.h"

namespace clipscope {
namespace {

Image gradient(int w, int h) {
    std::vector<uint8_t> px(static_cast<size_t>(w) * h * 3);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < 3; ++c)
                px[(static_cast<size_t>(y) * w + x) * 3 + c] = static_cast<uint8_t>((x * 7 + y * 3 + c * 50) % 256);
    return image_from_rgb(w, h, px);
}

TEST(PillowResize, ConstantImageStaysConstantAndSizesAreExact) {
    const Image flat = image_from_rgb(37, 23, std::vector<uint8_t>(37 * 23 * 3, 200));
    for (auto [w, h] : {std::pair{10, 7}, std::pair{80, 50}, std::pair{37, 5}}) {
        const Image r = resize_bicubic_pillow(flat, w, h);
        ASSERT_EQ(r.width, w);
        ASSERT_EQ(r.height, h);
        for (uint8_t v : r.pixels) ASSERT_EQ(v, 200);
    }
}

// An independent double-precision evaluation of Pillow's antialiased bicubic
// (Keys a = -0.5 stretched by the scale) agrees within the 8-bit rounding.
TEST(PillowResize, DownscaleMatchesTheStretchedKeysKernel) {
    auto keys = [](double x) {
        x = std::abs(x);
        return x < 1 ? 1.5 * x * x * x - 2.5 * x * x + 1 : x < 2 ? -0.5 * x * x * x + 2.5 * x * x - 4 * x + 2 : 0.0;
    };
    const std::vector<uint8_t> values = {0, 100, 150, 255, 30, 60};
    std::vector<uint8_t> rgb;
    for (uint8_t v : values) rgb.insert(rgb.end(), {v, v, v});
    const Image r = resize_bicubic_pillow(image_from_rgb(6, 1, rgb), 3, 1);
    for (int o = 0; o < 3; ++o) {
        const double center = (o + 0.5) * 2.0;
        double acc = 0, norm = 0;
        for (int x = 0; x < 6; ++x) {
            const double w = keys((x + 0.5 - center) / 2.0);
            acc += w * values[static_cast<size_t>(x)];
            norm += w;
        }
        EXPECT_NEAR(r.pixels[static_cast<size_t>(o) * 3], std::clamp(acc / norm, 0.0, 255.0), 0.51) << "output " << o;
    }
}

TEST(Preprocess, ShortSideResizeCentreCropAndNormalisation) {
    PreprocessConfig cfg;
    cfg.image_size = 8;
    cfg.mean = {0.5f, 0.5f, 0.5f};
    cfg.std = {0.5f, 0.5f, 0.5f};
    // Already 8 on the short side: no resize; width 11 -> excess 3 -> left = round_half_even(1.5) = 2.
    const Image im = gradient(11, 8);
    const FloatArray t = preprocess_image(im, cfg);
    ASSERT_EQ(t.shape, (Shape{3, 8, 8}));
    for (int c = 0; c < 3; ++c) {
        const uint8_t px = im.pixels[(0 * 11 + 2) * 3 + c];
        EXPECT_FLOAT_EQ(t.data[static_cast<size_t>(c) * 64], (px / 255.0f - 0.5f) / 0.5f);
    }
    cfg.crop_rounding = "floor";  // transformers: floor(1.5) = 1
    const FloatArray f = preprocess_image(im, cfg);
    EXPECT_FLOAT_EQ(f.data[0], (im.pixels[(0 * 11 + 1) * 3] / 255.0f - 0.5f) / 0.5f);
}

TEST(Preprocess, ExtremeAspectRatioIsRefusedBeforeAllocating) {
    PreprocessConfig cfg;
    const Image thin = image_from_rgb(1, 10000, std::vector<uint8_t>(30000, 9));
    try {
        preprocess_image(thin, cfg);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("aspect ratio"), std::string::npos);
    }
}

// Geometry of the other resize modes on an image whose pixels say where they came from.
TEST(Preprocess, SquashAndLongestPlaceTheWholeImage) {
    PreprocessConfig cfg;
    cfg.image_size = 8;
    cfg.interpolation = "nearest";  // pixels are copied: positions can be read back
    cfg.resize_mode = "squash";
    const Image im = gradient(16, 4);
    Image squashed = resize_and_crop(im, cfg);
    ASSERT_EQ(squashed.width, 8);
    ASSERT_EQ(squashed.height, 8);
    EXPECT_EQ(squashed.pixels, resize_nearest_pillow(im, 8, 8).pixels);
    // longest: 16x4 -> 8x2 (round(4 / 2) = 2), padded 3 rows above and 3 below with the fill.
    cfg.resize_mode = "longest";
    cfg.fill = 7;
    const Image padded = resize_and_crop(im, cfg);
    const Image small = resize_nearest_pillow(im, 8, 2);
    for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 8; ++x)
            for (int c = 0; c < 3; ++c) {
                const uint8_t got = padded.pixels[(static_cast<size_t>(y) * 8 + x) * 3 + c];
                const uint8_t want =
                    y >= 3 && y < 5 ? small.pixels[(static_cast<size_t>(y - 3) * 8 + x) * 3 + c] : uint8_t{7};
                ASSERT_EQ(got, want) << "at " << x << "," << y;
            }
    // An odd excess puts the extra row after: 8x5 in 8 -> (8 - 5) // 2 = 1 row above, 2 below.
    const Image odd = resize_and_crop(gradient(8, 5), cfg);
    EXPECT_EQ(odd.pixels[0], 7);
    EXPECT_EQ(odd.pixels[(1 * 8) * 3], gradient(8, 5).pixels[0]);
    EXPECT_EQ(odd.pixels[(6 * 8) * 3], 7);
    // A CMYK image is padded in its own bands: ink 0 everywhere is white once converted.
    cfg.fill = 0;
    Image cmyk{8, 2, 4, false, std::vector<uint8_t>(64, 0), "", true};
    EXPECT_EQ(resize_and_crop(cmyk, cfg).pixels[0], 255);
    cmyk.height = 1;
    cmyk.width = 10000;
    cmyk.pixels.assign(40000, 0);
    EXPECT_THROW(resize_and_crop(cmyk, cfg), Error);  // the short side would be 0 pixels
    cfg.resize_mode = "stretch";
    EXPECT_THROW(resize_and_crop(im, cfg), Error);
    EXPECT_NE(preprocess_config_problem(cfg).find("resize_mode 'stretch'"), std::string::npos);
}

// transformers converts to RGB before resizing: a palette image is then resized with the
// filter, not nearest-neighbour as open_clip's order makes Pillow do.
TEST(Preprocess, TransformersConvertsToRgbBeforeResizing) {
    PreprocessConfig cfg;
    cfg.image_size = 5;
    Image palette = gradient(10, 10);
    palette.is_palette = true;
    const Image open_clip_way = resize_and_crop(palette, cfg);
    EXPECT_EQ(open_clip_way.pixels, resize_nearest_pillow(palette, 5, 5).pixels);
    cfg.convert_rgb_first = true;
    Image rgb = palette;
    rgb.is_palette = false;
    EXPECT_EQ(resize_and_crop(palette, cfg).pixels, resize_bicubic_pillow(rgb, 5, 5).pixels);
    EXPECT_NE(resize_and_crop(palette, cfg).pixels, open_clip_way.pixels);
}

TEST(PillowResize, BilinearIsTheStretchedTriangle) {
    const std::vector<uint8_t> values = {0, 100, 150, 255, 30, 60};
    std::vector<uint8_t> rgb;
    for (uint8_t v : values) rgb.insert(rgb.end(), {v, v, v});
    const Image r = resize_pillow(image_from_rgb(6, 1, rgb), 3, 1, "bilinear");
    for (int o = 0; o < 3; ++o) {
        const double center = (o + 0.5) * 2.0;
        double acc = 0, norm = 0;
        for (int x = 0; x < 6; ++x) {
            const double w = std::max(0.0, 1.0 - std::abs((x + 0.5 - center) / 2.0));
            acc += w * values[static_cast<size_t>(x)];
            norm += w;
        }
        EXPECT_NEAR(r.pixels[static_cast<size_t>(o) * 3], acc / norm, 0.51) << "output " << o;
    }
}

TEST(LoadImage, ModesBecomeRgbAndAlphaIsKept) {
    test::TempDir dir;
    cv::Mat grey(5, 6, CV_8UC1, cv::Scalar(77));
    cv::imwrite(dir.path("grey.png"), grey);
    const Image g = load_image(dir.path("grey.png"));
    EXPECT_EQ(g.channels, 3);
    EXPECT_EQ(g.pixels[0], 77);
    EXPECT_EQ(g.pixels[2], 77);
    cv::Mat bgra(4, 4, CV_8UC4, cv::Scalar(10, 20, 30, 128));  // B, G, R, A
    cv::imwrite(dir.path("rgba.png"), bgra);
    const Image a = load_image(dir.path("rgba.png"));
    EXPECT_EQ(a.channels, 4);
    EXPECT_EQ(a.pixels[0], 30);  // R first
    EXPECT_EQ(a.pixels[3], 128);
    cv::Mat deep(3, 3, CV_16UC3, cv::Scalar(65535, 0, 32896));
    cv::imwrite(dir.path("deep.png"), deep);
    const Image d = load_image(dir.path("deep.png"));
    EXPECT_EQ(d.pixels[0], 128);
    EXPECT_EQ(d.pixels[2], 255);
}

TEST(LoadImage, TransparentPixelsDoNotBleedColourWhenResizing) {
    // Left half opaque red, right half fully transparent green: premultiplied resizing keeps green out.
    Image im{8, 2, 4, false, std::vector<uint8_t>(8 * 2 * 4), {}};
    for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 8; ++x) {
            uint8_t* p = &im.pixels[(static_cast<size_t>(y) * 8 + x) * 4];
            if (x < 4)
                p[0] = 255, p[1] = 0, p[2] = 0, p[3] = 255;
            else
                p[0] = 0, p[1] = 255, p[2] = 0, p[3] = 0;
        }
    const Image r = resize_bicubic_pillow(im, 4, 2);
    for (int x = 0; x < 4; ++x) EXPECT_EQ(r.pixels[static_cast<size_t>(x) * 4 + 1], 0) << "green leaked at " << x;
}

// A PNG signature + IHDR declaring width x height, then a tiny IDAT and IEND (CRCs not checked
// by the header reader; the decoder would reject them, but only after the size check).
std::string png_header_only(uint32_t width, uint32_t height, char colour_type = 2) {
    std::string b("\x89PNG\r\n\x1a\n", 8);
    auto be32 = [&](uint32_t v) {
        for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<char>((v >> s) & 0xFF));
    };
    be32(13);
    b += "IHDR";
    be32(width);
    be32(height);
    b += std::string("\x08", 1) + colour_type + std::string("\x00\x00\x00", 3);
    be32(0);
    be32(2);
    b += "IDAT";
    b += std::string("\x78\x9c", 2);
    be32(0);
    return b;
}

TEST(LoadImage, DecompressionBombsAreRefusedFromTheHeaderBeforeDecoding) {
    test::TempDir dir;
    test::write_bytes(dir.path("bomb.png"), png_header_only(30000, 30000));
    // JPEG: SOI, then SOF0 declaring 60000 x 60000.
    test::write_bytes(dir.path("bomb.jpg"),
                      std::string("\xFF\xD8\xFF\xC0\x00\x11\x08\xEA\x60\xEA\x60\x03", 12) + std::string(12, '\0'));
    for (const char* name : {"bomb.png", "bomb.jpg"}) {
        try {
            load_image(dir.path(name));
            ADD_FAILURE() << name << " decoded";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::InputFile);
            EXPECT_NE(std::string(e.what()).find("refused before decoding"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
        }
    }
    // Below the limit the header passes and the decoder reports the broken data instead.
    test::write_bytes(dir.path("small.png"), png_header_only(16, 16));
    EXPECT_THROW(load_image(dir.path("small.png")), Error);
}

TEST(ImageHeader, ReadsDimensionsOfEveryFormatOpenCvWrites) {
    test::TempDir dir;
    cv::Mat img(23, 41, CV_8UC3, cv::Scalar(10, 20, 30));
    for (const char* ext : {".png", ".jpg", ".bmp", ".webp", ".tiff", ".ppm"}) {
        const std::string path = dir.path(std::string("x") + ext);
        ASSERT_TRUE(cv::imwrite(path, img)) << ext;
        std::ifstream in(path, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), {});
        const ImageHeader header = read_image_header(bytes);
        EXPECT_EQ(header.width, 41) << ext;
        EXPECT_EQ(header.height, 23) << ext;
        EXPECT_FALSE(header.format.empty()) << ext;
        const Image loaded = load_image(path);
        EXPECT_EQ(loaded.width, 41) << ext;
    }
    // PNG colour type 3 marks a palette image (resized nearest-neighbour, as Pillow does).
    EXPECT_TRUE(read_image_header(png_header_only(4, 4, 3)).resized_nearest);
    EXPECT_FALSE(read_image_header(png_header_only(4, 4, 2)).resized_nearest);
    test::write_bytes(dir.path("cut.gif"), std::string("GIF89a\x02\x00\x02\x00", 10));
    try {
        load_image(dir.path("cut.gif"));
        ADD_FAILURE() << "a GIF cut inside its screen descriptor decoded";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::InputFile);
        EXPECT_NE(std::string(e.what()).find("cut.gif"), std::string::npos) << e.what();
    }
}

// A long decode and resize say how far they are: fractions that only grow, ending at 1,
// and the same pixels as without anyone watching. Baseline and progressive JPEGs (whose
// scans libjpeg reads before the first row comes out) alike; PNG's decode tells nothing.
TEST(LoadImage, DecodeAndResizeReportTheirProgress) {
    test::TempDir dir;
    cv::Mat img(480, 640, CV_8UC3);
    cv::randu(img, 0, 255);
    const std::string baseline = dir.path("b.jpg"), progressive = dir.path("p.jpg"), png = dir.path("x.png");
    ASSERT_TRUE(cv::imwrite(baseline, img));
    ASSERT_TRUE(cv::imwrite(progressive, img, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
    ASSERT_TRUE(cv::imwrite(png, img));
    const auto growing_to_one = [](const std::vector<double>& f) {
        if (f.size() < 10 || f.size() > 110 || f.back() != 1.0) return false;
        return std::is_sorted(f.begin(), f.end()) && f.front() >= 0.0;
    };
    for (const std::string& path : {baseline, progressive}) {
        SCOPED_TRACE(path);
        std::vector<double> decoded;
        const Image watched = load_image(path, {}, [&](double f) { decoded.push_back(f); });
        EXPECT_TRUE(growing_to_one(decoded)) << decoded.size() << " calls";
        EXPECT_EQ(watched.pixels, load_image(path).pixels);

        PreprocessConfig config;
        config.image_size = 64;
        std::vector<double> resized;
        const Image crop = resize_and_crop(watched, config, [&](double f) { resized.push_back(f); });
        EXPECT_TRUE(growing_to_one(resized)) << resized.size() << " calls";
        EXPECT_EQ(crop.pixels, resize_and_crop(watched, config).pixels);
    }
    int png_calls = 0;
    load_image(png, {}, [&](double) { ++png_calls; });
    EXPECT_EQ(png_calls, 0);
}

// Pillow's cmyk2rgb on values taken from Pillow 9.4 (Image.fromarray(..., "CMYK").convert("RGB")).
TEST(LoadImage, CmykConvertsToRgbAsPillowDoes) {
    const std::vector<uint8_t> cmyk = {0,   0,  0,   0,  255, 0,   0,  0,  0,  0,  0,   255, 100, 150,
                                       200, 50, 200, 30, 60,  128, 10, 20, 30, 40, 128, 128, 128, 128};
    const std::vector<uint8_t> pillow = {255, 255, 255, 0,  255, 255, 0,   0,  0,  125, 84,
                                         44,  27,  112, 97, 207, 198, 190, 63, 63, 63};
    Image im{7, 1, 4, false, cmyk, "", true};
    EXPECT_EQ(to_rgb(im).pixels, pillow);
    // resize_and_crop resizes the four ink bands and converts only the crop.
    PreprocessConfig config;
    config.image_size = 1;
    Image one{1, 1, 4, false, {100, 150, 200, 50}, "", true};
    EXPECT_EQ(resize_and_crop(one, config).pixels, (std::vector<uint8_t>{125, 84, 44}));
}

// 16-bit PNGs reduce as Pillow does: colour keeps the high byte (no rounding); grey is
// Pillow's mode "I", resized at full precision and clipped at 255 after the crop.
TEST(LoadImage, SixteenBitSamplesReduceAsPillowDoes) {
    test::TempDir dir;
    cv::Mat colour(1, 1, CV_16UC3, cv::Scalar(0x80FF, 0x7FFF, 0x12FF));  // B, G, R
    cv::imwrite(dir.path("colour.png"), colour);
    EXPECT_EQ(load_image(dir.path("colour.png")).pixels, (std::vector<uint8_t>{0x12, 0x7F, 0x80}));
    cv::Mat grey(4, 4, CV_16UC1, cv::Scalar(0));
    grey.at<uint16_t>(0, 0) = 1000;  // clipped to white
    grey.at<uint16_t>(1, 1) = 200;
    cv::imwrite(dir.path("grey.png"), grey);
    const Image g = load_image(dir.path("grey.png"));
    EXPECT_EQ(g.pixels[0], 255);
    EXPECT_EQ(g.pixels[(1 * 4 + 1) * 3], 200);
    ASSERT_EQ(g.wide.size(), 16u);
    EXPECT_EQ(g.wide[0], 1000);
    // Downscaled 4 -> 2: the 1000 spreads into its neighbours before clipping, so the
    // top-left output is far brighter than an 8-bit resize of the clipped image gives.
    PreprocessConfig config;
    config.image_size = 2;
    const Image crop = resize_and_crop(g, config);
    Image clipped = g;
    clipped.wide.clear();
    EXPECT_GT(crop.pixels[0], resize_and_crop(clipped, config).pixels[0]);
}

TEST(LoadImage, CorruptEmptyAndMislabelledFilesAreClearErrors) {
    test::TempDir dir;
    test::write_bytes(dir.path("empty.jpg"), "");
    test::write_bytes(dir.path("text.jpg"), "this is not an image at all");
    cv::Mat img(16, 16, CV_8UC3, cv::Scalar(1, 2, 3));
    cv::imwrite(dir.path("ok.png"), img);
    std::string png;
    {
        std::ifstream in(dir.path("ok.png"), std::ios::binary);
        png.assign(std::istreambuf_iterator<char>(in), {});
    }
    test::write_bytes(dir.path("truncated.png"), png.substr(0, png.size() / 2));
    for (const char* name : {"empty.jpg", "text.jpg", "truncated.png", "missing.png"}) {
        try {
            load_image(dir.path(name));
            ADD_FAILURE() << name << " decoded";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::InputFile);
            EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
        }
    }
}

}  // namespace
}  // namespace clipscope
