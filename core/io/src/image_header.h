#pragma once
// Reads an image's format and pixel dimensions from its header bytes alone, so
// that a decompression bomb (a small file declaring 30000x30000 pixels) is
// refused before any decoder allocates its pixels. Private to core.
#include <cstdint>
#include <string>

namespace clipscope {

struct ImageHeader {
    std::string format;               // "png", "jpeg", "gif", "bmp", "webp", "tiff", "pnm"; "" = not recognised
    int64_t width = -1, height = -1;  // -1 where the header could not be read (truncated)
    bool resized_nearest = false;     // Pillow's mode "P" or "1" (palette PNG/BMP, bilevel): resized NEAREST
    int png_colour_type = -1;         // IHDR: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA
    int bit_depth = -1;               // PNG IHDR bit depth
};

ImageHeader read_image_header(const std::string& bytes);

}  // namespace clipscope
