#include "image_header.h"

#include <cctype>
#include <cstring>

namespace clipscope {
namespace {

uint32_t be32(const std::string& b, size_t at) {
    return (static_cast<uint32_t>(static_cast<uint8_t>(b[at])) << 24) |
           (static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 8) | static_cast<uint8_t>(b[at + 3]);
}
uint32_t be16(const std::string& b, size_t at) {
    return (static_cast<uint32_t>(static_cast<uint8_t>(b[at])) << 8) | static_cast<uint8_t>(b[at + 1]);
}
uint32_t le16(const std::string& b, size_t at) {
    return (static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 8) | static_cast<uint8_t>(b[at]);
}
uint32_t le24(const std::string& b, size_t at) {
    return le16(b, at) | (static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 16);
}
uint32_t le32(const std::string& b, size_t at) { return le16(b, at) | (le16(b, at + 2) << 16); }

bool starts_with(const std::string& b, const char* magic, size_t n) {
    return b.size() >= n && std::memcmp(b.data(), magic, n) == 0;
}

void jpeg(const std::string& b, ImageHeader& h) {
    // Walk the marker segments up to the first start-of-frame (SOF0..SOF15 but DHT C4, JPG C8, DAC CC).
    size_t at = 2;
    while (at + 4 <= b.size()) {
        if (static_cast<uint8_t>(b[at]) != 0xFF) return;
        const uint8_t marker = static_cast<uint8_t>(b[at + 1]);
        if (marker == 0xFF) {
            ++at;  // fill byte
            continue;
        }
        if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
            at += 2;
            continue;
        }
        const size_t length = be16(b, at + 2);
        if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
            if (at + 9 > b.size()) return;
            h.height = be16(b, at + 5);
            h.width = be16(b, at + 7);
            return;
        }
        if (length < 2) return;
        at += 2 + length;
    }
}

// A BMP of at most 8 bits per pixel is Pillow's mode "P" (resized NEAREST), unless its
// palette is plain grey: the ramp 0..n-1 (mode "L", resized bicubic) or, with two
// colours, black and white (mode "1", NEAREST again).
bool bmp_is_palette_mode(const std::string& b) {
    if (b.size() < 18) return false;
    const uint32_t header_size = le32(b, 14);
    const bool os2 = header_size == 12;
    const size_t bits_at = os2 ? 24 : 28;
    if (b.size() < bits_at + 2) return false;
    const uint32_t bits = le16(b, bits_at);
    if (bits == 0 || bits > 8) return false;
    uint64_t colours = !os2 && b.size() >= 50 ? le32(b, 46) : 0;
    if (colours == 0) colours = uint64_t{1} << bits;
    if (colours == 2) return true;
    if (colours > 256) return true;  // not a grey ramp of 8-bit values
    const size_t entry = os2 ? 3 : 4, palette_at = 14 + static_cast<size_t>(header_size);
    if (header_size > b.size() || palette_at + entry * colours > b.size())
        return true;  // truncated: the decoder refuses it
    for (size_t i = 0; i < colours; ++i) {
        const size_t at = palette_at + entry * i;
        if (static_cast<uint8_t>(b[at]) != i || static_cast<uint8_t>(b[at + 1]) != i ||
            static_cast<uint8_t>(b[at + 2]) != i)
            return true;
    }
    return false;
}

void tiff(const std::string& b, ImageHeader& h) {
    const bool little = b[0] == 'I';
    auto u16 = [&](size_t at) { return little ? le16(b, at) : be16(b, at); };
    auto u32 = [&](size_t at) { return little ? le32(b, at) : be32(b, at); };
    if (b.size() < 8) return;
    const size_t ifd = u32(4);
    if (ifd + 2 > b.size()) return;
    const size_t entries = u16(ifd);
    for (size_t i = 0; i < entries; ++i) {
        const size_t e = ifd + 2 + 12 * i;
        if (e + 12 > b.size()) return;
        const uint32_t tag = u16(e), type = u16(e + 2);
        const int64_t value = type == 3 ? u16(e + 8) : u32(e + 8);  // SHORT or LONG
        if (tag == 256) h.width = value;
        if (tag == 257) h.height = value;
    }
}

void pnm(const std::string& b, ImageHeader& h) {
    // "P1".."P6", then width and height as decimal text, with '#' comments.
    size_t at = 2;
    int64_t values[2] = {-1, -1};
    for (int64_t& v : values) {
        while (at < b.size() && (std::isspace(static_cast<unsigned char>(b[at])) || b[at] == '#')) {
            if (b[at] == '#')
                while (at < b.size() && b[at] != '\n') ++at;
            else
                ++at;
        }
        int64_t n = 0;
        int digits = 0;
        while (at < b.size() && std::isdigit(static_cast<unsigned char>(b[at])) && digits < 12) {
            n = n * 10 + (b[at++] - '0');
            ++digits;
        }
        if (digits == 0) return;
        v = n;
    }
    h.width = values[0];
    h.height = values[1];
}

}  // namespace

ImageHeader read_image_header(const std::string& b) {
    ImageHeader h;
    if (starts_with(b, "\x89PNG\r\n\x1a\n", 8)) {
        h.format = "png";
        if (b.size() >= 24) {
            h.width = be32(b, 16);
            h.height = be32(b, 20);
        }
        if (b.size() >= 26) {
            h.bit_depth = static_cast<uint8_t>(b[24]);
            h.png_colour_type = static_cast<uint8_t>(b[25]);
        }
        // Pillow's mode "P" (colour type 3) and "1" (1-bit grey).
        h.resized_nearest = h.png_colour_type == 3 || (h.png_colour_type == 0 && h.bit_depth == 1);
    } else if (starts_with(b, "\xFF\xD8", 2)) {
        h.format = "jpeg";
        jpeg(b, h);
    } else if (starts_with(b, "GIF87a", 6) || starts_with(b, "GIF89a", 6)) {
        h.format = "gif";
        if (b.size() >= 10) {
            h.width = le16(b, 6);
            h.height = le16(b, 8);
        }
    } else if (starts_with(b, "BM", 2)) {
        h.format = "bmp";
        if (b.size() >= 26) {
            h.width = static_cast<int32_t>(le32(b, 18));
            const int32_t height = static_cast<int32_t>(le32(b, 22));  // negative = top-down rows
            h.height = height < 0 ? -static_cast<int64_t>(height) : height;
        }
        h.resized_nearest = bmp_is_palette_mode(b);
    } else if (starts_with(b, "RIFF", 4) && b.size() >= 12 && b.compare(8, 4, "WEBP") == 0) {
        h.format = "webp";
        if (b.size() >= 30 && b.compare(12, 4, "VP8 ") == 0) {
            h.width = le16(b, 26) & 0x3FFF;
            h.height = le16(b, 28) & 0x3FFF;
        } else if (b.size() >= 25 && b.compare(12, 4, "VP8L") == 0) {
            const uint32_t bits = le32(b, 21);
            h.width = (bits & 0x3FFF) + 1;
            h.height = ((bits >> 14) & 0x3FFF) + 1;
        } else if (b.size() >= 30 && b.compare(12, 4, "VP8X") == 0) {
            h.width = static_cast<int64_t>(le24(b, 24)) + 1;
            h.height = static_cast<int64_t>(le24(b, 27)) + 1;
        }
    } else if (starts_with(b, "II*\0", 4) || starts_with(b, "MM\0*", 4)) {
        h.format = "tiff";
        tiff(b, h);
    } else if (b.size() >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6') {
        h.format = "pnm";
        pnm(b, h);
        h.resized_nearest = b[1] == '1' || b[1] == '4';  // bitmaps: Pillow's mode "1"
    }
    return h;
}

}  // namespace clipscope
