#include "sentencepiece_proto.h"

#include <cstdint>

#include "clipscope/base/error.h"

namespace clipscope {

namespace {

// Protocol-buffer wire format, only as far as ModelProto's pieces need it.
class WireReader {
public:
    WireReader(const std::string& bytes, size_t begin, size_t end, const std::string& path)
        : bytes_(bytes), pos_(begin), end_(end), path_(path) {}

    bool done() const { return pos_ >= end_; }

    uint64_t varint() {
        uint64_t value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= end_) fail("a number runs past the end");
            const auto byte = static_cast<unsigned char>(bytes_[pos_++]);
            value |= static_cast<uint64_t>(byte & 0x7f) << shift;
            if (!(byte & 0x80)) return value;
        }
        fail("a number is longer than 10 bytes");
    }

    // The [begin, end) of a length-delimited field's payload, the reader moved past it.
    std::pair<size_t, size_t> payload() {
        const uint64_t size = varint();
        if (size > end_ - pos_) fail("a field of " + std::to_string(size) + " bytes runs past the end");
        const size_t begin = pos_;
        pos_ += static_cast<size_t>(size);
        return {begin, pos_};
    }

    void skip(uint64_t wire_type) {
        switch (wire_type) {
            case 0:
                varint();
                return;
            case 1:
                advance(8);
                return;
            case 2:
                payload();
                return;
            case 5:
                advance(4);
                return;
            default:
                fail("wire type " + std::to_string(wire_type) + " is not one SentencePiece models use");
        }
    }

    [[noreturn]] void fail(const std::string& why) const {
        throw_input(path_, "is not a SentencePiece model: its ModelProto does not parse (" + why + ", at byte " +
                               std::to_string(pos_) + "; cut short or another file?)");
    }

private:
    void advance(size_t n) {
        if (n > end_ - pos_) fail("a fixed-size field runs past the end");
        pos_ += n;
    }

    const std::string& bytes_;
    size_t pos_, end_;
    const std::string& path_;
};

SentencePieceEntry read_piece(const std::string& bytes, std::pair<size_t, size_t> span, const std::string& path) {
    WireReader r(bytes, span.first, span.second, path);
    SentencePieceEntry entry;
    while (!r.done()) {
        const uint64_t tag = r.varint();
        if (tag == (1 << 3 | 2)) {
            const auto [b, e] = r.payload();
            entry.piece = bytes.substr(b, e - b);
        } else if (tag == (3 << 3 | 0)) {
            const uint64_t type = r.varint();
            if (type < 1 || type > 6) r.fail("piece '" + entry.piece + "' has type " + std::to_string(type));
            entry.type = static_cast<PieceType>(type);
        } else {
            r.skip(tag & 7);
        }
    }
    return entry;
}

}  // namespace

std::vector<SentencePieceEntry> read_sentencepiece_pieces(const std::string& bytes, const std::string& path) {
    std::vector<SentencePieceEntry> pieces;
    WireReader r(bytes, 0, bytes.size(), path);
    while (!r.done()) {
        const uint64_t tag = r.varint();
        if (tag == (1 << 3 | 2))
            pieces.push_back(read_piece(bytes, r.payload(), path));
        else
            r.skip(tag & 7);
    }
    return pieces;
}

}  // namespace clipscope
