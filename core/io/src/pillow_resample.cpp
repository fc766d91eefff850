#include "pillow_resample.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "clipscope/base/error.h"
#include "fraction_span.h"

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

double bilinear_filter(double x) {
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

struct Kernel {
    double (*filter)(double);
    double support;
};

Kernel kernel_of(ResampleFilter f) {
    if (f == ResampleFilter::Bilinear) return {bilinear_filter, 1.0};
    if (f == ResampleFilter::Bicubic) return {bicubic_filter, 2.0};
    throw Error(ErrorKind::Internal, "nearest-neighbour resizing has no convolution kernel");
}

struct Coefficients {
    int kernel_size = 0;
    std::vector<int> bounds;      // per output: first input index, tap count
    std::vector<double> weights;  // per output: kernel_size normalised weights (32-bit modes)
    std::vector<int32_t> taps;    // the same in fixed point (8-bit modes)
};

// Pillow's precompute_coeffs + normalize_coeffs_8bpc.
Coefficients precompute(int in_size, int out_size, ResampleFilter f) {
    const Kernel kernel = kernel_of(f);
    const double scale = static_cast<double>(in_size) / out_size;
    const double filterscale = std::max(scale, 1.0);
    const double support = kernel.support * filterscale;
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
            const double w = kernel.filter((x + xmin - center + 0.5) * ss);
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

Image same_kind(const Image& in, int width, int height) {
    return Image{width,
                 height,
                 in.channels,
                 in.is_palette,
                 std::vector<uint8_t>(static_cast<size_t>(width) * height * in.channels),
                 in.source,
                 in.is_cmyk};
}

Image resample_horizontal(const Image& in, int out_width, ResampleFilter f, FractionSpan& progress) {
    const Coefficients c = precompute(in.width, out_width, f);
    Image out = same_kind(in, out_width, in.height);
    for (int y = 0; y < in.height; ++y) {
        progress.at(y, in.height);
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

Image resample_vertical(const Image& in, int out_height, ResampleFilter f, FractionSpan& progress) {
    const Coefficients c = precompute(in.height, out_height, f);
    Image out = same_kind(in, in.width, out_height);
    const size_t stride = static_cast<size_t>(in.width) * in.channels;
    for (int yy = 0; yy < out_height; ++yy) {
        progress.at(yy, out_height);
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

// Pillow's ImagingScaleAffine: source positions accumulate the scale in double (start at
// scale/2, add scale per pixel) and truncate. The accumulated rounding picks a different
// neighbour than (x + 0.5) * scale at some exact boundaries.
std::vector<int> nearest_sources(int in_size, int out_size) {
    const double scale = static_cast<double>(in_size) / out_size;
    std::vector<int> source(static_cast<size_t>(out_size));
    double o = scale * 0.5;
    for (int x = 0; x < out_size; ++x, o += scale)
        source[static_cast<size_t>(x)] = std::min(in_size - 1, static_cast<int>(o));
    return source;
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

}  // namespace

ResampleFilter resample_filter(const std::string& interpolation) {
    if (interpolation == "bicubic") return ResampleFilter::Bicubic;
    if (interpolation == "bilinear") return ResampleFilter::Bilinear;
    if (interpolation == "nearest") return ResampleFilter::Nearest;
    throw Error(ErrorKind::Internal, "unknown interpolation '" + interpolation + "'");
}

Image resample_8bit(const Image& image, int width, int height, ResampleFilter filter, const FractionDone& on_done) {
    if (filter == ResampleFilter::Nearest) {
        Image out = same_kind(image, width, height);
        const std::vector<int> sx = nearest_sources(image.width, width), sy = nearest_sources(image.height, height);
        const size_t ch = static_cast<size_t>(image.channels);
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x)
                std::memcpy(&out.pixels[(static_cast<size_t>(y) * width + x) * ch],
                            &image.pixels[(static_cast<size_t>(sy[static_cast<size_t>(y)]) * image.width +
                                           sx[static_cast<size_t>(x)]) *
                                          ch],
                            ch);
        return out;
    }
    Image im = image;
    const bool alpha = im.channels == 4 && !im.is_cmyk;  // CMYK is resized as four plain bands
    if (alpha) premultiply(im);
    // Each pass costs about (its input's rows x the taps per output pixel x the output's
    // width); the taps grow with the scale, so the horizontal pass's share of the two is
    // about in.width / (in.width + width).
    const bool both = width != im.width && height != im.height;
    const double first = both ? static_cast<double>(im.width) / (im.width + width) : 1.0;
    FractionSpan horizontal(on_done, 0.0, first),
        vertical(on_done, width != im.width ? first : 0.0, width != im.width ? 1.0 - first : 1.0);
    if (width != im.width) im = resample_horizontal(im, width, filter, horizontal);
    if (height != im.height) im = resample_vertical(im, height, filter, vertical);
    if (alpha) unpremultiply(im);
    if (on_done) on_done(1.0);
    return im;
}

std::vector<int32_t> resample_wide(const std::vector<int32_t>& in, int width, int height, int out_width, int out_height,
                                   ResampleFilter filter) {
    if (filter == ResampleFilter::Nearest) {
        const std::vector<int> sx = nearest_sources(width, out_width), sy = nearest_sources(height, out_height);
        std::vector<int32_t> out(static_cast<size_t>(out_width) * out_height);
        for (int y = 0; y < out_height; ++y)
            for (int x = 0; x < out_width; ++x)
                out[static_cast<size_t>(y) * out_width + x] =
                    in[static_cast<size_t>(sy[static_cast<size_t>(y)]) * width + sx[static_cast<size_t>(x)]];
        return out;
    }
    std::vector<int32_t> cur = in;
    const auto round_up = [](double v) { return static_cast<int32_t>(v >= 0.0 ? v + 0.5 : v - 0.5); };
    if (out_width != width) {
        const Coefficients c = precompute(width, out_width, filter);
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
        const Coefficients c = precompute(height, out_height, filter);
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

}  // namespace clipscope
