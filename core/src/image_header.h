#pragma once
// Reads an image's format and pixel dimensions from its header bytes alone, so
// that a decompression bomb (a small file declaring 30000x30000 pixels) is
// refused before any decoder allocates its pixels. Private to core.
#include <cstdint>
#include <string>

namespace clipscope {

struct ImageHeader {
    std::string format;  // "png", "jpeg", "gif", "bmp", "webp", "tiff", "pnm"; "" = not recognised
    int64_t width = -1, height = -1;  // -1 where the header could not be read (truncated)
    bool palette = false;             // PNG colour type 3: Pillow keeps such images in mode "P"
};

ImageHeader read_image_header(const std::string& bytes);

}  // namespace clipscope
