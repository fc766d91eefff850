#pragma once
// CLIP's byte-level BPE tokenizer, producing the same ids as the reference
// (openai/open_clip simple_tokenizer): clean (ftfy.fix_text, html.unescape twice,
// whitespace collapse), lower-case, split with CLIP's regex, byte-to-unicode map,
// greedy lowest-rank BPE merges, SOT/EOT, zero padding. Or SigLIP's SentencePiece
// tokenizer (load_siglip) or SigLIP 2's Gemma one (load_gemma), which the same interface serves.
//
// ftfy's mojibake repair is not reproduced: a text it might apply to is refused (Error
// Unsupported naming the text; docs/method.md §10.1).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "clipscope/base/ndarray.h"
#include "clipscope/model/model_config.h"

namespace clipscope {

// GPT-2/CLIP bytes_to_unicode as UTF-8, indexed by byte: the symbols BPE merges are written in.
std::vector<std::string> bpe_byte_symbols();

class Tokenizer {
public:
    // From bpe_simple_vocab_16e6.txt.gz (gzip or plain text), or from a
    // transformers vocab.json with merges.txt in the same folder.
    static Tokenizer load(const std::string& path);
    // SigLIP's tokenizer as transformers' SiglipTokenizer: spiece.model (SentencePiece, with
    // add_dummy_prefix off), lower case, ASCII punctuation removed, whitespace collapsed,
    // </s> appended; truncated keeping </s> last and padded with </s>.
    static Tokenizer load_siglip(const std::string& spiece_path);
    // SigLIP 2's Gemma tokenizer as transformers' GemmaTokenizer on tokenizer.model, set up by
    // the repo's tokenizer_config.json (`settings`, read from `settings_source`): special
    // tokens split out as written, lower case when do_lower_case is set, (bos +) ids (+ eos),
    // truncated keeping eos last and padded with pad.
    static Tokenizer load_gemma(const std::string& model_path, const GemmaTokenizerSettings& settings,
                                const std::string& settings_source);
    ~Tokenizer();
    Tokenizer(Tokenizer&&) noexcept;
    Tokenizer& operator=(Tokenizer&&) noexcept;

    int64_t sot_id() const;  // -1: texts do not start with a token of their own (SigLIP, SigLIP 2)
    int64_t eot_id() const;  // -1: texts end without a token of their own (a Gemma add_eos_token false)
    int64_t pad_id() const;  // CLIP pads with 0, SigLIP with </s>, SigLIP 2 with <pad>
    TokenizerKind kind() const;
    int64_t vocab_size() const;
    const std::string& source() const;

    // Ids of one text, without SOT/EOT.
    std::vector<int64_t> encode(const std::string& text) const;
    // [texts, context_length]: (SOT +) ids + EOT, truncated keeping EOT last, padded with pad_id().
    Int64Array tokenize(const std::vector<std::string>& texts, int64_t context_length) const;
    // The cleaned, lower-cased text the regex sees (for diagnostics and tests).
    static std::string clean(const std::string& text);

private:
    Tokenizer();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace clipscope
