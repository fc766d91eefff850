#include "clipscope/io/image.h"

#include "gif_decoder.h"
#include "image_header.h"
#include "jpeg_decoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <spdlog/spdlog.h>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"

namespace clipscope {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

double bicubic_filter(double x) {
    constexpr double a = -0.5;
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

struct Coefficients {
    int kernel_size = 0;
    std::vector<int> bounds;      // per output: first input index, tap count
    std::vector<double> weights;  // per output: kernel_size normalised weights (32-bit modes)
    std::vector<int32_t> taps;    // the same in fixed point (8-bit modes)
};

// Pillow's precompute_coeffs + normalize_coeffs_8bpc.
Coefficients precompute(int in_size, int out_size) {
    constexpr double support_base = 2.0;
    const double scale = static_cast<double>(in_size) / out_size;
    const double filterscale = std::max(scale, 1.0);
    const double support = support_base * filterscale;
    Coefficients c;
    c.kernel_size = static_cast<int>(std::ceil(support)) * 2 + 1;
    c.bounds.resize(static_cast<size_t>(out_size) * 2);
    c.taps.assign(static_cast<size_t>(out_size) * c.kernel_size, 0);
    c.weights.assign(static_cast<size_t>(out_size) * c.kernel_size, 0.0);
    std::vector<double> k(static_cast<size_t>(c.kernel_size));
    for (int xx = 0; xx < out_size; ++xx) {
        const double center = (xx + 0.5) * scale;
        const double ss = 1.0 / filterscale;
        int xmin = static_cast<int>(center - support + 0.5);
        if (xmin < 0) xmin = 0;
        int xmax = static_cast<int>(center + support + 0.5);
        if (xmax > in_size) xmax = in_size;
        xmax -= xmin;
        double ww = 0.0;
        for (int x = 0; x < xmax; ++x) {
            const double w = bicubic_filter((x + xmin - center + 0.5) * ss);
            k[static_cast<size_t>(x)] = w;
            ww += w;
        }
        for (int x = 0; x < xmax; ++x) {
            const double w = ww != 0.0 ? k[static_cast<size_t>(x)] / ww : k[static_cast<size_t>(x)];
            c.weights[static_cast<size_t>(xx) * c.kernel_size + x] = w;
            // Round half away from zero, as Pillow's normalize_coeffs_8bpc does.
            c.taps[static_cast<size_t>(xx) * c.kernel_size + x] = static_cast<int32_t>(
                w < 0 ? std::trunc(-0.5 + w * (1 << kPrecisionBits)) : std::trunc(0.5 + w * (1 << kPrecisionBits)));
        }
        c.bounds[static_cast<size_t>(xx) * 2] = xmin;
        c.bounds[static_cast<size_t>(xx) * 2 + 1] = xmax;
    }
    return c;
}

uint8_t clip8(int64_t v) {
    v >>= kPrecisionBits;
    return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

Image resample_horizontal(const Image& in, int out_width) {
    const Coefficients c = precompute(in.width, out_width);
    Image out{out_width,
              in.height,
              in.channels,
              in.is_palette,
              std::vector<uint8_t>(static_cast<size_t>(out_width) * in.height * in.channels),
              in.source,
              in.is_cmyk};
    for (int y = 0; y < in.height; ++y) {
        const uint8_t* row = in.pixels.data() + static_cast<size_t>(y) * in.width * in.channels;
        for (int xx = 0; xx < out_width; ++xx) {
            const int xmin = c.bounds[static_cast<size_t>(xx) * 2], xmax = c.bounds[static_cast<size_t>(xx) * 2 + 1];
            const int32_t* k = c.taps.data() + static_cast<size_t>(xx) * c.kernel_size;
            for (int ch = 0; ch < in.channels; ++ch) {
                int64_t ss = 1 << (kPrecisionBits - 1);
                for (int x = 0; x < xmax; ++x) ss += static_cast<int64_t>(row[(x + xmin) * in.channels + ch]) * k[x];
                out.pixels[(static_cast<size_t>(y) * out_width + xx) * in.channels + ch] = clip8(ss);
            }
        }
    }
    return out;
}

Image resample_vertical(const Image& in, int out_height) {
    const Coefficients c = precompute(in.height, out_height);
    Image out{in.width,
              out_height,
              in.channels,
              in.is_palette,
              std::vector<uint8_t>(static_cast<size_t>(in.width) * out_height * in.channels),
              in.source,
              in.is_cmyk};
    const size_t stride = static_cast<size_t>(in.width) * in.channels;
    for (int yy = 0; yy < out_height; ++yy) {
        const int ymin = c.bounds[static_cast<size_t>(yy) * 2], ymax = c.bounds[static_cast<size_t>(yy) * 2 + 1];
        const int32_t* k = c.taps.data() + static_cast<size_t>(yy) * c.kernel_size;
        for (size_t i = 0; i < stride; ++i) {
            int64_t ss = 1 << (kPrecisionBits - 1);
            for (int y = 0; y < ymax; ++y)
                ss += static_cast<int64_t>(in.pixels[(static_cast<size_t>(y + ymin)) * stride + i]) * k[y];
            out.pixels[static_cast<size_t>(yy) * stride + i] = clip8(ss);
        }
    }
    return out;
}

// Pillow's 32-bit resampling (mode "I"): double weights, each pass rounded half away
// from zero to int32 (its ROUND_UP), no clipping until the conversion to RGB.
std::vector<int32_t> resample_wide(const std::vector<int32_t>& in, int width, int height, int out_width,
                                   int out_height) {
    std::vector<int32_t> cur = in;
    const auto round_up = [](double v) { return static_cast<int32_t>(v >= 0.0 ? v + 0.5 : v - 0.5); };
    if (out_width != width) {
        const Coefficients c = precompute(width, out_width);
        std::vector<int32_t> next(static_cast<size_t>(out_width) * height);
        for (int y = 0; y < height; ++y)
            for (int xx = 0; xx < out_width; ++xx) {
                const int xmin = c.bounds[static_cast<size_t>(xx) * 2],
                          xmax = c.bounds[static_cast<size_t>(xx) * 2 + 1];
                double ss = 0.0;
                for (int x = 0; x < xmax; ++x)
                    ss += cur[static_cast<size_t>(y) * width + xmin + x] *
                          c.weights[static_cast<size_t>(xx) * c.kernel_size + x];
                next[static_cast<size_t>(y) * out_width + xx] = round_up(ss);
            }
        cur.swap(next);
        width = out_width;
    }
    if (out_height != height) {
        const Coefficients c = precompute(height, out_height);
        std::vector<int32_t> next(static_cast<size_t>(width) * out_height);
        for (int yy = 0; yy < out_height; ++yy) {
            const int ymin = c.bounds[static_cast<size_t>(yy) * 2], ymax = c.bounds[static_cast<size_t>(yy) * 2 + 1];
            for (int x = 0; x < width; ++x) {
                double ss = 0.0;
                for (int y = 0; y < ymax; ++y)
                    ss += cur[static_cast<size_t>(ymin + y) * width + x] *
                          c.weights[static_cast<size_t>(yy) * c.kernel_size + y];
                next[static_cast<size_t>(yy) * width + x] = round_up(ss);
            }
        }
        cur.swap(next);
    }
    return cur;
}

// Pillow resizes RGBA in premultiplied form (mode "RGBa") and converts back.
void premultiply(Image& im) {
    for (size_t p = 0; p < im.pixels.size(); p += 4) {
        const int a = im.pixels[p + 3];
        for (int ch = 0; ch < 3; ++ch) {
            const int t = im.pixels[p + ch] * a + 128;
            im.pixels[p + ch] = static_cast<uint8_t>((t + (t >> 8)) >> 8);
        }
    }
}

void unpremultiply(Image& im) {
    for (size_t p = 0; p < im.pixels.size(); p += 4) {
        const int a = im.pixels[p + 3];
        for (int ch = 0; ch < 3; ++ch) {
            if (a == 0 || a == 255) continue;  // Pillow copies these unchanged
            im.pixels[p + ch] = static_cast<uint8_t>(std::min(255, im.pixels[p + ch] * 255 / a));
        }
    }
}

int round_half_even(double v) { return static_cast<int>(std::nearbyint(v)); }  // default FE_TONEAREST

// GIF frame 0 as Pillow presents it: mode "P" with the frame's palette (indices past
// the colour table are black, as in Pillow >= 10.1; 9.x gave a grey ramp there), or
// mode "L" when the GIF has no colour table or only the identity grey ramp.
Image image_from_gif(const std::string& bytes, const std::string& path) {
    GifFirstFrame frame;
    try {
        frame = decode_gif_first_frame(bytes, kMaxImagePixels);
    } catch (const std::runtime_error& e) {
        throw_input(path, std::string("GIF: ") + e.what());
    }
    Image im{frame.width, frame.height, 3, frame.has_palette, std::vector<uint8_t>(frame.indices.size() * 3), path};
    for (size_t i = 0; i < frame.indices.size(); ++i) {
        const uint8_t index = frame.indices[i];
        for (int c = 0; c < 3; ++c) im.pixels[i * 3 + c] = frame.has_palette ? frame.palette[index * 3u + c] : index;
    }
    return im;
}

// JPEGs through libjpeg directly (see jpeg_decoder.h): the same pixels as OpenCV for
// grey and YCbCr files, Pillow's conversion for CMYK, and truncated files refused.
Image image_from_jpeg(const std::string& bytes, const std::string& path) {
    JpegPixels px;
    try {
        px = decode_jpeg(bytes, kMaxImagePixels);
    } catch (const std::runtime_error& e) {
        throw_input(path, std::string("JPEG: ") + e.what());
    }
    Image im{px.width, px.height, px.channels, false, std::move(px.pixels), path, px.channels == 4};
    return px.channels == 1 ? to_rgb(im) : im;  // grey as RGB, like every other decoded image
}

// 16-bit samples as Pillow reduces them: colour and alpha keep the high byte (its
// "RGB;16B"/"RGBA;16B"/"LA;16B" unpackers); 16-bit grey is mode "I", whose conversion
// to RGB clips at 255, so most of such an image turns white in open_clip too.
cv::Mat reduce_16_bit_like_pillow(const cv::Mat& m, const std::string& path) {
    cv::Mat out;
    if (m.channels() == 1) {
        spdlog::warn(
            "{}: 16-bit greyscale; like Pillow (and so open_clip) ClipScope clips its values at 255 after resizing, "
            "which whitens most such images",
            path);
        m.convertTo(out, CV_8U);  // saturating: min(v, 255), for display; the crop uses Image::wide
    } else {
        const cv::Mat in = m.isContinuous() ? m : m.clone();
        out.create(m.rows, m.cols, CV_8UC(m.channels()));
        const size_t n = in.total() * in.channels();
        const auto* src = in.ptr<uint16_t>();
        auto* dst = out.ptr<uint8_t>();
        for (size_t i = 0; i < n; ++i) dst[i] = static_cast<uint8_t>(src[i] >> 8);
    }
    return out;
}

}  // namespace

Image to_rgb(const Image& image) {
    if (image.channels == 3) return image;
    Image out{
        image.width, image.height, 3, false, std::vector<uint8_t>(static_cast<size_t>(image.width) * image.height * 3),
        image.source};
    const size_t n = static_cast<size_t>(image.width) * image.height;
    if (image.is_cmyk) {
        cmyk_to_rgb_like_pillow(image.pixels.data(), out.pixels.data(), n);
    } else if (image.channels == 4) {
        for (size_t i = 0; i < n; ++i) std::memcpy(&out.pixels[i * 3], &image.pixels[i * 4], 3);
    } else if (image.channels == 1) {
        for (size_t i = 0; i < n; ++i)
            out.pixels[i * 3] = out.pixels[i * 3 + 1] = out.pixels[i * 3 + 2] = image.pixels[i];
    } else {
        throw Error(ErrorKind::Internal, "to_rgb: " + std::to_string(image.channels) + " channels");
    }
    return out;
}

Image image_from_rgb(int width, int height, const std::vector<uint8_t>& rgb) {
    if (static_cast<size_t>(width) * height * 3 != rgb.size())
        throw Error(ErrorKind::Internal, "image_from_rgb: size mismatch");
    return Image{width, height, 3, false, rgb, {}};
}

Image load_image(const std::string& path) { return load_image(path, {}); }

Image load_image(const std::string& path, const std::function<void(const ImageFileInfo&)>& on_header) {
    const std::string bytes = read_file_bytes(path, size_t{1} << 31);
    if (bytes.empty()) throw_input(path, "empty file");
    // Dimensions from the header first: a bomb (a few kB declaring 30000x30000) is refused
    // before a decoder allocates its pixels; unknown formats are not handed to OpenCV at all.
    const ImageHeader header = read_image_header(bytes);
    if (header.format.empty())
        throw_input(path,
                    "not an image ClipScope reads (PNG, JPEG, GIF, BMP, WebP, TIFF, PNM), judging by its first bytes");
    if (header.width > 0 && header.height > 0 && header.width * header.height > kMaxImagePixels)
        throw_input(path, "declares " + std::to_string(header.width) + "x" + std::to_string(header.height) +
                              " pixels, more than the limit of " + std::to_string(kMaxImagePixels) +
                              " (refused before decoding)");
    if (on_header)
        on_header(ImageFileInfo{header.format, header.width, header.height, static_cast<int64_t>(bytes.size())});
    // OpenCV 4.6 has no GIF decoder; for JPEGs it differs from Pillow on CMYK and truncation.
    if (header.format == "gif") return image_from_gif(bytes, path);
    if (header.format == "jpeg") return image_from_jpeg(bytes, path);
    const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
    cv::Mat m;
    try {
        m = cv::imdecode(raw, cv::IMREAD_UNCHANGED | cv::IMREAD_IGNORE_ORIENTATION);
    } catch (const cv::Exception& e) {
        throw_input(path, std::string("cannot decode image: ") + e.what());
    }
    if (m.empty()) throw_input(path, "cannot decode image (unsupported format or corrupt file)");
    if (static_cast<int64_t>(m.cols) * m.rows > kMaxImagePixels)
        throw_input(path, std::to_string(m.cols) + "x" + std::to_string(m.rows) + " pixels exceeds the limit of " +
                              std::to_string(kMaxImagePixels));
    std::vector<int32_t> wide;
    if (m.depth() == CV_16U && m.channels() == 1) wide.assign(m.begin<uint16_t>(), m.end<uint16_t>());
    if (m.depth() == CV_16U)
        m = reduce_16_bit_like_pillow(m, path);
    else if (m.depth() != CV_8U)
        throw_input(path, "unsupported pixel depth");
    // A PNG without an alpha channel (grey or RGB) may carry a tRNS colour key, which
    // OpenCV turns into alpha; Pillow keeps such images in "L"/"RGB" and resizes them
    // without premultiplying, so the key is dropped here.
    const bool png_without_alpha =
        header.format == "png" && (header.png_colour_type == 0 || header.png_colour_type == 2);
    if (png_without_alpha && m.channels() == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2BGR);
    Image im;
    im.width = m.cols;
    im.height = m.rows;
    cv::Mat rgb;
    switch (m.channels()) {
        case 1:
            cv::cvtColor(m, rgb, cv::COLOR_GRAY2RGB);
            break;
        case 3:
            cv::cvtColor(m, rgb, cv::COLOR_BGR2RGB);
            break;
        case 4:
            cv::cvtColor(m, rgb, cv::COLOR_BGRA2RGBA);
            break;
        default:
            throw_input(path, "unsupported channel count " + std::to_string(m.channels()));
    }
    im.channels = rgb.channels();
    im.is_palette = header.resized_nearest;
    if (im.is_palette && im.channels == 4) {
        // A palette with transparency: Pillow resizes the palette indices (NEAREST) and then drops alpha.
        cv::cvtColor(rgb, rgb, cv::COLOR_RGBA2RGB);
        im.channels = 3;
    }
    im.pixels.assign(rgb.data, rgb.data + static_cast<size_t>(rgb.total()) * rgb.channels());
    im.source = path;
    im.wide = std::move(wide);
    return im;
}

Image resize_bicubic_pillow(const Image& image, int width, int height) {
    Image im = image;
    const bool alpha = im.channels == 4 && !im.is_cmyk;  // CMYK is resized as four plain bands
    if (alpha) premultiply(im);
    if (width != im.width) im = resample_horizontal(im, width);
    if (height != im.height) im = resample_vertical(im, height);
    if (alpha) unpremultiply(im);
    return im;
}

Image resize_nearest_pillow(const Image& image, int width, int height) {
    Image out{width,
              height,
              image.channels,
              image.is_palette,
              std::vector<uint8_t>(static_cast<size_t>(width) * height * image.channels),
              image.source,
              image.is_cmyk};
    // Pillow's ImagingScaleAffine: source positions accumulate the scale in double
    // (start at scale/2, add scale per pixel) and truncate. The accumulated rounding
    // picks a different neighbour than (x + 0.5) * scale at some exact boundaries.
    const double scale_x = static_cast<double>(image.width) / width,
                 scale_y = static_cast<double>(image.height) / height;
    std::vector<int> source_x(static_cast<size_t>(width));
    double xo = scale_x * 0.5;
    for (int x = 0; x < width; ++x, xo += scale_x)
        source_x[static_cast<size_t>(x)] = std::min(image.width - 1, static_cast<int>(xo));
    double yo = scale_y * 0.5;
    for (int y = 0; y < height; ++y, yo += scale_y) {
        const int sy = std::min(image.height - 1, static_cast<int>(yo));
        for (int x = 0; x < width; ++x)
            std::memcpy(&out.pixels[(static_cast<size_t>(y) * width + x) * image.channels],
                        &image.pixels[(static_cast<size_t>(sy) * image.width + source_x[static_cast<size_t>(x)]) *
                                      image.channels],
                        static_cast<size_t>(image.channels));
    }
    return out;
}

Image resize_and_crop(const Image& image, const PreprocessConfig& config) {
    const int S = static_cast<int>(config.image_size);
    // Errors name the image's file when it came from one (a bad input), else it is a caller's mistake.
    const auto refuse = [&image](const std::string& problem) {
        if (!image.source.empty()) throw_input(image.source, problem);
        throw_usage("image " + problem);
    };
    if (image.width <= 0 || image.height <= 0) refuse("has no pixels");
    // torchvision Resize(S): shorter side -> S, longer side truncated; skipped if already S.
    const int shorter = std::min(image.width, image.height), longer = std::max(image.width, image.height);
    const int64_t new_long = static_cast<int64_t>(S) * longer / shorter;
    if (new_long > (int64_t{1} << 20))
        refuse("of " + std::to_string(image.width) + "x" + std::to_string(image.height) +
               " has an extreme aspect ratio: resizing its shorter side to " + std::to_string(S) + " would make it " +
               std::to_string(new_long) + " pixels long (refused before allocating)");
    // (When the shorter side is already S, new_long is the longer side: rw x rh is the image's size.)
    const int rw = image.width <= image.height ? S : static_cast<int>(new_long);
    const int rh = image.width <= image.height ? static_cast<int>(new_long) : S;
    const double dy = (rh - S) / 2.0, dx = (rw - S) / 2.0;
    const bool half_even = config.crop_rounding == "half_even";
    const int top = half_even ? round_half_even(dy) : static_cast<int>(std::floor(dy));
    const int left = half_even ? round_half_even(dx) : static_cast<int>(std::floor(dx));
    if (!image.wide.empty()) {
        // 16-bit grey (Pillow's mode "I"): resized at full precision, clipped to 0..255 after the crop.
        const std::vector<int32_t> resized = resample_wide(image.wide, image.width, image.height, rw, rh);
        Image grey{S, S, 1, false, std::vector<uint8_t>(static_cast<size_t>(S) * S), image.source};
        for (int y = 0; y < S; ++y)
            for (int x = 0; x < S; ++x) {
                const int32_t v = resized[static_cast<size_t>(y + top) * rw + (x + left)];
                grey.pixels[static_cast<size_t>(y) * S + x] = static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        return to_rgb(grey);
    }
    Image resampled;
    if (shorter != S)
        resampled = image.is_palette ? resize_nearest_pillow(image, rw, rh) : resize_bicubic_pillow(image, rw, rh);
    const Image& resized = shorter != S ? resampled : image;  // no copy of an image already at size
    // Converted to RGB after the crop, as open_clip does (alpha dropped, CMYK converted).
    Image cropped{S,
                  S,
                  resized.channels,
                  false,
                  std::vector<uint8_t>(static_cast<size_t>(S) * S * resized.channels),
                  image.source,
                  resized.is_cmyk};
    const size_t row_bytes = static_cast<size_t>(S) * resized.channels;
    for (int y = 0; y < S; ++y)
        std::memcpy(&cropped.pixels[static_cast<size_t>(y) * row_bytes],
                    &resized.pixels[(static_cast<size_t>(y + top) * resized.width + left) * resized.channels],
                    row_bytes);
    return to_rgb(cropped);
}

FloatArray preprocess_image(const Image& image, const PreprocessConfig& config) {
    return normalize_crop(resize_and_crop(image, config), config);
}

FloatArray normalize_crop(const Image& crop, const PreprocessConfig& config) {
    if (crop.channels != 3 || crop.width != crop.height)
        throw Error(ErrorKind::Internal, "normalize_crop needs a square RGB crop");
    const int S = crop.width;
    FloatArray out({3, S, S});
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < S; ++y)
            for (int x = 0; x < S; ++x) {
                const float v = crop.pixels[(static_cast<size_t>(y) * S + x) * 3 + c] / 255.0f;
                out.data[(static_cast<size_t>(c) * S + y) * S + x] = (v - config.mean[c]) / config.std[c];
            }
    return out;
}

void write_png(const std::string& path, const Image& image) {
    if (image.width <= 0 || image.height <= 0 || (image.channels != 1 && image.channels != 3) ||
        image.pixels.size() != static_cast<size_t>(image.width) * image.height * image.channels)
        throw_usage("write_png: malformed image for " + path);
    cv::Mat m(image.height, image.width, image.channels == 1 ? CV_8UC1 : CV_8UC3,
              const_cast<uint8_t*>(image.pixels.data()));
    cv::Mat out;  // a separate buffer: converting in place would swap the caller's channels
    if (image.channels == 3)
        cv::cvtColor(m, out, cv::COLOR_RGB2BGR);
    else
        out = m;
    std::vector<uchar> png;
    if (!cv::imencode(".png", out, png)) throw_input(path, "PNG encoding failed");
    write_file_atomically(path, [&](std::ostream& os) {
        os.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
    });
}

FloatArray stack_images(const std::vector<FloatArray>& images) {
    if (images.empty()) throw_usage("no images");
    Shape shape = images.front().shape;
    shape.insert(shape.begin(), static_cast<int64_t>(images.size()));
    FloatArray out(shape);
    const size_t per = images.front().data.size();
    for (size_t i = 0; i < images.size(); ++i) {
        if (images[i].shape != images.front().shape) throw Error(ErrorKind::Internal, "stack_images: shape mismatch");
        std::copy(images[i].data.begin(), images[i].data.end(), out.data.begin() + static_cast<int64_t>(i * per));
    }
    return out;
}

FloatArray load_preprocessed_batch(const std::vector<std::string>& paths, const PreprocessConfig& config) {
    std::vector<FloatArray> images;
    for (const auto& p : paths) images.push_back(preprocess_image(load_image(p), config));
    return stack_images(images);
}

}  // namespace clipscope
