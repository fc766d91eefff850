#pragma once
// Instant what-ifs on one decomposed image, for the app's live head toggles: the image
// embedding is the sum of its stored parts (docs/method.md §2), so removing a head or an
// MLP means subtracting its term (zero-ablation) or swapping it for the term's mean over
// an image set (mean-ablation, §3): no model re-run, O(L·H·E) per change.
#include <cstdint>
#include <utility>
#include <vector>

#include "clipscope/decompose/decomposition.h"
#include "clipscope/base/ndarray.h"

namespace clipscope {

struct LiveAblation {
    std::vector<std::pair<int64_t, int64_t>> heads;  // (layer, head)
    std::vector<int64_t> mlps;                       // MLP terms by index: 0 = ln_pre, l + 1 = layer l
    // Mean terms over an image set ([L, H, E] and [L + 1, E]); null = zero-ablation.
    const FloatArray* head_means = nullptr;
    const FloatArray* mlp_means = nullptr;
};

// Sum of image b's parts with the ablated ones replaced: [E]. With nothing ablated it is
// the unit embedding z/||z|| (up to Decomposition::sum_error).
std::vector<float> ablated_embedding(const Decomposition& d, int64_t b, const LiveAblation& ablation);

// Each part's direct contribution along `direction` ([E]): heads [L * H] (row-major by
// layer) and MLPs [L + 1]. Their total is the embedding's dot product with the direction.
struct PartScores {
    std::vector<float> heads;
    std::vector<float> mlps;
};
PartScores part_scores(const Decomposition& d, int64_t b, const std::vector<float>& direction);

// Cosine of `embedding` with each row of `texts` ([T, E], unit rows): [T].
std::vector<float> cosine_scores(const std::vector<float>& embedding, const FloatArray& texts);

// CLIP's zero-shot probabilities: softmax(logit_scale · cosine) over the labels.
std::vector<float> label_probabilities(const std::vector<float>& cosines, float logit_scale);

// The heads of every spatial layer that are not ablated (what a map of the ablated model sums).
std::vector<std::pair<int64_t, int64_t>> kept_heads(const Decomposition& d, const LiveAblation& ablation);

}  // namespace clipscope
