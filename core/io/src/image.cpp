#include "clipscope/io/image.h"

#include "gif_decoder.h"
#include "image_header.h"
#include "jpeg_decoder.h"
#include "pillow_resample.h"

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
Image image_from_jpeg(const std::string& bytes, const std::string& path, const FractionDone& on_decoded) {
    JpegPixels px;
    try {
        px = decode_jpeg(bytes, kMaxImagePixels, on_decoded);
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

Image load_image(const std::string& path, const std::function<void(const ImageFileInfo&)>& on_header,
                 const FractionDone& on_decoded) {
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
    if (header.format == "jpeg") return image_from_jpeg(bytes, path, on_decoded);
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
    return resample_8bit(image, width, height, ResampleFilter::Bicubic);
}

Image resize_nearest_pillow(const Image& image, int width, int height) {
    return resample_8bit(image, width, height, ResampleFilter::Nearest);
}

std::string preprocess_config_problem(const PreprocessConfig& c) {
    if (c.image_size < 1 || c.image_size > 4096) return "image size " + std::to_string(c.image_size) + " (1..4096)";
    if (c.resize_mode != "shortest" && c.resize_mode != "squash" && c.resize_mode != "longest")
        return "resize_mode '" + c.resize_mode + "' (shortest, squash or longest)";
    if (c.interpolation != "bicubic" && c.interpolation != "bilinear" && c.interpolation != "nearest")
        return "interpolation '" + c.interpolation + "' (bicubic, bilinear or nearest)";
    if (c.fill < 0 || c.fill > 255) return "fill " + std::to_string(c.fill) + " (0..255)";
    if (c.crop_rounding != "half_even" && c.crop_rounding != "floor")
        return "crop_rounding '" + c.crop_rounding + "' (half_even or floor)";
    for (const float s : c.std)
        if (!(s > 0) || !std::isfinite(s)) return "std " + std::to_string(s) + " (must be positive)";
    for (const float m : c.mean)
        if (!std::isfinite(m)) return "mean " + std::to_string(m);
    // Pixels are scaled to 0..1 before normalising, so a channel's mean lies in 0..1 and its
    // std in (0, 1]; values outside are statistics on the 0..255 scale, which would silently
    // give a nearly constant input.
    for (const float m : c.mean)
        if (m < 0 || m > 1)
            return "mean " + std::to_string(m) + " (pixels are in 0..1 when normalised; a 0..255 mean is not)";
    for (const float s : c.std)
        if (s > 1) return "std " + std::to_string(s) + " (pixels are in 0..1 when normalised; a 0..255 std is not)";
    return "";
}

std::string describe_preprocessing(const PreprocessConfig& c) {
    const std::string rgb_first = c.convert_rgb_first ? "RGB first, " : "", filter = "Pillow " + c.interpolation;
    if (c.resize_mode == "squash") return rgb_first + "whole image squashed to S x S, " + filter;
    if (c.resize_mode == "longest")
        return rgb_first + "longest side to S, " + filter + ", padded to S x S with " + std::to_string(c.fill);
    return rgb_first + "shortest side to S, " + filter + ", centre crop (offset " +
           (c.crop_rounding == "floor" ? "floored" : "rounded half to even") + ")";
}

namespace {

// Where the resized image lies in the S x S input: its size, and the offset of the S x S
// window in it (negative where the window is larger: padding).
struct Geometry {
    int width = 0, height = 0;  // after resizing
    int left = 0, top = 0;      // of the window in the resized image
};

Geometry preprocess_geometry(const Image& image, const PreprocessConfig& config,
                             const std::function<void(const std::string&)>& refuse) {
    const int S = static_cast<int>(config.image_size);
    Geometry g;
    if (config.resize_mode == "squash") {
        g.width = g.height = S;  // torchvision Resize((S, S))
        return g;
    }
    if (config.resize_mode == "longest") {
        // open_clip's ResizeKeepRatio(S, longest=1): ratio = the larger of h/S and w/S, each
        // side round(side / ratio) with Python's round (half to even); then CenterCropOrPad:
        // pad (S - side) // 2 before and the rest after, filled with `fill`.
        const double ratio = std::max(static_cast<double>(image.height) / S, static_cast<double>(image.width) / S);
        g.width = round_half_even(image.width / ratio);
        g.height = round_half_even(image.height / ratio);
        if (g.width < 1 || g.height < 1)
            refuse("of " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                   " has an extreme aspect ratio: with its longest side resized to " + std::to_string(S) +
                   " the other would be 0 pixels");
        // The window: (S - side) // 2 of padding before, or int((side - S) / 2.0) into a larger side.
        g.left = g.width < S ? -((S - g.width) / 2) : static_cast<int>((g.width - S) / 2.0);
        g.top = g.height < S ? -((S - g.height) / 2) : static_cast<int>((g.height - S) / 2.0);
        return g;
    }
    // torchvision Resize(S): shorter side -> S, longer side truncated; skipped if already S.
    const int shorter = std::min(image.width, image.height), longer = std::max(image.width, image.height);
    const int64_t new_long = static_cast<int64_t>(S) * longer / shorter;
    if (new_long > (int64_t{1} << 20))
        refuse("of " + std::to_string(image.width) + "x" + std::to_string(image.height) +
               " has an extreme aspect ratio: resizing its shorter side to " + std::to_string(S) + " would make it " +
               std::to_string(new_long) + " pixels long (refused before allocating)");
    // (When the shorter side is already S, new_long is the longer side: the image's own size.)
    g.width = image.width <= image.height ? S : static_cast<int>(new_long);
    g.height = image.width <= image.height ? static_cast<int>(new_long) : S;
    const double dy = (g.height - S) / 2.0, dx = (g.width - S) / 2.0;
    const bool half_even = config.crop_rounding == "half_even";
    g.top = half_even ? round_half_even(dy) : static_cast<int>(std::floor(dy));
    g.left = half_even ? round_half_even(dx) : static_cast<int>(std::floor(dx));
    return g;
}

// The S x S window of a resized image at (left, top), `fill` outside it.
template <typename T>
std::vector<T> window(const std::vector<T>& pixels, int width, int height, int channels, int S, int left, int top,
                      T fill) {
    std::vector<T> out(static_cast<size_t>(S) * S * channels, fill);
    for (int y = 0; y < S; ++y) {
        const int sy = y + top;
        if (sy < 0 || sy >= height) continue;
        const int x0 = std::max(0, -left), x1 = std::min(S, width - left);
        if (x1 <= x0) continue;
        std::copy_n(&pixels[(static_cast<size_t>(sy) * width + (x0 + left)) * channels],
                    static_cast<size_t>(x1 - x0) * channels, &out[(static_cast<size_t>(y) * S + x0) * channels]);
    }
    return out;
}

}  // namespace

Image resize_pillow(const Image& image, int width, int height, const std::string& interpolation,
                    const FractionDone& on_resized) {
    // Pillow resizes palette and bilevel images with NEAREST whatever filter is asked for.
    const ResampleFilter filter = image.is_palette ? ResampleFilter::Nearest : resample_filter(interpolation);
    return resample_8bit(image, width, height, filter, on_resized);
}

Image resize_and_crop(const Image& image, const PreprocessConfig& config, const FractionDone& on_resized) {
    const int S = static_cast<int>(config.image_size);
    // Errors name the image's file when it came from one (a bad input), else it is a caller's mistake.
    const auto refuse = [&image](const std::string& problem) {
        if (!image.source.empty()) throw_input(image.source, problem);
        throw_usage("image " + problem);
    };
    if (image.width <= 0 || image.height <= 0) refuse("has no pixels");
    if (const std::string problem = preprocess_config_problem(config); !problem.empty())
        throw_usage("preprocessing: unsupported " + problem);
    if (config.convert_rgb_first && (image.channels != 3 || image.is_palette || image.is_cmyk || !image.wide.empty())) {
        Image rgb = to_rgb(image);  // Pillow's convert("RGB"): palette expanded, alpha dropped, 16-bit clipped
        rgb.is_palette = false;
        rgb.wide.clear();
        PreprocessConfig as_rgb = config;
        as_rgb.convert_rgb_first = false;
        return resize_and_crop(rgb, as_rgb, on_resized);
    }
    const Geometry g = preprocess_geometry(image, config, refuse);
    const bool resize = g.width != image.width || g.height != image.height;
    if (!image.wide.empty()) {
        // 16-bit grey (Pillow's mode "I"): resized at full precision, clipped to 0..255 after the crop.
        const std::vector<int32_t> resized = resize ? resample_wide(image.wide, image.width, image.height, g.width,
                                                                    g.height, resample_filter(config.interpolation))
                                                    : image.wide;
        if (resize && on_resized) on_resized(1.0);
        const std::vector<int32_t> w = window(resized, g.width, g.height, 1, S, g.left, g.top, int32_t{config.fill});
        Image grey{S, S, 1, false, std::vector<uint8_t>(w.size()), image.source};
        for (size_t i = 0; i < w.size(); ++i) grey.pixels[i] = static_cast<uint8_t>(std::clamp(w[i], 0, 255));
        return to_rgb(grey);
    }
    Image resampled;
    if (resize) resampled = resize_pillow(image, g.width, g.height, config.interpolation, on_resized);
    const Image& resized = resize ? resampled : image;  // no copy of an image already at size
    // Cropped (or padded, in the image's own bands: a CMYK pad of 0 is white once converted)
    // and converted to RGB after, as open_clip does (alpha dropped, CMYK converted).
    Image cropped{S,
                  S,
                  resized.channels,
                  false,
                  window(resized.pixels, resized.width, resized.height, resized.channels, S, g.left, g.top,
                         static_cast<uint8_t>(config.fill)),
                  image.source,
                  resized.is_cmyk};
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
