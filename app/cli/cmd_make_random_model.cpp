#include <spdlog/spdlog.h>

#include "cli_common.h"
#include "clipscope/base/output_guard.h"
#include "clipscope/base/error.h"
#include "commands.h"

namespace clipscope::cli {

void register_make_random_model(CLI::App& app) {
    auto* cmd = app.add_subcommand("make-random-model",
                                   "Write a checkpoint with random weights of a built-in architecture, in a real "
                                   "on-disk format (for tests and benchmarks)");
    struct Options {
        std::string arch;
        std::string format = "open_clip";
        std::string out;
        std::string dtype = "f32";
        uint64_t seed = 0;
    };
    auto o = std::make_shared<Options>();
    cmd->add_option(
           "--arch", o->arch,
           "A shape (ViT-B-32, ViT-B-16, ViT-L-14, ViT-L-14-336, ViT-H-14, ViT-H-14-378, ViT-bigG-14, tiny), "
           "one with -quickgelu, or a family (DFN2B-ViT-B-16, DFN2B-ViT-L-14, DFN5B-ViT-H-14, "
           "DFN5B-ViT-H-14-378, MetaCLIP-ViT-B-32/B-16/L-14/H-14/bigG-14), or a SigLIP shape (SigLIP-B-16-224, "
           "SigLIP-B-16-384, SigLIP-L-16-256, SigLIP-SO400M-14-224, SigLIP-SO400M-14-384; --format hf)")
        ->required();
    cmd->add_option("--format", o->format,
                    "open_clip (open_clip_config.json + open_clip_model.safetensors), hf (transformers), openai "
                    "(TorchScript model.pt)")
        ->check(CLI::IsMember({"open_clip", "hf", "openai"}))
        ->capture_default_str();
    cmd->add_option("--out,-o", o->out, "Output folder")->required();
    cmd->add_option("--dtype", o->dtype, "f32 or f16 (safetensors formats)")
        ->check(CLI::IsMember({"f32", "f16"}))
        ->capture_default_str();
    cmd->add_option("--seed", o->seed, "Random seed")->capture_default_str();
    cmd->footer(
        "Example:\n  clipscope-cli make-random-model --arch ViT-B-16 --out /tmp/b16 && clipscope-cli info --model "
        "/tmp/b16");
    cmd->callback([o] {
        const ClipConfig config = builtin_architecture(o->arch);
        const ModelFormat format = o->format == "open_clip" ? ModelFormat::OpenClipSafetensors
                                   : o->format == "hf"      ? ModelFormat::HfTransformers
                                                            : ModelFormat::OpenAiTorchScript;
        if (format == ModelFormat::OpenAiTorchScript && config.vision.head_dim() != 64)
            throw_usage("the OpenAI format cannot describe " + o->arch + ": its readers infer heads = width / 64");
        // Random weights never replace a folder's files: it might hold real ones (nothing marks a random model).
        GeneratedFolder folder(o->out, {}, "make-random-model", /*replace_earlier=*/false,
                               GeneratedFolder::Staging::TemporarySibling);
        write_checkpoint(folder.path(), format, config, random_state_dict(config, o->seed),
                         o->dtype == "f16" ? DType::F16 : DType::F32);
        folder.done();
        spdlog::info("wrote random {} weights (seed {}) as {} into {}", o->arch, o->seed, o->format, o->out);
    });
}

}  // namespace clipscope::cli
