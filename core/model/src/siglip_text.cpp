#include "siglip_text.h"

#include <unicode/uchar.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <cstring>

#include "clipscope/base/error.h"

namespace clipscope {

namespace {

// Python's str.isspace: general category Zs, or bidirectional class WS, B or S.
bool python_isspace(UChar32 c) {
    if (u_charType(c) == U_SPACE_SEPARATOR) return true;
    const UCharDirection d = u_charDirection(c);
    return d == U_WHITE_SPACE_NEUTRAL || d == U_BLOCK_SEPARATOR || d == U_SEGMENT_SEPARATOR;
}

// Python's string.punctuation.
bool ascii_punctuation(UChar32 c) { return c < 128 && std::strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) && c; }

}  // namespace

std::string siglip_canonical_text(const std::string& text) {
    // SiglipTokenizer.tokenize: "▁" + text with every "▁" made a space, lower-cased by
    // PreTrainedTokenizer (do_lower_case); then _tokenize's canonicalize_text.
    icu::UnicodeString s = icu::UnicodeString::fromUTF8(text);  // invalid UTF-8 becomes U+FFFD
    s.findAndReplace(icu::UnicodeString(static_cast<UChar32>(0x2581)), icu::UnicodeString(" "));
    s.insert(0, static_cast<UChar32>(0x2581));
    s.toLower(icu::Locale::getRoot());  // full case mapping, as str.lower
    icu::UnicodeString out;
    bool in_space = false;
    for (int32_t i = 0; i < s.length();) {
        const UChar32 c = s.char32At(i);
        i += U16_LENGTH(c);
        if (ascii_punctuation(c)) continue;  // removed before whitespace is collapsed
        if (python_isspace(c)) {
            in_space = true;
            continue;
        }
        // str.strip(): no leading space (the prefixed "▁" is not a space, so none arises), no trailing one.
        if (in_space && out.length() > 0) out.append(static_cast<UChar32>(' '));
        in_space = false;
        out.append(c);
    }
    std::string utf8;
    out.toUTF8String(utf8);
    return utf8;
}

std::shared_ptr<const SiglipTextEncoder> SiglipTextEncoder::load(const std::string& spiece_path) {
    auto e = std::make_shared<SiglipTextEncoder>();
    e->model_ = SentencePieceModel::load(spiece_path, /*no_dummy_prefix=*/true);
    const int64_t eos = e->model_->piece_id("</s>");
    if (eos < 0) throw_input(spiece_path, "has no </s> piece, which SiglipTokenizer ends and pads texts with");
    if (e->model_->piece_id("<unk>") < 0) throw_input(spiece_path, "has no <unk> piece");
    e->eos_ = eos;
    e->unk_pieces_ = e->model_->encode("<unk>").size();
    return e;
}

std::vector<int64_t> SiglipTextEncoder::encode(const std::string& text) const {
    for (const char* special : {"</s>", "<unk>"})
        if (text.find(special) != std::string::npos)
            throw Error(ErrorKind::Unsupported,
                        "text '" + text + "' holds the special token " + special +
                            ", which SiglipTokenizer would split out as that token; ClipScope does not");
    std::vector<int64_t> ids = model_->encode("<unk>" + siglip_canonical_text(text));
    // The "<unk>" prefix keeps SentencePiece from treating the text's start as a word start on
    // its own terms (transformers' non-legacy rule); its pieces are dropped again.
    if (ids.size() >= unk_pieces_) ids.erase(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(unk_pieces_));
    return ids;
}

}  // namespace clipscope
