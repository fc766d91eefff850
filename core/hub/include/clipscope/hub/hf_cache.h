#pragma once
// The Hugging Face hub cache, read and written exactly as huggingface_hub lays it
// out (docs/checkpoints.md §2.4), so models downloaded from Python are found here
// without copying and models downloaded here are found by Python:
//   models--ORG--NAME/blobs/<etag>, snapshots/<commit>/<file> -> ../../blobs/<etag>,
//   refs/<revision> (a 40-hex commit, no trailing newline).
#include <cstdint>
#include <string>
#include <vector>

namespace clipscope {

// Where and how to talk to the hub; read from the environment like huggingface_hub:
// HF_ENDPOINT, HF_HUB_CACHE / HUGGINGFACE_HUB_CACHE / HF_HOME / XDG_CACHE_HOME,
// HF_TOKEN / HUGGING_FACE_HUB_TOKEN / HF_TOKEN_PATH ($HF_HOME/token), HF_HUB_OFFLINE
// (or TRANSFORMERS_OFFLINE), HF_HUB_DOWNLOAD_TIMEOUT, HF_HUB_DISABLE_SYMLINKS.
struct HubSettings {
    std::string endpoint = "https://huggingface.co";
    std::string cache_dir;
    std::string token;         // "" = anonymous
    std::string token_source;  // which variable or file the token came from (never the token itself)
    bool offline = false;
    bool disable_symlinks = false;  // HF_HUB_DISABLE_SYMLINKS: snapshots hold files, not links
    long timeout_seconds = 10;      // connect timeout and stall limit
};
HubSettings hub_settings_from_environment();

// $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface.
std::string hf_home_dir();
// The hub cache folder: HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE, else HF_HOME/hub.
std::string hf_hub_cache_dir();

// Throws a Usage error unless repo_id looks like ORG/NAME (or a bare NAME).
void check_repo_id(const std::string& repo_id);
// Throws a Usage error unless name is a relative path of plain components (no '.', '..',
// empty parts, leading '/', control characters): revisions and file names become cache paths.
void check_relative_name(const std::string& name, const std::string& what);
// "models--ORG--NAME" for "ORG/NAME".
std::string hf_repo_folder_name(const std::string& repo_id);
bool is_commit_hash(const std::string& revision);

// Snapshot folder of ORG/NAME at a revision (branch, tag or 40-hex commit), without network.
std::string resolve_hf_snapshot(const std::string& repo_id, const std::string& revision);
std::string resolve_hf_snapshot_in(const std::string& cache_dir, const std::string& repo_id,
                                   const std::string& revision);

// One snapshot of a cached repo, with whether ClipScope can load it and why not.
struct HfCachedRevision {
    std::string commit;
    std::vector<std::string> refs;  // branch/tag names pointing at this commit
    std::string snapshot_folder;
    std::vector<std::string> files;  // relative names; dangling links are listed in missing_files
    std::vector<std::string> missing_files;
    uint64_t size_bytes = 0;  // of the files the snapshot links to
    // Filled by list_cached_models (clipscope/model/cached_models.h), which knows the
    // model formats; list_hf_cache itself only reads the cache's layout.
    bool loadable = false;
    std::string format;   // model format when loadable ("open_clip-safetensors", ...)
    std::string problem;  // why it is not loadable, or a warning (e.g. no tokenizer files)
    bool has_tokenizer = false;
};

struct HfCachedRepo {
    std::string repo_id;  // ORG/NAME
    std::string folder;
    uint64_t blobs_bytes = 0;  // the repo's share of the cache on disk
    int incomplete_downloads = 0;
    std::vector<HfCachedRevision> revisions;  // newest snapshot first
};

// Every model repo in the cache (datasets and spaces are skipped), sorted by repo id.
// A missing cache folder gives an empty list; unreadable entries are reported, not thrown.
// The cache's layout: repos, revisions, files and sizes (no model format is checked here).
std::vector<HfCachedRepo> list_hf_cache(const std::string& cache_dir);

// The files of a snapshot folder, sorted, named relative to it (not by the blob a link
// points at); a link whose blob was deleted is listed with present = false and size 0.
struct SnapshotFile {
    std::string name;
    uint64_t size = 0;
    bool present = true;
};
std::vector<SnapshotFile> list_snapshot_files(const std::string& snapshot_folder);

// Writing side, used by the downloader: puts blobs/<etag> at snapshots/<commit>/<file>,
// replacing what was there. Link: a relative link ../../blobs/<etag> (one more ../ per
// sub-folder of file), as huggingface_hub writes. MoveBlob / CopyBlob: the file itself,
// for HF_HUB_DISABLE_SYMLINKS (huggingface_hub moves a fresh download there).
enum class SnapshotEntry { Link, MoveBlob, CopyBlob };
void place_snapshot_file(const std::string& repo_folder, const std::string& commit, const std::string& filename,
                         const std::string& etag, SnapshotEntry how = SnapshotEntry::Link);
// refs/<revision> <- commit, atomically and without a trailing newline (Python compares the raw text).
void write_ref(const std::string& repo_folder, const std::string& revision, const std::string& commit);

}  // namespace clipscope
