#pragma once
// Writes a file so that readers see either the old content or the complete new
// one, never a half-written file: data goes to a temporary name in the same
// folder, is flushed, and is renamed over the target.
#include <functional>
#include <ostream>
#include <string>

namespace clipscope {

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& writer);
void write_text_atomically(const std::string& path, const std::string& text);

// A process killed between writing the temporary file and renaming it leaves the
// temporary behind (.NAME.tmp-PID-N). Removes those in `folder` whose writer process
// is gone; a live writer's temporary is left alone. Resumable jobs call it on resume.
void remove_stale_temporaries(const std::string& folder);

// Reads a whole file; throws a clear InputFile error if it is missing or larger than max_bytes.
std::string read_file_bytes(const std::string& path, size_t max_bytes);

}  // namespace clipscope
