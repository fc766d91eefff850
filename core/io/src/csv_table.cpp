#include "clipscope/io/csv_table.h"

#include <algorithm>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/base/text_file.h"

namespace clipscope {

size_t CsvTable::column(const std::string& name) const {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) {
        std::string have;
        for (const auto& h : header) have += (have.empty() ? "" : ", ") + h;
        throw_input(path, "has no column '" + name + "' (columns: " + have + ")");
    }
    return static_cast<size_t>(it - header.begin());
}

bool CsvTable::has_column(const std::string& name) const {
    return std::find(header.begin(), header.end(), name) != header.end();
}

std::string csv_field(const std::string& text) {
    std::string q = "\"";
    for (char c : text) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

CsvTable read_csv(const std::string& path) {
    const std::string text = read_text_file(path, size_t{1} << 30);
    CsvTable t;
    t.path = path;
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false, any = false;
    size_t line = 1, row_line = 1;
    auto end_row = [&] {
        fields.push_back(field);
        field.clear();
        const bool blank = fields.size() == 1 && fields[0].empty();
        if (!blank) {
            if (t.header.empty())
                t.header = fields;
            else if (fields.size() != t.header.size())
                throw_input(path, "line " + std::to_string(row_line) + " has " + std::to_string(fields.size()) +
                                      " fields, the header " + std::to_string(t.header.size()));
            else
                t.rows.push_back(fields);
        }
        fields.clear();
        any = false;
    };
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"')
                field += '"', ++i;
            else if (c == '"')
                quoted = false;
            else {
                if (c == '\n') ++line;
                field += c;
            }
            continue;
        }
        if (c == '"' && field.empty())
            quoted = true, any = true;
        else if (c == ',')
            fields.push_back(field), field.clear(), any = true;
        else if (c == '\r')
            continue;
        else if (c == '\n') {
            end_row();
            row_line = ++line;
        } else
            field += c, any = true;
    }
    if (quoted) throw_input(path, "a quoted field opened on line " + std::to_string(row_line) + " never closes");
    if (any || !field.empty() || !fields.empty()) end_row();
    if (t.header.empty()) throw_input(path, "is empty (a CSV file with a header row is expected)");
    return t;
}

}  // namespace clipscope
