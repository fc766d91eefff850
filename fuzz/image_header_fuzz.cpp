// libFuzzer target: the image header reader that guards the decoders against
// decompression bombs; it parses untrusted bytes before anything else does.
#include <string>

#include "image_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto h = clipscope::read_image_header(std::string(reinterpret_cast<const char*>(data), size));
    (void)h;
    return 0;
}
