#pragma once
// Image decoding and CLIP preprocessing as open_clip does it: resize the shorter
// side with Pillow's antialiased bicubic (reimplemented bit-exactly in fixed point),
// centre crop with torchvision's rounding, then per-channel mean/std.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "clipscope/io/preprocess_config.h"
#include "clipscope/base/ndarray.h"

namespace clipscope {

// 8-bit interleaved pixels, channels = 3 (RGB) or 4 (RGBA, or CMYK when is_cmyk).
struct Image {
    int width = 0;
    int height = 0;
    int channels = 3;
    bool is_palette = false;  // Pillow's mode "P" or "1" (palette, bilevel): resized with NEAREST
    std::vector<uint8_t> pixels;
    std::string source;  // the file it was loaded from ("" for generated images), for error messages
    // Ink amounts C, M, Y, K of a four-component JPEG (Pillow's mode "CMYK"). open_clip
    // resizes such images in CMYK and converts to RGB only after the crop; so does
    // resize_and_crop. to_rgb() converts at full size, for display.
    bool is_cmyk = false;
    // 16-bit greyscale samples (Pillow's mode "I"), which Pillow resizes at full precision
    // and clips at 255 only when converting to RGB; pixels holds them clipped, for display.
    std::vector<int32_t> wide{};
};

// RGB at the image's own size: CMYK converted as Pillow does, alpha dropped.
Image to_rgb(const Image& image);

// Refuse images above this many pixels before decoding them fully (decompression bombs).
constexpr int64_t kMaxImagePixels = 178'956'970;  // Pillow's MAX_IMAGE_PIXELS * 2, where it errors

// Decodes a file. Greyscale becomes RGB, alpha is kept (RGBA), EXIF orientation is
// ignored (Pillow does not apply it either). Errors name the file.
Image load_image(const std::string& path);

// What the header says, before the pixels are decoded (width/height -1 where it does not say).
struct ImageFileInfo {
    std::string format;  // "png", "jpeg", ...
    int64_t width = -1, height = -1;
    int64_t file_bytes = 0;
};
// The fraction of a long step done so far, 0..1, for a caller showing progress: called on
// the working thread, at most once per percent. It must not throw (it may be called from
// inside a C decoder).
using FractionDone = std::function<void(double fraction)>;

// As load_image, calling on_header once the header has been read and accepted, before the
// decode: a caller showing progress can say how large the image it is waiting for is.
// on_decoded follows the decode itself where the decoder can tell (JPEG: libjpeg's
// progress monitor); PNG, WebP, TIFF, BMP and PNM are decoded by OpenCV in one call that
// tells nothing, and GIF's first frame is not followed.
Image load_image(const std::string& path, const std::function<void(const ImageFileInfo&)>& on_header,
                 const FractionDone& on_decoded = {});
Image image_from_rgb(int width, int height, const std::vector<uint8_t>& rgb);

// Pillow's Image.resize(size, BICUBIC) on 8-bit data (a = -0.5, support scaled when
// downscaling, 22-bit fixed point, horizontal pass then vertical).
Image resize_bicubic_pillow(const Image& image, int width, int height);
Image resize_nearest_pillow(const Image& image, int width, int height);
// Image.resize with the named filter ("bicubic", "bilinear", "nearest"); palette and
// bilevel images get NEAREST whatever is asked, as in Pillow.
Image resize_pillow(const Image& image, int width, int height, const std::string& interpolation,
                    const FractionDone& on_resized = {});

// The S x S image the model sees, before normalising, as open_clip's evaluation
// transform makes it for the config's resize_mode and interpolation (see
// PreprocessConfig): for the model's input and for display. on_resized follows the resize
// of 8-bit images (a 16-bit grey one is reported only when done).
Image resize_and_crop(const Image& image, const PreprocessConfig& config, const FractionDone& on_resized = {});

// The last step of the transform on an already cropped image -> [3, S, S] (value/255 - mean) / std.
FloatArray normalize_crop(const Image& crop, const PreprocessConfig& config);

// The whole evaluation transform -> [3, S, S] float32 normalised.
FloatArray preprocess_image(const Image& image, const PreprocessConfig& config);

// Writes an 8-bit RGB (or 1-channel) image as PNG, atomically. Errors name the file.
void write_png(const std::string& path, const Image& image);

// Stacks several preprocessed images into [B, 3, S, S].
FloatArray stack_images(const std::vector<FloatArray>& images);
// Decodes and preprocesses image files into one [B, 3, S, S] batch; errors name the file.
FloatArray load_preprocessed_batch(const std::vector<std::string>& paths, const PreprocessConfig& config);

}  // namespace clipscope
