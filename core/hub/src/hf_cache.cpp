#include "clipscope/hub/hf_cache.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"

namespace clipscope {
namespace fs = std::filesystem;
namespace {

std::string raw_env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

// Like huggingface_hub's paths: a leading ~ and $VAR / ${VAR} are expanded.
std::string expand_path(const std::string& value) {
    std::string s = value;
    if (!s.empty() && s[0] == '~' && (s.size() == 1 || s[1] == '/')) s = raw_env("HOME") + s.substr(1);
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '$') {
            out += s[i];
            continue;
        }
        const bool braced = i + 1 < s.size() && s[i + 1] == '{';
        size_t j = i + (braced ? 2 : 1);
        size_t k = j;
        while (k < s.size() && (std::isalnum(static_cast<unsigned char>(s[k])) || s[k] == '_')) ++k;
        if (k == j || (braced && (k >= s.size() || s[k] != '}'))) {
            out += s[i];  // not a variable: keep the dollar sign
            continue;
        }
        out += raw_env(s.substr(j, k - j).c_str());
        i = braced ? k : k - 1;
    }
    return out;
}

// Environment variables that hold paths are expanded; the others are read as they are.
std::string env(const char* name) {
    static const char* const kPaths[] = {"HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_TOKEN_PATH",
                                         "XDG_CACHE_HOME"};
    for (const char* p : kPaths)
        if (std::string(p) == name) return expand_path(raw_env(name));
    return raw_env(name);
}

bool truthy(const std::string& v) {
    std::string s;
    for (char c : v) s += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s == "1" || s == "ON" || s == "YES" || s == "TRUE";
}

std::string trim(std::string s) {
    s.erase(std::remove(s.begin(), s.end(), '\r'), s.end());
    s.erase(std::remove(s.begin(), s.end(), '\n'), s.end());
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// Reads a ref file; Python writes none with a newline, but users edit them by hand.
std::string read_ref(const fs::path& file) {
    std::ifstream in(file);
    std::string commit;
    std::getline(in, commit);
    return trim(commit);
}

uint64_t file_size_or_zero(const fs::path& p) {
    std::error_code ec;
    const auto n = fs::file_size(p, ec);
    return ec ? 0 : static_cast<uint64_t>(n);
}

HfCachedRevision describe_snapshot(const fs::path& snapshot, const std::string& commit) {
    HfCachedRevision rev;
    rev.commit = commit;
    rev.snapshot_folder = snapshot.string();
    for (const SnapshotFile& f : list_snapshot_files(snapshot.string())) {
        (f.present ? rev.files : rev.missing_files).push_back(f.name);
        rev.size_bytes += f.size;
    }
    if (!rev.missing_files.empty()) {
        // A link to a deleted blob (cache cleaned by hand): say which, rather than "no checkpoint".
        std::string names;
        for (const auto& m : rev.missing_files) names += (names.empty() ? "" : ", ") + m;
        rev.problem = names + " link(s) to deleted blobs; download the repo again";
    }
    return rev;
}

}  // namespace

std::string hf_home_dir() {
    if (!env("HF_HOME").empty()) return env("HF_HOME");
    if (!env("XDG_CACHE_HOME").empty()) return (fs::path(env("XDG_CACHE_HOME")) / "huggingface").string();
    return (fs::path(env("HOME")) / ".cache" / "huggingface").string();
}

std::string hf_hub_cache_dir() {
    if (!env("HF_HUB_CACHE").empty()) return env("HF_HUB_CACHE");
    if (!env("HUGGINGFACE_HUB_CACHE").empty()) return env("HUGGINGFACE_HUB_CACHE");
    return (fs::path(hf_home_dir()) / "hub").string();
}

HubSettings hub_settings_from_environment() {
    HubSettings s;
    if (!env("HF_ENDPOINT").empty()) s.endpoint = env("HF_ENDPOINT");
    while (!s.endpoint.empty() && s.endpoint.back() == '/') s.endpoint.pop_back();
    s.cache_dir = hf_hub_cache_dir();
    s.offline = truthy(env("HF_HUB_OFFLINE")) || truthy(env("TRANSFORMERS_OFFLINE"));
    s.disable_symlinks = truthy(env("HF_HUB_DISABLE_SYMLINKS"));
    if (!trim(env("HF_TOKEN")).empty()) {
        s.token = trim(env("HF_TOKEN"));
        s.token_source = "HF_TOKEN";
    } else if (!trim(env("HUGGING_FACE_HUB_TOKEN")).empty()) {
        s.token = trim(env("HUGGING_FACE_HUB_TOKEN"));
        s.token_source = "HUGGING_FACE_HUB_TOKEN";
    } else {
        const std::string path =
            !env("HF_TOKEN_PATH").empty() ? env("HF_TOKEN_PATH") : (fs::path(hf_home_dir()) / "token").string();
        std::ifstream in(path);
        if (in) {
            std::string token((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            s.token = trim(token);
            if (!s.token.empty()) s.token_source = path;
        }
    }
    if (!env("HF_HUB_DOWNLOAD_TIMEOUT").empty()) {
        try {
            s.timeout_seconds = std::max(1L, std::stol(env("HF_HUB_DOWNLOAD_TIMEOUT")));
        } catch (const std::exception&) {
            throw_usage("HF_HUB_DOWNLOAD_TIMEOUT='" + env("HF_HUB_DOWNLOAD_TIMEOUT") + "' is not a number of seconds");
        }
    }
    return s;
}

void check_repo_id(const std::string& repo_id) {
    // ORG/NAME, or a bare NAME for the hub's few organisation-less repos (stored as models--NAME).
    static const std::regex kRepo(R"(([A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*)");
    if (!std::regex_match(repo_id, kRepo) || repo_id.find("..") != std::string::npos ||
        repo_id.find("--") != std::string::npos)
        throw_usage("'" + repo_id + "' is not a Hugging Face repo id of the form ORG/NAME");
}

void check_relative_name(const std::string& name, const std::string& what) {
    // Names from users, sessions and servers become paths under the cache: only plain relative components.
    bool ok = !name.empty() && name.front() != '/' && name.back() != '/' && name.size() < 1024;
    size_t start = 0;
    while (ok && start <= name.size()) {
        const size_t end = std::min(name.find('/', start), name.size());
        const std::string part = name.substr(start, end - start);
        ok = !part.empty() && part != "." && part != ".." && std::none_of(part.begin(), part.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || c == '\\';
        });
        start = end + 1;
    }
    if (!ok)
        throw_usage("'" + name + "' is not a valid " + what +
                    " (a relative name without '.', '..', empty parts or control characters)");
}

std::string hf_repo_folder_name(const std::string& repo_id) {
    check_repo_id(repo_id);
    const auto slash = repo_id.find('/');
    if (slash == std::string::npos) return "models--" + repo_id;
    return "models--" + repo_id.substr(0, slash) + "--" + repo_id.substr(slash + 1);
}

bool is_commit_hash(const std::string& revision) {
    static const std::regex kCommit("[0-9a-f]{40}");
    return std::regex_match(revision, kCommit);
}

std::string resolve_hf_snapshot(const std::string& repo_id, const std::string& revision) {
    return resolve_hf_snapshot_in(hf_hub_cache_dir(), repo_id, revision);
}

std::string resolve_hf_snapshot_in(const std::string& cache_dir, const std::string& repo_id,
                                   const std::string& revision) {
    const fs::path cache = cache_dir;
    const fs::path repo = cache / hf_repo_folder_name(repo_id);
    std::error_code ec;
    if (!fs::is_directory(repo, ec))
        throw_input(repo.string(), "not in the Hugging Face cache (" + cache.string() +
                                       "); download it first: clipscope-cli download " + repo_id);
    check_relative_name(revision, "revision");
    std::string commit = revision;
    if (!is_commit_hash(revision)) {
        const fs::path ref = repo / "refs" / revision;
        if (!fs::is_regular_file(ref, ec))
            throw_input(ref.string(), "no such revision '" + revision + "' in the cache for " + repo_id);
        commit = read_ref(ref);
        if (!is_commit_hash(commit)) throw_input(ref.string(), "does not hold a 40-hex commit hash");
    }
    const fs::path snapshot = repo / "snapshots" / commit;
    if (!fs::is_directory(snapshot, ec))
        throw_input(snapshot.string(), "snapshot folder for revision '" + revision + "' is missing from the cache");
    return snapshot.string();
}

std::vector<HfCachedRepo> list_hf_cache(const std::string& cache_dir) {
    std::vector<HfCachedRepo> repos;
    std::error_code ec;
    if (!fs::is_directory(cache_dir, ec)) return repos;
    for (const auto& entry : fs::directory_iterator(cache_dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("models--", 0) != 0 || !entry.is_directory(ec)) continue;
        const std::string rest = name.substr(8);
        const auto sep = rest.find("--");
        HfCachedRepo repo;
        // Repos without an organisation ("gpt2") are stored as models--NAME.
        repo.repo_id = sep == std::string::npos ? rest : rest.substr(0, sep) + "/" + rest.substr(sep + 2);
        repo.folder = entry.path().string();
        for (const auto& blob : fs::directory_iterator(entry.path() / "blobs", ec)) {
            repo.blobs_bytes += file_size_or_zero(blob.path());
            if (blob.path().extension() == ".incomplete") ++repo.incomplete_downloads;
        }
        ec.clear();
        std::map<std::string, std::vector<std::string>> refs_by_commit;
        const fs::path refs = entry.path() / "refs";
        for (auto it = fs::recursive_directory_iterator(refs, ec); !ec && it != fs::recursive_directory_iterator();
             it.increment(ec))
            if (it->is_regular_file(ec))
                refs_by_commit[read_ref(it->path())].push_back(it->path().lexically_relative(refs).generic_string());
        ec.clear();
        std::vector<std::pair<fs::file_time_type, HfCachedRevision>> found;
        for (const auto& snap : fs::directory_iterator(entry.path() / "snapshots", ec)) {
            if (!snap.is_directory(ec)) continue;
            HfCachedRevision rev = describe_snapshot(snap.path(), snap.path().filename().string());
            rev.refs = refs_by_commit[rev.commit];
            found.emplace_back(fs::last_write_time(snap.path(), ec), std::move(rev));
        }
        ec.clear();
        std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        for (auto& [time, rev] : found) repo.revisions.push_back(std::move(rev));
        repos.push_back(std::move(repo));
    }
    std::sort(repos.begin(), repos.end(), [](const auto& a, const auto& b) { return a.repo_id < b.repo_id; });
    return repos;
}

std::vector<SnapshotFile> list_snapshot_files(const std::string& snapshot_folder) {
    std::vector<SnapshotFile> files;
    const fs::path snapshot(snapshot_folder);
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(snapshot, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        if (fs::is_directory(it->symlink_status(ec))) continue;
        SnapshotFile f;
        // lexically: fs::relative would follow the link and name the blob instead of the file.
        f.name = it->path().lexically_relative(snapshot).generic_string();
        f.present = fs::exists(it->path(), ec);
        if (f.present) f.size = file_size_or_zero(it->path());
        files.push_back(std::move(f));
    }
    std::sort(files.begin(), files.end(), [](const SnapshotFile& a, const SnapshotFile& b) { return a.name < b.name; });
    return files;
}

void place_snapshot_file(const std::string& repo_folder, const std::string& commit, const std::string& filename,
                         const std::string& etag, SnapshotEntry how) {
    check_relative_name(filename, "file name");
    check_relative_name(etag, "ETag");
    const fs::path entry = fs::path(repo_folder) / "snapshots" / commit / filename;
    const fs::path blob = fs::path(repo_folder) / "blobs" / etag;
    fs::create_directories(entry.parent_path());
    std::error_code ec;
    fs::remove(entry, ec);
    ec.clear();
    if (how == SnapshotEntry::Link) {
        fs::path target;
        const auto depth = std::count(filename.begin(), filename.end(), '/');
        for (long i = 0; i < depth + 2; ++i) target /= "..";
        fs::create_symlink(target / "blobs" / etag, entry, ec);
    } else if (how == SnapshotEntry::MoveBlob) {
        fs::rename(blob, entry, ec);
    } else {
        fs::copy_file(blob, entry, fs::copy_options::overwrite_existing, ec);
    }
    if (ec) throw_input(entry.string(), "cannot place blobs/" + etag + " in the snapshot: " + ec.message());
}

void write_ref(const std::string& repo_folder, const std::string& revision, const std::string& commit) {
    check_relative_name(revision, "revision");
    const fs::path ref = fs::path(repo_folder) / "refs" / revision;
    fs::create_directories(ref.parent_path());
    write_text_atomically(ref.string(), commit);
}

}  // namespace clipscope
