#include "clipscope/io/description_pool.h"

#include <algorithm>
#include <cstddef>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/base/text_file.h"

namespace clipscope {

bool DescriptionPool::every_text_has_family() const {
    return std::none_of(families.begin(), families.end(), [](const std::string& f) { return f.empty(); });
}

DescriptionPool parse_description_pool(const std::string& bytes, const std::string& path) {
    if (bytes.find('\0') != std::string::npos) throw_input(path, "a description file must be text (found a NUL byte)");
    DescriptionPool pool;
    pool.path = path;
    size_t start = 0, line_number = 0;
    while (start < bytes.size()) {
        size_t end = bytes.find('\n', start);
        if (end == std::string::npos) end = bytes.size();
        std::string line = bytes.substr(start, end - start);
        start = end + 1;
        ++line_number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        const size_t tab = line.find('\t');
        std::string family = tab == std::string::npos ? std::string() : line.substr(0, tab);
        std::string text = tab == std::string::npos ? line : line.substr(tab + 1);
        if (text.find_first_not_of(" \t") == std::string::npos)
            throw_input(path, "line " + std::to_string(line_number) + " has a family but no text after its tab");
        pool.families.push_back(std::move(family));
        pool.texts.push_back(std::move(text));
    }
    if (pool.texts.empty()) throw_input(path, "no descriptions in the file");
    return pool;
}

DescriptionPool read_description_pool(const std::string& path) {
    return parse_description_pool(read_text_file(path, size_t{256} << 20), path);
}

}  // namespace clipscope
