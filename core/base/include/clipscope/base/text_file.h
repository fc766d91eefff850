#pragma once
// Hand-written text files (class names, templates, texts, image lists, description pools):
// read as UTF-8, whichever editor wrote them.
#include <string>
#include <vector>

namespace clipscope {

// The whole file as UTF-8 text, without a leading UTF-8 byte-order mark (Notepad writes
// one; left in, it becomes part of the first class name). UTF-16 or UTF-32 text (a BOM,
// or NUL bytes) is refused naming the file: read as UTF-8 it would give garbled texts
// that still embed. Missing or too large files are refused as by read_file_bytes.
std::string read_text_file(const std::string& path, size_t max_bytes);

// The file's lines, each without its line end ("\n" or "\r\n"); a final line end adds
// no empty line. Blank lines are kept, so line i stays row i.
std::vector<std::string> read_text_lines(const std::string& path, size_t max_bytes);

}  // namespace clipscope
