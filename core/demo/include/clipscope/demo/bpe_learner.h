#pragma once
// Learns a byte-level BPE vocabulary from a corpus, in CLIP's scheme (words end
// with "</w>", bytes shown through bytes_to_unicode), and writes it in CLIP's
// vocabulary file format so the ordinary tokenizer loads it. Used for the demo
// model's own small vocabulary.
#include <string>
#include <vector>

namespace clipscope {

// Merges, most frequent pair first ("a b" lines), until `max_merges` or no pair
// occurs `min_count` times. Words are the tokenizer's cleaned text split into runs
// of ASCII letters, single digits and runs of other non-space bytes (the CLIP
// regex, for ASCII text). Ties go to the lexicographically smaller pair.
std::vector<std::string> learn_bpe_merges(const std::vector<std::string>& corpus, int max_merges, int min_count = 2);

// Gzip-compressed "#version: 0.2" header + one merge per line, written atomically.
void write_bpe_vocabulary(const std::string& path, const std::vector<std::string>& merges);

}  // namespace clipscope
