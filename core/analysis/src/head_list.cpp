#include "clipscope/analysis/head_list.h"

#include <cctype>

#include "clipscope/base/error.h"
#include "clipscope/base/trim.h"

namespace clipscope {
namespace {

// Only spaces and tabs around an item: a line end inside a head list is malformed.
constexpr const char* kSpaces = " \t";

// Digits only (no sign, no spaces, no suffix), and small enough to be an index.
bool parse_index(const std::string& s, int64_t& out) {
    if (s.empty() || s.size() > 9) return false;
    for (const char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out = std::stoll(s);
    return true;
}

void check_bounds(const HeadRef& ref, const std::string& item, const std::string& what, int64_t layers, int64_t heads) {
    if (layers > 0 && ref.layer >= layers)
        throw_usage(what + ": '" + item + "' names layer " + std::to_string(ref.layer) +
                    ", but the model has layers 0.." + std::to_string(layers - 1));
    if (heads > 0 && ref.head >= heads)
        throw_usage(what + ": '" + item + "' names head " + std::to_string(ref.head) + ", but the model has heads 0.." +
                    std::to_string(heads - 1));
}

}  // namespace

HeadRef parse_head_ref(const std::string& text, const std::string& what, bool allow_mlp, int64_t layers,
                       int64_t heads) {
    const std::string item = trim(text, kSpaces);
    const size_t dot = item.find('.');
    HeadRef ref;
    const std::string form = allow_mlp ? "LAYER.HEAD or LAYER.MLP" : "LAYER.HEAD";
    if (dot == std::string::npos || !parse_index(item.substr(0, dot), ref.layer))
        throw_usage(what + " takes " + form + " (0-based), got '" + item + "'");
    const std::string second = item.substr(dot + 1);
    if (allow_mlp && second == "MLP")
        ref.head = kMlpHead;
    else if (!parse_index(second, ref.head))
        throw_usage(what + " takes " + form + " (0-based), got '" + item + "'");
    check_bounds(ref, item, what, layers, heads);
    return ref;
}

HeadList parse_head_list(const std::string& text, const std::string& what, int64_t layers, int64_t heads) {
    HeadList out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(',', start);
        if (end == std::string::npos) end = text.size();
        const std::string item = text.substr(start, end - start);
        if (trim(item, kSpaces).empty())
            throw_usage(what + " takes LAYER.HEAD items separated by commas, got an empty item in '" + text + "'");
        const HeadRef ref = parse_head_ref(item, what, false, layers, heads);
        out.emplace_back(ref.layer, ref.head);
        start = end + 1;
    }
    return out;
}

std::string head_list_text(const HeadList& heads) {
    std::string out;
    for (const auto& [l, h] : heads) out += (out.empty() ? "" : ",") + std::to_string(l) + "." + std::to_string(h);
    return out;
}

}  // namespace clipscope
