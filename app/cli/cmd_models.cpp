// clipscope-cli models: what the Hugging Face cache holds and whether ClipScope can load it.
#include <cstdio>

#include "cli_common.h"
#include "clipscope/hub/hf_cache.h"
#include "clipscope/model/cached_models.h"
#include "clipscope/base/resources.h"
#include "commands.h"

namespace clipscope::cli {
namespace {

std::string megabytes(uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MB", bytes / 1e6);
    return text;
}

nlohmann::json repo_json(const HfCachedRepo& repo) {
    nlohmann::json revisions = nlohmann::json::array();
    for (const auto& r : repo.revisions)
        revisions.push_back(
            {{"commit", r.commit},
             {"refs", r.refs},
             {"snapshot", r.snapshot_folder},
             {"files", r.files},
             {"missing_files", r.missing_files},
             {"size_bytes", r.size_bytes},
             {"loadable", r.loadable},
             {"format", r.format},
             {"has_tokenizer", r.has_tokenizer},
             {"problem", r.problem},
             {"model_spec", "hf-hub:" + repo.repo_id + "@" + (r.refs.empty() ? r.commit : r.refs.front())}});
    return {{"repo_id", repo.repo_id},
            {"folder", repo.folder},
            {"blobs_bytes", repo.blobs_bytes},
            {"incomplete_downloads", repo.incomplete_downloads},
            {"revisions", revisions}};
}

}  // namespace

void register_models(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "models", "List the CLIP models ClipScope can open: the bundled demo and the Hugging Face cache");
    auto cache = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    auto all = std::make_shared<bool>(false);
    cmd->add_option("--cache", *cache,
                    "Hub cache folder (default: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub)");
    cmd->add_flag("--json", *json, "Print one JSON object (repos, revisions, files, loadable, problem)");
    cmd->add_flag("--all", *all, "Also list repos that hold no loadable CLIP model");
    cmd->footer(
        "Reads the cache in place (models downloaded from Python are found without copying);\n"
        "open an entry with --model hf-hub:ORG/NAME[@REVISION].\n"
        "Examples:\n"
        "  clipscope-cli models\n"
        "  HF_HOME=/data/hf clipscope-cli models --json | jq '.repos[].repo_id'");
    cmd->callback([cache, json, all] {
        const std::string dir = cache->empty() ? hf_hub_cache_dir() : *cache;
        const auto repos = list_cached_models(dir);
        const std::string demo = demo_model_directory();
        if (*json) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& r : repos) list.push_back(repo_json(r));
            print_json({{"cache", dir},
                        {"demo_model", demo.empty() ? nlohmann::json(nullptr) : nlohmann::json(demo)},
                        {"repos", list}});
            return;
        }
        std::printf("Bundled demo model: %s\n", demo.empty() ? "(not found)" : demo.c_str());
        std::printf("Hugging Face cache: %s%s\n\n", dir.c_str(), repos.empty() ? " (empty or absent)" : "");
        int hidden = 0;
        for (const auto& repo : repos) {
            bool any_loadable = false;
            for (const auto& r : repo.revisions) any_loadable = any_loadable || r.loadable;
            if (!any_loadable && !*all) {
                ++hidden;
                continue;
            }
            std::printf("%s  (%s on disk%s)\n", repo.repo_id.c_str(), megabytes(repo.blobs_bytes).c_str(),
                        repo.incomplete_downloads
                            ? ", partial download present: run clipscope-cli download again to finish"
                            : "");
            for (const auto& r : repo.revisions) {
                std::string refs;
                for (const auto& ref : r.refs) refs += (refs.empty() ? "" : ", ") + ref;
                std::printf(
                    "  %s%s%s  %s\n", r.commit.substr(0, 12).c_str(), refs.empty() ? "" : " [",
                    refs.empty() ? "" : (refs + "]").c_str(),
                    r.loadable ? ("loadable, " + r.format + ", " + megabytes(r.size_bytes)).c_str() : "not loadable");
                if (r.loadable)
                    std::printf("    --model hf-hub:%s@%s\n", repo.repo_id.c_str(),
                                refs.empty() ? r.commit.c_str() : r.refs.front().c_str());
                if (!r.problem.empty()) std::printf("    note: %s\n", r.problem.c_str());
            }
        }
        if (hidden) std::printf("(%d other repo(s) hold no loadable CLIP model; --all lists them)\n", hidden);
    });
}

}  // namespace clipscope::cli
