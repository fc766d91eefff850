// Store maintenance: the reference's .npy layout in and out, and merging shards.
#include <spdlog/spdlog.h>

#include "cli_common.h"
#include "clipscope/analysis/store_transfer.h"
#include "commands.h"
#include "console_progress.h"

namespace clipscope::cli {
namespace {

struct ExportOptions {
    std::string store, out, dataset = "dataset", model_name;
};

void run_export(const ExportOptions& o) {
    // Each file by name: the folder may hold other datasets' arrays, as the reference's does.
    guard_outputs({{}, {o.store}, reference_layout_files(o.store, {o.out, o.dataset, o.model_name})});
    const std::string model = export_reference_layout(o.store, {o.out, o.dataset, o.model_name});
    spdlog::info("exported {} to {} ({}_attn_{}.npy, ...)", o.store, o.out, o.dataset, model);
}

struct ImportOptions {
    ModelOptions model;
    std::string dir, out, dataset = "dataset", model_name;
};

void run_import(const ImportOptions& o) {
    guard_outputs({with_model_inputs(o.model, {}), {o.dir}, {o.out}});
    const ClipModel model = load_model(o.model);
    const int64_t n = with_console_progress("import", [&](RunControl& c) {
        return import_reference_layout(model, {o.dir, o.dataset, o.model_name}, o.out, &c);
    });
    spdlog::info("imported {} images from {} into {}", n, o.dir, o.out);
}

struct MergeOptions {
    std::vector<std::string> shards;
    std::string out;
};

void run_merge(const MergeOptions& o) {
    guard_outputs({{}, o.shards, {o.out}});  // e.g. --out a shard's own folder
    const int64_t n =
        with_console_progress("merge", [&](RunControl& c) { return merge_store_shards(o.shards, o.out, &c); });
    spdlog::info("merged {} shards ({} images) into {}", o.shards.size(), n, o.out);
}

}  // namespace

void register_store_commands(CLI::App& app) {
    {
        auto* cmd = app.add_subcommand("export-store",
                                       "Write a store in the reference's .npy layout (numpy-readable, float32)");
        auto o = std::make_shared<ExportOptions>();
        cmd->add_option("store", o->store, "Store folder")->required();
        cmd->add_option("--out,-o", o->out, "Output folder")->required();
        cmd->add_option("--dataset", o->dataset, "Dataset name in the file names")->capture_default_str();
        cmd->add_option("--model-name", o->model_name, "Model name in the file names (default: the architecture)");
        cmd->footer(
            "Writes {dataset}_attn_{model}.npy [N, L, H, E], {dataset}_mlp_{model}.npy [N, L+1, E],\n"
            "{dataset}_cls_attn_{model}.npy [N, L, E] and {dataset}_images.txt, in store order.\n"
            "Example:\n  clipscope-cli export-store ~/stores/inval-b16 --out ref_arrays --dataset imagenet "
            "--model-name ViT-B-16");
        cmd->callback([o] { run_export(*o); });
    }
    {
        auto* cmd = app.add_subcommand("import-store",
                                       "Make a store from arrays in the reference's .npy layout (compute_prs.py)");
        auto o = std::make_shared<ImportOptions>();
        cmd->add_option(
               "dir", o->dir,
               "Folder with {dataset}_attn_{model}.npy, _mlp_, _cls_attn_ (and optionally {dataset}_images.txt)")
            ->required();
        add_model_options(*cmd, o->model);
        cmd->add_option("--out,-o", o->out, "Store folder")->required();
        cmd->add_option("--dataset", o->dataset, "Dataset name in the file names")->capture_default_str();
        cmd->add_option("--model-name", o->model_name, "Model name in the file names (default: the architecture)");
        cmd->footer(
            "The reference keeps no ||z||, so the imported store's embedding is the normalised one\n"
            "(the sum of the parts); its manifest says so (embedding_normalised).\n"
            "Example:\n  clipscope-cli import-store output_dir --model hf-hub:laion/CLIP-ViT-B-16-laion2B-s34B-b88K "
            "--dataset imagenet --model-name ViT-B-16 --out inval-b16");
        cmd->callback([o] { run_import(*o); });
    }
    {
        auto* cmd = app.add_subcommand("merge-stores",
                                       "Join the shards of an `index --shard I/N` run into one store, in shard order");
        auto o = std::make_shared<MergeOptions>();
        cmd->add_option("shards", o->shards, "Shard store folders (any order)")->required();
        cmd->add_option("--out,-o", o->out, "Merged store folder")->required();
        cmd->footer("Example (a Slurm array of 8 jobs, then):\n  clipscope-cli merge-stores store.shard* --out store");
        cmd->callback([o] { run_merge(*o); });
    }
}

}  // namespace clipscope::cli
