#pragma once
// Bytes as lowercase hexadecimal text: checksums, and file names kept exactly in store
// manifests. Private to core.
#include <cstddef>
#include <string>

namespace clipscope {

inline std::string lowercase_hex(const unsigned char* data, size_t size) {
    static const char* digits = "0123456789abcdef";
    std::string text;
    text.reserve(size * 2);
    for (size_t i = 0; i < size; ++i) {
        text += digits[data[i] >> 4];
        text += digits[data[i] & 15];
    }
    return text;
}

}  // namespace clipscope
