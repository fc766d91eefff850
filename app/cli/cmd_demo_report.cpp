// clipscope-cli demo-report: every analysis of the paper, run on fresh held-out
// data from the shapes world with the demo model, written as DIR/report.md with
// tables and figures. The numbers are computed here on every run, never typed in.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>

#include "cli_common.h"
#include "clipscope/analysis/indexing.h"
#include "clipscope/io/description_pool.h"
#include "clipscope/decompose/decompose.h"
#include "clipscope/analysis/ablation.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/analysis/heatmap.h"
#include "clipscope/analysis/neighbor_index.h"
#include "clipscope/analysis/neighbors.h"
#include "clipscope/base/resources.h"
#include "clipscope/analysis/segmentation.h"
#include "clipscope/analysis/segmentation_maps.h"
#include "clipscope/demo/shapes_world.h"
#include "clipscope/analysis/spurious.h"
#include "clipscope/analysis/store.h"
#include "clipscope/analysis/store_textspan.h"
#include "clipscope/analysis/zero_shot.h"
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

// A held-out set: scenes, their rendered images on disk (the store lists them), and a store of their terms.
struct HeldOut {
    std::vector<world::Scene> scenes;
    std::vector<world::RenderedScene> rendered;
    std::string store;
    double self_check = 0;
};

HeldOut make_held_out(const ClipModel& model, const std::string& dir, std::vector<world::Scene> scenes) {
    HeldOut h;
    h.scenes = std::move(scenes);
    const int S = static_cast<int>(model.config().vision.image_size);
    fs::create_directories(dir + "/images");
    StoreInfo info = store_info_for(model);
    info.batch = 32;
    for (size_t i = 0; i < h.scenes.size(); ++i) {
        h.rendered.push_back(world::render(h.scenes[i], S));
        char name[48];
        std::snprintf(name, sizeof name, "/images/%05zu.png", i);
        write_png(dir + name, h.rendered.back().image);
        info.images.push_back({dir + name, ""});
    }
    h.store = dir + "/store";
    fs::remove_all(h.store);  // regenerated every run: the report never mixes runs
    StoreWriter writer = StoreWriter::open(h.store, info);
    // The scenes are already rendered in memory: batches come from them, not from the PNGs.
    const BatchPixels rendered = [&](int64_t first, int64_t count) {
        std::vector<FloatArray> batch;
        for (int64_t i = first; i < first + count; ++i) batch.push_back(normalize_crop(h.rendered[static_cast<size_t>(i)].image, model.config().preprocess));
        return stack_images(batch);
    };
    h.self_check = std::max(h.self_check, index_into_store(model, writer, rendered, &interrupt_control()).max_sum_error);
    return h;
}

std::vector<world::Scene> draw_scenes(uint64_t seed, int64_t n, double two_objects) {
    world::WorldRng rng(seed);
    world::SceneDistribution d;
    d.two_objects = two_objects;
    std::vector<world::Scene> out;
    for (int64_t i = 0; i < n; ++i) out.push_back(world::random_scene(rng, d));
    return out;
}

struct HeadLabel {
    int64_t layer = 0, head = 0;
    std::string family;   // the most frequent family among its picks
    double purity = 0;    // share of its picks from that family
    double variance = 0;  // total variance explained by the picks
    std::vector<std::string> texts;
};

// Family-coloured layer x head grid, brightness = purity.
void write_head_grid(const std::string& path, const std::vector<HeadLabel>& heads, int64_t L, int64_t H) {
    static const std::map<std::string, cv::Scalar> colours = {{"shape", {60, 180, 75}},   {"colour", {48, 130, 245}}, {"position", {180, 30, 145}},
                                                             {"habitat", {200, 130, 0}}, {"size", {128, 128, 0}},    {"fill", {0, 128, 128}},
                                                             {"other", {160, 160, 160}}};  // BGR
    const int cell = 56, margin = 40;
    cv::Mat img(static_cast<int>(L) * cell + margin + 150, static_cast<int>(H) * cell + margin, CV_8UC3, cv::Scalar(255, 255, 255));
    for (const auto& h : heads) {
        const cv::Scalar base = colours.count(h.family) ? colours.at(h.family) : cv::Scalar(0, 0, 0);
        const double t = std::clamp(h.purity, 0.0, 1.0);
        const cv::Scalar c(255 - (255 - base[0]) * t, 255 - (255 - base[1]) * t, 255 - (255 - base[2]) * t);
        const cv::Rect r(margin + static_cast<int>(h.head) * cell, margin + static_cast<int>(h.layer) * cell, cell - 2, cell - 2);
        cv::rectangle(img, r, c, cv::FILLED);
        cv::putText(img, h.family.substr(0, 5), {r.x + 3, r.y + 24}, cv::FONT_HERSHEY_SIMPLEX, 0.38, {0, 0, 0}, 1, cv::LINE_AA);
        cv::putText(img, fixed(h.purity, 2), {r.x + 3, r.y + 42}, cv::FONT_HERSHEY_SIMPLEX, 0.38, {0, 0, 0}, 1, cv::LINE_AA);
    }
    for (int64_t l = 0; l < L; ++l) cv::putText(img, "L" + std::to_string(l), {4, margin + static_cast<int>(l) * cell + 30}, cv::FONT_HERSHEY_SIMPLEX, 0.45, {0, 0, 0}, 1, cv::LINE_AA);
    for (int64_t h = 0; h < H; ++h) cv::putText(img, "H" + std::to_string(h), {margin + static_cast<int>(h) * cell + 14, 28}, cv::FONT_HERSHEY_SIMPLEX, 0.45, {0, 0, 0}, 1, cv::LINE_AA);
    int y = margin + static_cast<int>(L) * cell + 20;
    for (const auto& [name, c] : colours) {
        cv::rectangle(img, cv::Rect(margin, y - 12, 14, 14), c, cv::FILLED);
        cv::putText(img, name, {margin + 20, y}, cv::FONT_HERSHEY_SIMPLEX, 0.45, {0, 0, 0}, 1, cv::LINE_AA);
        y += 18;
    }
    std::vector<uchar> png;
    cv::imencode(".png", img, png);
    write_file_atomically(path, [&](std::ostream& os) { os.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size())); });
}

void run(const Options& o) {
    const std::string descriptions = o.descriptions.empty() ? demo_descriptions_path() : o.descriptions;
    const auto t0 = std::chrono::steady_clock::now();
    const ClipModel model = load_model(o.model);
    const auto& c = model.config();
    const int64_t L = c.vision.layers, H = c.vision.heads;
    fs::create_directories(o.out + "/figures");
    const std::string work = o.out + "/data";
    std::ostringstream md;
    md << "# ClipScope on the shapes world\n\n"
       << "Model: `" << model.info().spec << "` (" << c.name << ", " << L << " layers x " << H << " heads, " << c.vision.image_size << " px, patch "
       << c.vision.patch_size << ", E = " << c.embed_dim << "). Held-out data: seed " << o.seed << " (the model trained on other seeds). Generated by `"
       << "clipscope-cli demo-report`; every number below is recomputed on each run.\n\n";

    // ---- 1. zero-shot accuracy, parts = embedding, cumulative layer ablation
    spdlog::info("demo-report: held-out set of {} single-object scenes", o.images);
    const HeldOut eval = make_held_out(model, work + "/eval", draw_scenes(o.seed, o.images, 0.0));
    const Store store = Store::open(eval.store);
    std::map<std::string, FloatArray> classifiers;
    std::map<std::string, std::vector<int64_t>> labels;
    md << "## 1. Zero-shot accuracy and where the direct effect sits\n\n"
       << o.images << " held-out scenes with one object. Classes are the attribute words, prompts the captions' phrasing "
       << "(ensembled over shapes for colour, position and habitat). \"Parts\" classifies the sum of every decomposed term; "
       << "the largest difference between that sum and the normalised embedding over the set was " << scientific(eval.self_check) << ".\n\n";
    md << "| family | classes | chance | accuracy (embedding) | accuracy (sum of parts) | predictions that differ |";
    for (int64_t k = 0; k < L; ++k) md << " layers 0.." << k << " ablated |";
    md << "\n|---|---|---|---|---|---|";
    for (int64_t k = 0; k < L; ++k) md << "---|";
    md << "\n";
    nlohmann::json summary = {{"model", model_summary(model)}, {"seed", o.seed}};
    for (const auto& family : world::attribute_families()) {
        classifiers[family] = build_classifier(model, world::family_names(family), world::family_templates(family));
        auto& y = labels[family];
        for (const auto& s : eval.scenes) y.push_back(world::attribute_value(s, family));
        const auto results = evaluate_ablations(store, classifiers[family], y, cumulative_layer_sweep(L));
        // The same images through the plain forward (no decomposition).
        int64_t correct = 0, differ = 0;
        for (int64_t i0 = 0; i0 < store.size(); i0 += 64) {
            const int64_t n = std::min<int64_t>(64, store.size() - i0);
            std::vector<FloatArray> batch;
            for (int64_t i = i0; i < i0 + n; ++i) batch.push_back(normalize_crop(eval.rendered[static_cast<size_t>(i)].image, c.preprocess));
            const FloatArray z = model.encode_image(stack_images(batch));
            for (int64_t i = 0; i < n; ++i) {
                const int64_t p = top1_class(z.data.data() + i * c.embed_dim, classifiers[family]);
                correct += p == y[static_cast<size_t>(i0 + i)];
                differ += p != results[0].predictions[static_cast<size_t>(i0 + i)];
            }
        }
        const double plain = 100.0 * correct / store.size();
        md << "| " << family << " | " << world::family_size(family) << " | " << fixed(100.0 / world::family_size(family)) << " | " << fixed(plain) << " | "
           << fixed(results[0].accuracy()) << " | " << differ << " |";
        for (size_t k = 1; k < results.size(); ++k) md << " " << fixed(results[k].accuracy()) << " |";
        md << "\n";
        summary["zero_shot"][family] = {{"embedding", plain}, {"parts", results[0].accuracy()}, {"differ", differ}};
    }
    md << "\nThe sweep mean-ablates attention layers 0..k cumulatively (MLPs intact), as the reference's compute_ablations does.\n\n";

    // ---- 2. TextSpan on every head
    spdlog::info("demo-report: TextSpan on every head");
    const DescriptionPool description_pool = read_description_pool(descriptions);
    if (!description_pool.every_text_has_family()) throw_input(descriptions, "each line must be FAMILY<TAB>description (the families score head purity)");
    const std::vector<std::string>& families = description_pool.families;
    const std::vector<std::string>& texts = description_pool.texts;
    FloatArray pool = model.encode_texts(texts);
    normalize_rows(pool);
    TextSpanOptions ts;
    ts.rank = std::min<int64_t>(o.rank, c.embed_dim);
    ts.iterations = o.per_head;
    ts.reconstruct = false;
    const auto spans = text_span_store(store, pool, ts, L);
    std::vector<HeadLabel> heads;
    for (const auto& hs : spans) {
        HeadLabel h{hs.layer, hs.head, "", 0, hs.fit.total_variance_explained, {}};
        std::map<std::string, int> count;
        for (const auto& p : hs.fit.picks) {
            ++count[families[static_cast<size_t>(p.index)]];
            h.texts.push_back(texts[static_cast<size_t>(p.index)]);
        }
        for (const auto& [f, n] : count)
            if (n > h.purity) h.purity = n, h.family = f;
        h.purity /= std::max<size_t>(1, hs.fit.picks.size());
        heads.push_back(h);
    }
    write_head_grid(o.out + "/figures/heads.png", heads, L, H);
    std::map<std::string, int> by_family;
    double purity_sum = 0;
    for (const auto& h : heads) ++by_family[h.family], purity_sum += h.purity;
    // What purity means by chance: heads picking their texts uniformly at random from the pool.
    double chance_purity = 0;
    {
        world::WorldRng rng(o.seed + 3);
        const int draws = 2000;
        for (int d = 0; d < draws; ++d) {
            std::vector<size_t> pool_index(texts.size());
            for (size_t i = 0; i < pool_index.size(); ++i) pool_index[i] = i;
            std::map<std::string, int> count;
            const int64_t k = std::min<int64_t>(o.per_head, static_cast<int64_t>(texts.size()));
            for (int64_t j = 0; j < k; ++j) {
                const size_t pick = static_cast<size_t>(j) + static_cast<size_t>(rng.below(static_cast<int>(pool_index.size() - static_cast<size_t>(j))));
                std::swap(pool_index[static_cast<size_t>(j)], pool_index[pick]);
                ++count[families[pool_index[static_cast<size_t>(j)]]];
            }
            int best = 0;
            for (const auto& [f, n] : count) best = std::max(best, n);
            chance_purity += static_cast<double>(best) / static_cast<double>(k) / draws;
        }
    }
    md << "## 2. TextSpan: what each head writes\n\n"
       << "TextSpan (rank " << ts.rank << ", " << o.per_head << " picks per head) over the " << o.images << " held-out images, from a pool of "
       << texts.size() << " descriptions labelled by family (`" << descriptions << "`). A head's family is the most common family among its "
       << "picks; its purity is that family's share. Mean purity: " << fixed(purity_sum / heads.size(), 2) << " (heads picking at random from the pool "
       << "would average " << fixed(chance_purity, 2) << ").\n\n![heads](figures/heads.png)\n\n"
       << "| head | family | purity | variance explained | picks, in order |\n|---|---|---|---|---|\n";
    for (const auto& h : heads) {
        std::string picks;
        for (const auto& t : h.texts) picks += (picks.empty() ? "" : "; ") + t;
        md << "| " << h.layer << "." << h.head << " | " << h.family << " | " << fixed(h.purity, 2) << " | " << fixed(h.variance, 3) << " | " << picks << " |\n";
    }
    md << "\nHeads per family: ";
    for (const auto& [f, n] : by_family) md << f << " " << n << ", ";
    md << "\n\n";
    summary["textspan"] = {{"mean_purity", purity_sum / heads.size()}, {"chance_purity", chance_purity}, {"heads_per_family", by_family}};

    // ---- 3. per-head retrieval
    spdlog::info("demo-report: per-head retrieval");
    build_neighbor_index(store);
    md << "## 3. Images similar according to one head\n\n"
       << "For " << o.queries << " query images, the share of the 8 nearest other images (plain dot product of the head's terms) that share the "
       << "query's attribute, averaged over the heads TextSpan labels with that family; the full embedding (cosine) for comparison.\n\n"
       << "| family | heads | precision@8 by those heads | by the embedding |\n|---|---|---|---|\n";
    for (const auto& family : world::attribute_families()) {
        std::vector<NeighborQuery> queries;
        for (const auto& h : heads)
            if (h.family == family) {
                NeighborQuery q;
                q.by = NeighborQuery::By::Head;
                q.layer = h.layer;
                q.head = h.head;
                queries.push_back(q);
            }
        auto precision = [&](const NeighborQuery& q) {
            double sum = 0;
            for (int64_t i = 0; i < o.queries; ++i) {
                const int64_t query = i * store.size() / o.queries;
                const auto key = neighbor_key(store.read("heads", query, 1), store.read("embedding", query, 1), q);
                int hits = 0, seen = 0;
                for (const auto& n : nearest_neighbors(store, key, q, 9)) {
                    if (n.index == query || seen == 8) continue;
                    ++seen;
                    hits += labels[family][static_cast<size_t>(n.index)] == labels[family][static_cast<size_t>(query)];
                }
                sum += seen ? static_cast<double>(hits) / seen : 0;
            }
            return 100.0 * sum / o.queries;
        };
        double by_heads = 0;
        for (const auto& q : queries) by_heads += precision(q);
        const double by_embedding = precision(NeighborQuery{});
        md << "| " << family << " | " << queries.size() << " | " << (queries.empty() ? std::string("-") : fixed(by_heads / queries.size())) << " | "
           << fixed(by_embedding) << " |\n";
        summary["retrieval"][family] = {{"heads", queries.size()}, {"by_heads", queries.empty() ? nlohmann::json(nullptr) : nlohmann::json(by_heads / queries.size())},
                                        {"by_embedding", by_embedding}};
    }
    md << "\n";

    // ---- 4. zero-shot segmentation
    spdlog::info("demo-report: segmentation of {} scenes", o.segmentation_images);
    const std::vector<SegmentationMethod> methods = {SegmentationMethod::Decomposition, SegmentationMethod::LastLayerAttention, SegmentationMethod::Rollout};
    std::vector<SegmentationTotals> totals(methods.size());
    const auto seg_scenes = draw_scenes(o.seed + 1, o.segmentation_images, 0.25);
    for (size_t i = 0; i < seg_scenes.size(); ++i) {
        interrupt_control().check();
        const world::RenderedScene r = world::render(seg_scenes[i], static_cast<int>(c.vision.image_size));
        FloatArray pixels = normalize_crop(r.image, c.preprocess);
        pixels.shape.insert(pixels.shape.begin(), 1);
        const SegmentationMaps maps = segmentation_maps(model, pixels, classifiers["shape"], methods);
        for (size_t k = 0; k < methods.size(); ++k) {
            const ForegroundPrediction p = predict_foreground(maps.grids[k], c.vision.patch_size);
            totals[k].add(score_segmentation(p, r.mask.data));
            if (i < 4) {
                const std::string name = "figures/segment_" + std::to_string(i) + "_" + method_name(methods[k]) + ".png";
                write_heatmap_overlay(o.out + "/" + name, r.image, FloatArray({p.size, p.size}, p.heat), 0.55);
            }
        }
    }
    md << "## 4. Zero-shot segmentation\n\n" << o.segmentation_images << " held-out scenes (a quarter with two objects), masks = every object's pixels. "
       << "Each map is scored by the reference's protocol (upsampled by the patch size, clamped, min-max normalised, thresholded at its mean); "
       << "the decomposition's map contrasts the top-1 shape class with the mean over shapes.\n\n| method | pixel accuracy | mIoU | mAP |\n|---|---|---|---|\n";
    for (size_t k = 0; k < methods.size(); ++k) {
        md << "| " << method_name(methods[k]) << " | " << fixed(100 * totals[k].pixel_accuracy()) << " | " << fixed(100 * totals[k].mean_iou()) << " | "
           << fixed(100 * totals[k].mean_ap()) << " |\n";
        summary["segmentation"][method_name(methods[k])] = {{"pixel_accuracy", 100 * totals[k].pixel_accuracy()}, {"miou", 100 * totals[k].mean_iou()},
                                                            {"map", 100 * totals[k].mean_ap()}};
    }
    md << "\nFirst scenes, decomposition / last-layer attention / rollout:\n\n";
    for (int i = 0; i < std::min<int>(4, static_cast<int>(seg_scenes.size())); ++i) {
        for (auto m : methods) md << "![](figures/segment_" << i << "_" << method_name(m) << ".png) ";
        md << "\n\n";
    }

    // ---- 5. spurious cues
    spdlog::info("demo-report: spurious cues on {} balanced scenes", o.spurious_images);
    std::vector<world::Scene> wb;
    {
        world::WorldRng rng(o.seed + 2);
        world::SceneDistribution d;
        d.two_objects = 0;
        for (int64_t i = 0; i < o.spurious_images; ++i) {
            world::Scene s = world::random_scene(rng, d);
            s.objects[0].shape = i % 2 == 0 ? 0 : 1;       // circle (y = 1) or square (y = 0)
            s.habitat = (i / 2) % 2 == 0 ? 0 : 1;          // water or grass: every group equally often
            wb.push_back(s);
        }
    }
    const HeldOut wb_set = make_held_out(model, work + "/spurious", wb);
    const Store wb_store = Store::open(wb_set.store);
    std::vector<int64_t> y;
    std::vector<std::string> groups;
    for (const auto& s : wb) {
        y.push_back(s.objects[0].shape == 0 ? 1 : 0);
        groups.push_back(std::string(s.objects[0].shape == 0 ? "circle" : "square") + " on " + world::habitats()[static_cast<size_t>(s.habitat)]);
    }
    const FloatArray binary = build_classifier(model, {"square", "circle"}, world::family_templates("shape"));
    HeadList habitat_heads;
    for (const auto& h : heads)
        if (h.family == "habitat") habitat_heads.emplace_back(h.layer, h.head);
    std::vector<AblationSpec> specs;
    AblationSpec ablated{"habitat heads"};
    ablated.heads = habitat_heads;
    specs.push_back(ablated);
    for (int64_t d = 0; d < o.random_draws && !habitat_heads.empty(); ++d) {
        AblationSpec r{"random #" + std::to_string(d)};
        r.heads = random_heads(L, H, L, static_cast<int64_t>(habitat_heads.size()), o.seed + static_cast<uint64_t>(d));
        specs.push_back(r);
    }
    const auto wb_results = evaluate_ablations(wb_store, binary, y, specs);
    const GroupReport base = group_report(wb_results[0].predictions, y, groups);
    md << "## 5. Spurious cues\n\nThe model trained on scenes where circles sit on water and squares on grass 95% of the time. Here "
       << o.spurious_images << " held-out circles and squares, balanced over the four (shape, habitat) groups, are classified circle vs square.\n\n";
    std::string heads_text;
    for (const auto& [l, h] : habitat_heads) heads_text += (heads_text.empty() ? "" : ", ") + std::to_string(l) + "." + std::to_string(h);
    md << "| setting | worst group | worst-group accuracy | mean over groups | overall |\n|---|---|---|---|---|\n"
       << "| baseline | " << base.worst_group << " | " << fixed(base.worst) << " | " << fixed(base.group_mean) << " | " << fixed(base.overall) << " |\n";
    summary["spurious"]["baseline_worst"] = base.worst;
    if (habitat_heads.empty()) {
        md << "\nTextSpan labelled no head \"habitat\", so there is nothing to ablate.\n\n";
    } else {
        const GroupReport abl = group_report(wb_results[1].predictions, y, groups);
        double random_sum = 0, random_max = 0;
        for (size_t k = 2; k < wb_results.size(); ++k) {
            const double w = group_report(wb_results[k].predictions, y, groups).worst;
            random_sum += w;
            random_max = std::max(random_max, w);
        }
        const double random_mean = random_sum / static_cast<double>(wb_results.size() - 2);
        md << "| habitat heads mean-ablated (" << heads_text << ") | " << abl.worst_group << " | " << fixed(abl.worst) << " | " << fixed(abl.group_mean) << " | "
           << fixed(abl.overall) << " |\n"
           << "| " << habitat_heads.size() << " random heads, " << o.random_draws << " draws | | mean " << fixed(random_mean) << ", max " << fixed(random_max)
           << " | | |\n\n";
        summary["spurious"]["ablated_worst"] = abl.worst;
        summary["spurious"]["random_mean_worst"] = random_mean;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    md << "---\nGenerated in " << fixed(seconds, 0) << " s with " << current_threads() << " threads.\n";
    summary["seconds"] = seconds;
    write_text_atomically(o.out + "/report.md", md.str());
    write_text_atomically(o.out + "/summary.json", summary.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    spdlog::info("report written to {}/report.md ({:.0f} s)", o.out, seconds);
}

}  // namespace

void register_demo_report(CLI::App& app) {
    auto* cmd = app.add_subcommand("demo-report", "Run every analysis on fresh shapes-world data and write DIR/report.md with tables and figures");
    auto o = std::make_shared<Options>();
    add_model_options(*cmd, o->model);
    cmd->add_option("--out,-o", o->out, "Report folder")->required();
    cmd->add_option("--descriptions", o->descriptions, "Description pool: FAMILY<TAB>text per line (default: the demo's descriptions.tsv)");
    cmd->add_option("--images", o->images, "Held-out scenes for zero-shot, TextSpan and retrieval")->capture_default_str();
    cmd->add_option("--segmentation-images", o->segmentation_images)->capture_default_str();
    cmd->add_option("--spurious-images", o->spurious_images, "Balanced circle/square scenes (a multiple of 4)")->capture_default_str();
    cmd->add_option("--queries", o->queries, "Retrieval queries per head")->capture_default_str();
    cmd->add_option("--per-head", o->per_head, "TextSpan picks per head")->capture_default_str();
    cmd->add_option("--rank", o->rank, "TextSpan rank")->capture_default_str();
    cmd->add_option("--random-draws", o->random_draws)->capture_default_str();
    cmd->add_option("--seed", o->seed, "Held-out world seed")->capture_default_str();
    cmd->footer("Example (the bundled demo model, about 20 s):\n  clipscope-cli demo-report --out /tmp/report && xdg-open /tmp/report/report.md");
    cmd->callback([o] { run(*o); });
}

}  // namespace clipscope::cli
