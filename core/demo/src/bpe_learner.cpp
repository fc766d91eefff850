#include "clipscope/demo/bpe_learner.h"

#include <zlib.h>

#include <cctype>
#include <filesystem>
#include <map>

#include "clipscope/base/error.h"
#include "clipscope/model/tokenizer.h"

namespace clipscope {
namespace {

std::vector<std::string> words_of(const std::string& text) {
    const std::string clean = Tokenizer::clean(text);
    std::vector<std::string> words;
    size_t i = 0;
    while (i < clean.size()) {
        const auto c = static_cast<unsigned char>(clean[i]);
        size_t j = i + 1;
        if (std::isspace(c)) {
            i = j;
            continue;
        }
        if (std::isalpha(c))
            while (j < clean.size() && std::isalpha(static_cast<unsigned char>(clean[j]))) ++j;
        else if (!std::isdigit(c))
            while (j < clean.size() && !std::isspace(static_cast<unsigned char>(clean[j])) &&
                   !std::isalnum(static_cast<unsigned char>(clean[j])))
                ++j;
        words.push_back(clean.substr(i, j - i));
        i = j;
    }
    return words;
}

}  // namespace

std::vector<std::string> learn_bpe_merges(const std::vector<std::string>& corpus, int max_merges, int min_count) {
    const auto symbols = bpe_byte_symbols();
    std::map<std::string, int64_t> frequency;
    for (const auto& text : corpus)
        for (const auto& w : words_of(text)) ++frequency[w];
    std::vector<std::pair<std::vector<std::string>, int64_t>> words;
    for (const auto& [w, f] : frequency) {
        std::vector<std::string> s;
        for (unsigned char c : w) s.push_back(symbols[c]);
        s.back() += "</w>";
        words.emplace_back(std::move(s), f);
    }
    std::vector<std::string> merges;
    while (static_cast<int>(merges.size()) < max_merges) {
        std::map<std::pair<std::string, std::string>, int64_t> pairs;
        for (const auto& [s, f] : words)
            for (size_t k = 0; k + 1 < s.size(); ++k) pairs[{s[k], s[k + 1]}] += f;
        auto best = pairs.end();
        for (auto it = pairs.begin(); it != pairs.end(); ++it)
            if (best == pairs.end() || it->second > best->second) best = it;  // map order: ties keep the smaller pair
        if (best == pairs.end() || best->second < min_count) break;
        const auto [a, b] = best->first;
        merges.push_back(a + " " + b);
        for (auto& [s, f] : words) {
            std::vector<std::string> merged;
            for (size_t k = 0; k < s.size(); ++k) {
                if (k + 1 < s.size() && s[k] == a && s[k + 1] == b) {
                    merged.push_back(a + b);
                    ++k;
                } else {
                    merged.push_back(s[k]);
                }
            }
            s = std::move(merged);
        }
    }
    return merges;
}

void write_bpe_vocabulary(const std::string& path, const std::vector<std::string>& merges) {
    std::string text = "#version: 0.2\n";
    for (const auto& m : merges) text += m + "\n";
    const std::string temp = path + ".tmp";
    gzFile gz = gzopen(temp.c_str(), "wb9");
    if (!gz) throw_input(temp, "cannot create");
    const bool ok = gzwrite(gz, text.data(), static_cast<unsigned>(text.size())) == static_cast<int>(text.size());
    if (gzclose(gz) != Z_OK || !ok) throw_input(temp, "gzip write failed");
    std::error_code ec;
    std::filesystem::rename(temp, path, ec);
    if (ec) throw_input(path, "cannot move into place: " + ec.message());
}

}  // namespace clipscope
