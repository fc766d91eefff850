#pragma once
// Description pools: the candidate texts TextSpan picks from, one per line of a text
// file. A line "FAMILY<TAB>text" also names the text's family (the demo model's pool
// groups its texts into shape, colour, position, habitat); a line without a tab is
// the text alone. The same file gives the same texts to every command and the app.
#include <string>
#include <vector>

namespace clipscope {

struct DescriptionPool {
    std::vector<std::string> texts;     // in file order
    std::vector<std::string> families;  // one per text; "" where the line had no FAMILY<TAB>
    std::string path;

    bool every_text_has_family() const;
};

// Lines end in \n or \r\n; blank lines are skipped; the rest of a line is kept as
// written (the reference's labels keep inner and trailing spaces). Throws an input
// error naming the file when it is unreadable, not UTF-8 text (NUL bytes), or holds
// no description.
DescriptionPool read_description_pool(const std::string& path);
DescriptionPool parse_description_pool(const std::string& bytes, const std::string& path);

}  // namespace clipscope
