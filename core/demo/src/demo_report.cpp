#include "clipscope/demo/demo_report.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "clipscope/analysis/ablation.h"
#include "clipscope/analysis/heatmap.h"
#include "clipscope/analysis/indexing.h"
#include "clipscope/analysis/neighbor_index.h"
#include "clipscope/analysis/neighbors.h"
#include "clipscope/analysis/store_textspan.h"
#include "clipscope/analysis/zero_shot.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/io/image.h"

namespace clipscope::world {
namespace fs = std::filesystem;

std::vector<Scene> draw_scenes(uint64_t seed, int64_t n, double two_objects) {
    WorldRng rng(seed);
    SceneDistribution d;
    d.two_objects = two_objects;
    std::vector<Scene> out;
    for (int64_t i = 0; i < n; ++i) out.push_back(random_scene(rng, d));
    return out;
}

HeldOutSet make_held_out_set(const ClipModel& model, const std::string& dir, std::vector<Scene> scenes,
                             RunControl* control) {
    HeldOutSet h;
    h.scenes = std::move(scenes);
    const int S = static_cast<int>(model.config().vision.image_size);
    fs::create_directories(dir + "/images");
    StoreInfo info = store_info_for(model);
    info.batch = 32;
    for (size_t i = 0; i < h.scenes.size(); ++i) {
        h.rendered.push_back(render(h.scenes[i], S));
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
        for (int64_t i = first; i < first + count; ++i)
            batch.push_back(normalize_crop(h.rendered[static_cast<size_t>(i)].image, model.config().preprocess));
        return stack_images(batch);
    };
    h.self_check = std::max(h.self_check, index_into_store(model, writer, rendered, control).max_sum_error);
    return h;
}

std::vector<FamilyZeroShot> zero_shot_by_family(const ClipModel& model, const HeldOutSet& set, const Store& store) {
    const auto& c = model.config();
    std::vector<FamilyZeroShot> out;
    for (const auto& family : attribute_families()) {
        FamilyZeroShot f;
        f.family = family;
        f.classifier = build_classifier(model, family_names(family), family_templates(family));
        for (const auto& s : set.scenes) f.labels.push_back(attribute_value(s, family));
        const auto results = evaluate_ablations(store, f.classifier, f.labels, cumulative_layer_sweep(c.vision.layers));
        // The same images through the plain forward (no decomposition).
        int64_t correct = 0;
        for (int64_t i0 = 0; i0 < store.size(); i0 += 64) {
            const int64_t n = std::min<int64_t>(64, store.size() - i0);
            std::vector<FloatArray> batch;
            for (int64_t i = i0; i < i0 + n; ++i)
                batch.push_back(normalize_crop(set.rendered[static_cast<size_t>(i)].image, c.preprocess));
            const FloatArray z = model.encode_image(stack_images(batch));
            for (int64_t i = 0; i < n; ++i) {
                const int64_t p = top1_class(z.data.data() + i * c.embed_dim, f.classifier);
                correct += p == f.labels[static_cast<size_t>(i0 + i)];
                f.differ += p != results[0].predictions[static_cast<size_t>(i0 + i)];
            }
        }
        f.embedding_accuracy = 100.0 * correct / store.size();
        f.parts_accuracy = results[0].accuracy();
        for (size_t k = 1; k < results.size(); ++k) f.sweep.push_back(results[k].accuracy());
        out.push_back(std::move(f));
    }
    return out;
}

TextSpanFamilies textspan_families(const ClipModel& model, const Store& store, const DescriptionPool& description_pool,
                                   int64_t rank, int64_t per_head, uint64_t chance_seed) {
    const auto& c = model.config();
    if (!description_pool.every_text_has_family())
        throw_input(description_pool.path, "each line must be FAMILY<TAB>description (the families score head purity)");
    const std::vector<std::string>& families = description_pool.families;
    const std::vector<std::string>& texts = description_pool.texts;
    FloatArray pool = model.encode_texts(texts);
    normalize_rows(pool);
    TextSpanOptions ts;
    ts.rank = std::min<int64_t>(rank, c.embed_dim);
    ts.iterations = per_head;
    ts.reconstruct = false;
    const auto spans = text_span_store(store, pool, ts, c.vision.layers);
    TextSpanFamilies out;
    out.rank = ts.rank;
    for (const auto& hs : spans) {
        HeadFamily h{hs.layer, hs.head, "", 0, hs.fit.total_variance_explained, {}};
        std::map<std::string, int> count;
        for (const auto& p : hs.fit.picks) {
            ++count[families[static_cast<size_t>(p.index)]];
            h.texts.push_back(texts[static_cast<size_t>(p.index)]);
        }
        for (const auto& [f, n] : count)
            if (n > h.purity) h.purity = n, h.family = f;
        h.purity /= std::max<size_t>(1, hs.fit.picks.size());
        out.heads.push_back(h);
    }
    double purity_sum = 0;
    for (const auto& h : out.heads) ++out.heads_per_family[h.family], purity_sum += h.purity;
    out.mean_purity = purity_sum / out.heads.size();
    // What purity means by chance: heads picking their texts uniformly at random from the pool.
    WorldRng rng(chance_seed);
    const int draws = 2000;
    for (int d = 0; d < draws; ++d) {
        std::vector<size_t> pool_index(texts.size());
        for (size_t i = 0; i < pool_index.size(); ++i) pool_index[i] = i;
        std::map<std::string, int> count;
        const int64_t k = std::min<int64_t>(per_head, static_cast<int64_t>(texts.size()));
        for (int64_t j = 0; j < k; ++j) {
            const size_t pick =
                static_cast<size_t>(j) +
                static_cast<size_t>(rng.below(static_cast<int>(pool_index.size() - static_cast<size_t>(j))));
            std::swap(pool_index[static_cast<size_t>(j)], pool_index[pick]);
            ++count[families[pool_index[static_cast<size_t>(j)]]];
        }
        int best = 0;
        for (const auto& [f, n] : count) best = std::max(best, n);
        out.chance_purity += static_cast<double>(best) / static_cast<double>(k) / draws;
    }
    return out;
}

void write_head_family_grid(const std::string& path, const std::vector<HeadFamily>& heads, int64_t L, int64_t H) {
    static const std::map<std::string, cv::Scalar> colours = {
        {"shape", {60, 180, 75}}, {"colour", {48, 130, 245}}, {"position", {180, 30, 145}}, {"habitat", {200, 130, 0}},
        {"size", {128, 128, 0}},  {"fill", {0, 128, 128}},    {"other", {160, 160, 160}}};  // BGR
    auto two_digits = [](double v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.2f", v);
        return std::string(buf);
    };
    const int cell = 56, margin = 40;
    cv::Mat img(static_cast<int>(L) * cell + margin + 150, static_cast<int>(H) * cell + margin, CV_8UC3,
                cv::Scalar(255, 255, 255));
    for (const auto& h : heads) {
        const cv::Scalar base = colours.count(h.family) ? colours.at(h.family) : cv::Scalar(0, 0, 0);
        const double t = std::clamp(h.purity, 0.0, 1.0);
        const cv::Scalar c(255 - (255 - base[0]) * t, 255 - (255 - base[1]) * t, 255 - (255 - base[2]) * t);
        const cv::Rect r(margin + static_cast<int>(h.head) * cell, margin + static_cast<int>(h.layer) * cell, cell - 2,
                         cell - 2);
        cv::rectangle(img, r, c, cv::FILLED);
        cv::putText(img, h.family.substr(0, 5), {r.x + 3, r.y + 24}, cv::FONT_HERSHEY_SIMPLEX, 0.38, {0, 0, 0}, 1,
                    cv::LINE_AA);
        cv::putText(img, two_digits(h.purity), {r.x + 3, r.y + 42}, cv::FONT_HERSHEY_SIMPLEX, 0.38, {0, 0, 0}, 1,
                    cv::LINE_AA);
    }
    for (int64_t l = 0; l < L; ++l)
        cv::putText(img, "L" + std::to_string(l), {4, margin + static_cast<int>(l) * cell + 30},
                    cv::FONT_HERSHEY_SIMPLEX, 0.45, {0, 0, 0}, 1, cv::LINE_AA);
    for (int64_t h = 0; h < H; ++h)
        cv::putText(img, "H" + std::to_string(h), {margin + static_cast<int>(h) * cell + 14, 28},
                    cv::FONT_HERSHEY_SIMPLEX, 0.45, {0, 0, 0}, 1, cv::LINE_AA);
    int y = margin + static_cast<int>(L) * cell + 20;
    for (const auto& [name, c] : colours) {
        cv::rectangle(img, cv::Rect(margin, y - 12, 14, 14), c, cv::FILLED);
        cv::putText(img, name, {margin + 20, y}, cv::FONT_HERSHEY_SIMPLEX, 0.45, {0, 0, 0}, 1, cv::LINE_AA);
        y += 18;
    }
    std::vector<uchar> png;
    cv::imencode(".png", img, png);
    write_file_atomically(path, [&](std::ostream& os) {
        os.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
    });
}

std::vector<FamilyRetrieval> retrieval_by_family(const Store& store, const std::vector<HeadFamily>& heads,
                                                 const std::vector<FamilyZeroShot>& families,
                                                 int64_t queries_per_head) {
    build_neighbor_index(store);
    std::vector<FamilyRetrieval> out;
    for (const FamilyZeroShot& family : families) {
        std::vector<NeighborQuery> queries;
        for (const auto& h : heads)
            if (h.family == family.family) {
                NeighborQuery q;
                q.by = NeighborQuery::By::Head;
                q.layer = h.layer;
                q.head = h.head;
                queries.push_back(q);
            }
        const std::vector<int64_t>& labels = family.labels;
        auto precision = [&](const NeighborQuery& q) {
            double sum = 0;
            for (int64_t i = 0; i < queries_per_head; ++i) {
                const int64_t query = i * store.size() / queries_per_head;
                const auto key = neighbor_key(store.read("heads", query, 1), store.read("embedding", query, 1), q);
                int hits = 0, seen = 0;
                for (const auto& n : nearest_neighbors(store, key, q, 9)) {
                    if (n.index == query || seen == 8) continue;
                    ++seen;
                    hits += labels[static_cast<size_t>(n.index)] == labels[static_cast<size_t>(query)];
                }
                sum += seen ? static_cast<double>(hits) / seen : 0;
            }
            return 100.0 * sum / queries_per_head;
        };
        FamilyRetrieval r;
        r.family = family.family;
        r.heads = queries.size();
        double by_heads = 0;
        for (const auto& q : queries) by_heads += precision(q);
        r.by_embedding = precision(NeighborQuery{});
        if (!queries.empty()) r.by_heads = by_heads / queries.size();
        out.push_back(r);
    }
    return out;
}

SegmentationComparison segmentation_on_world(const ClipModel& model, const FloatArray& shape_classifier, uint64_t seed,
                                             int64_t count, const std::string& figure_prefix, int figure_scenes,
                                             RunControl* control) {
    const auto& c = model.config();
    SegmentationComparison out;
    out.methods = {SegmentationMethod::Decomposition, SegmentationMethod::LastLayerAttention,
                   SegmentationMethod::Rollout};
    out.totals.resize(out.methods.size());
    const auto scenes = draw_scenes(seed, count, 0.25);
    for (size_t i = 0; i < scenes.size(); ++i) {
        if (control) control->check();
        const RenderedScene r = render(scenes[i], static_cast<int>(c.vision.image_size));
        FloatArray pixels = normalize_crop(r.image, c.preprocess);
        pixels.shape.insert(pixels.shape.begin(), 1);
        const SegmentationMaps maps = segmentation_maps(model, pixels, shape_classifier, out.methods);
        for (size_t k = 0; k < out.methods.size(); ++k) {
            const ForegroundPrediction p = predict_foreground(maps.grids[k], c.vision.patch_size);
            out.totals[k].add(score_segmentation(p, r.mask.data));
            if (static_cast<int>(i) < figure_scenes)
                write_heatmap_overlay(figure_prefix + std::to_string(i) + "_" + method_name(out.methods[k]) + ".png",
                                      r.image, FloatArray({p.size, p.size}, p.heat), 0.55);
        }
    }
    return out;
}

SpuriousHabitat spurious_habitat(const ClipModel& model, const std::string& dir, const std::vector<HeadFamily>& heads,
                                 uint64_t scene_seed, uint64_t draw_seed, int64_t count, int64_t random_draws,
                                 RunControl* control) {
    const auto& c = model.config();
    const int64_t L = c.vision.layers, H = c.vision.heads;
    std::vector<Scene> wb;
    {
        WorldRng rng(scene_seed);
        SceneDistribution d;
        d.two_objects = 0;
        for (int64_t i = 0; i < count; ++i) {
            Scene s = random_scene(rng, d);
            s.objects[0].shape = i % 2 == 0 ? 0 : 1;  // circle (y = 1) or square (y = 0)
            s.habitat = (i / 2) % 2 == 0 ? 0 : 1;     // water or grass: every group equally often
            wb.push_back(s);
        }
    }
    const HeldOutSet wb_set = make_held_out_set(model, dir, wb, control);
    const Store wb_store = Store::open(wb_set.store);
    std::vector<int64_t> y;
    std::vector<std::string> groups;
    for (const auto& s : wb) {
        y.push_back(s.objects[0].shape == 0 ? 1 : 0);
        groups.push_back(std::string(s.objects[0].shape == 0 ? "circle" : "square") + " on " +
                         habitats()[static_cast<size_t>(s.habitat)]);
    }
    const FloatArray binary = build_classifier(model, {"square", "circle"}, family_templates("shape"));
    SpuriousHabitat out;
    for (const auto& h : heads)
        if (h.family == "habitat") out.habitat_heads.emplace_back(h.layer, h.head);
    std::vector<AblationSpec> specs;
    AblationSpec ablated{"habitat heads"};
    ablated.heads = out.habitat_heads;
    specs.push_back(ablated);
    for (int64_t d = 0; d < random_draws && !out.habitat_heads.empty(); ++d) {
        AblationSpec r{"random #" + std::to_string(d)};
        r.heads =
            random_heads(L, H, L, static_cast<int64_t>(out.habitat_heads.size()), draw_seed + static_cast<uint64_t>(d));
        specs.push_back(r);
    }
    const auto results = evaluate_ablations(wb_store, binary, y, specs);
    out.baseline = group_report(results[0].predictions, y, groups);
    if (!out.habitat_heads.empty()) {
        out.ablated = group_report(results[1].predictions, y, groups);
        double random_sum = 0;
        for (size_t k = 2; k < results.size(); ++k) {
            const double w = group_report(results[k].predictions, y, groups).worst;
            random_sum += w;
            out.random_max_worst = std::max(out.random_max_worst, w);
        }
        out.random_mean_worst = random_sum / static_cast<double>(results.size() - 2);
    }
    return out;
}

}  // namespace clipscope::world
