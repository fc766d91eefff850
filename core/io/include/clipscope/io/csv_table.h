#pragma once
// A CSV file with a header row (RFC 4180 quoting), as dataset metadata comes
// (e.g. Waterbirds' metadata.csv). Errors name the file and the line.
#include <string>
#include <vector>

namespace clipscope {

struct CsvTable {
    std::string path;
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;  // every row has header.size() fields
    // Index of a column; an input error naming the file and the columns it has when absent.
    size_t column(const std::string& name) const;
    bool has_column(const std::string& name) const;
};

CsvTable read_csv(const std::string& path);

// One field for writing: always quoted, embedded quotes doubled (what read_csv reads back).
std::string csv_field(const std::string& text);

}  // namespace clipscope
