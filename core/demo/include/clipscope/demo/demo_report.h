#pragma once
// The demo report's experiments on fresh held-out shapes-world data (`clipscope-cli
// demo-report` formats them as report.md): zero-shot accuracy per attribute family with
// the cumulative layer sweep, TextSpan head families and their purity against chance,
// per-head retrieval, segmentation against the attention baselines, and the spurious
// habitat cue. Each returns plain numbers; nothing here formats text.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "clipscope/analysis/segmentation.h"
#include "clipscope/analysis/segmentation_maps.h"
#include "clipscope/analysis/spurious.h"
#include "clipscope/analysis/store.h"
#include "clipscope/base/ndarray.h"
#include "clipscope/base/run_control.h"
#include "clipscope/demo/shapes_world.h"
#include "clipscope/io/description_pool.h"
#include "clipscope/model/clip_model.h"

namespace clipscope::world {

// Scenes from one seed (the demo model trained on other seeds).
std::vector<Scene> draw_scenes(uint64_t seed, int64_t n, double two_objects);

// A held-out set: scenes, their images written to DIR/images (the store lists them) and
// DIR/store of their terms, regenerated on every call so a report never mixes runs.
struct HeldOutSet {
    std::vector<Scene> scenes;
    std::vector<RenderedScene> rendered;
    std::string store;
    double self_check = 0;  // max |sum of parts - z/||z||| over the set
};
HeldOutSet make_held_out_set(const ClipModel& model, const std::string& dir, std::vector<Scene> scenes,
                             RunControl* control = nullptr);

struct FamilyZeroShot {
    std::string family;
    FloatArray classifier;          // [E, classes]
    std::vector<int64_t> labels;    // per held-out image
    double embedding_accuracy = 0;  // the plain forward's embedding, %
    double parts_accuracy = 0;      // the sum of the stored parts, %
    int64_t differ = 0;             // images the two classify differently
    std::vector<double> sweep;      // accuracy with attention layers 0..k mean-ablated, k = 0..L-1, %
};
std::vector<FamilyZeroShot> zero_shot_by_family(const ClipModel& model, const HeldOutSet& set, const Store& store);

struct HeadFamily {
    int64_t layer = 0, head = 0;
    std::string family;   // the most frequent family among its picks
    double purity = 0;    // share of its picks from that family
    double variance = 0;  // total variance explained by the picks
    std::vector<std::string> texts;
};
struct TextSpanFamilies {
    std::vector<HeadFamily> heads;
    int64_t rank = 0;
    double mean_purity = 0;
    double chance_purity = 0;  // heads picking their texts uniformly at random from the pool
    std::map<std::string, int> heads_per_family;
};
// `pool` must name a family on every line.
TextSpanFamilies textspan_families(const ClipModel& model, const Store& store, const DescriptionPool& pool,
                                   int64_t rank, int64_t per_head, uint64_t chance_seed);
// Family-coloured layer x head grid, brightness = purity (PNG).
void write_head_family_grid(const std::string& path, const std::vector<HeadFamily>& heads, int64_t layers,
                            int64_t heads_per_layer);

struct FamilyRetrieval {
    std::string family;
    size_t heads = 0;                // heads TextSpan labels with the family
    std::optional<double> by_heads;  // precision@8 (%), averaged over those heads
    double by_embedding = 0;         // precision@8 (%) by the whole embedding
};
// Builds the store's neighbour index first.
std::vector<FamilyRetrieval> retrieval_by_family(const Store& store, const std::vector<HeadFamily>& heads,
                                                 const std::vector<FamilyZeroShot>& families, int64_t queries);

struct SegmentationComparison {
    std::vector<SegmentationMethod> methods;  // decomposition, last-layer attention, rollout
    std::vector<SegmentationTotals> totals;
};
// Scenes drawn from `seed` (a quarter with two objects); the first `figure_scenes`
// overlays are written as FIGURE_PREFIX<scene>_<method>.png.
SegmentationComparison segmentation_on_world(const ClipModel& model, const FloatArray& shape_classifier, uint64_t seed,
                                             int64_t count, const std::string& figure_prefix, int figure_scenes,
                                             RunControl* control = nullptr);

struct SpuriousHabitat {
    HeadList habitat_heads;  // heads TextSpan labelled "habitat"
    GroupReport baseline;
    std::optional<GroupReport> ablated;                  // the habitat heads mean-ablated (when there are any)
    double random_mean_worst = 0, random_max_worst = 0;  // random heads of the same count
};
// Balanced circle/square scenes on water/grass (`count`, a multiple of 4, drawn from
// scene_seed), classified circle vs square, in DIR; random draw d uses draw_seed + d.
SpuriousHabitat spurious_habitat(const ClipModel& model, const std::string& dir, const std::vector<HeadFamily>& heads,
                                 uint64_t scene_seed, uint64_t draw_seed, int64_t count, int64_t random_draws,
                                 RunControl* control = nullptr);

}  // namespace clipscope::world
