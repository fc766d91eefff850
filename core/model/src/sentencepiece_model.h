#pragma once
// Internal to the model module: a SentencePiece model run by libsentencepiece, reached through
// the dlopen'ed SentencePiece module (sentencepiece_abi.h says why it is not linked).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sentencepiece_proto.h"

namespace clipscope {

class SentencePieceModel {
public:
    // From a .model file (a serialized ModelProto); add_dummy_prefix switched off when asked.
    // A missing or corrupt file is an InputFile error naming it; a missing module is Unsupported,
    // naming where it was looked for.
    static std::shared_ptr<const SentencePieceModel> load(const std::string& path, bool no_dummy_prefix);
    ~SentencePieceModel();
    SentencePieceModel(const SentencePieceModel&) = delete;
    SentencePieceModel& operator=(const SentencePieceModel&) = delete;

    int64_t vocab_size() const;
    // The id of a piece, or -1 when the model has no such piece.
    int64_t piece_id(const std::string& piece) const;
    // Ids of UTF-8 text (the model's own normalisation applies).
    std::vector<int64_t> encode(const std::string& text) const;
    // Every piece with its type, in id order (read from the file itself: sentencepiece_proto.h).
    const std::vector<SentencePieceEntry>& pieces() const { return pieces_; }
    const std::string& source() const { return source_; }

    struct Module;  // the loaded module's entry points (defined in the .cpp)

private:
    SentencePieceModel() = default;
    std::shared_ptr<const Module> module_;
    void* handle_ = nullptr;
    std::string source_;
    std::vector<SentencePieceEntry> pieces_;
};

}  // namespace clipscope
