// clipscope-cli demo-report: every analysis of the paper, run on fresh held-out
// data from the shapes world with the demo model (core/demo/demo_report.h), written
// as DIR/report.md with tables and figures. The numbers are computed on every run,
// never typed in.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "cli_common.h"
#include "clipscope/base/output_guard.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/base/resources.h"
#include "clipscope/demo/demo_report.h"
#include "clipscope/io/description_pool.h"
#include "commands.h"
#include "console_progress.h"

namespace clipscope::cli {
namespace {
namespace fs = std::filesystem;

struct Options {
    ModelOptions model;
    std::string out, descriptions;
    int64_t images = 1000, segmentation_images = 200, spurious_images = 400, queries = 50;
    int64_t per_head = 5, rank = 32, random_draws = 10;
    uint64_t seed = 20261127;
};

std::string scientific(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2e", v);
    return buf;
}

std::string fixed(double v, int digits = 1) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// The README's summary table, from this run's numbers (scripts/update-readme-demo-table.sh
// copies it into the README, and a test fails when the committed one differs).
std::string readme_table(const std::vector<world::FamilyZeroShot>& zero_shot, const world::HeldOutSet& eval,
                         const world::TextSpanFamilies& spans, const world::SegmentationComparison& seg,
                         const world::SpuriousHabitat& sp, const Options& o) {
    std::ostringstream t;
    t << "| | measured | target |\n|---|---|---|\n| zero-shot shape / colour / position / habitat | ";
    int64_t differ = 0;
    for (const char* family : {"shape", "colour", "position", "habitat"})
        for (const auto& f : zero_shot)
            if (f.family == family) {
                t << (std::string(family) == "shape" ? "" : " / ") << fixed(f.embedding_accuracy);
                if (std::string(family) == "position")
                    t << " (chance " << fixed(100.0 / world::family_size(family)) << ")";
                differ += f.differ;
            }
    t << " % | shape and colour \u2265 90 % |\n| sum of parts = embedding | "
      << (differ == 0 ? "same predictions on all " + std::to_string(o.images) + " scenes"
                      : std::to_string(differ) + " predictions differ")
      << ", max difference " << scientific(eval.self_check) << " | |\n| TextSpan head families | ";
    std::vector<std::pair<std::string, int>> families(spans.heads_per_family.begin(), spans.heads_per_family.end());
    std::stable_sort(families.begin(), families.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (size_t i = 0; i < families.size(); ++i) t << (i ? ", " : "") << families[i].first << " " << families[i].second;
    t << "; mean purity " << fixed(spans.mean_purity, 2) << " (random picks: " << fixed(spans.chance_purity, 2)
      << ") | |\n| segmentation mIoU: ";
    for (size_t k = 0; k < seg.methods.size(); ++k) t << (k ? " / " : "") << method_name(seg.methods[k]);
    t << " | ";
    for (size_t k = 0; k < seg.methods.size(); ++k) t << (k ? " / " : "") << fixed(100 * seg.totals[k].mean_iou());
    const size_t n = sp.habitat_heads.size();
    t << " | decomposition above attention |\n| worst-group accuracy (circle vs square): baseline / " << n
      << " habitat heads mean-ablated / " << n << " random heads (mean of " << o.random_draws << ") | "
      << fixed(sp.baseline.worst) << " / " << (sp.ablated ? fixed(sp.ablated->worst) : std::string("-")) << " / "
      << (sp.ablated ? fixed(sp.random_mean_worst) : std::string("-")) << " % | ablated above both |\n";
    return t.str();
}

void run(const Options& o) {
    const std::string descriptions = o.descriptions.empty() ? demo_descriptions_path() : o.descriptions;
    const auto t0 = std::chrono::steady_clock::now();
    // An earlier report in the folder is replaced whole; Ctrl+C or a failure leaves no half report.
    // In place, not staged beside it: the report's store records the absolute paths of its images.
    GeneratedFolder folder(o.out, {"report.md"}, "demo-report", /*replace_earlier=*/true,
                           GeneratedFolder::Staging::InPlace);
    const ClipModel model = load_model(o.model);
    const auto& c = model.config();
    const int64_t L = c.vision.layers, H = c.vision.heads;
    fs::create_directories(o.out + "/figures");
    const std::string work = o.out + "/data";
    RunControl* control = &interrupt_control();
    std::ostringstream md;
    md << "# ClipScope on the shapes world\n\n"
       << "Model: `" << model.info().spec << "` (" << c.name << ", " << L << " layers x " << H << " heads, "
       << c.vision.image_size << " px, patch " << c.vision.patch_size << ", E = " << c.embed_dim
       << "). Held-out data: seed " << o.seed << " (the model trained on other seeds). Generated by `"
       << "clipscope-cli demo-report`; every number below is recomputed on each run.\n\n";

    // ---- 1. zero-shot accuracy, parts = embedding, cumulative layer ablation
    spdlog::info("demo-report: held-out set of {} single-object scenes", o.images);
    const world::HeldOutSet eval =
        world::make_held_out_set(model, work + "/eval", world::draw_scenes(o.seed, o.images, 0.0), control);
    const Store store = Store::open(eval.store);
    md << "## 1. Zero-shot accuracy and where the direct effect sits\n\n"
       << o.images
       << " held-out scenes with one object. Classes are the attribute words, prompts the captions' phrasing "
       << "(ensembled over shapes for colour, position and habitat). \"Parts\" classifies the sum of every decomposed "
          "term; "
       << "the largest difference between that sum and the normalised embedding over the set was "
       << scientific(eval.self_check) << ".\n\n";
    md << "| family | classes | chance | accuracy (embedding) | accuracy (sum of parts) | predictions that differ |";
    for (int64_t k = 0; k < L; ++k) md << " layers 0.." << k << " ablated |";
    md << "\n|---|---|---|---|---|---|";
    for (int64_t k = 0; k < L; ++k) md << "---|";
    md << "\n";
    nlohmann::json summary = {{"model", model_summary(model)}, {"seed", o.seed}};
    const std::vector<world::FamilyZeroShot> zero_shot = world::zero_shot_by_family(model, eval, store);
    for (const world::FamilyZeroShot& f : zero_shot) {
        md << "| " << f.family << " | " << world::family_size(f.family) << " | "
           << fixed(100.0 / world::family_size(f.family)) << " | " << fixed(f.embedding_accuracy) << " | "
           << fixed(f.parts_accuracy) << " | " << f.differ << " |";
        for (double a : f.sweep) md << " " << fixed(a) << " |";
        md << "\n";
        summary["zero_shot"][f.family] = {
            {"embedding", f.embedding_accuracy}, {"parts", f.parts_accuracy}, {"differ", f.differ}};
    }
    md << "\nThe sweep mean-ablates attention layers 0..k cumulatively (MLPs intact), as the reference's "
          "compute_ablations does.\n\n";

    // ---- 2. TextSpan on every head
    spdlog::info("demo-report: TextSpan on every head");
    const DescriptionPool description_pool = read_description_pool(descriptions);
    const world::TextSpanFamilies spans =
        world::textspan_families(model, store, description_pool, o.rank, o.per_head, o.seed + 3);
    world::write_head_family_grid(o.out + "/figures/heads.png", spans.heads, L, H);
    md << "## 2. TextSpan: what each head writes\n\n"
       << "TextSpan (rank " << spans.rank << ", " << o.per_head << " picks per head) over the " << o.images
       << " held-out images, from a pool of " << description_pool.texts.size() << " descriptions labelled by family (`"
       << descriptions << "`). A head's family is the most common family among its "
       << "picks; its purity is that family's share. Mean purity: " << fixed(spans.mean_purity, 2)
       << " (heads picking at random from the pool "
       << "would average " << fixed(spans.chance_purity, 2) << ").\n\n![heads](figures/heads.png)\n\n"
       << "| head | family | purity | variance explained | picks, in order |\n|---|---|---|---|---|\n";
    for (const auto& h : spans.heads) {
        std::string picks;
        for (const auto& t : h.texts) picks += (picks.empty() ? "" : "; ") + t;
        md << "| " << h.layer << "." << h.head << " | " << h.family << " | " << fixed(h.purity, 2) << " | "
           << fixed(h.variance, 3) << " | " << picks << " |\n";
    }
    md << "\nHeads per family: ";
    for (const auto& [f, n] : spans.heads_per_family) md << f << " " << n << ", ";
    md << "\n\n";
    summary["textspan"] = {{"mean_purity", spans.mean_purity},
                           {"chance_purity", spans.chance_purity},
                           {"heads_per_family", spans.heads_per_family}};

    // ---- 3. per-head retrieval
    spdlog::info("demo-report: per-head retrieval");
    md << "## 3. Images similar according to one head\n\n"
       << "For " << o.queries
       << " query images, the share of the 8 nearest other images (plain dot product of the head's terms) that share "
          "the "
       << "query's attribute, averaged over the heads TextSpan labels with that family; the full embedding (cosine) "
          "for comparison.\n\n"
       << "| family | heads | precision@8 by those heads | by the embedding |\n|---|---|---|---|\n";
    for (const world::FamilyRetrieval& r : world::retrieval_by_family(store, spans.heads, zero_shot, o.queries)) {
        md << "| " << r.family << " | " << r.heads << " | " << (r.by_heads ? fixed(*r.by_heads) : std::string("-"))
           << " | " << fixed(r.by_embedding) << " |\n";
        summary["retrieval"][r.family] = {
            {"heads", r.heads},
            {"by_heads", r.by_heads ? nlohmann::json(*r.by_heads) : nlohmann::json(nullptr)},
            {"by_embedding", r.by_embedding}};
    }
    md << "\n";

    // ---- 4. zero-shot segmentation
    spdlog::info("demo-report: segmentation of {} scenes", o.segmentation_images);
    const auto shape = std::find_if(zero_shot.begin(), zero_shot.end(),
                                    [](const world::FamilyZeroShot& f) { return f.family == "shape"; });
    if (shape == zero_shot.end()) throw Error(ErrorKind::Internal, "the shapes world has no shape family");
    const FloatArray& shape_classifier = shape->classifier;
    const world::SegmentationComparison seg = world::segmentation_on_world(
        model, shape_classifier, o.seed + 1, o.segmentation_images, o.out + "/figures/segment_", 4, control);
    md << "## 4. Zero-shot segmentation\n\n"
       << o.segmentation_images << " held-out scenes (a quarter with two objects), masks = every object's pixels. "
       << "Each map is scored by the reference's protocol (upsampled by the patch size, clamped, min-max normalised, "
          "thresholded at its mean); "
       << "the decomposition's map contrasts the top-1 shape class with the mean over shapes.\n\n| method | pixel "
          "accuracy | mIoU | mAP |\n|---|---|---|---|\n";
    for (size_t k = 0; k < seg.methods.size(); ++k) {
        const SegmentationTotals& t = seg.totals[k];
        md << "| " << method_name(seg.methods[k]) << " | " << fixed(100 * t.pixel_accuracy()) << " | "
           << fixed(100 * t.mean_iou()) << " | " << fixed(100 * t.mean_ap()) << " |\n";
        summary["segmentation"][method_name(seg.methods[k])] = {
            {"pixel_accuracy", 100 * t.pixel_accuracy()}, {"miou", 100 * t.mean_iou()}, {"map", 100 * t.mean_ap()}};
    }
    md << "\nFirst scenes, decomposition / last-layer attention / rollout:\n\n";
    for (int i = 0; i < std::min<int>(4, static_cast<int>(o.segmentation_images)); ++i) {
        for (auto m : seg.methods) md << "![](figures/segment_" << i << "_" << method_name(m) << ".png) ";
        md << "\n\n";
    }

    // ---- 5. spurious cues
    spdlog::info("demo-report: spurious cues on {} balanced scenes", o.spurious_images);
    const world::SpuriousHabitat sp = world::spurious_habitat(model, work + "/spurious", spans.heads, o.seed + 2,
                                                              o.seed, o.spurious_images, o.random_draws, control);
    md << "## 5. Spurious cues\n\nThe model trained on scenes where circles sit on water and squares on grass 95% of "
          "the time. Here "
       << o.spurious_images
       << " held-out circles and squares, balanced over the four (shape, habitat) groups, are classified circle vs "
          "square.\n\n";
    std::string heads_text;
    for (const auto& [l, h] : sp.habitat_heads)
        heads_text += (heads_text.empty() ? "" : ", ") + std::to_string(l) + "." + std::to_string(h);
    const GroupReport& base = sp.baseline;
    md << "| setting | worst group | worst-group accuracy | mean over groups | overall |\n|---|---|---|---|---|\n"
       << "| baseline | " << base.worst_group << " | " << fixed(base.worst) << " | " << fixed(base.group_mean) << " | "
       << fixed(base.overall) << " |\n";
    summary["spurious"]["baseline_worst"] = base.worst;
    if (!sp.ablated) {
        md << "\nTextSpan labelled no head \"habitat\", so there is nothing to ablate.\n\n";
    } else {
        const GroupReport& abl = *sp.ablated;
        md << "| habitat heads mean-ablated (" << heads_text << ") | " << abl.worst_group << " | " << fixed(abl.worst)
           << " | " << fixed(abl.group_mean) << " | " << fixed(abl.overall) << " |\n"
           << "| " << sp.habitat_heads.size() << " random heads, " << o.random_draws << " draws | | mean "
           << fixed(sp.random_mean_worst) << ", max " << fixed(sp.random_max_worst) << " | | |\n\n";
        summary["spurious"]["ablated_worst"] = abl.worst;
        summary["spurious"]["random_mean_worst"] = sp.random_mean_worst;
    }
    write_text_atomically(o.out + "/readme-table.md", readme_table(zero_shot, eval, spans, seg, sp, o));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    md << "---\nGenerated in " << fixed(seconds, 0) << " s with " << current_threads() << " threads.\n";
    summary["seconds"] = seconds;
    write_text_atomically(o.out + "/report.md", md.str());
    write_text_atomically(o.out + "/summary.json",
                          summary.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    folder.done();
    spdlog::info("report written to {}/report.md ({:.0f} s)", o.out, seconds);
}

}  // namespace

void register_demo_report(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "demo-report", "Run every analysis on fresh shapes-world data and write DIR/report.md with tables and figures");
    auto o = std::make_shared<Options>();
    add_model_options(*cmd, o->model);
    cmd->add_option("--out,-o", o->out, "Report folder")->required();
    cmd->add_option("--descriptions", o->descriptions,
                    "Description pool: FAMILY<TAB>text per line (default: the demo's descriptions.tsv)");
    cmd->add_option("--images", o->images, "Held-out scenes for zero-shot, TextSpan and retrieval")
        ->capture_default_str();
    cmd->add_option("--segmentation-images", o->segmentation_images)->capture_default_str();
    cmd->add_option("--spurious-images", o->spurious_images, "Balanced circle/square scenes (a multiple of 4)")
        ->capture_default_str();
    cmd->add_option("--queries", o->queries, "Retrieval queries per head")->capture_default_str();
    cmd->add_option("--per-head", o->per_head, "TextSpan picks per head")->capture_default_str();
    cmd->add_option("--rank", o->rank, "TextSpan rank")->capture_default_str();
    cmd->add_option("--random-draws", o->random_draws)->capture_default_str();
    cmd->add_option("--seed", o->seed, "Held-out world seed")->capture_default_str();
    cmd->footer(
        "Example (the bundled demo model, about 20 s):\n  clipscope-cli demo-report --out /tmp/report && xdg-open "
        "/tmp/report/report.md");
    cmd->callback([o] { run(*o); });
}

}  // namespace clipscope::cli
