// clipscope-cli make-world and train-demo: the shapes world's datasets and the
// training of its small CLIP (the bundled demo model).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

#include "cli_common.h"
#include "clipscope/demo/demo_training.h"
#include "clipscope/base/error.h"
#include "clipscope/demo/world_dataset.h"
#include "commands.h"
#include "console_progress.h"

namespace clipscope::cli {
namespace {

std::string git_output(const std::string& args) {
    std::string out;
    const std::string command = std::string("git -C '") + CLIPSCOPE_SOURCE_DIR + "' " + args + " 2>/dev/null";
    if (FILE* p = ::popen(command.c_str(), "r")) {
        char buf[128];
        while (std::fgets(buf, sizeof buf, p)) out += buf;
        ::pclose(p);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

// The commit of the source tree the executable was built from (when it is a git checkout),
// flagged when tracked files differ from it: a training record must not claim a commit
// that does not hold the code that ran.
std::string source_commit() {
    const std::string head = git_output("rev-parse HEAD");
    if (head.empty()) return "unknown";
    return git_output("status --porcelain --untracked-files=no").empty() ? head : head + " with uncommitted changes";
}

}  // namespace

void register_world(CLI::App& app, int argc, char** argv) {
    {
        auto* cmd = app.add_subcommand(
            "make-world", "Write a shapes-world dataset (ImageFolder, images + masks, or Waterbirds-style)");
        auto o = std::make_shared<WorldDatasetOptions>();
        cmd->add_option("--out,-o", o->out, "Folder to write")->required();
        cmd->add_option(
               "--layout", o->layout,
               "imagefolder | segmentation | mat (ImageNet-Segmentation's gtsegs_ijcv.mat layout) | waterbirds")
            ->capture_default_str();
        cmd->add_option("--class", o->family,
                        "imagefolder: the attribute that names the class folders (shape, colour, position, habitat)")
            ->capture_default_str();
        cmd->add_option("--count", o->count,
                        "Images (waterbirds: training images; the balanced test split gets as many, rounded up to 4)")
            ->capture_default_str();
        cmd->add_option("--seed", o->seed, "World seed (the demo model trained on other seeds)")->capture_default_str();
        cmd->add_option("--size", o->size, "Image side in pixels")->capture_default_str();
        cmd->add_option("--two-objects", o->two_objects, "Share of scenes with a second object")
            ->check(CLI::Range(0.0, 1.0))
            ->capture_default_str();
        cmd->add_option("--bias", o->bias, "waterbirds: P(circle on water) = P(square on grass) in the training split")
            ->check(CLI::Range(0.0, 1.0))
            ->capture_default_str();
        cmd->footer(
            "labels.csv lists every image's attributes and caption. waterbirds writes metadata.csv (img_filename, y, "
            "place,\n"
            "split: 0 train with the correlation, 2 test balanced over (y, place)) and classes.txt for `spurious`.\n"
            "Example:\n  clipscope-cli make-world --layout segmentation --count 200 --out world-seg");
        cmd->callback([o] {
            const int64_t n =
                with_console_progress("make-world", [&](RunControl& c) { return write_world_dataset(*o, &c); });
            spdlog::info("{} images ({} layout, seed {}) in {}", n, o->layout, o->seed, o->out);
        });
    }
    {
        auto* cmd = app.add_subcommand("train-demo",
                                       "Train the shapes-world CLIP (the bundled demo model) from scratch on the CPU");
        auto o = std::make_shared<TrainOptions>();
        cmd->add_option("--out,-o", o->out, "Model folder to write (open_clip layout + vocabulary + training record)")
            ->required();
        cmd->add_option("--steps", o->steps)->capture_default_str();
        cmd->add_option("--batch", o->batch)->capture_default_str();
        cmd->add_option("--group-size", o->group_size,
                        "Scenes per group of minimal pairs (same scene at other positions, or sharing colour and "
                        "habitat; 1 = independent)")
            ->capture_default_str();
        cmd->add_option("--lr", o->learning_rate, "Peak learning rate (AdamW, linear warm-up, cosine decay)")
            ->capture_default_str();
        cmd->add_option("--weight-decay", o->weight_decay)->capture_default_str();
        cmd->add_option("--warmup", o->warmup)->capture_default_str();
        cmd->add_option("--seed", o->seed)->capture_default_str();
        cmd->add_option("--eval-every", o->eval_every)->capture_default_str();
        cmd->add_option("--eval-images", o->eval_images)->capture_default_str();
        cmd->add_option("--checkpoint-every", o->checkpoint_every)->capture_default_str();
        cmd->add_option("--width", o->width, "Tower width (heads of 16 in the image tower)")->capture_default_str();
        cmd->add_option("--vision-layers", o->vision_layers)->capture_default_str();
        cmd->add_option("--text-layers", o->text_layers)->capture_default_str();
        cmd->add_option("--bias", o->distribution.bias,
                        "P(circle on water) = P(square on grass) in the training scenes")
            ->capture_default_str();
        cmd->add_flag("--resume", o->resume, "Continue the run in --out (same options)");
        cmd->add_flag("--export-f32", o->export_f32,
                      "Write the checkpoint in float32 (default float16, half the size)");
        std::string line;
        for (int i = 0; i < argc; ++i) line += (i ? " " : "") + std::string(argv[i]);
        cmd->footer(
            "Scenes are generated on the fly from the seed and the step, so a resumed run sees the same data.\n"
            "Example (the shipped demo model's recipe, the defaults):\n  clipscope-cli --threads 2 train-demo --out "
            "demo-model");
        cmd->callback([o, line] {
            o->command_line = line + "  (commit " + source_commit() + ")";
            RunControl& control = interrupt_control();
            train_demo(*o, &control, [](const TrainLog& e) {
                if (!e.accuracy.empty()) {
                    spdlog::info(
                        "step {}: loss {:.4f}, lr {:.2e}, {:.0f} s; held-out zero-shot % shape {:.1f} colour {:.1f} "
                        "position {:.1f} habitat {:.1f}",
                        e.step, e.loss, e.learning_rate, e.seconds, e.accuracy.at("shape"), e.accuracy.at("colour"),
                        e.accuracy.at("position"), e.accuracy.at("habitat"));
                } else if (e.step % 10 == 0) {
                    spdlog::info("step {}: loss {:.4f}, lr {:.2e}, {:.0f} s", e.step, e.loss, e.learning_rate,
                                 e.seconds);
                }
            });
            spdlog::info("model written to {}", o->out);
        });
    }
}

}  // namespace clipscope::cli
