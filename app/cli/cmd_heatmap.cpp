#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

#include "cli_common.h"
#include "clipscope/decompose/decompose.h"
#include "clipscope/decompose/pooled_decomposition.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/base/text_file.h"
#include "clipscope/analysis/direction_maps.h"
#include "clipscope/analysis/heatmap.h"
#include "clipscope/io/image.h"
#include "clipscope/io/npy.h"
#include "clipscope/analysis/segmentation.h"
#include "clipscope/analysis/segmentation_maps.h"
#include "clipscope/analysis/zero_shot.h"
#include "commands.h"

namespace clipscope::cli {
namespace {

struct Options {
    ModelOptions model;
    std::string image, text, versus, layers, heads, out, classes, templates;
    double opacity = 0.5;
};

// The reference's segmentation map (method.md §6.2) for one image: the top-1 class's
// score minus the mean over classes, per patch, over every layer and head.
void run_segmentation_protocol(const Options& o) {
    if (!o.text.empty() || !o.versus.empty() || !o.layers.empty() || !o.heads.empty())
        throw_usage(
            "--classes (the segmentation protocol) sums every layer and head and takes no "
            "--text/--versus/--layers/--heads");
    const ClipModel model = load_model(o.model);
    const auto& c = model.config();
    const auto names = split_labels(read_text_file(o.classes, 64 << 20) + "\n");
    if (names.size() < 2) throw_input(o.classes, "needs at least 2 class names");
    const FloatArray classifier =
        build_classifier(model, names, o.templates.empty() ? default_templates() : read_templates(o.templates));
    const Image crop = resize_and_crop(load_image(o.image), c.preprocess);
    FloatArray pixels = normalize_crop(crop, c.preprocess);
    pixels.shape.insert(pixels.shape.begin(), 1);
    const SegmentationMaps maps = segmentation_maps(model, pixels, classifier, {SegmentationMethod::Decomposition});
    const FloatArray& grid = maps.grids[0];
    const ForegroundPrediction fg = predict_foreground(grid, c.vision.patch_size);
    write_npy(o.out + ".npy", grid);
    write_heatmap_overlay(o.out + ".png", crop, FloatArray({fg.size, fg.size}, fg.heat), o.opacity);
    FloatArray mask({fg.size, fg.size});
    for (size_t i = 0; i < fg.foreground.size(); ++i) mask.data[i] = fg.foreground[i];
    write_heatmap_overlay(o.out + "_mask.png", crop, mask, o.opacity);
    const std::string predicted = names[static_cast<size_t>(maps.predicted_class)];
    write_text_atomically(
        o.out + ".json",
        nlohmann::json(
            {{"model", model_summary(model)},
             {"image", o.image},
             {"protocol", "segmentation (method.md §6.2)"},
             {"classes", o.classes},
             {"templates", o.templates.empty() ? "built-in" : o.templates},
             {"predicted_class", maps.predicted_class},
             {"predicted_name", predicted},
             {"grid", c.vision.grid()},
             {"foreground_fraction",
              std::count(fg.foreground.begin(), fg.foreground.end(), 1) / double(fg.foreground.size())},
             {"self_check_max_abs_error", maps.self_check},
             {"map",
              std::string(c.vision.pooling == VisionPooling::AttentionPool
                              ? "per position: sum over all layers and heads of what the head writes there carried "
                                "through post_layernorm and the attention pooling head (frozen) to z / ||z||, "
                                "dotted with (w_c* - mean_c w_c)"
                              : "per patch: sum over all layers and heads of attn[l, m, h] . (w_c* - mean_c w_c)") +
                  "; overlay: upsampled, clamped at 0, min-max normalised; _mask.png: above the mean"}})
            .dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    spdlog::info("segmentation map of {} ({}, predicted '{}'): {}.png, {}_mask.png, {}.npy", o.image, c.name, predicted,
                 o.out, o.out, o.out);
}

// The top-left `side` x `side` pixels: what a patch grid that does not cover the whole
// image sees (SigLIP so400m: 27 x 14 = 378 of 384 px).
Image top_left(const Image& image, int side) {
    if (side == image.width && side == image.height) return image;
    Image out = image;
    out.width = out.height = side;
    out.pixels.assign(static_cast<size_t>(side) * side * image.channels, 0);
    for (int y = 0; y < side; ++y)
        std::copy_n(image.pixels.begin() + static_cast<int64_t>(y) * image.width * image.channels,
                    static_cast<size_t>(side) * image.channels,
                    out.pixels.begin() + static_cast<int64_t>(y) * side * image.channels);
    return out;
}

// The map toward the text (A minus B): per patch, the selected heads' terms there dotted
// with the direction, projected inside the decomposition (DecomposeOptions::map_directions,
// docs/method.md §6.1) so that the E-wide spatial terms are never formed: ViT-H-14 at 378 px
// or so400m at 384 px would need about 1.5 GB per image for them. For an attention-pooled
// model (§12.4) the terms are carried through the pooling head with its statistics frozen.
void write_heatmap(const Options& o, const ClipModel& model, const Image& crop, const FloatArray& directions,
                   const MapSelection& sel, bool versus) {
    const auto& c = model.config();
    const bool pooled = c.vision.pooling == VisionPooling::AttentionPool;
    const int64_t L = c.vision.layers, H = c.vision.heads, G = c.vision.grid();
    DecomposeOptions options;
    options.spatial = false;
    options.map_directions = &directions;
    const Decomposition d = decompose_image_terms(model, normalize_crop(crop, c.preprocess), options);
    const int64_t last = sel.last_layer < 0 ? L - 1 : sel.last_layer;
    std::vector<std::pair<int64_t, int64_t>> cells = sel.heads;
    if (cells.empty())
        for (int64_t l = sel.first_layer; l <= last; ++l)
            for (int64_t h = 0; h < H; ++h) cells.emplace_back(l, h);
    for (const auto& [l, h] : cells)
        if (l < 0 || l >= L || h < 0 || h >= H)
            throw_usage("--heads " + o.heads + ": head " + std::to_string(l) + "." + std::to_string(h) +
                        " is not in this model (" + std::to_string(L) + " layers of " + std::to_string(H) + " heads)");
    const FloatArray grid =
        combined_head_map(d, 0, versus ? std::vector<float>{1, -1} : std::vector<float>{1}, cells, G);
    write_npy(o.out + ".npy", grid);
    // A floored grid (so400m: 27 x 14 = 378 of 384 px) covers the crop's top-left only.
    const int covered = static_cast<int>(G * c.vision.patch_size);
    const Image shown = covered < crop.width ? top_left(crop, covered) : crop;
    write_heatmap_overlay(o.out + ".png", shown, upsample_bilinear(grid, c.vision.patch_size), o.opacity);
    const auto [lo, hi] = std::minmax_element(grid.data.begin(), grid.data.end());
    nlohmann::json j = {
        {"model", model_summary(model)},
        {"image", o.image},
        {"text", o.text},
        {"versus", o.versus.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.versus)},
        {"layers", o.layers.empty() ? "all" : o.layers},
        {"heads", o.heads.empty() ? "all" : o.heads},
        {"grid", G},
        {"covered_pixels", covered},
        {"min", *lo},
        {"max", *hi},
        {"self_check_max_abs_error", d.max_sum_error()},
        {"self_check",
         "the larger of: sum of parts against z/||z||, and per (text, layer, head) the map's sum over positions "
         "against the head's term dotted with the text"},
        {"map",
         pooled ? "per position: sum over the selected (layer, head) of what the head writes there, carried through "
                  "post_layernorm and the attention pooling head (its statistics frozen) to z, / ||z||, dotted with t "
                  "(unit-norm; A minus B with --versus). The axis is where terms enter the pooled positions; MLPs and "
                  "the pooling MLP excluded"
                : "per patch: sum over the selected (layer, head) cells of attn[l, m, h] . t, t unit-norm (A minus B "
                  "with --versus), projected inside the decomposition; class-token cell and MLPs excluded"}};
    write_text_atomically(o.out + ".json", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    spdlog::info("heatmap of '{}'{} on {} ({}{}): {}.png, {}.npy ({}x{} {}, range {:.4f}..{:.4f})", o.text,
                 o.versus.empty() ? "" : " minus '" + o.versus + "'", o.image, c.name,
                 pooled ? ", attention-pooled" : "", o.out, o.out, G, G, pooled ? "positions" : "patches", *lo, *hi);
}

void run(const Options& o) {
    OutputPlan plan{with_model_inputs(o.model, {o.image, o.classes, o.templates}),
                    {},
                    {o.out + ".npy", o.out + ".png", o.out + ".json"}};
    if (!o.classes.empty()) plan.outputs.push_back(o.out + "_mask.png");
    guard_outputs(plan);  // e.g. --image d/img.png --out d/img: the overlay would replace the image
    if (!o.classes.empty()) return run_segmentation_protocol(o);
    if (o.text.empty())
        throw_usage("give --text (and optionally --versus), or --classes for the segmentation protocol");
    const ClipModel model = load_model(o.model);
    const auto& c = model.config();
    const int64_t L = c.vision.layers;
    MapSelection sel;
    if (!o.layers.empty()) {
        const auto colon = o.layers.find(':');
        try {
            if (colon == std::string::npos) throw std::invalid_argument("no colon");
            sel.first_layer = std::stoll(o.layers.substr(0, colon));
            sel.last_layer = std::stoll(o.layers.substr(colon + 1));
        } catch (const std::exception&) {
            throw_usage("--layers takes FIRST:LAST (0-based, inclusive), got '" + o.layers + "'");
        }
        if (sel.first_layer < 0 || sel.last_layer >= L || sel.first_layer > sel.last_layer)
            throw_usage("--layers " + o.layers + " is outside 0:" + std::to_string(L - 1));
    }
    if (!o.heads.empty()) sel.heads = parse_head_list(o.heads);
    std::vector<std::string> texts = {o.text};
    if (!o.versus.empty()) texts.push_back(o.versus);
    FloatArray directions = model.encode_texts(texts);
    normalize_rows(directions);

    const Image original = load_image(o.image);
    const Image crop = resize_and_crop(original, c.preprocess);
    write_heatmap(o, model, crop, directions, sel, texts.size() == 2);
}

}  // namespace

void register_heatmap(CLI::App& app) {
    auto* cmd = app.add_subcommand("heatmap",
                                   "Which image regions push the embedding toward a text (or toward A rather than B)");
    auto o = std::make_shared<Options>();
    add_model_options(*cmd, o->model);
    add_text_embedding_options(*cmd, o->model);
    cmd->add_option("--image,-i", o->image, "Image file")->required();
    cmd->add_option("--text,-t", o->text, "Text A");
    cmd->add_option("--versus", o->versus, "Text B: the map becomes A minus B");
    cmd->add_option("--layers", o->layers, "FIRST:LAST layers to sum (0-based, inclusive; default all)");
    cmd->add_option("--heads", o->heads, "Only these heads: LAYER.HEAD,...");
    cmd->add_option("--classes", o->classes,
                    "Instead of texts: the reference's segmentation map against these class names (one per line)");
    cmd->add_option("--templates", o->templates, "Prompt templates for --classes (default: the built-in short list)");
    cmd->add_option("--opacity", o->opacity, "Overlay opacity")->check(CLI::Range(0.0, 1.0))->capture_default_str();
    cmd->add_option("--out,-o", o->out,
                    "Output prefix: writes PREFIX.png (overlay), PREFIX.npy (patch grid), PREFIX.json")
        ->required();
    cmd->footer(
        "The overlay shows the map upsampled bilinearly (align_corners=false, as the reference) over the\n"
        "model's crop, coloured from its own minimum (blue) to maximum (red).\n"
        "With --classes, the map is the one zero-shot segmentation thresholds (method.md §6.2): per patch, the\n"
        "top-1 class's score minus the mean over all classes, summed over every layer and head; PREFIX_mask.png\n"
        "shows the pixels above the mean of the normalised map.\n"
        "Example:\n  clipscope-cli heatmap --model M --image dog.jpg --text \"a dog\" --versus \"a cat\" --out "
        "dog_vs_cat");
    cmd->callback([o] { run(*o); });
}

}  // namespace clipscope::cli
