#include "clipscope/hub/hf_download.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "clipscope/base/error.h"
#include "clipscope/base/file_digest.h"
#include "http_client.h"

namespace clipscope {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxListingBytes = 16u << 20;  // a repo listing is a few kB; refuse anything absurd

[[noreturn]] void throw_network(const std::string& message) { throw Error(ErrorKind::Network, message); }

http::Options hub_options(const HubSettings& settings, bool with_token) {
    http::Options o;
    o.connect_timeout_seconds = settings.timeout_seconds;
    o.stall_timeout_seconds = settings.timeout_seconds;
    if (with_token && !settings.token.empty()) o.headers.push_back("Authorization: Bearer " + settings.token);
    return o;
}

// Turns a refused request into an error that says what to do about it.
[[noreturn]] void throw_refused(const HubSettings& settings, const std::string& what, const http::Response& r) {
    const std::string prefix = what + ": the hub answered HTTP " + std::to_string(r.status);
    if (r.status == 401) {
        if (settings.token.empty())
            throw_network(prefix +
                          " (authentication required). The repo is private or gated: set HF_TOKEN, or log in with "
                          "huggingface-cli login");
        throw_network(prefix + " (the token from " + settings.token_source + " was refused)");
    }
    if (r.status == 403)
        throw_network(
            prefix +
            " (forbidden). A gated repo: accept its conditions on the model page with the account of your token");
    if (r.status == 404) {
        if (!r.header("x-repo-commit").empty())
            throw_network(prefix + " (no such file at commit " + r.header("x-repo-commit") + ")");
        throw_network(prefix + " (repository or revision not found" +
                      std::string(settings.token.empty() ? "; if it is private, set HF_TOKEN)" : ")"));
    }
    throw_network(prefix);
}

std::string normalize_etag(std::string etag) {
    if (etag.rfind("W/", 0) == 0) etag = etag.substr(2);
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
    return etag;
}

bool is_hex(const std::string& s, size_t n) {
    return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
               return std::isxdigit(static_cast<unsigned char>(c)) && !std::isupper(static_cast<unsigned char>(c));
           });
}

uint64_t parse_size(const std::string& text) {
    if (text.empty() ||
        !std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        return 0;
    try {
        return std::stoull(text);
    } catch (const std::exception&) {
        return 0;
    }
}

// What HEAD on the resolve URL tells (file_download.py get_hf_file_metadata).
struct FileMetadata {
    std::string commit, etag, location;
    uint64_t size = 0;
};

FileMetadata head_file(const HubSettings& settings, const std::string& repo_id, const std::string& revision,
                       const std::string& filename, const std::function<bool()>& keep_going) {
    std::string url = settings.endpoint + "/" + repo_id + "/resolve/" + http::percent_encode(revision, "") + "/" +
                      http::percent_encode(filename, "/");
    http::Options options = hub_options(settings, true);
    options.keep_going = keep_going;
    options.total_timeout_seconds = 4 * settings.timeout_seconds;  // metadata only: a trickling answer is a dead server
    options.headers.push_back("Accept-Encoding: identity");        // so Content-Length is the real size
    for (int hop = 0; hop < 5; ++hop) {
        const http::Response r = http::head(url, options);
        const std::string location = r.header("location");
        const bool redirected = r.status >= 300 && r.status < 400;
        // A relative redirect means a renamed repo: ask again on the same host. Absolute ones point at the CDN.
        if (redirected && !location.empty() && location.front() == '/') {
            url = http::origin_of(url) + location;
            continue;
        }
        if (r.status >= 400) throw_refused(settings, repo_id + "/" + filename, r);
        FileMetadata m;
        m.commit = r.header("x-repo-commit");
        if (!is_commit_hash(m.commit))
            throw_network(url + ": no X-Repo-Commit header in the answer; " + settings.endpoint +
                          " does not look like a Hugging Face hub (check HF_ENDPOINT)");
        m.etag = normalize_etag(!r.header("x-linked-etag").empty() ? r.header("x-linked-etag") : r.header("etag"));
        // The ETag names the blob file: only plain characters (hex in practice).
        static const std::regex kEtag("[0-9A-Za-z_-]{1,128}");
        if (!std::regex_match(m.etag, kEtag)) throw_network(url + ": missing or unusable ETag '" + m.etag + "'");
        // Content-Length of a redirect is the redirect page's, not the file's (huggingface_hub ignores it too).
        if (!r.header("x-linked-size").empty())
            m.size = parse_size(r.header("x-linked-size"));
        else if (!redirected)
            m.size = parse_size(r.header("content-length"));
        m.location = (redirected && !location.empty()) ? location : url;
        return m;
    }
    throw_network(url + ": too many relative redirects");
}

// An exclusive lock on .locks/models--ORG--NAME/<etag>.lock, the same file Python's
// filelock takes, so two downloaders never write one blob at once.
class BlobLock {
public:
    BlobLock(const fs::path& path, const RunControl& control) {
        fs::create_directories(path.parent_path());
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd_ < 0) throw_input(path.string(), "cannot create the download lock file");
        while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            if (control.is_cancelled()) {
                ::close(fd_);
                control.check();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
    ~BlobLock() {
        ::flock(fd_, LOCK_UN);
        ::close(fd_);
    }
    BlobLock(const BlobLock&) = delete;
    BlobLock& operator=(const BlobLock&) = delete;

private:
    int fd_ = -1;
};

uint64_t size_or_zero(const fs::path& file) {
    std::error_code ec;
    const auto n = fs::file_size(file, ec);
    return ec ? 0 : static_cast<uint64_t>(n);
}

std::string verify_blob(const std::string& path, const std::string& etag, uint64_t expected_size,
                        const std::string& what, const std::function<bool()>& keep_going) {
    const uint64_t size = size_or_zero(path);
    if (expected_size && size != expected_size)
        throw_network(what + ": received " + std::to_string(size) + " bytes, the hub announced " +
                      std::to_string(expected_size));
    if (is_hex(etag, 64)) {
        const std::string got = sha256_file_hex(path, keep_going);
        if (got != etag)
            throw_network(what + ": checksum mismatch, SHA-256 " + got + " but the hub's ETag is " + etag +
                          "; the download was discarded");
        return "sha256";
    }
    if (is_hex(etag, 40)) {
        const std::string got = git_blob_sha1_file_hex(path, keep_going);
        if (got != etag)
            throw_network(what + ": checksum mismatch, git SHA-1 " + got + " but the hub's ETag is " + etag +
                          "; the download was discarded");
        return "git-sha1";
    }
    spdlog::warn("{}: ETag '{}' is neither a SHA-256 nor a git SHA-1; only the size was checked", what, etag);
    return "size only";
}

// A poll for the HTTP client and the checksum: false once the user cancels.
std::function<bool()> until_cancelled(const RunControl& control) {
    return [&control] { return !control.is_cancelled(); };
}

struct Progress {
    RunControl& control;
    uint64_t done = 0, total = 0;
    void report(const std::string& file) const {
        control.report(static_cast<int64_t>(done), static_cast<int64_t>(std::max(total, done)), file);
    }
};

// One GET of the blob into `partial`, appending from `have` bytes with a Range request.
// A 416 saying `have` already is the whole file (size unknown beforehand) is not an error.
void transfer_blob(const HubSettings& settings, const FileMetadata& meta, const fs::path& partial,
                   const std::string& what, Progress& progress, uint64_t& have, bool& resumed, uint64_t& transferred) {
    // The CDN URL is signed: never send the token to another host.
    const bool same_host = http::origin_of(meta.location) == http::origin_of(settings.endpoint);
    http::Options options = hub_options(settings, same_host);
    options.follow_redirects = true;
    options.keep_going = until_cancelled(progress.control);
    if (have > 0) options.headers.push_back("Range: bytes=" + std::to_string(have) + "-");
    std::ofstream out(partial, std::ios::binary | std::ios::app);
    if (!out) throw_input(partial.string(), "cannot be written (is the cache folder writable?)");
    const uint64_t asked_from = have;
    bool first_chunk = true;
    const auto sink = [&](long status, const char* data, size_t n) {
        if (status >= 300) return true;  // an error page is not the blob: keep it out of the file
        if (first_chunk && have > 0 && status == 200) {
            // The server ignored Range and sends the whole file: start the partial blob again.
            out.close();
            out.open(partial, std::ios::binary | std::ios::trunc);
            progress.done -= have;
            have = 0;
            resumed = false;
        }
        first_chunk = false;
        out.write(data, static_cast<std::streamsize>(n));
        have += n;
        progress.done += n;
        transferred += n;
        progress.report(what);
        return static_cast<bool>(out);
    };
    http::Response r;
    try {
        r = http::get_stream(meta.location, options, sink);
    } catch (const Error& e) {
        out.close();
        if (e.kind() == ErrorKind::Network)
            throw_network(std::string(e.what()) + "\nThe partial download is kept in " + partial.string() +
                          "; run the same command again to resume.");
        throw;
    }
    out.close();
    std::error_code ec;
    if (r.status == 416) {
        // "bytes */N": if N is what we hold, the file was complete already; otherwise it no longer fits.
        const std::string range = r.header("content-range");
        const auto star = range.find("*/");
        if (star != std::string::npos && parse_size(range.substr(star + 2)) == asked_from && asked_from > 0) return;
        fs::remove(partial, ec);
        throw_network(what +
                      ": the partial download does not fit the file on the server any more; it was removed, run the "
                      "command again");
    }
    if (r.status >= 400) throw_refused(settings, what, r);
    if (r.status == 206 && r.header("content-range").rfind("bytes " + std::to_string(asked_from) + "-", 0) != 0) {
        fs::remove(partial, ec);  // bytes from another offset were appended: the file is garbage
        throw_network(what + ": the server answered the Range request with another range (" +
                      r.header("content-range") + "); the partial download was removed, run the command again");
    }
}

// GETs the blob into blobs/<etag>.incomplete, resuming what an earlier run left there,
// verifies it and moves it to blobs/<etag>. A resumed file that fails its checksum is
// fetched once more from the start (the old part may have come from elsewhere).
std::string fetch_blob(const HubSettings& settings, const FileMetadata& meta, const fs::path& repo_folder,
                       const std::string& what, Progress& progress, bool& resumed, uint64_t& transferred) {
    const fs::path partial = repo_folder / "blobs" / (meta.etag + ".incomplete");
    std::error_code ec;
    const uint64_t done_before = progress.done;
    for (int attempt = 0;; ++attempt) {
        uint64_t have = size_or_zero(partial);
        if (meta.size && have > meta.size) {  // not a prefix of this blob: start again
            fs::remove(partial, ec);
            have = 0;
        }
        resumed = have > 0;
        progress.done = done_before + have;
        if (!meta.size || have < meta.size)
            transfer_blob(settings, meta, partial, what, progress, have, resumed, transferred);
        std::string checksum;
        try {
            checksum = verify_blob(partial.string(), meta.etag, meta.size, what, until_cancelled(progress.control));
        } catch (const Error& e) {
            if (e.kind() == ErrorKind::Cancelled) throw;  // keep the partial for next time
            fs::remove(partial, ec);                      // a corrupt blob must never be resumed or used
            if (resumed && attempt == 0) {
                spdlog::warn("{}; downloading the file again from the start", e.what());
                continue;
            }
            throw;
        }
        const fs::path blob = repo_folder / "blobs" / meta.etag;
        fs::rename(partial, blob, ec);
        if (ec) throw_input(blob.string(), "cannot move the finished download into place: " + ec.message());
        return checksum;
    }
}

}  // namespace

HubRepoListing fetch_hub_listing(const HubSettings& settings, const std::string& repo_id, const std::string& revision,
                                 const RunControl* control) {
    check_repo_id(repo_id);
    check_relative_name(revision, "revision");
    if (settings.offline)
        throw_network("HF_HUB_OFFLINE is set: not asking " + settings.endpoint + " for the files of " + repo_id);
    const std::string url = settings.endpoint + "/api/models/" + repo_id + "/revision/" +
                            http::percent_encode(revision, "") + "?blobs=true";
    http::Options options = hub_options(settings, true);
    options.follow_redirects = true;
    options.total_timeout_seconds = 6 * settings.timeout_seconds;
    if (control) options.keep_going = until_cancelled(*control);
    const http::Response r = http::get_text(url, options, kMaxListingBytes);
    if (r.status >= 400) throw_refused(settings, repo_id + "@" + revision, r);
    HubRepoListing listing;
    listing.repo_id = repo_id;
    try {
        const auto j = nlohmann::json::parse(r.body);
        listing.commit = j.value("sha", std::string());
        for (const auto& s : j.at("siblings")) {
            HubFile f;
            f.filename = s.at("rfilename").get<std::string>();
            // LFS files (weights) carry their size and SHA-256 in "lfs"; git files only a size.
            if (s.contains("lfs") && s["lfs"].is_object()) {
                f.size = s["lfs"].value("size", uint64_t{0});
                f.sha256 = s["lfs"].value("sha256", std::string());
            } else if (s.contains("size") && s["size"].is_number_unsigned()) {
                f.size = s["size"].get<uint64_t>();
            }
            listing.files.push_back(f);
        }
    } catch (const std::exception& e) {
        throw_network(url + ": the repo listing is not the hub's JSON (" + std::string(e.what()) + ")");
    }
    return listing;
}

std::vector<std::string> choose_model_files(const std::string& repo_id, const std::vector<std::string>& names) {
    const std::set<std::string> have(names.begin(), names.end());
    auto has = [&](const std::string& n) { return have.count(n) > 0; };
    std::vector<std::string> chosen;
    if (has("open_clip_model.safetensors") || has("open_clip_pytorch_model.safetensors")) {
        if (!has("open_clip_config.json"))
            throw_model(repo_id,
                        "has open_clip safetensors weights but no open_clip_config.json to read the architecture from");
        chosen = {
            has("open_clip_model.safetensors") ? "open_clip_model.safetensors" : "open_clip_pytorch_model.safetensors",
            "open_clip_config.json"};
    } else if (has("model.safetensors") && has("config.json")) {
        chosen = {"model.safetensors", "config.json"};
    } else if ((has("model.safetensors.index.json") && has("config.json")) ||
               (has("open_clip_model.safetensors.index.json") && has("open_clip_config.json"))) {
        // Sharded: the index and every shard named after it (NAME-00001-of-00004.safetensors).
        // Whether the shards are exactly the index's is checked when the model loads.
        const bool open_clip = has("open_clip_model.safetensors.index.json");
        const std::string stem = open_clip ? "open_clip_model" : "model";
        chosen = {stem + ".safetensors.index.json", open_clip ? "open_clip_config.json" : "config.json"};
        for (const auto& n : names)
            if (n.rfind(stem + "-", 0) == 0 && n.find("-of-") != std::string::npos && n.size() > 12 &&
                n.compare(n.size() - 12, 12, ".safetensors") == 0 && n.find('/') == std::string::npos)
                chosen.push_back(n);
        if (chosen.size() == 2)
            throw Error(ErrorKind::Unsupported, repo_id + " has " + chosen[0] + " but no " + stem +
                                                    "-NNNNN-of-NNNNN.safetensors shard beside it");
    } else {
        std::string found;
        for (const auto& n : names)
            if (n.find(".safetensors") != std::string::npos || n.find(".bin") != std::string::npos ||
                n.find(".pt") != std::string::npos)
                found += (found.empty() ? "" : ", ") + n;
        std::string why = "has no single-file safetensors checkpoint ClipScope can load";
        if (found.find("-of-") != std::string::npos) why += " (shards, but no safetensors index.json beside them)";
        if (!found.empty()) why += "; its weight files: " + found;
        why +=
            ". PyTorch pickles (.bin) are refused because loading them can run code; see README, 'Using a real model'.";
        throw Error(ErrorKind::Unsupported, repo_id + " " + why);
    }
    for (const char* extra :
         {"preprocessor_config.json", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json",
          "bpe_simple_vocab_16e6.txt.gz", "spiece.model", "tokenizer.model"})
        if (has(extra)) chosen.emplace_back(extra);
    // Transformers' config.json describes the model too; keep it beside open_clip weights for other tools.
    if (has("config.json") && std::find(chosen.begin(), chosen.end(), "config.json") == chosen.end())
        chosen.emplace_back("config.json");
    return chosen;
}

DownloadResult download_model(const DownloadRequest& request, const HubSettings& settings, RunControl& control) {
    check_repo_id(request.repo_id);
    DownloadResult result;
    result.repo_id = request.repo_id;
    result.revision = request.revision.empty() ? "main" : request.revision;
    check_relative_name(result.revision, "revision");
    const fs::path repo_folder = fs::path(settings.cache_dir) / hf_repo_folder_name(request.repo_id);

    if (settings.offline) {
        // Like huggingface_hub offline: whatever the cache holds for this revision, or an error.
        try {
            result.snapshot_folder = resolve_hf_snapshot_in(settings.cache_dir, request.repo_id, result.revision);
        } catch (const Error& e) {
            throw_network("HF_HUB_OFFLINE is set, so nothing is downloaded, and " + request.repo_id + "@" +
                          result.revision + " is not in the cache: " + e.what());
        }
        result.commit = fs::path(result.snapshot_folder).filename().string();
        result.offline = true;
        for (const SnapshotFile& f : list_snapshot_files(result.snapshot_folder))
            result.files.push_back({f.name, f.size, "", "", f.present ? "cached" : "missing (deleted blob)"});
        return result;
    }

    std::vector<HubFile> files;
    Progress progress{control};
    // The listing's commit pins every file to one commit, even if the branch moves meanwhile.
    std::string pinned = result.revision;
    if (request.files.empty()) {
        const HubRepoListing listing = fetch_hub_listing(settings, request.repo_id, result.revision, &control);
        if (is_commit_hash(listing.commit)) pinned = listing.commit;
        std::vector<std::string> names;
        for (const auto& f : listing.files) names.push_back(f.filename);
        for (const auto& name : choose_model_files(request.repo_id, names))
            for (const auto& f : listing.files)
                if (f.filename == name) files.push_back(f);
    } else {
        for (const auto& name : request.files) files.push_back({name, 0, ""});
    }
    for (const auto& f : files) {
        check_relative_name(f.filename, "file name inside the repo");
        progress.total += f.size;
    }

    fs::create_directories(repo_folder / "blobs");
    for (const auto& f : files) {
        control.check();
        const std::string what = request.repo_id + "/" + f.filename;
        const FileMetadata meta = head_file(settings, request.repo_id, pinned, f.filename, until_cancelled(control));
        if (!result.commit.empty() && meta.commit != result.commit)
            throw_network(what + ": the revision moved to commit " + meta.commit + " during the download (was " +
                          result.commit + "); run the command again");
        result.commit = meta.commit;
        if (f.size == 0) progress.total += meta.size;
        DownloadedFile out{f.filename, meta.size, meta.etag, "", ""};
        const fs::path snapshot_file = repo_folder / "snapshots" / meta.commit / f.filename;
        const fs::path blob = repo_folder / "blobs" / meta.etag;
        std::error_code ec;
        // Cached: the snapshot entry resolves to a file. Like huggingface_hub, a plain file
        // (written with HF_HUB_DISABLE_SYMLINKS) counts; a link to a deleted blob does not.
        if (fs::is_regular_file(snapshot_file, ec)) {
            out.status = "cached";
            progress.done += meta.size;
        } else {
            const std::string lock_name = hf_repo_folder_name(request.repo_id);
            BlobLock lock(fs::path(settings.cache_dir) / ".locks" / lock_name / (meta.etag + ".lock"), control);
            if (fs::is_regular_file(blob, ec)) {
                out.status = "linked";
                progress.done += meta.size;
            } else {
                bool resumed = false;
                out.checksum =
                    fetch_blob(settings, meta, repo_folder, what, progress, resumed, result.bytes_transferred);
                out.status = resumed ? "resumed" : "downloaded";
            }
            const SnapshotEntry how = !settings.disable_symlinks ? SnapshotEntry::Link
                                      : out.status == "linked"
                                          ? SnapshotEntry::CopyBlob  // the blob serves other snapshots too
                                          : SnapshotEntry::MoveBlob;
            place_snapshot_file(repo_folder.string(), meta.commit, f.filename, meta.etag, how);
        }
        progress.report(f.filename);
        spdlog::debug("{}: {} ({} bytes, etag {})", what, out.status, out.size, out.etag);
        result.files.push_back(out);
    }
    if (result.commit.empty()) throw_usage(request.repo_id + ": no files to download");
    if (!is_commit_hash(result.revision)) write_ref(repo_folder.string(), result.revision, result.commit);
    // huggingface_hub marks the cache root so backup tools skip it; do the same on a fresh cache.
    const fs::path tag = fs::path(settings.cache_dir) / "CACHEDIR.TAG";
    std::error_code ec;
    if (!fs::exists(tag, ec)) {
        std::ofstream t(tag);
        t << "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by clipscope "
             "(huggingface_hub layout).\n";
    }
    result.snapshot_folder = (repo_folder / "snapshots" / result.commit).string();
    return result;
}

const std::vector<CuratedModel>& curated_models() {
    // Sizes are the float32 safetensors weights as listed on the hub (docs/checkpoints.md §1.2).
    static const std::vector<CuratedModel> models = {
        {"OpenAI ViT-B/32", "timm/vit_base_patch32_clip_224.openai", "ViT-B-32", 605'000'000},
        {"OpenAI ViT-B/16", "timm/vit_base_patch16_clip_224.openai", "ViT-B-16", 599'000'000},
        {"OpenAI ViT-L/14", "timm/vit_large_patch14_clip_224.openai", "ViT-L-14", 1'710'000'000},
        {"LAION-2B ViT-B/32", "laion/CLIP-ViT-B-32-laion2B-s34B-b79K", "ViT-B-32", 605'000'000},
        {"LAION-2B ViT-B/16", "laion/CLIP-ViT-B-16-laion2B-s34B-b88K", "ViT-B-16", 599'000'000},
        {"LAION-2B ViT-L/14", "laion/CLIP-ViT-L-14-laion2B-s32B-b82K", "ViT-L-14", 1'710'000'000},
        {"LAION-2B ViT-H/14", "laion/CLIP-ViT-H-14-laion2B-s32B-b79K", "ViT-H-14", 3'940'000'000},
        {"LAION-2B ViT-bigG/14", "laion/CLIP-ViT-bigG-14-laion2B-39B-b160k", "ViT-bigG-14", 10'200'000'000},
        // SigLIP (transformers layout): 4 bytes per parameter of the whole model (SigLIP 2's
        // Gemma vocabulary of 256k tokens makes its text tower the larger part).
        {"SigLIP B/16 224", "google/siglip-base-patch16-224", "SigLIP-B-16-224", 813'000'000},
        {"SigLIP L/16 256", "google/siglip-large-patch16-256", "SigLIP-L-16-256", 2'610'000'000},
        {"SigLIP So400m/14 384", "google/siglip-so400m-patch14-384", "SigLIP-SO400M-14-384", 3'510'000'000},
        {"SigLIP 2 B/16 224", "google/siglip2-base-patch16-224", "SigLIP-B-16-224", 1'500'000'000},
        {"SigLIP 2 L/16 256", "google/siglip2-large-patch16-256", "SigLIP-L-16-256", 3'530'000'000},
        {"SigLIP 2 So400m/14 384", "google/siglip2-so400m-patch14-384", "SigLIP-SO400M-14-384", 4'540'000'000},
    };
    return models;
}

}  // namespace clipscope
