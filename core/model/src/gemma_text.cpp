#include "gemma_text.h"

#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <algorithm>

#include "clipscope/base/error.h"

namespace clipscope {

std::string lower_case_each_character(const std::string& text) {
    const icu::UnicodeString in = icu::UnicodeString::fromUTF8(text);  // invalid UTF-8 becomes U+FFFD
    icu::UnicodeString out;
    for (int32_t i = 0; i < in.length();) {
        const UChar32 c = in.char32At(i);
        i += U16_LENGTH(c);
        // One character at a time, so ICU's context rules (final sigma) cannot apply.
        icu::UnicodeString one(c);
        one.toLower(icu::Locale::getRoot());
        out.append(one);
    }
    std::string utf8;
    out.toUTF8String(utf8);
    return utf8;
}

namespace {

bool is_special(PieceType t) {
    return t == PieceType::Control || t == PieceType::Unknown || t == PieceType::UserDefined;
}

}  // namespace

std::shared_ptr<const GemmaTextEncoder> GemmaTextEncoder::load(const std::string& model_path,
                                                               const GemmaTokenizerSettings& settings,
                                                               const std::string& settings_source) {
    auto e = std::make_shared<GemmaTextEncoder>();
    e->model_ = SentencePieceModel::load(model_path, /*no_dummy_prefix=*/false);
    e->lower_case_ = settings.lower_case;
    const auto& pieces = e->model_->pieces();
    for (size_t id = 0; id < pieces.size(); ++id)
        if (is_special(pieces[id].type) && !pieces[id].piece.empty())
            e->specials_[static_cast<unsigned char>(pieces[id].piece[0])].emplace_back(pieces[id].piece,
                                                                                       static_cast<int64_t>(id));
    for (auto& bucket : e->specials_)
        std::stable_sort(bucket.begin(), bucket.end(),
                         [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });

    // The ids transformers would use for a spelling: the model's own special piece of that name.
    const auto special_id = [&](const std::string& spelling, const std::string& what) -> int64_t {
        const int64_t id = e->model_->piece_id(spelling);
        if (id < 0) throw_model(settings_source, what + " '" + spelling + "' is not a piece of " + model_path);
        if (!is_special(pieces[static_cast<size_t>(id)].type))
            throw_model(settings_source, what + " '" + spelling + "' is an ordinary piece of " + model_path + " (id " +
                                             std::to_string(id) +
                                             "), which SentencePiece would not keep whole: not supported");
        return id;
    };
    const int64_t eos = special_id(settings.eos, "eos_token");
    if (settings.add_eos) e->eos_ = eos;
    e->pad_ = special_id(settings.pad, "pad_token");
    special_id(settings.unk, "unk_token");
    if (settings.add_bos) e->bos_ = special_id(settings.bos, "bos_token");
    for (const auto& [id, spelling] : settings.added_tokens) {
        const int64_t at = special_id(spelling, "added_tokens_decoder's token");
        if (at != id)
            throw_model(settings_source, "added_tokens_decoder gives '" + spelling + "' id " + std::to_string(id) +
                                             " but " + model_path + " holds it at " + std::to_string(at));
    }
    for (const std::string& spelling : settings.additional_special)
        special_id(spelling, "additional_special_tokens' token");
    return e;
}

const std::pair<std::string, int64_t>* GemmaTextEncoder::special_at(const std::string& text, size_t pos) const {
    for (const auto& candidate : specials_[static_cast<unsigned char>(text[pos])])
        if (text.compare(pos, candidate.first.size(), candidate.first) == 0) return &candidate;
    return nullptr;
}

void GemmaTextEncoder::encode_plain(const std::string& segment, const std::string& text,
                                    std::vector<int64_t>& ids) const {
    if (segment.empty()) return;
    const std::string normal = lower_case_ ? lower_case_each_character(segment) : segment;
    if (lower_case_)
        for (size_t i = 0; i < normal.size(); ++i)
            if (const auto* s = special_at(normal, i))
                throw Error(ErrorKind::Unsupported,
                            "text '" + text + "' spells the special token " + s->first +
                                " once lower-cased: GemmaTokenizer (no lower case) and Siglip2Tokenizer (lower "
                                "case after splitting special tokens) tokenize it differently, so ClipScope does "
                                "not");
    const std::vector<int64_t> piece_ids = model_->encode(normal);
    ids.insert(ids.end(), piece_ids.begin(), piece_ids.end());
}

std::vector<int64_t> GemmaTextEncoder::encode(const std::string& text) const {
    std::vector<int64_t> ids;
    size_t start = 0;  // the plain text not yet encoded begins here
    for (size_t i = 0; i < text.size();) {
        const auto* s = special_at(text, i);
        if (!s) {
            ++i;
            continue;
        }
        encode_plain(text.substr(start, i - start), text, ids);
        ids.push_back(s->second);
        i += s->first.size();
        start = i;
    }
    encode_plain(text.substr(start), text, ids);
    return ids;
}

}  // namespace clipscope
