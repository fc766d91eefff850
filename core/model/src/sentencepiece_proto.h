#pragma once
// Internal to the model module: the pieces of a SentencePiece model file, read from its
// serialized ModelProto directly. libsentencepiece's C++ interface does not say which pieces
// are user-defined, and those (with the control pieces) are the tokens transformers splits
// out of a text before SentencePiece sees it (gemma_text.h).
#include <string>
#include <vector>

namespace clipscope {

// sentencepiece_model.proto's SentencePiece.Type, by value.
enum class PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };

struct SentencePieceEntry {
    std::string piece;
    PieceType type = PieceType::Normal;
};

// ModelProto field 1 (repeated SentencePiece {piece = 1, score = 2, type = 3}), in id order;
// the other fields are skipped. A stream that is cut short or not protocol-buffer wire format
// is an InputFile error naming `path`.
std::vector<SentencePieceEntry> read_sentencepiece_pieces(const std::string& bytes, const std::string& path);

}  // namespace clipscope
