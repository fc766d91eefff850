// `preprocess`: the S×S RGB image a model sees for each image (decode, resize as the
// model's config says, crop or pad, RGB), written as PNG. It answers "what did the
// model actually look at" for odd files (CMYK, 16-bit, palette, GIF) and is how the
// Pillow parity test compares ClipScope's pixels with open_clip's.
#include <filesystem>
#include <map>
#include <spdlog/spdlog.h>

#include "cli_common.h"
#include "clipscope/base/error.h"
#include "clipscope/io/image.h"
#include "commands.h"

namespace clipscope::cli {

void register_preprocess(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "preprocess", "Write the S x S crop the model sees for each image (PNG, before mean/std normalisation)");
    struct Options {
        ModelOptions model;
        std::string out_dir;
        int64_t image_size = 0;
        std::string resize_mode, interpolation;
        int fill = -1;
        std::vector<std::string> images;
    };
    auto o = std::make_shared<Options>();
    add_model_options(*cmd, o->model);
    cmd->add_option("--out-dir,-o", o->out_dir, "Folder for the crops (IMAGE_STEM.png; created if missing)")
        ->required();
    cmd->add_option("--image-size", o->image_size,
                    "Crop size S instead of the model's (e.g. 224 to see what a ViT-B model would get)")
        ->check(CLI::Range(1, 4096));
    cmd->add_option("--resize-mode", o->resize_mode,
                    "Instead of the model's: shortest (then a centre crop), squash, longest (then padding)")
        ->check(CLI::IsMember({"shortest", "squash", "longest"}));
    cmd->add_option("--interpolation", o->interpolation,
                    "Instead of the model's: Pillow's bicubic, bilinear or nearest")
        ->check(CLI::IsMember({"bicubic", "bilinear", "nearest"}));
    cmd->add_option("--fill", o->fill, "Padding value of --resize-mode longest, 0..255 (the model's, else 0)")
        ->check(CLI::Range(0, 255));
    cmd->add_option("images", o->images, "Image files")->required();
    cmd->footer("Example:\n  clipscope-cli preprocess --model M --out-dir crops/ scan_cmyk.jpg logo.gif");
    cmd->callback([o] {
        // One crop per image, named by its stem: two inputs with the same stem would
        // overwrite each other's crop, so such a list is refused before anything is written.
        std::map<std::string, std::string> image_of;            // crop file -> image
        std::vector<std::pair<std::string, std::string>> jobs;  // (image, crop file), in the order given
        for (const auto& path : o->images) {
            const std::string out =
                (std::filesystem::path(o->out_dir) / std::filesystem::path(path).stem()).string() + ".png";
            const auto [it, fresh] = image_of.emplace(out, path);
            if (!fresh)
                throw_usage(path + " and " + it->second + " would both be written to " + out +
                            "; give them in separate runs");
            jobs.emplace_back(path, out);
        }
        OutputPlan plan{with_model_inputs(o->model, o->images), {}, {}};
        for (const auto& job : jobs) plan.outputs.push_back(job.second);
        guard_outputs(plan);  // e.g. --out-dir d with d/img.png: the crop would replace the image
        const ClipModel model = load_model(o->model);
        PreprocessConfig config = model.config().preprocess;
        if (o->image_size > 0) config.image_size = o->image_size;
        if (!o->resize_mode.empty()) config.resize_mode = o->resize_mode;
        if (!o->interpolation.empty()) config.interpolation = o->interpolation;
        if (o->fill >= 0) config.fill = o->fill;
        if (o->fill >= 0 && config.resize_mode != "longest")
            throw_usage("--fill is the padding of --resize-mode longest; this run resizes '" + config.resize_mode +
                        "', which never pads");
        std::filesystem::create_directories(o->out_dir);
        for (const auto& [path, out] : jobs) {
            const Image crop = resize_and_crop(load_image(path), config);
            write_png(out, crop);
            spdlog::info("wrote {} ({}x{}: {}; mean/std of {}) from {}", out, config.image_size, config.image_size,
                         describe_preprocessing(config), model.info().spec, path);
        }
    });
}

}  // namespace clipscope::cli
