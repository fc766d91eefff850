// clipscope-cli segment: zero-shot segmentation evaluated as the reference's
// compute_segmentations.py (docs/method.md §6), for the decomposition's map and
// attention-only baselines. Per-image rows go to a journal as they are computed, so
// an interrupted run picks up where it stopped.
#include <spdlog/spdlog.h>

#include <sstream>

#include "cli_common.h"
#include "clipscope/analysis/segmentation_run.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/base/text_file.h"
#include "clipscope/io/npy.h"
#include "clipscope/analysis/zero_shot.h"
#include "commands.h"
#include "console_progress.h"

namespace clipscope::cli {
namespace {

struct Options {
    ModelOptions model;
    std::string mat, images, masks, classes, templates, classifier, out;
    std::string methods;  // "" = the model's default list (see run)
    std::string alignment = "crop";
    int64_t limit = 0;
    bool strict = false;
};

void run(const Options& o) {
    if (o.mat.empty() == o.images.empty()) throw_usage("give either --mat gtsegs_ijcv.mat or --images DIR --masks DIR");
    if (!o.images.empty() && o.masks.empty()) throw_usage("--images needs --masks");
    std::vector<SegmentationMethod> methods;
    const auto parse_methods = [&](const std::string& text) {
        methods.clear();
        std::istringstream list(text);
        for (std::string name; std::getline(list, name, ',');)
            if (!name.empty()) methods.push_back(parse_method(name));
    };
    parse_methods(o.methods);
    if (methods.empty() && !o.methods.empty()) throw_usage("--methods is empty");
    if (o.alignment != "crop" && o.alignment != "reference") throw_usage("--mask-alignment is crop or reference");
    const MaskAlignment alignment = o.alignment == "crop" ? MaskAlignment::Crop : MaskAlignment::Reference;
    guard_outputs({with_model_inputs(o.model, {o.mat, o.classes, o.templates, o.classifier}),
                   {o.images, o.masks},
                   {o.out + ".csv", o.out + ".json", o.out + ".skipped.txt"},
                   {o.out + ".csv.partial"}});  // e.g. --classes d/cls.csv --out d/cls
    const auto dataset = o.mat.empty() ? open_mask_folder(o.images, o.masks) : open_imagenet_segmentation(o.mat);
    const int64_t count = o.limit > 0 ? std::min(o.limit, dataset->size()) : dataset->size();

    const ClipModel model = load_model(o.model);
    const auto& c = model.config();
    const std::string method_list = !o.methods.empty() ? o.methods : "decomposition,last-layer-attention,rollout";
    parse_methods(method_list);
    require_methods_for(model, methods);  // before anything is written
    FloatArray classifier;
    std::vector<std::string> names;
    if (!o.classifier.empty()) {
        classifier = read_npy_float(o.classifier);
        if (classifier.rank() != 2 || classifier.shape[0] != c.embed_dim)
            throw_input(o.classifier, "classifier is " + shape_to_string(classifier.shape) + ", expected [" +
                                          std::to_string(c.embed_dim) + ", C]");
    } else if (!o.classes.empty()) {
        names = split_labels(read_text_file(o.classes, 64 << 20) + "\n");
        if (names.size() < 2) throw_input(o.classes, "needs at least 2 class names");
        classifier =
            build_classifier(model, names, o.templates.empty() ? default_templates() : read_templates(o.templates));
    } else {
        for (auto m : methods)
            if (m == SegmentationMethod::Decomposition)
                throw_usage(
                    "the decomposition map needs --classes FILE (e.g. the 1000 ImageNet class names) or --classifier "
                    "C.npy");
    }

    nlohmann::json settings = {
        {"dataset", o.mat.empty() ? o.images + " + " + o.masks : o.mat},
        {"images", count},
        {"methods", method_list},
        {"mask_alignment", o.alignment},
        {"classes", o.classifier.empty() ? o.classes : o.classifier},
        {"templates", !o.classifier.empty() ? nlohmann::json(nullptr)
                                            : nlohmann::json(o.templates.empty() ? "built-in" : o.templates)},
        {"model", model.info().spec},
        {"weights", model.info().weights_path}};
    SegmentationRunOptions run_options;
    run_options.methods = methods;
    run_options.alignment = alignment;
    run_options.count = count;
    run_options.out_prefix = o.out;
    run_options.strict = o.strict;
    run_options.settings_line =
        "# clipscope segment " + settings.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const SegmentationRunResult result = with_console_progress("segment", [&](RunControl& control) {
        return run_segmentation(model, *dataset, classifier, run_options, &control);
    });
    if (result.resumed_rows > 0)
        spdlog::info("resumed: {} rows of a previous run with the same settings came from {}.csv.partial",
                     result.resumed_rows, o.out);
    if (!result.skipped.empty()) {
        std::string text;
        for (const auto& k : result.skipped) text += std::to_string(k.index) + "\t" + k.name + "\t" + k.reason + "\n";
        write_text_atomically(o.out + ".skipped.txt", text);
        spdlog::warn("{} of {} images could not be read and were skipped: listed in {}.skipped.txt",
                     result.skipped.size(), count, o.out);
    }
    const std::vector<SegmentationTotals>& totals = result.totals;
    const double worst_self_check = result.worst_self_check;

    nlohmann::json rows = nlohmann::json::array();
    for (size_t k = 0; k < methods.size(); ++k) {
        const auto& t = totals[k];
        rows.push_back({{"method", method_name(methods[k])},
                        {"pixel_accuracy", 100 * t.pixel_accuracy()},
                        {"miou", 100 * t.mean_iou()},
                        {"iou_background", 100 * t.iou(0)},
                        {"iou_foreground", 100 * t.iou(1)},
                        {"map", 100 * t.mean_ap()},
                        {"images", t.images}});
    }
    settings["protocol"] =
        "per image: map over the patch grid, bilinear x patch size (align_corners=false), clamp >= 0, min-max, "
        "foreground = above the mean;"
        " pixAcc and IoU accumulated over the dataset, AP averaged over images (method.md §6.5); percentages";
    nlohmann::json skipped = nlohmann::json::array();
    for (const auto& k : result.skipped)
        skipped.push_back({{"index", k.index}, {"image", k.name}, {"reason", k.reason}});
    nlohmann::json summary = {{"model", model_summary(model)},
                              {"settings", settings},
                              {"results", rows},
                              {"decomposition_self_check_max_abs_error", worst_self_check}};
    if (!skipped.empty()) summary["skipped"] = skipped;
    write_text_atomically(o.out + ".json", summary.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    print_json(summary);
    // The comparison table for people, on stderr so stdout stays JSON.
    std::ostringstream table;
    table << "\n"
          << count << " images, " << c.name << " (" << model.info().spec << "), masks aligned: " << o.alignment << "\n";
    table << "method                   pixAcc    mIoU     mAP\n";
    for (const auto& r : rows) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "%-22s  %6.2f  %6.2f  %6.2f\n", r["method"].get<std::string>().c_str(),
                      r["pixel_accuracy"].get<double>(), r["miou"].get<double>(), r["map"].get<double>());
        table << buf;
    }
    spdlog::info("{}", table.str());
}

}  // namespace

void register_segment(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "segment", "Zero-shot segmentation on ImageNet-Segmentation or image+mask folders, with attention baselines");
    auto o = std::make_shared<Options>();
    add_model_options(*cmd, o->model);
    add_text_embedding_options(*cmd, o->model);
    cmd->add_option("--mat", o->mat, "ImageNet-Segmentation's gtsegs_ijcv.mat (MATLAB v7.3 / HDF5)");
    cmd->add_option("--images", o->images, "A folder of images (recursive) ...");
    cmd->add_option(
        "--masks", o->masks,
        "... and a folder of masks with the same relative paths and names (0 = background, other = foreground)");
    cmd->add_option("--classes", o->classes,
                    "Class names, one per line, for the zero-shot classifier (the reference uses ImageNet's 1000)");
    cmd->add_option("--templates", o->templates,
                    "Prompt templates with {} (default: the built-in short list; the reference uses OpenAI's 80)");
    cmd->add_option("--classifier", o->classifier, "A ready [E, C] classifier (.npy) instead of --classes");
    cmd->add_option("--methods", o->methods,
                    "Comma-separated: decomposition, last-layer-attention, rollout (default: all three; on an "
                    "attention-pooled model the baselines read its pooling head's attention)");
    cmd->add_option("--mask-alignment", o->alignment,
                    "crop: the mask gets the image's resize + centre crop (correct); reference: squashed to SxS as the "
                    "reference does")
        ->capture_default_str();
    cmd->add_option("--limit", o->limit, "Only the first N images");
    cmd->add_flag("--strict", o->strict,
                  "Stop at the first image or mask that cannot be read (default: skip it; listed in PREFIX.skipped.txt "
                  "and PREFIX.json)");
    cmd->add_option("--out,-o", o->out, "Output prefix: PREFIX.csv (per image and method), PREFIX.json (summary)")
        ->required();
    cmd->footer(
        "Protocol (method.md §6.2): the decomposition's map is, per patch token, the sum over all layers and heads of\n"
        "attn[l, m, h] . (w_c* - mean_c w_c), c* being the image's top-1 class. Every map is upsampled by the patch "
        "size,\n"
        "clamped at 0, min-max normalised and thresholded at its mean; pixel accuracy and IoU are accumulated over "
        "the\n"
        "dataset and AP (scikit-learn's, both channels) averaged over images. Images are processed one at a time (the\n"
        "reference's batch > 1 bug is avoided). Deviations from the reference, on purpose: masks are aligned with the\n"
        "image's crop by default (the reference squashes them to SxS: --mask-alignment reference reproduces it), and "
        "the\n"
        "grid is the model's own (the reference uses --image_size 224 whatever the model).\n"
        "Interrupted runs resume from PREFIX.csv.partial when re-run with the same settings.\n"
        "Example:\n  clipscope-cli segment --model M --mat gtsegs_ijcv.mat --classes imagenet_classes.txt --out seg");
    cmd->callback([o] { run(*o); });
}

}  // namespace clipscope::cli
