#include "clipscope/model/tokenizer.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>
#include <zlib.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "gemma_text.h"
#include "siglip_text.h"
#include "text_cleaning.h"

namespace clipscope {
namespace {

constexpr size_t kMaxVocabBytes = 64 << 20;
constexpr int kMergeCount = 49152 - 256 - 2;  // merges used by CLIP: lines 1..48894 of the vocab file

std::string gunzip_file(const std::string& path) {
    gzFile gz = gzopen(path.c_str(), "rb");
    if (!gz) throw_input(path, "cannot open");
    std::string out;
    char buf[1 << 16];
    while (true) {
        const int n = gzread(gz, buf, sizeof(buf));
        if (n <= 0) {
            // zlib may report a stream that ends early only through gzerror (Z_BUF_ERROR),
            // after handing out what it could decode: a vocabulary cut short would
            // otherwise load as a smaller, different one. A bad CRC or length is Z_DATA_ERROR.
            int err = Z_OK;
            const std::string msg = gzerror(gz, &err);
            gzclose(gz);
            if (err == Z_BUF_ERROR)
                throw_input(path, "the gzip stream ends early (" + msg + "): the file is truncated");
            if (n < 0 || err != Z_OK) throw_input(path, "corrupt gzip data: " + msg);
            return out;
        }
        out.append(buf, static_cast<size_t>(n));
        if (out.size() > kMaxVocabBytes) {
            gzclose(gz);
            throw_input(path, "decompresses to more than 64 MB: not a CLIP vocabulary");
        }
    }
}

// GPT-2/CLIP bytes_to_unicode: printable bytes keep their code point, the other
// 68 bytes map to 256, 257, ... in ascending order.
bool is_printable_byte(int b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255); }

std::vector<std::string> split_utf8_chars(const std::string& s) {
    std::vector<std::string> out;
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : 4;
        out.push_back(s.substr(i, len));
        i += len;
    }
    return out;
}

bool is_letter(UChar32 c) { return (U_GET_GC_MASK(c) & U_GC_L_MASK) != 0; }
bool is_number(UChar32 c) { return (U_GET_GC_MASK(c) & U_GC_N_MASK) != 0; }
// Python's str.isspace(): Unicode whitespace plus the ASCII separators 0x1c-0x1f.
bool is_space(UChar32 c) { return u_isUWhiteSpace(c) || (c >= 0x1c && c <= 0x1f) || (c >= 0x09 && c <= 0x0d); }

icu::UnicodeString strip(const icu::UnicodeString& s) {
    int32_t b = 0, e = s.length();
    while (b < e && is_space(s.char32At(b))) b += U16_LENGTH(s.char32At(b));
    while (e > b) {
        const int32_t prev = s.moveIndex32(e, -1);
        if (!is_space(s.char32At(prev))) break;
        e = prev;
    }
    return icu::UnicodeString(s, b, e - b);
}

}  // namespace

std::vector<std::string> bpe_byte_symbols() {
    std::vector<std::string> table(256);
    int next = 256;
    for (int b = 0; b < 256; ++b) {
        const UChar32 cp = is_printable_byte(b) ? b : next++;
        std::string s;
        icu::UnicodeString(cp).toUTF8String(s);
        table[static_cast<size_t>(b)] = s;
    }
    return table;
}

struct Tokenizer::Impl {
    std::string source;
    std::unordered_map<std::string, int64_t> encoder;
    std::unordered_map<std::string, int> ranks;  // "A B" -> merge rank
    std::vector<std::string> byte_table = bpe_byte_symbols();
    mutable std::unordered_map<std::string, std::vector<int64_t>> cache;
    mutable std::mutex cache_mutex;  // one tokenizer serves several threads (the app's two workers)
    int64_t sot = 49406, eot = 49407;
    int64_t pad = 0;                                  // what fills the context after the text
    std::shared_ptr<const SiglipTextEncoder> siglip;  // set: SigLIP's SentencePiece rules, not BPE
    std::shared_ptr<const GemmaTextEncoder> gemma;    // set: SigLIP 2's Gemma SentencePiece rules

    void build_from_merges(const std::vector<std::string>& merges, const std::string& path) {
        // Ids 0..255 follow bytes_to_unicode's value order: printable bytes first, then the remapped ones.
        std::vector<std::string> vocab;
        for (int pass = 0; pass < 2; ++pass)
            for (int b = 0; b < 256; ++b)
                if (is_printable_byte(b) == (pass == 0)) vocab.push_back(byte_table[static_cast<size_t>(b)]);
        for (size_t i = 0; i < 256; ++i) vocab.push_back(vocab[i] + "</w>");
        int rank = 0;
        for (const auto& m : merges) {
            const auto sp = m.find(' ');
            if (sp == std::string::npos || sp == 0 || sp + 1 >= m.size() || m.find(' ', sp + 1) != std::string::npos)
                throw_input(path, "merge line " + std::to_string(rank + 1) +
                                      " is not two symbols separated by one space: '" + m + "'");
            ranks.emplace(m, rank++);
            vocab.push_back(m.substr(0, sp) + m.substr(sp + 1));
        }
        vocab.push_back("<start_of_text>");
        vocab.push_back("<end_of_text>");
        for (size_t i = 0; i < vocab.size(); ++i) encoder.emplace(vocab[i], static_cast<int64_t>(i));
        sot = encoder.at("<start_of_text>");
        eot = encoder.at("<end_of_text>");
    }

    std::vector<std::string> bpe(const std::string& piece) const {
        std::vector<std::string> word = split_utf8_chars(piece);
        word.back() += "</w>";
        while (word.size() > 1) {
            int best = INT32_MAX;
            size_t best_i = 0;
            for (size_t i = 0; i + 1 < word.size(); ++i) {
                auto it = ranks.find(word[i] + " " + word[i + 1]);
                if (it != ranks.end() && it->second < best) {
                    best = it->second;
                    best_i = i;
                }
            }
            if (best == INT32_MAX) break;
            const std::string first = word[best_i], second = word[best_i + 1];
            std::vector<std::string> merged;
            for (size_t i = 0; i < word.size();) {
                if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
                    merged.push_back(first + second);
                    i += 2;
                } else {
                    merged.push_back(word[i++]);
                }
            }
            word.swap(merged);
        }
        return word;
    }
};

Tokenizer::Tokenizer() : impl_(std::make_unique<Impl>()) {}
Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

Tokenizer Tokenizer::load(const std::string& path) {
    Tokenizer t;
    t.impl_->source = path;
    namespace fs = std::filesystem;
    const std::string name = fs::path(path).filename().string();
    std::vector<std::string> merges;
    if (name.size() > 5 && name.substr(name.size() - 5) == ".json") {
        // transformers layout: merges.txt beside vocab.json gives the ranks; vocab.json must agree with them.
        const std::string merges_path = (fs::path(path).parent_path() / "merges.txt").string();
        std::istringstream in(read_file_bytes(merges_path, kMaxVocabBytes));
        std::string line;
        bool first = true;
        while (std::getline(in, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (first && line.rfind("#version", 0) == 0) {
                first = false;
                continue;
            }
            first = false;
            if (line.empty()) continue;
            merges.push_back(line);
            if (static_cast<int>(merges.size()) == kMergeCount) break;
        }
        t.impl_->build_from_merges(merges, merges_path);
        nlohmann::json vocab;
        try {
            vocab = nlohmann::json::parse(read_file_bytes(path, kMaxVocabBytes));
        } catch (const nlohmann::json::exception& e) {
            throw_input(path, std::string("not valid JSON: ") + e.what());
        }
        if (!vocab.is_object()) throw_input(path, "expected a JSON object mapping tokens to ids");
        // transformers names the specials <|startoftext|>/<|endoftext|>; ids are taken from the file.
        t.impl_->encoder.clear();
        for (auto it = vocab.begin(); it != vocab.end(); ++it) {
            if (!it->is_number_integer()) throw_input(path, "id of token '" + it.key() + "' is not an integer");
            std::string key = it.key();
            if (key == "<|startoftext|>") key = "<start_of_text>";
            if (key == "<|endoftext|>") key = "<end_of_text>";
            t.impl_->encoder[key] = it->get<int64_t>();
        }
        if (!t.impl_->encoder.count("<start_of_text>") || !t.impl_->encoder.count("<end_of_text>"))
            throw_input(path, "has no <|startoftext|>/<|endoftext|> tokens");
        t.impl_->sot = t.impl_->encoder.at("<start_of_text>");
        t.impl_->eot = t.impl_->encoder.at("<end_of_text>");
        return t;
    }
    std::string text;
    {
        const std::string head = read_file_bytes(path, kMaxVocabBytes).substr(0, 2);
        text = (head.size() == 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
                static_cast<unsigned char>(head[1]) == 0x8b)
                   ? gunzip_file(path)
                   : read_file_bytes(path, kMaxVocabBytes);
    }
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);  // header ("#version: 0.2")
    // CLIP uses lines 1..48894; smaller vocabularies in the same format (e.g. the demo model's) use all their lines.
    while (static_cast<int>(merges.size()) < kMergeCount && std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) merges.push_back(line);
    }
    if (merges.empty()) throw_input(path, "has no merge lines: not a BPE vocabulary");
    t.impl_->build_from_merges(merges, path);
    return t;
}

Tokenizer Tokenizer::load_siglip(const std::string& spiece_path) {
    Tokenizer t;
    t.impl_->source = spiece_path;
    t.impl_->siglip = SiglipTextEncoder::load(spiece_path);
    t.impl_->sot = -1;
    t.impl_->eot = t.impl_->pad = t.impl_->siglip->eos_id();
    return t;
}

Tokenizer Tokenizer::load_gemma(const std::string& model_path, const GemmaTokenizerSettings& settings,
                                const std::string& settings_source) {
    Tokenizer t;
    t.impl_->source = model_path;
    t.impl_->gemma = GemmaTextEncoder::load(model_path, settings, settings_source);
    t.impl_->sot = t.impl_->gemma->bos_id();
    t.impl_->eot = t.impl_->gemma->eos_id();
    t.impl_->pad = t.impl_->gemma->pad_id();
    return t;
}

int64_t Tokenizer::sot_id() const { return impl_->sot; }
int64_t Tokenizer::eot_id() const { return impl_->eot; }
int64_t Tokenizer::pad_id() const { return impl_->pad; }
int64_t Tokenizer::vocab_size() const {
    if (impl_->siglip) return impl_->siglip->vocab_size();
    if (impl_->gemma) return impl_->gemma->vocab_size();
    return static_cast<int64_t>(impl_->encoder.size());
}
TokenizerKind Tokenizer::kind() const {
    if (impl_->siglip) return TokenizerKind::SiglipSentencePiece;
    if (impl_->gemma) return TokenizerKind::GemmaSentencePiece;
    return TokenizerKind::ClipBpe;
}
const std::string& Tokenizer::source() const { return impl_->source; }

std::string Tokenizer::clean(const std::string& text) {
    // basic_clean: ftfy.fix_text, html.unescape twice, strip (text_cleaning.h).
    const icu::UnicodeString in = icu::UnicodeString::fromUTF8(text);  // invalid UTF-8 becomes U+FFFD
    std::u32string u32(static_cast<size_t>(in.countChar32()), U'\0');
    UErrorCode status = U_ZERO_ERROR;
    in.toUTF32(reinterpret_cast<UChar32*>(u32.data()), static_cast<int32_t>(u32.size()), status);
    u32 = python_html_unescape(python_html_unescape(ftfy_fix_text(u32)));
    icu::UnicodeString u = strip(
        icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(u32.data()), static_cast<int32_t>(u32.size())));
    icu::UnicodeString collapsed;
    bool in_space = false;
    for (int32_t i = 0; i < u.length();) {
        const UChar32 c = u.char32At(i);
        i += U16_LENGTH(c);
        if (is_space(c)) {
            if (!in_space) collapsed.append(static_cast<UChar32>(' '));
            in_space = true;
        } else {
            collapsed.append(c);
            in_space = false;
        }
    }
    collapsed = strip(collapsed);
    collapsed.toLower(icu::Locale::getRoot());
    std::string out;
    collapsed.toUTF8String(out);
    return out;
}

std::vector<int64_t> Tokenizer::encode(const std::string& text) const {
    if (impl_->siglip) return impl_->siglip->encode(text);
    if (impl_->gemma) return impl_->gemma->encode(text);
    const icu::UnicodeString u = icu::UnicodeString::fromUTF8(clean(text));
    std::vector<int64_t> ids;
    auto emit_piece = [&](const icu::UnicodeString& piece) {
        std::string utf8;
        piece.toUTF8String(utf8);
        if (utf8 == "<start_of_text>" || utf8 == "<end_of_text>") {
            ids.push_back(utf8 == "<start_of_text>" ? impl_->sot : impl_->eot);
            return;
        }
        {
            const std::lock_guard<std::mutex> lock(impl_->cache_mutex);
            const auto cached = impl_->cache.find(utf8);
            if (cached != impl_->cache.end()) {
                ids.insert(ids.end(), cached->second.begin(), cached->second.end());
                return;
            }
        }
        std::string symbols;
        for (unsigned char b : utf8) symbols += impl_->byte_table[b];
        std::vector<int64_t> piece_ids;
        for (const auto& sym : impl_->bpe(symbols)) {
            auto it = impl_->encoder.find(sym);
            if (it == impl_->encoder.end())
                throw_input(impl_->source, "vocabulary has no entry for BPE symbol '" + sym + "'");
            piece_ids.push_back(it->second);
        }
        ids.insert(ids.end(), piece_ids.begin(), piece_ids.end());
        const std::lock_guard<std::mutex> lock(impl_->cache_mutex);
        impl_->cache.emplace(utf8, std::move(piece_ids));
    };
    const int32_t n = u.length();
    for (int32_t i = 0; i < n;) {
        // Literal alternatives first, in the reference regex's order: the special
        // tokens, then the contractions (the text is already lower-case).
        bool matched = false;
        for (const char* literal : {"<start_of_text>", "<end_of_text>", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d"}) {
            const icu::UnicodeString s = icu::UnicodeString::fromUTF8(literal);
            if (u.compare(i, s.length(), s) == 0) {
                emit_piece(s);
                i += s.length();
                matched = true;
                break;
            }
        }
        if (matched) continue;
        const UChar32 c = u.char32At(i);
        int32_t j = i;
        if (is_letter(c)) {
            while (j < n && is_letter(u.char32At(j))) j += U16_LENGTH(u.char32At(j));
        } else if (is_number(c)) {
            j += U16_LENGTH(c);
        } else if (!is_space(c)) {
            while (j < n) {
                const UChar32 d = u.char32At(j);
                if (is_space(d) || is_letter(d) || is_number(d)) break;
                j += U16_LENGTH(d);
            }
        } else {
            i += U16_LENGTH(c);  // whitespace matches nothing: skipped
            continue;
        }
        emit_piece(icu::UnicodeString(u, i, j - i));
        i = j;
    }
    return ids;
}

Int64Array Tokenizer::tokenize(const std::vector<std::string>& texts, int64_t context_length) const {
    Int64Array out({static_cast<int64_t>(texts.size()), context_length});
    // Every refused text is named at once, so a description pool is fixed in one go.
    std::vector<std::pair<size_t, std::string>> refused;  // (text number, why), the first 10
    size_t refused_count = 0;
    for (size_t t = 0; t < texts.size(); ++t) {
        std::vector<int64_t> ids;
        if (impl_->sot >= 0) ids.push_back(impl_->sot);
        std::vector<int64_t> body;
        try {
            body = encode(texts[t]);
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Unsupported) throw;
            if (++refused_count <= 10) refused.emplace_back(t + 1, e.what());
            continue;
        }
        ids.insert(ids.end(), body.begin(), body.end());
        if (impl_->eot >= 0) ids.push_back(impl_->eot);
        if (static_cast<int64_t>(ids.size()) > context_length) {
            ids.resize(static_cast<size_t>(context_length));
            if (impl_->eot >= 0) ids.back() = impl_->eot;
        }
        const auto row = out.data.begin() + static_cast<int64_t>(t) * context_length;
        std::copy(ids.begin(), ids.end(), row);
        std::fill(row + static_cast<int64_t>(ids.size()), row + context_length, impl_->pad);
    }
    if (refused_count == 1 && texts.size() == 1) throw Error(ErrorKind::Unsupported, refused.front().second);
    if (refused_count > 0) {
        std::string message = std::to_string(refused_count) + " of " + std::to_string(texts.size()) +
                              " texts are refused (docs/method.md §10.1):";
        for (const auto& [number, why] : refused) message += "\n  text " + std::to_string(number) + ": " + why;
        if (refused_count > refused.size())
            message += "\n  (and " + std::to_string(refused_count - refused.size()) + " more)";
        throw Error(ErrorKind::Unsupported, message);
    }
    return out;
}

}  // namespace clipscope
