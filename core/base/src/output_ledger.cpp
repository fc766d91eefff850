#include "clipscope/base/output_ledger.h"

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

// One spelling per file, whichever path it was given by (the tail may not exist yet).
std::string canonical_path(const std::string& path) {
    std::error_code ec;
    fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
    return ec ? fs::absolute(path).lexically_normal().string() : p.string();
}

std::string entry_path(const std::string& canonical) {
    char name[32];
    std::snprintf(name, sizeof name, "%016llx",
                  static_cast<unsigned long long>(fnv1a64_words(canonical.data(), canonical.size(), kFnv1a64Offset)));
    return (fs::path(user_cache_directory()) / "output-ledger" / name).string();
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

void expect_outputs(const std::vector<std::string>& paths) {
    std::lock_guard<std::mutex> lock(expected_mutex());
    for (const auto& p : paths)
        if (!p.empty()) expected().insert(canonical_path(p));
}

void note_file_written(const std::string& path) noexcept {
    try {
        const std::string canonical = canonical_path(path);
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
    } catch (...) {  // a ledger that cannot be written costs a refusal on rerun, never the output
    }
}

bool written_by_clipscope(const std::string& path) {
    const std::string canonical = canonical_path(path);
    std::ifstream in(entry_path(canonical));
    std::string header, recorded_path, recorded_identity;
    if (!std::getline(in, header) || !std::getline(in, recorded_path) || !std::getline(in, recorded_identity))
        return false;
    const FileIdentity now = file_identity(path);
    return header == kHeader && recorded_path == canonical && now.size >= 0 && recorded_identity == identity_line(now);
}

}  // namespace clipscope
