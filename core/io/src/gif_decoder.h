#pragma once
// Decodes the first frame of a GIF (87a/89a) into palette indices, the way Pillow's
// GifImagePlugin presents frame 0 to open_clip. OpenCV 4.6 has no GIF decoder, and a
// GIF read from the internet is untrusted: every size is checked before allocation.
// Private to core.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace clipscope {

struct GifFirstFrame {
    int width = 0, height = 0;           // the canvas: logical screen, grown to hold frame 0
    std::vector<uint8_t> indices;        // width*height palette indices, row-major
    bool has_palette = false;            // false: no colour table at all (Pillow's mode "L")
    std::array<uint8_t, 768> palette{};  // RGB triplets; entries past the table are 0
    int transparency = -1;               // index from the graphic control extension, -1 = none
};

// Throws std::runtime_error with a plain description of the problem (the caller adds
// the file name). Canvases above max_pixels are refused before allocating.
GifFirstFrame decode_gif_first_frame(const std::string& bytes, int64_t max_pixels);

}  // namespace clipscope
