// clipscope-cli download: a CLIP model from the Hugging Face hub into the hub cache.
#include <cstdio>

#include "cli_common.h"
#include "clipscope/hub/hf_download.h"
#include "commands.h"
#include "console_progress.h"

namespace clipscope::cli {

void register_download(CLI::App& app) {
    struct Options {
        std::string repo, revision = "main", cache;
        std::vector<std::string> files;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand(
        "download", "Download a CLIP model from the Hugging Face hub into the hub cache (Python finds it there too)");
    cmd->add_option("repo", o->repo, "Hub repo id, ORG/NAME")->required();
    cmd->add_option("--revision", o->revision, "Branch, tag or commit")->capture_default_str();
    cmd->add_option(
        "--file", o->files,
        "Fetch only these files (repeatable); default: the safetensors weights, configs and tokenizer files");
    cmd->add_option("--cache", o->cache,
                    "Hub cache folder (default: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub)");
    cmd->add_flag("--json", o->json, "Print the result as JSON (files, status, checksums, snapshot folder)");
    std::string curated;
    for (const auto& m : curated_models())
        curated += "\n  " + m.repo_id + "  (" + m.title + ", ~" + std::to_string(m.approx_bytes / 1'000'000) + " MB)";
    cmd->footer(
        "Environment: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN or $HF_HOME/token for private\n"
        "and gated repos, HF_HUB_OFFLINE=1 (use only the cache), HF_HUB_DOWNLOAD_TIMEOUT (seconds),\n"
        "HF_HUB_DISABLE_SYMLINKS=1 (store files in the snapshot instead of linking to blobs).\n"
        "An interrupted download (Ctrl+C, lost connection) resumes where it stopped when run again.\n"
        "Every file is checked against the hub's SHA-256 (weights) or git SHA-1 (small files).\n"
        "Curated CLIP ViTs (architectures ClipScope runs; a repo without a safetensors checkpoint is\nreported before "
        "anything is fetched):" +
        curated +
        "\nExamples:\n"
        "  clipscope-cli download laion/CLIP-ViT-B-16-laion2B-s34B-b88K\n"
        "  clipscope-cli info --model hf-hub:laion/CLIP-ViT-B-16-laion2B-s34B-b88K");
    cmd->callback([o] {
        HubSettings settings = hub_settings_from_environment();
        if (!o->cache.empty()) settings.cache_dir = o->cache;
        const DownloadResult result = with_console_progress(
            "download " + o->repo,
            [&](RunControl& control) {
                return download_model({o->repo, o->revision, o->files}, settings, control);
            },
            true);
        if (o->json) {
            nlohmann::json files = nlohmann::json::array();
            for (const auto& f : result.files)
                files.push_back({{"file", f.filename},
                                 {"size", f.size},
                                 {"etag", f.etag},
                                 {"checksum", f.checksum},
                                 {"status", f.status}});
            print_json({{"repo_id", result.repo_id},
                        {"revision", result.revision},
                        {"commit", result.commit},
                        {"snapshot", result.snapshot_folder},
                        {"offline", result.offline},
                        {"bytes_transferred", result.bytes_transferred},
                        {"files", files},
                        {"model_spec",
                         "hf-hub:" + result.repo_id + (result.revision == "main" ? "" : "@" + result.revision)}});
            return;
        }
        for (const auto& f : result.files)
            std::printf("%-34s %12llu bytes  %-10s %s\n", f.filename.c_str(), static_cast<unsigned long long>(f.size),
                        f.status.c_str(), f.checksum.empty() ? "" : ("(" + f.checksum + " verified)").c_str());
        std::printf("%s at commit %s%s\nsnapshot: %s\nopen it with: --model hf-hub:%s%s\n", result.repo_id.c_str(),
                    result.commit.c_str(), result.offline ? " (HF_HUB_OFFLINE: from the cache)" : "",
                    result.snapshot_folder.c_str(), result.repo_id.c_str(),
                    result.revision == "main" ? "" : ("@" + result.revision).c_str());
    });
}

}  // namespace clipscope::cli
