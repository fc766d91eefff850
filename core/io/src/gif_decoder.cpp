#include "gif_decoder.h"

#include <algorithm>
#include <stdexcept>

namespace clipscope {
namespace {

[[noreturn]] void fail(const std::string& problem) { throw std::runtime_error(problem); }

class Reader {
public:
    explicit Reader(const std::string& bytes) : b_(bytes) {}
    uint8_t byte(const char* what) {
        if (pos_ >= b_.size()) fail(std::string("truncated: the file ends inside the ") + what);
        return static_cast<uint8_t>(b_[pos_++]);
    }
    int le16(const char* what) {
        const int lo = byte(what);
        return lo | (byte(what) << 8);
    }
    const char* take(size_t n, const char* what) {
        if (b_.size() - pos_ < n) fail(std::string("truncated: the file ends inside the ") + what);
        const char* p = b_.data() + pos_;
        pos_ += n;
        return p;
    }
    // Sub-blocks (length byte, data) up to the zero-length terminator.
    void skip_sub_blocks(const char* what) {
        for (uint8_t n = byte(what); n != 0; n = byte(what)) take(n, what);
    }
    std::string sub_blocks(const char* what) {
        std::string data;
        for (uint8_t n = byte(what); n != 0; n = byte(what)) data.append(take(n, what), n);
        return data;
    }

private:
    const std::string& b_;
    size_t pos_ = 0;
};

// Reads a colour table. Pillow treats a table that is the identity grey ramp
// (entry i = (i, i, i)) as no palette at all: the frame is then mode "L".
bool read_colour_table(Reader& r, int packed, std::array<uint8_t, 768>& palette, const char* what) {
    const size_t entries = size_t{1} << ((packed & 7) + 1);
    const auto* p = reinterpret_cast<const uint8_t*>(r.take(entries * 3, what));
    bool identity = true;
    for (size_t i = 0; i < entries && identity; ++i) identity = p[i * 3] == i && p[i * 3 + 1] == i && p[i * 3 + 2] == i;
    if (identity) return false;
    palette.fill(0);
    std::copy(p, p + entries * 3, palette.begin());
    return true;
}

// Row order of a frame: 4 passes when interlaced (every 8th row from 0, every 8th from 4,
// every 4th from 2, every 2nd from 1), top to bottom otherwise.
std::vector<int> row_order(int height, bool interlaced) {
    std::vector<int> rows;
    rows.reserve(static_cast<size_t>(height));
    if (!interlaced) {
        for (int y = 0; y < height; ++y) rows.push_back(y);
        return rows;
    }
    const int starts[4] = {0, 4, 2, 1}, steps[4] = {8, 8, 4, 2};
    for (int pass = 0; pass < 4; ++pass)
        for (int y = starts[pass]; y < height; y += steps[pass]) rows.push_back(y);
    return rows;
}

// Variable-width LZW as GIF uses it: codes LSB-first, width grows after the table
// reaches 2^width entries, at most 12 bits; a full table keeps its entries until the
// next clear code. Calls emit(index) for each of the first pixel_count decoded pixels.
template <typename Emit>
void decode_lzw(const std::string& data, int min_code_size, size_t pixel_count, Emit emit) {
    constexpr int kMaxCodes = 4096;
    const int clear = 1 << min_code_size, end = clear + 1;
    std::vector<uint16_t> prefix(kMaxCodes);
    std::vector<uint8_t> suffix(kMaxCodes), first(kMaxCodes);
    std::vector<uint16_t> length(kMaxCodes);
    for (int c = 0; c < clear; ++c) {
        suffix[static_cast<size_t>(c)] = first[static_cast<size_t>(c)] = static_cast<uint8_t>(c);
        length[static_cast<size_t>(c)] = 1;
    }
    std::vector<uint8_t> string_buffer(kMaxCodes);
    int code_size = min_code_size + 1, next = clear + 2, prev = -1;
    uint32_t bit_buffer = 0;
    int bits = 0;
    size_t pos = 0, emitted = 0;
    const auto output = [&](int code) {
        const size_t n = length[static_cast<size_t>(code)];
        for (size_t i = n; i-- > 0;) {
            string_buffer[i] = suffix[static_cast<size_t>(code)];
            code = prefix[static_cast<size_t>(code)];
        }
        for (size_t i = 0; i < n && emitted < pixel_count; ++i, ++emitted) emit(string_buffer[i]);
    };
    while (emitted < pixel_count) {
        while (bits < code_size) {
            if (pos >= data.size())
                fail("truncated: the LZW data ends after " + std::to_string(emitted) + " of " +
                     std::to_string(pixel_count) + " pixels");
            bit_buffer |= static_cast<uint32_t>(static_cast<uint8_t>(data[pos++])) << bits;
            bits += 8;
        }
        const int code = static_cast<int>(bit_buffer & ((1u << code_size) - 1));
        bit_buffer >>= code_size;
        bits -= code_size;
        if (code == clear) {
            code_size = min_code_size + 1;
            next = clear + 2;
            prev = -1;
            continue;
        }
        if (code == end)
            fail("truncated: the LZW data ends (end code) after " + std::to_string(emitted) + " of " +
                 std::to_string(pixel_count) + " pixels");
        if (prev < 0) {
            if (code > clear) fail("corrupt LZW data: code " + std::to_string(code) + " before any string was defined");
            output(code);
            prev = code;
            continue;
        }
        if (code > next)  // a full table (next = 4096) defines every 12-bit code
            fail("corrupt LZW data: code " + std::to_string(code) + " is not yet defined (next free code " +
                 std::to_string(next) + ")");
        const uint8_t head = code < next ? first[static_cast<size_t>(code)] : first[static_cast<size_t>(prev)];
        if (next < kMaxCodes) {
            prefix[static_cast<size_t>(next)] = static_cast<uint16_t>(prev);
            suffix[static_cast<size_t>(next)] = head;
            first[static_cast<size_t>(next)] = first[static_cast<size_t>(prev)];
            length[static_cast<size_t>(next)] = static_cast<uint16_t>(length[static_cast<size_t>(prev)] + 1);
            ++next;
            if (next == (1 << code_size) && code_size < 12) ++code_size;
        }
        output(code);
        prev = code;
    }
}

}  // namespace

GifFirstFrame decode_gif_first_frame(const std::string& bytes, int64_t max_pixels) {
    Reader r(bytes);
    const char* signature = r.take(6, "signature");
    if (std::string(signature, 6) != "GIF87a" && std::string(signature, 6) != "GIF89a")
        fail("not a GIF (bad signature)");
    GifFirstFrame out;
    const int screen_width = r.le16("logical screen descriptor"), screen_height = r.le16("logical screen descriptor");
    const int packed = r.byte("logical screen descriptor");
    r.byte("logical screen descriptor");  // background colour index: Pillow does not paint frame 0 with it
    r.byte("logical screen descriptor");  // pixel aspect ratio
    if (packed & 0x80) out.has_palette = read_colour_table(r, packed, out.palette, "global colour table");
    for (;;) {
        const uint8_t introducer = r.byte("block list (no image before the end)");
        if (introducer == 0x3B) fail("no image: the trailer comes before any frame");
        if (introducer == 0x21) {
            const uint8_t label = r.byte("extension");
            if (label == 0xF9) {  // graphic control extension: transparency of the next frame
                const uint8_t size = r.byte("graphic control extension");
                const char* gce = r.take(size, "graphic control extension");
                if (size >= 4 && (static_cast<uint8_t>(gce[0]) & 1)) out.transparency = static_cast<uint8_t>(gce[3]);
                r.skip_sub_blocks("graphic control extension");
            } else {
                r.skip_sub_blocks("extension");
            }
            continue;
        }
        if (introducer != 0x2C) continue;  // Pillow skips stray bytes between blocks
        const int left = r.le16("image descriptor"), top = r.le16("image descriptor");
        const int frame_width = r.le16("image descriptor"), frame_height = r.le16("image descriptor");
        const int frame_packed = r.byte("image descriptor");
        if (frame_packed & 0x80)
            out.has_palette = read_colour_table(r, frame_packed, out.palette, "local colour table");
        // Pillow grows the canvas when frame 0 reaches past the logical screen.
        const int64_t width = std::max<int64_t>(screen_width, int64_t{left} + frame_width);
        const int64_t height = std::max<int64_t>(screen_height, int64_t{top} + frame_height);
        if (width == 0 || height == 0 || frame_width == 0 || frame_height == 0) fail("the first frame has no pixels");
        if (width * height > max_pixels)
            fail(std::to_string(width) + "x" + std::to_string(height) + " pixels is more than the limit of " +
                 std::to_string(max_pixels) + " (refused before decoding)");
        const int min_code_size = r.byte("image data");
        if (min_code_size < 1 || min_code_size > 11)
            fail("corrupt image data: LZW minimum code size " + std::to_string(min_code_size));
        const std::string data = r.sub_blocks("image data");
        out.width = static_cast<int>(width);
        out.height = static_cast<int>(height);
        // Outside frame 0: the transparency index where there is one, else index 0 (Pillow's fill).
        out.indices.assign(static_cast<size_t>(width * height),
                           static_cast<uint8_t>(out.transparency >= 0 ? out.transparency : 0));
        const std::vector<int> rows = row_order(frame_height, (frame_packed & 0x40) != 0);
        size_t i = 0;
        decode_lzw(data, min_code_size, static_cast<size_t>(frame_width) * frame_height, [&](uint8_t index) {
            const size_t y = static_cast<size_t>(top + rows[i / static_cast<size_t>(frame_width)]);
            const size_t x = static_cast<size_t>(left) + i % static_cast<size_t>(frame_width);
            out.indices[y * static_cast<size_t>(width) + x] = index;
            ++i;
        });
        return out;
    }
}

}  // namespace clipscope
