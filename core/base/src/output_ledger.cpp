#include "clipscope/base/output_ledger.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <system_error>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/file_digest.h"
#include "clipscope/base/resources.h"

namespace clipscope {
namespace fs = std::filesystem;
namespace {

constexpr const char* kHeader = "clipscope output ledger 1";
constexpr auto kPruneInterval = std::chrono::hours(24);

fs::path ledger_folder() { return fs::path(user_cache_directory()) / "output-ledger"; }

std::string entry_path(const std::string& canonical) {
    char name[32];
    std::snprintf(name, sizeof name, "%016llx",
                  static_cast<unsigned long long>(fnv1a64_words(canonical.data(), canonical.size(), kFnv1a64Offset)));
    return (ledger_folder() / name).string();
}

std::string identity_line(const FileIdentity& id) {
    std::ostringstream line;
    line << id.device << ' ' << id.inode << ' ' << id.size << ' ' << id.modified_ns << ' ' << id.changed_ns;
    return line.str();
}

std::mutex& expected_mutex() {
    static std::mutex m;
    return m;
}
std::set<std::string>& expected() {
    static std::set<std::string> paths;
    return paths;
}

}  // namespace

std::string canonical_output_path(const std::string& path) {
    std::error_code ec;
    fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
    return ec ? fs::absolute(path).lexically_normal().string() : p.string();
}

void expect_outputs(const std::vector<std::string>& paths) {
    std::lock_guard<std::mutex> lock(expected_mutex());
    for (const auto& p : paths)
        if (!p.empty()) expected().insert(canonical_output_path(p));
}

void note_file_written(const std::string& path) noexcept {
    try {
        const std::string canonical = canonical_output_path(path);
        {
            std::lock_guard<std::mutex> lock(expected_mutex());
            if (!expected().count(canonical)) return;
        }
        const FileIdentity id = file_identity(path);
        if (id.size < 0) return;
        const std::string entry = entry_path(canonical);
        std::error_code ec;
        fs::create_directories(fs::path(entry).parent_path(), ec);
        write_text_atomically(entry, std::string(kHeader) + "\n" + canonical + "\n" + identity_line(id) + "\n");
        // At most once a day, so that the ledger does not grow by one entry per path ever
        // written: a stat per entry, done by whichever write comes first after a day.
        const fs::path stamp = ledger_folder() / ".last-pruned";
        const auto last = fs::last_write_time(stamp, ec);
        if (ec || fs::file_time_type::clock::now() - last > kPruneInterval) prune_output_ledger();
    } catch (...) {  // a ledger that cannot be written costs a refusal on rerun, never the output
    }
}

namespace {

struct Entry {
    std::string path, identity;  // "" when the entry file is unreadable or not a ledger entry
};

Entry read_entry(const std::string& entry) {
    std::ifstream in(entry);
    std::string header;
    Entry e;
    if (!std::getline(in, header) || header != kHeader || !std::getline(in, e.path) || !std::getline(in, e.identity))
        return {};
    return e;
}

// Whether an entry still vouches for `path`: the file there is the one recorded.
bool vouches(const Entry& e, const std::string& path) {
    const FileIdentity now = file_identity(path);
    return !e.path.empty() && e.path == path && now.size >= 0 && e.identity == identity_line(now);
}

}  // namespace

bool written_by_clipscope(const std::string& path) {
    const std::string canonical = canonical_output_path(path);
    return vouches(read_entry(entry_path(canonical)), canonical);
}

int64_t prune_output_ledger() {
    const fs::path folder = ledger_folder();
    std::error_code ec;
    std::vector<fs::path> stale;  // listed first: removing while iterating may skip entries
    for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const fs::path entry = it->path();
        if (entry.filename().string().front() == '.') continue;  // the prune stamp, temporaries
        const Entry e = read_entry(entry.string());
        if (entry.string() != entry_path(e.path) || !vouches(e, e.path)) stale.push_back(entry);
    }
    int64_t removed = 0;
    for (const auto& entry : stale) removed += fs::remove(entry, ec) ? 1 : 0;
    write_text_atomically((folder / ".last-pruned").string(), "entries whose file is gone or changed are removed\n");
    return removed;
}

}  // namespace clipscope
