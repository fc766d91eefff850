#pragma once
// open_clip's text cleaning before tokenisation (basic_clean: ftfy.fix_text, then
// html.unescape twice, then strip), on UTF-32 text. Internal to the model module: the
// tokenizer is its one user. docs/method.md §10.1 says what is
// reproduced and what is refused.
#include <string>

namespace clipscope {

// Python's html.unescape, exactly: HTML5 named references (names without ';' by the
// longest-prefix rule), numeric references with its replacements and dropped code points.
std::u32string python_html_unescape(const std::u32string& text);

// ftfy.fix_text with its default settings, for every text whose result does not hang on
// ftfy's mojibake heuristics or on its version: HTML entities (not in a text holding '<'),
// Latin ligatures, character width, curly quotes, line breaks, terminal escapes, control
// characters and NFC, repeated until nothing changes. A text ftfy might re-decode as
// mojibake, one holding a C1 control character, or one whose entities ftfy versions treat
// differently, is refused: Error Unsupported naming the text and why.
std::u32string ftfy_fix_text(const std::u32string& text);

}  // namespace clipscope
