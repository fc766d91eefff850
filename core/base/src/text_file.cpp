#include "clipscope/base/text_file.h"

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"

namespace clipscope {

std::string read_text_file(const std::string& path, size_t max_bytes) {
    std::string text = read_file_bytes(path, max_bytes);
    const auto starts = [&](const char* prefix) { return text.rfind(prefix, 0) == 0; };
    if (starts("\xFF\xFE") || starts("\xFE\xFF"))
        throw_input(path, "is UTF-16 or UTF-32 text (it starts with a byte-order mark); save it as UTF-8");
    if (text.find('\0') != std::string::npos)
        throw_input(path, "contains NUL bytes (UTF-16 text, or not text at all); save it as UTF-8 text");
    if (starts("\xEF\xBB\xBF")) text.erase(0, 3);
    return text;
}

std::vector<std::string> read_text_lines(const std::string& path, size_t max_bytes) {
    const std::string text = read_text_file(path, max_bytes);
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(std::move(line));
        start = end + 1;
    }
    return lines;
}

}  // namespace clipscope
