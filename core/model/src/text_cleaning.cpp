// open_clip's text cleaning (text_cleaning.h). The tables come from Python's standard
// library through scripts/make-text-tables.py; the ftfy steps follow ftfy 6's definitions.
#include "text_cleaning.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>
#include <cstdio>
#include <unordered_map>
#include <vector>

#include "clipscope/base/error.h"

namespace clipscope {
namespace {

struct HtmlEntity {
    std::u32string_view name, text;
};
struct NumericReplacement {
    char32_t code;
    std::u32string_view text;
};
struct SingleByteEncoding {
    const char* name;
    bool sloppy;  // undefined bytes read as Latin-1, and 0x1A stands for U+FFFD
    char16_t upper[128];
};
struct WidthFold {
    char32_t code;
    std::u32string_view text;
};

#include "text_tables.inc"

template <size_t N>
const HtmlEntity* find_entity(const HtmlEntity (&table)[N], std::u32string_view name) {
    const auto* it = std::lower_bound(std::begin(table), std::end(table), name,
                                      [](const HtmlEntity& e, std::u32string_view n) { return e.name < n; });
    return it != std::end(table) && it->name == name ? it : nullptr;
}

bool ascii_digit(char32_t c) { return c >= '0' && c <= '9'; }
bool ascii_hex(char32_t c) { return ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool ascii_alnum(char32_t c) { return ascii_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// A numeric reference's text, as html.unescape gives it.
std::u32string numeric_reference(uint64_t code, bool too_big) {
    if (!too_big)
        for (const auto& r : kInvalidCharrefs)
            if (r.code == code) return std::u32string(r.text);
    if (too_big || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return U"\uFFFD";
    if (std::binary_search(std::begin(kInvalidCodepoints), std::end(kInvalidCodepoints), static_cast<char32_t>(code)))
        return U"";
    return std::u32string(1, static_cast<char32_t>(code));
}

std::string utf8(const std::u32string& s) {
    std::string out;
    icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(s.data()), static_cast<int32_t>(s.size()))
        .toUTF8String(out);
    return out;
}

// ftfy's own entity decoding (before its other fixes, so "&rsquo;" is then straightened):
// "&name;" of an HTML5 reference or an upper-cased one, and "&#...;" numeric references.
std::u32string ftfy_unescape_html(const std::u32string& s) {
    std::u32string out;
    size_t i = 0;
    while (i < s.size()) {
        if (s[i] != U'&') {
            out += s[i++];
            continue;
        }
        size_t k = i + 1;
        const bool numeric = k < s.size() && s[k] == U'#';
        if (numeric) ++k;
        const size_t first = k;
        while (k < s.size() && ascii_alnum(s[k]) && k - first < 25) ++k;
        if (k == first || k - first > 24 || k >= s.size() || s[k] != U';') {
            out += s[i++];
            continue;
        }
        const std::u32string match = s.substr(i, k + 1 - i);
        std::u32string replacement = match;
        if (numeric) {
            const std::u32string decoded = python_html_unescape(match);
            if (decoded.find(U';') == std::u32string::npos) replacement = decoded;  // the whole reference, or none
        } else if (const HtmlEntity* e = find_entity(kHtml5Entities, std::u32string_view(match).substr(1))) {
            replacement = std::u32string(e->text);
        } else if (const HtmlEntity* u = find_entity(kFtfyUppercaseEntities, std::u32string_view(match).substr(1))) {
            replacement = std::u32string(u->text);
        }
        out += replacement;
        i = k + 1;
    }
    return out;
}

// The byte each of ftfy's single-byte encodings gives a character (-1: not encodable).
int encoded_byte(size_t encoding, char32_t c) {
    if (c < 0x80) return static_cast<int>(c);
    static const auto reverse = [] {
        std::array<std::unordered_map<char32_t, int>, std::size(kMojibakeEncodings)> maps;
        for (size_t e = 0; e < maps.size(); ++e)
            for (int b = 0; b < 128; ++b) maps[e].emplace(kMojibakeEncodings[e].upper[b], 0x80 + b);
        return maps;
    }();
    if (c == 0xFFFD && kMojibakeEncodings[encoding].sloppy) return 0x1A;
    const auto it = reverse[encoding].find(c);
    return it == reverse[encoding].end() ? -1 : it->second;
}

// The length of the UTF-8 sequence whose lead byte is bytes[p] (continuation bytes counted;
// 0 if none starts there). With `whole`, the stand-ins ftfy accepts when it re-decodes a
// whole line are allowed too: a space for a lost 0xA0 after the leads its restore_byte_a0
// knows (not in MacRoman), and 0x1A or '?' for a lost byte (sloppy encodings).
size_t utf8_sequence_at(const std::vector<int>& bytes, size_t p, bool whole, bool space_ok, bool sloppy) {
    const int lead = bytes[p];
    size_t needed = 0;
    if (lead == 0xC0 || (lead >= 0xC2 && lead <= 0xDF))
        needed = 1;  // 0xC0 0x80: Java's NUL
    else if (lead >= 0xE0 && lead <= 0xEF)
        needed = 2;
    else if (lead >= 0xF0 && lead <= 0xF4)
        needed = 3;
    if (needed == 0 || p + needed >= bytes.size()) return 0;
    if (lead == 0xC0 && bytes[p + 1] != 0x80) return 0;
    bool spaced = false;
    for (size_t q = 1; q <= needed; ++q) {
        const int b = bytes[p + q];
        if (b >= 0x80 && b <= 0xBF) continue;
        if (whole && sloppy && (b == 0x1A || b == '?')) continue;
        const bool space_here =
            needed == 1 ? (lead == 0xC2 || lead == 0xC3 || lead == 0xC5 || lead == 0xCE || lead == 0xD0 || lead == 0xD9)
            : needed == 2 ? ((q == 1 && (lead == 0xE2 || lead == 0xE3)) || (q == 2 && lead >= 0xE0 && lead <= 0xE2))
                          : lead == 0xF0;
        if (whole && space_ok && b == 0x20 && space_here && !spaced) {
            spaced = true;
            continue;
        }
        return 0;
    }
    return needed;
}

// Why ftfy's encoding fixes might change `s` ("" when they cannot). A superset of what ftfy
// repairs, whose choice between repairing and keeping is a heuristic not reproduced here:
// - a C1 control character (ftfy reads it as Windows-1252);
// - the whole text, written in one of ftfy's single-byte encodings, is UTF-8 with at least
//   one multi-byte sequence, allowing ftfy's stand-ins for lost bytes (it re-decodes lines);
// - a UTF-8 multi-byte sequence inside the text in an encoding ftfy also repairs piecewise
//   (all of them but MacRoman and cp437).
std::string mojibake_suspicion(const std::u32string& s) {
    if (std::all_of(s.begin(), s.end(), [](char32_t c) { return c < 0x80; })) return "";
    for (char32_t c : s)
        if (c >= 0x80 && c <= 0x9F) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "holds the C1 control character U+%04X", static_cast<unsigned>(c));
            return std::string(buf) + ", which ftfy reads as Windows-1252 mojibake";
        }
    for (size_t e = 0; e < std::size(kMojibakeEncodings); ++e) {
        const SingleByteEncoding& enc = kMojibakeEncodings[e];
        const std::string name = enc.name;
        std::vector<int> bytes(s.size());
        for (size_t i = 0; i < s.size(); ++i) bytes[i] = encoded_byte(e, s[i]);
        if (std::none_of(bytes.begin(), bytes.end(), [](int b) { return b < 0; })) {
            bool valid = true, multibyte = false;
            for (size_t i = 0; i < bytes.size() && valid;) {
                if (bytes[i] < 0x80) {
                    ++i;
                    continue;
                }
                const size_t n = utf8_sequence_at(bytes, i, true, name != "macroman", enc.sloppy);
                valid = n > 0;
                multibyte = multibyte || valid;
                i += n + 1;
            }
            if (valid && multibyte)
                return "is, written as " + name + " bytes, UTF-8 text: typical mojibake, which ftfy may repair";
        }
        if (name == "macroman" || name == "cp437") continue;
        for (size_t p = 0; p < bytes.size(); ++p)
            if (const size_t n = utf8_sequence_at(bytes, p, false, false, enc.sloppy); n > 0)
                return "has '" + utf8(s.substr(p, n + 1)) + "', whose " + name +
                       " bytes read as UTF-8: typical mojibake, which ftfy may repair";
    }
    return "";
}

bool removed_control(char32_t c) {
    return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || (c >= 0x206A && c <= 0x206F) ||
           c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}
// Controls that ftfy versions disagree on (musical formatting, language tags).
bool version_dependent_control(char32_t c) { return (c >= 0x1D173 && c <= 0x1D17A) || (c >= 0xE0000 && c <= 0xE007F); }

std::u32string_view ligature(char32_t c) {
    switch (c) {
        case 0x0132:
            return U"IJ";
        case 0x0133:
            return U"ij";
        case 0x0149:
            return U"\u02BCn";
        case 0x01F1:
            return U"DZ";
        case 0x01F2:
            return U"Dz";
        case 0x01F3:
            return U"dz";
        case 0x01C4:
            return U"D\u017D";
        case 0x01C5:
            return U"D\u017E";
        case 0x01C6:
            return U"d\u017E";
        case 0x01C7:
            return U"LJ";
        case 0x01C8:
            return U"Lj";
        case 0x01C9:
            return U"lj";
        case 0x01CA:
            return U"NJ";
        case 0x01CB:
            return U"Nj";
        case 0x01CC:
            return U"nj";
        case 0xFB00:
            return U"ff";
        case 0xFB01:
            return U"fi";
        case 0xFB02:
            return U"fl";
        case 0xFB03:
            return U"ffi";
        case 0xFB04:
            return U"ffl";
        case 0xFB05:
            return U"\u017Ft";
        case 0xFB06:
            return U"st";
        default:
            return {};
    }
}

std::u32string_view width_fold(char32_t c) {
    const auto* it = std::lower_bound(std::begin(kWidthFolds), std::end(kWidthFolds), c,
                                      [](const WidthFold& w, char32_t x) { return w.code < x; });
    return it != std::end(kWidthFolds) && it->code == c ? it->text : std::u32string_view();
}

// One pass of ftfy's character fixes after the encoding checks, in ftfy's order.
std::u32string character_fixes(const std::u32string& s) {
    std::u32string a;
    for (char32_t c : s) {  // ligatures, then width, then quotes: each sees the one before
        const std::u32string_view lig = ligature(c);
        if (!lig.empty()) {
            a += lig;
            continue;
        }
        a += c;
    }
    std::u32string b;
    for (char32_t c : a) {
        const std::u32string_view w = width_fold(c);
        if (!w.empty())
            b += w;
        else
            b += c;
    }
    std::u32string q;
    for (char32_t c : b)
        q += c == 0x02BC || (c >= 0x2018 && c <= 0x201B) ? U'\'' : (c >= 0x201C && c <= 0x201F) ? U'"' : c;
    std::u32string lines;  // CRLF, CR, LINE and PARAGRAPH SEPARATOR -> LF
    for (size_t i = 0; i < q.size(); ++i) {
        if (q[i] == U'\r' && i + 1 < q.size() && q[i + 1] == U'\n') continue;
        lines += q[i] == U'\r' || q[i] == 0x2028 || q[i] == 0x2029 ? U'\n' : q[i];
    }
    std::u32string plain;  // ANSI terminal escapes: ESC [ (digits or ';')* letter
    for (size_t i = 0; i < lines.size(); ++i) {
        if (lines[i] == 0x1B && i + 1 < lines.size() && lines[i + 1] == U'[') {
            size_t k = i + 2;
            while (k < lines.size() &&
                   (u_charType(static_cast<UChar32>(lines[k])) == U_DECIMAL_DIGIT_NUMBER || lines[k] == U';'))
                ++k;
            if (k < lines.size() && ((lines[k] >= 'a' && lines[k] <= 'z') || (lines[k] >= 'A' && lines[k] <= 'Z'))) {
                i = k;
                continue;
            }
        }
        plain += lines[i];
    }
    std::u32string kept;
    for (char32_t c : plain)
        if (!removed_control(c)) kept += c;
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
    const icu::UnicodeString u =
        icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(kept.data()), static_cast<int32_t>(kept.size()));
    const icu::UnicodeString n = U_SUCCESS(status) ? nfc->normalize(u, status) : u;
    if (U_FAILURE(status)) throw Error(ErrorKind::Internal, "ICU's NFC normalisation failed");
    std::u32string out(static_cast<size_t>(n.countChar32()), U'\0');
    UErrorCode convert = U_ZERO_ERROR;
    n.toUTF32(reinterpret_cast<UChar32*>(out.data()), static_cast<int32_t>(out.size()), convert);
    return out;
}

// The text as an error message shows it: control characters (line breaks, NUL, ESC, C1) as
// \uXXXX, so the message stays one readable line.
std::string quoted(const std::u32string& text) {
    std::u32string shown;
    for (char32_t c : text) {
        if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(c));
            for (const char* p = buf; *p; ++p) shown += static_cast<char32_t>(*p);
        } else {
            shown += c;
        }
    }
    return "'" + utf8(shown) + "'";
}

[[noreturn]] void refuse(const std::u32string& text, const std::string& why) {
    throw Error(ErrorKind::Unsupported,
                "the text " + quoted(text) + " " + why +
                    ". open_clip cleans texts with ftfy; ClipScope reproduces ftfy only where the result does not "
                    "hang on ftfy's mojibake heuristics or its version, so this text's token ids could differ from "
                    "open_clip's. Write the text as meant (docs/method.md §10.1 lists what is refused)");
}

// Controls that ftfy versions remove or keep differently, in the text or made by its entities.
void refuse_version_dependent(const std::u32string& text, const std::u32string& original) {
    for (char32_t c : text)
        if (version_dependent_control(c)) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
            refuse(original, std::string("holds ") + buf + ", which ftfy versions remove or keep differently");
        }
}

// The ftfy loop; `unescape` is ftfy's "auto" choice (no '<' in the text).
std::u32string ftfy_loop(std::u32string text, bool unescape, const std::u32string& original) {
    // Each pass that changes the text shortens it or settles it (unescaping shortens, the other
    // fixes are idempotent), so the text's length bounds the passes.
    for (size_t pass = 0; pass <= original.size() + 2; ++pass) {
        const std::u32string before = text;
        if (unescape) text = ftfy_unescape_html(text);
        refuse_version_dependent(text, original);
        if (const std::string why = mojibake_suspicion(text); !why.empty()) refuse(original, why);
        text = character_fixes(text);
        if (text == before) return text;
    }
    throw Error(ErrorKind::Internal, "ftfy's fixes did not settle on '" + utf8(original) + "'");
}

}  // namespace

std::u32string python_html_unescape(const std::u32string& s) {
    if (s.find(U'&') == std::u32string::npos) return s;
    std::u32string out;
    size_t i = 0;
    while (i < s.size()) {
        if (s[i] != U'&') {
            out += s[i++];
            continue;
        }
        const size_t j = i + 1;
        if (j < s.size() && s[j] == U'#') {
            size_t k = j + 1, first = k;
            int base = 10;
            while (k < s.size() && ascii_digit(s[k])) ++k;
            if (k == first && k < s.size() && (s[k] == U'x' || s[k] == U'X')) {
                base = 16;
                first = ++k;
                while (k < s.size() && ascii_hex(s[k])) ++k;
            }
            if (k == first) {  // no digits: '&' stays, as the regex matches nothing here
                out += s[i++];
                continue;
            }
            uint64_t code = 0;
            bool too_big = false;
            for (size_t d = first; d < k; ++d) {
                const char32_t c = s[d];
                const uint64_t v = ascii_digit(c) ? c - U'0' : (c | 0x20) - U'a' + 10;
                code = code * static_cast<uint64_t>(base) + v;
                if (code > 0x10FFFF) too_big = true, code = 0x110000;
            }
            out += numeric_reference(code, too_big);
            i = k < s.size() && s[k] == U';' ? k + 1 : k;
            continue;
        }
        // Named: up to 32 characters other than \t \n \f space < & # ;, then an optional ';'.
        size_t k = j;
        auto name_char = [](char32_t c) {
            return c != U'\t' && c != U'\n' && c != U'\f' && c != U' ' && c != U'<' && c != U'&' && c != U'#' &&
                   c != U';';
        };
        while (k < s.size() && k - j < 32 && name_char(s[k])) ++k;
        if (k == j) {
            out += s[i++];
            continue;
        }
        const size_t end = k < s.size() && s[k] == U';' ? k + 1 : k;
        const std::u32string_view name(s.data() + j, end - j);
        if (const HtmlEntity* e = find_entity(kHtml5Entities, name)) {
            out += e->text;
        } else {
            bool found = false;
            for (size_t x = name.size() - 1; x >= 2 && !found; --x)  // the longest known prefix
                if (const HtmlEntity* p = find_entity(kHtml5Entities, name.substr(0, x))) {
                    out += p->text;
                    out += name.substr(x);
                    found = true;
                }
            if (!found) {
                out += U'&';
                out += name;
            }
        }
        i = end;
    }
    return out;
}

std::u32string ftfy_fix_text(const std::u32string& text) {
    refuse_version_dependent(text, text);
    const bool html_like = text.find(U'<') != std::u32string::npos;
    if (!html_like) return ftfy_loop(text, true, text);
    // ftfy leaves entities alone in a text that looks like HTML, but its versions differ on
    // what looks like HTML ('<' alone, or '<' and '>' on the line): refused when it matters.
    const std::u32string fixed = ftfy_loop(text, false, text);
    if (ftfy_unescape_html(fixed) != fixed)
        refuse(text, "holds both '<' and HTML entities, which ftfy versions decode differently");
    return fixed;
}

}  // namespace clipscope
