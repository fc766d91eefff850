#pragma once
// The spurious-cue experiment around the group metrics of spurious.h (docs/method.md
// §8): which store images are evaluated, with which label and group, read from a
// grouped metadata CSV (Waterbirds' layout by default), and the ablation settings
// compared — the chosen heads alone, the reference's context alone, the reference's
// protocol, and the seeded random-heads control both ways.
#include <cstdint>
#include <string>
#include <vector>

#include "clipscope/analysis/ablation.h"
#include "clipscope/analysis/spurious.h"
#include "clipscope/analysis/store.h"
#include "clipscope/io/csv_table.h"

namespace clipscope {

struct GroupedMetadataColumns {
    std::string filename = "img_filename", label = "y", group = "place", split = "split";
    std::string split_value = "2";  // rows evaluated: this split value, or "all"
    std::string root;               // only for messages: the folder the file names are relative to
};

struct GroupedLabels {
    // Per store image: its class index and "label=..,group=.." group, or -1 / "" when not evaluated.
    std::vector<int64_t> labels;
    std::vector<std::string> groups;
    bool all_splits = false;  // every row was evaluated (split_value "all", or no split column)
};

// Each selected row is matched to the store image whose path ends with the row's file
// name (longest suffix first). Throws an input error naming the CSV when a selected row
// has no image, or a label is not a class index 0..class_count-1.
GroupedLabels grouped_labels(const StoreInfo& store, const CsvTable& metadata, const GroupedMetadataColumns& columns,
                             int64_t class_count);

struct SpuriousSettings {
    std::vector<AblationSpec>
        specs;                    // [heads, context only, reference protocol, then per draw: random, random + context]
    std::vector<HeadList> draws;  // the random heads of each draw
    std::string context_text;     // "layers 0..7 + MLPs"
};

// The reference's "ablated" setting also mean-ablates every head of layers 0..L-5 and
// every MLP; the random control draws as many distinct heads from the last
// `random_last_layers` layers, draw d with seed + d.
SpuriousSettings spurious_settings(const HeadList& heads, int64_t layers, int64_t heads_per_layer, int64_t random_draws,
                                   int64_t random_last_layers, uint64_t seed);

}  // namespace clipscope
