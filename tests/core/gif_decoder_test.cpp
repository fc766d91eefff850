// GIF frame 0 as Pillow presents it (the image parity test checks real encoders'
// files against Pillow itself; these pin the rules one by one on hand-made files).
#include "gif_decoder.h"  // private to core

#include <gtest/gtest.h>

#include "clipscope/base/error.h"
#include "clipscope/io/image.h"
#include "test_support.h"

namespace clipscope {
namespace {

// LZW codes packed LSB-first at a fixed width (the decoder's width while the table is
// kept small by clear codes).
std::string pack_codes(const std::vector<int>& codes, int width) {
    std::string out;
    uint32_t bits = 0;
    int n = 0;
    for (int c : codes) {
        bits |= static_cast<uint32_t>(c) << n;
        n += width;
        while (n >= 8) {
            out += static_cast<char>(bits & 0xFF);
            bits >>= 8;
            n -= 8;
        }
    }
    if (n > 0) out += static_cast<char>(bits & 0xFF);
    return out;
}

// Pixels as literal codes, each followed by a clear code so the code width stays min+1.
std::string literal_lzw(const std::vector<int>& pixels, int min_code_size) {
    const int clear = 1 << min_code_size;
    std::vector<int> codes = {clear};
    for (int p : pixels) {
        codes.push_back(p);
        codes.push_back(clear);
    }
    codes.push_back(clear + 1);
    return pack_codes(codes, min_code_size + 1);
}

std::string le16(int v) { return {static_cast<char>(v & 0xFF), static_cast<char>(v >> 8)}; }

struct Frame {
    int x = 0, y = 0, w = 0, h = 0;
    std::string lzw{};  // packed codes
    int min_code_size = 2;
    std::string local_palette{};  // RGB triplets, a power of two entries
    bool interlaced = false;
    int transparency = -1;
};

int table_bits(const std::string& palette) {
    int bits = 1;
    while ((3u << bits) < palette.size()) ++bits;
    return bits;
}

std::string make_gif(int screen_w, int screen_h, const std::string& global_palette, const Frame& f) {
    std::string g = "GIF89a" + le16(screen_w) + le16(screen_h);
    g += static_cast<char>(global_palette.empty() ? 0 : 0x80 | (table_bits(global_palette) - 1));
    g += '\x07';  // background index: must not matter for frame 0
    g += '\0';
    g += global_palette;
    g += std::string("\x21\xFE\x03hi!\x00", 8);  // a comment extension to skip
    if (f.transparency >= 0) g += std::string("\x21\xF9\x04\x01\x00\x00", 6) + static_cast<char>(f.transparency) + '\0';
    g += ',' + le16(f.x) + le16(f.y) + le16(f.w) + le16(f.h);
    g += static_cast<char>((f.local_palette.empty() ? 0 : 0x80 | (table_bits(f.local_palette) - 1)) |
                           (f.interlaced ? 0x40 : 0));
    g += f.local_palette;
    g += static_cast<char>(f.min_code_size);
    for (size_t i = 0; i < f.lzw.size(); i += 255) {
        const std::string chunk = f.lzw.substr(i, 255);
        g += static_cast<char>(chunk.size()) + chunk;
    }
    g += '\0';
    g += ';';
    return g;
}

// Four colours: red, green, blue, grey.
const std::string kPalette("\xFF\x00\x00\x00\xFF\x00\x00\x00\xFF\x80\x80\x80", 12);

TEST(GifDecoder, AFullFrameDecodesToItsIndices) {
    const std::vector<int> px = {0, 1, 2, 3, 3, 2};
    const GifFirstFrame f = decode_gif_first_frame(make_gif(3, 2, kPalette, {0, 0, 3, 2, literal_lzw(px, 2)}), 1 << 20);
    EXPECT_EQ(f.width, 3);
    EXPECT_EQ(f.height, 2);
    EXPECT_TRUE(f.has_palette);
    EXPECT_EQ(f.indices, (std::vector<uint8_t>{0, 1, 2, 3, 3, 2}));
}

TEST(GifDecoder, TheKwKwKCodeAndGrowingCodesDecode) {
    // clear, 1, then code 6 = the entry being defined ("1" + "1"): pixels 1 1 1.
    const GifFirstFrame f =
        decode_gif_first_frame(make_gif(3, 1, kPalette, {0, 0, 3, 1, pack_codes({4, 1, 6, 5}, 3)}), 1 << 20);
    EXPECT_EQ(f.indices, (std::vector<uint8_t>{1, 1, 1}));
}

TEST(GifDecoder, OutsideFrameZeroIsIndexZeroOrTheTransparentIndexNeverTheBackground) {
    Frame frame{1, 1, 1, 1, literal_lzw({2}, 2)};
    GifFirstFrame f = decode_gif_first_frame(make_gif(3, 2, kPalette, frame), 1 << 20);
    EXPECT_EQ(f.indices, (std::vector<uint8_t>{0, 0, 0, 0, 2, 0}));
    frame.transparency = 3;
    f = decode_gif_first_frame(make_gif(3, 2, kPalette, frame), 1 << 20);
    EXPECT_EQ(f.indices, (std::vector<uint8_t>{3, 3, 3, 3, 2, 3}));
    EXPECT_EQ(f.transparency, 3);
}

TEST(GifDecoder, AFramePastTheScreenGrowsTheCanvas) {
    const GifFirstFrame f =
        decode_gif_first_frame(make_gif(2, 1, kPalette, {1, 1, 2, 1, literal_lzw({1, 2}, 2)}), 1 << 20);
    EXPECT_EQ(f.width, 3);
    EXPECT_EQ(f.height, 2);
    EXPECT_EQ(f.indices, (std::vector<uint8_t>{0, 0, 0, 0, 1, 2}));
}

TEST(GifDecoder, InterlacedRowsArriveInFourPasses) {
    // For 5 rows the passes deliver rows 0 | 4 | 2 | 1, 3; each row's pixels carry a marker.
    const std::vector<int> arrival = {0, 0, 1, 1, 2, 2, 3, 3, 0, 1};
    Frame frame{0, 0, 2, 5, literal_lzw(arrival, 2)};
    frame.interlaced = true;
    const GifFirstFrame f = decode_gif_first_frame(make_gif(2, 5, kPalette, frame), 1 << 20);
    // row 0 gets 0 0, row 4 gets 1 1, row 2 gets 2 2, row 1 gets 3 3, row 3 gets 0 1
    EXPECT_EQ(f.indices, (std::vector<uint8_t>{0, 0, 3, 3, 2, 2, 0, 1, 1, 1}));
}

TEST(GifDecoder, PalettesFollowPillow) {
    // A local table wins over the global one.
    Frame frame{0, 0, 1, 1, literal_lzw({0}, 2)};
    frame.local_palette = std::string("\x01\x02\x03\x04\x05\x06", 6);
    GifFirstFrame f = decode_gif_first_frame(make_gif(1, 1, kPalette, frame), 1 << 20);
    EXPECT_EQ(f.palette[0], 1);
    EXPECT_EQ(f.palette[5], 6);
    EXPECT_EQ(f.palette[6], 0);  // past the table: black, as in Pillow >= 10.1
    // The identity grey ramp is no palette at all (Pillow's mode "L"), and so is none.
    frame.local_palette = std::string("\x00\x00\x00\x01\x01\x01", 6);
    EXPECT_FALSE(decode_gif_first_frame(make_gif(1, 1, kPalette, frame), 1 << 20).has_palette);
    frame.local_palette.clear();
    EXPECT_FALSE(decode_gif_first_frame(make_gif(1, 1, "", frame), 1 << 20).has_palette);
}

TEST(GifDecoder, BrokenDataIsAnErrorAsInPillow) {
    const auto fails_with = [](const std::string& gif, const std::string& needle) {
        try {
            decode_gif_first_frame(gif, 1 << 20);
            ADD_FAILURE() << "decoded; expected: " << needle;
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    fails_with(make_gif(3, 1, kPalette, {0, 0, 3, 1, pack_codes({4, 1, 7, 5}, 3)}), "not yet defined");
    fails_with(make_gif(3, 1, kPalette, {0, 0, 3, 1, pack_codes({4, 1, 5}, 3)}), "after 1 of 3 pixels");
    fails_with(make_gif(3, 1, kPalette, {0, 0, 3, 1, pack_codes({4, 6}, 3)}), "before any string");
    const std::string whole = make_gif(3, 1, kPalette, {0, 0, 3, 1, literal_lzw({0, 1, 2}, 2)});
    for (size_t cut : {size_t{3}, size_t{11}, size_t{20}, whole.size() - 4})
        fails_with(whole.substr(0, cut), "truncated");
    fails_with(make_gif(1, 1, kPalette, {0, 0, 0, 1, ""}), "no pixels");
    Frame bad_size{0, 0, 1, 1, literal_lzw({0}, 2)};
    bad_size.min_code_size = 12;
    fails_with(make_gif(1, 1, kPalette, bad_size), "minimum code size");
    // 65535 x 65535 from a 40-byte file: refused before the canvas is allocated.
    fails_with(make_gif(65535, 65535, kPalette, {0, 0, 1, 1, literal_lzw({0}, 2)}), "refused before decoding");
    fails_with(make_gif(1, 1, kPalette, {65000, 65000, 535, 535, literal_lzw({0}, 2)}), "refused before decoding");
}

TEST(GifDecoder, LoadImageGivesPaletteColoursResizedNearest) {
    test::TempDir dir;
    test::write_bytes(dir.path("a.gif"), make_gif(2, 1, kPalette, {0, 0, 2, 1, literal_lzw({0, 3}, 2)}));
    const Image im = load_image(dir.path("a.gif"));
    EXPECT_TRUE(im.is_palette);
    EXPECT_EQ(im.pixels, (std::vector<uint8_t>{255, 0, 0, 128, 128, 128}));
    test::write_bytes(dir.path("grey.gif"), make_gif(2, 1, "", {0, 0, 2, 1, literal_lzw({0, 3}, 2)}));
    const Image grey = load_image(dir.path("grey.gif"));
    EXPECT_FALSE(grey.is_palette);  // mode "L": bicubic
    EXPECT_EQ(grey.pixels, (std::vector<uint8_t>{0, 0, 0, 3, 3, 3}));
    test::write_bytes(dir.path("cut.gif"),
                      make_gif(2, 1, kPalette, {0, 0, 2, 1, literal_lzw({0, 3}, 2)}).substr(0, 30));
    try {
        load_image(dir.path("cut.gif"));
        ADD_FAILURE() << "a cut GIF decoded";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::InputFile);
        EXPECT_NE(std::string(e.what()).find("cut.gif"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace clipscope
