// libFuzzer target: the GIF first-frame decoder (block list, colour tables, LZW),
// which reads untrusted bytes with its own code since OpenCV has no GIF decoder.
#include <stdexcept>
#include <string>

#include "gif_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        // A small pixel limit keeps each run fast; the limit itself is what is checked.
        const auto frame =
            clipscope::decode_gif_first_frame(std::string(reinterpret_cast<const char*>(data), size), 1 << 22);
        if (frame.indices.size() != static_cast<size_t>(frame.width) * frame.height) __builtin_trap();
    } catch (const std::runtime_error&) {
    }
    return 0;
}
