#pragma once
// Which files at output paths ClipScope wrote itself. A rerun may replace its own earlier
// output, but a file of the user's that happens to lie at an output path (notes.csv given
// as --csv, a photo named like a heatmap prefix) is refused by check_output_plan. Each
// output is recorded after it is written, in the user's cache directory
// (output-ledger/, one small file per path, holding the path and the file's stat
// identity); an entry whose file has since been edited, replaced or copied no longer counts.
#include <cstdint>
#include <string>
#include <vector>

namespace clipscope {

// One spelling per file, whichever path it was given by: absolute, with symlinks of the
// existing part resolved (the tail may not exist yet). The guard compares outputs with
// inputs by it and the ledger keys its entries by it.
std::string canonical_output_path(const std::string& path);

// Marks paths as this process's outputs (check_output_plan does, for every plan it passes):
// only those are recorded when written, so a store's own bookkeeping files are not.
void expect_outputs(const std::vector<std::string>& paths);

// Writers call it once the file is complete and renamed into place. Records the file if it
// was expected; never throws (an unwritable cache only means a later rerun is refused).
void note_file_written(const std::string& path) noexcept;

// True when `path` is a file recorded as written by ClipScope and unchanged since.
bool written_by_clipscope(const std::string& path);

// Removes the entries that no longer vouch for anything (their file is gone, edited or
// replaced) and returns how many; note_file_written calls it about once a day. A rerun
// racing a prune at worst loses its own entry, which costs a refusal, never a file.
int64_t prune_output_ledger();

}  // namespace clipscope
