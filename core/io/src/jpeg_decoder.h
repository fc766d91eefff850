#pragma once
// JPEG decoding with libjpeg, for the two places where OpenCV differs from Pillow:
// OpenCV converts CMYK itself with other rounding (k*c >> 8, not Pillow's rounded /255),
// and it silently returns a half-grey image for a truncated file, where Pillow raises
// "image file is truncated". Private to core.
#include <cstdint>
#include <string>
#include <vector>

#include "clipscope/io/image.h"

namespace clipscope {

struct JpegPixels {
    int width = 0, height = 0;
    int channels = 3;             // 1 grey (Pillow's "L"), 3 RGB, 4 CMYK
    std::vector<uint8_t> pixels;  // interleaved; CMYK as ink amounts (Adobe's inversion undone)
};

// libjpeg's default decoding (islow IDCT, fancy upsampling), as OpenCV and Pillow use it.
// Throws std::runtime_error describing the problem (the caller adds the file name). The
// file ending before the last scanline is an error, as in Pillow; libjpeg's other
// warnings (e.g. extraneous bytes before a marker) are not, as in Pillow. Images above
// max_pixels are refused before libjpeg allocates anything for them. on_decoded follows
// libjpeg's passes (one for a baseline file; a progressive one's scans are read first).
JpegPixels decode_jpeg(const std::string& bytes, int64_t max_pixels, const FractionDone& on_decoded = {});

// Pillow's cmyk2rgb: R = (255-K) - C*(255-K)/255 rounded, likewise G from M, B from Y.
void cmyk_to_rgb_like_pillow(const uint8_t* cmyk, uint8_t* rgb, size_t pixels);

}  // namespace clipscope
