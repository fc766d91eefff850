#pragma once
// Internal to the model module: SigLIP 2's Gemma tokenizer, as transformers' GemmaTokenizer
// runs it on the repo's tokenizer.model (docs/method.md §12.2).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "clipscope/model/model_config.h"
#include "sentencepiece_model.h"

namespace clipscope {

class GemmaTextEncoder {
public:
    // tokenizer.model as it is (Gemma's normaliser adds no dummy prefix); the settings' special
    // tokens must be special pieces of it, at the ids tokenizer_config.json gives: a Model
    // error naming `settings_source` otherwise.
    static std::shared_ptr<const GemmaTextEncoder> load(const std::string& model_path,
                                                        const GemmaTokenizerSettings& settings,
                                                        const std::string& settings_source);
    // The ids of one text, without bos and eos. The special pieces' spellings (control, unknown
    // and user-defined pieces: "<eos>", "<start_of_turn>", ...) are split out of the text as
    // written, leftmost and longest first, and give their own ids; SentencePiece encodes the
    // rest, lower-cased first when the settings ask. A text whose lower-casing spells a special
    // piece is refused (Error Unsupported): transformers' two tokenizer classes part there.
    std::vector<int64_t> encode(const std::string& text) const;
    int64_t bos_id() const { return bos_; }  // -1: texts have no bos (add_bos_token false)
    int64_t eos_id() const { return eos_; }  // -1: texts have no eos (add_eos_token false)
    int64_t pad_id() const { return pad_; }
    int64_t vocab_size() const { return model_->vocab_size(); }
    const std::string& source() const { return model_->source(); }

private:
    std::shared_ptr<const SentencePieceModel> model_;
    bool lower_case_ = false;
    int64_t bos_ = -1, eos_ = -1, pad_ = -1;
    // The special pieces by their first byte, longest first: (spelling, id).
    std::vector<std::vector<std::pair<std::string, int64_t>>> specials_ =
        std::vector<std::vector<std::pair<std::string, int64_t>>>(256);

    // The longest special spelling starting at `pos`, or null.
    const std::pair<std::string, int64_t>* special_at(const std::string& text, size_t pos) const;
    void encode_plain(const std::string& segment, const std::string& text, std::vector<int64_t>& ids) const;
};

// Lower case as the `tokenizers` library's Lowercase normaliser: each character's full
// lower-case mapping on its own (no context, so a final capital sigma becomes σ).
std::string lower_case_each_character(const std::string& text);

}  // namespace clipscope
