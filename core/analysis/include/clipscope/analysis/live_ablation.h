#pragma once
// Instant what-ifs on one decomposed image, for the app's live head toggles: the image
// embedding is the sum of its stored parts (docs/method.md §2), so removing a head or an
// MLP means subtracting its term (zero-ablation) or swapping it for the term's mean over
// an image set (mean-ablation, §3): no model re-run, O(L·H·E) per change.
#include <cstdint>
#include <utility>
#include <vector>

#include "clipscope/analysis/zero_shot.h"
#include "clipscope/decompose/decomposition.h"
#include "clipscope/base/ndarray.h"

namespace clipscope {

struct LiveAblation {
    std::vector<std::pair<int64_t, int64_t>> heads;  // (layer, head)
    std::vector<int64_t> mlps;                       // MLP terms by index: 0 = ln_pre, l + 1 = layer l
    bool pooling = false;  // the attention pooling head's MLP (Decomposition::pooling; SigLIP only)
    // Mean terms over an image set ([L, H, E], [L + 1, E] and [E]); null = zero-ablation.
    const FloatArray* head_means = nullptr;
    const FloatArray* mlp_means = nullptr;
    const FloatArray* pooling_mean = nullptr;
};

// Sum of image b's parts (heads, MLPs and, when pooled, the pooling MLP) with the ablated
// ones replaced: [E]. With nothing ablated it is the unit embedding z/||z|| (up to
// Decomposition::sum_error). Ablating the pooling term of a class-token model is refused.
std::vector<float> ablated_embedding(const Decomposition& d, int64_t b, const LiveAblation& ablation);

// Each part's direct contribution along `direction` ([E]): heads [L * H] (row-major by
// layer), MLPs [L + 1] and the pooling MLP ([1] when pooled, else empty). Their total is the
// embedding's dot product with the direction.
struct PartScores {
    std::vector<float> heads;
    std::vector<float> mlps;
    std::vector<float> pooling;
};
PartScores part_scores(const Decomposition& d, int64_t b, const std::vector<float>& direction);

// Cosine of `embedding` with each row of `texts` ([T, E], unit rows): [T].
std::vector<float> cosine_scores(const std::vector<float>& embedding, const FloatArray& texts);

// CLIP's zero-shot probabilities: softmax(logit_scale · cosine) over the labels.
std::vector<float> label_probabilities(const std::vector<float>& cosines, float logit_scale);
// One image's label scores by the model's rule (zero_shot.h): the softmax above, SigLIP's
// sigmoid(logit_scale · cosine + logit_bias) per label, or the cosines themselves.
std::vector<float> label_scores(const std::vector<float>& cosines, const ZeroShotScoring& scoring);

// The heads of every spatial layer (every layer, for projected head maps) that are not
// ablated: what a map of the ablated model sums.
std::vector<std::pair<int64_t, int64_t>> kept_heads(const Decomposition& d, const LiveAblation& ablation);

}  // namespace clipscope
