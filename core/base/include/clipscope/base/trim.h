#pragma once
// Text without the given characters at either end (spaces, tabs and line ends by
// default), for hand-written lists: class names, templates, head lists.
#include <string>

namespace clipscope {

inline std::string trim(const std::string& s, const char* whitespace = " \t\r\n") {
    const size_t first = s.find_first_not_of(whitespace);
    if (first == std::string::npos) return {};
    return s.substr(first, s.find_last_not_of(whitespace) - first + 1);
}

}  // namespace clipscope
