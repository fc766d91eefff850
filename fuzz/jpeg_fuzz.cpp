// libFuzzer target: the libjpeg wrapper that decodes every JPEG (its setjmp error path
// and truncation check run on every corrupt file).
#include <stdexcept>
#include <string>

#include "jpeg_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        // A small pixel limit keeps each run fast; the limit itself is what is checked.
        const auto px = clipscope::decode_jpeg(std::string(reinterpret_cast<const char*>(data), size), 1 << 22);
        if (px.pixels.size() != static_cast<size_t>(px.width) * px.height * px.channels) __builtin_trap();
    } catch (const std::runtime_error&) {
    }
    return 0;
}
