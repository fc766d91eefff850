#pragma once
// Downloads a CLIP model from the Hugging Face hub into the hub cache, in the
// layout Python's huggingface_hub writes (so Python finds it too), fetching only
// what ClipScope loads: the safetensors weights, configs and tokenizer files.
// Follows huggingface_hub's protocol (docs/checkpoints.md §2.3): HEAD the resolve
// URL for commit (X-Repo-Commit), ETag and size, GET the (CDN) location, resume a
// partial blob with a Range request, verify SHA-256 (LFS) or git SHA-1, rename
// into blobs/, link from snapshots/<commit>/, and record refs/<revision>.
#include <cstdint>
#include <string>
#include <vector>

#include "clipscope/hub/hf_cache.h"
#include "clipscope/base/run_control.h"

namespace clipscope {

struct HubFile {
    std::string filename;
    uint64_t size = 0;   // 0 when the listing did not say
    std::string sha256;  // of LFS files (weights), when the listing says
};

// GET {endpoint}/api/models/{repo}/revision/{revision}?blobs=true: commit and files.
struct HubRepoListing {
    std::string repo_id;
    std::string commit;
    std::vector<HubFile> files;
};
// control (optional) cancels the request.
HubRepoListing fetch_hub_listing(const HubSettings& settings, const std::string& repo_id, const std::string& revision,
                                 const RunControl* control = nullptr);

// The files of a repo ClipScope needs, given its file names. Prefers open_clip
// safetensors (+ open_clip_config.json), else transformers model.safetensors
// (+ config.json); adds preprocessor and tokenizer files. Throws Unsupported,
// naming what the repo holds, when there is no safetensors checkpoint to load.
std::vector<std::string> choose_model_files(const std::string& repo_id, const std::vector<std::string>& names);

struct DownloadRequest {
    std::string repo_id;
    std::string revision = "main";
    std::vector<std::string> files;  // empty: list the repo and choose_model_files
};

struct DownloadedFile {
    std::string filename;
    uint64_t size = 0;
    std::string etag;
    std::string checksum;  // "sha256", "git-sha1" or "size only"
    std::string status;    // "cached", "linked" (blob already present), "downloaded", "resumed"
};

struct DownloadResult {
    std::string repo_id, revision, commit;
    std::string snapshot_folder;
    std::vector<DownloadedFile> files;
    uint64_t bytes_transferred = 0;
    bool offline = false;  // served from the cache because HF_HUB_OFFLINE is set
};

// Progress is reported as (bytes done, bytes total, file name); cancel leaves the
// partial blob (blobs/<etag>.incomplete) for the next call to resume.
DownloadResult download_model(const DownloadRequest& request, const HubSettings& settings, RunControl& control);

// Curated CLIP ViT models known to work, for the app's "Get a model" list.
struct CuratedModel {
    std::string title;      // "OpenAI ViT-B/16"
    std::string repo_id;    // the hub repo
    std::string family;     // open_clip architecture name
    uint64_t approx_bytes;  // weights size (float32), for the list
};
const std::vector<CuratedModel>& curated_models();

}  // namespace clipscope
