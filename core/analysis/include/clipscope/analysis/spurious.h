#pragma once
// Spurious-cue evaluation (docs/method.md §8): accuracy per group (class x spurious
// attribute, e.g. bird type x background on Waterbirds), the worst group, and the
// head sets whose mean-ablation should remove the cue, with a seeded random-heads control.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "clipscope/analysis/head_list.h"

namespace clipscope {

struct GroupAccuracy {
    std::string group;
    int64_t correct = 0;
    int64_t total = 0;
    double accuracy() const { return total ? 100.0 * correct / total : 0.0; }
};

struct GroupReport {
    std::vector<GroupAccuracy> groups;  // sorted by group name
    double overall = 0;                 // % over every evaluated image
    double group_mean = 0;              // unweighted mean of the group accuracies
    double worst = 0;                   // the lowest group accuracy
    std::string worst_group;
};

// predictions/labels per image (label < 0: not evaluated); groups: each image's group name.
GroupReport group_report(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels,
                         const std::vector<std::string>& groups);

// The reference's head lists (method.md §8.2) for ViT-B-16, ViT-L-14 and ViT-H-14:
// preset "geolocation", "image-setting" or "both" (duplicates removed). Usage error otherwise.
HeadList preset_heads(const std::string& architecture, const std::string& preset);

// `count` distinct heads drawn uniformly from the last `last_layers` layers, reproducible
// from the seed on every platform (own Fisher-Yates over a 64-bit Mersenne Twister).
HeadList random_heads(int64_t layers, int64_t heads, int64_t last_layers, int64_t count, uint64_t seed);

// Heads whose TextSpan descriptions contain any keyword (case-insensitive substring).
struct HeadDescriptions {
    int64_t layer = 0;
    int64_t head = 0;
    std::vector<std::string> texts;
};
HeadList heads_matching_keywords(const std::vector<HeadDescriptions>& heads, const std::vector<std::string>& keywords);

}  // namespace clipscope
