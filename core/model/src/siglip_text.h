#pragma once
// Internal to the model module: transformers' SiglipTokenizer on a SentencePiece model.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sentencepiece_model.h"

namespace clipscope {

// What SiglipTokenizer does to one text before SentencePiece sees it (docs/method.md §10.2):
// U+2581 replaced by a space and one prefixed, lower case (Python's str.lower), ASCII
// punctuation removed, runs of whitespace (Python's str.isspace) made one space, stripped.
std::string siglip_canonical_text(const std::string& text);

class SiglipTextEncoder {
public:
    // spiece.model with add_dummy_prefix switched off, as SiglipTokenizer loads it.
    static std::shared_ptr<const SiglipTextEncoder> load(const std::string& spiece_path);
    // The ids of one text, without </s>: SentencePiece on "<unk>" + the canonical text, the
    // pieces of "<unk>" dropped again. Texts holding a special token's spelling ("</s>",
    // "<unk>"), which transformers splits out as that token, are refused (Error Unsupported).
    std::vector<int64_t> encode(const std::string& text) const;
    int64_t eos_id() const { return eos_; }
    int64_t vocab_size() const { return model_->vocab_size(); }
    const std::string& source() const { return model_->source(); }

private:
    std::shared_ptr<const SentencePieceModel> model_;
    int64_t eos_ = 1;
    size_t unk_pieces_ = 0;  // how many pieces "<unk>" itself encodes to
};

}  // namespace clipscope
