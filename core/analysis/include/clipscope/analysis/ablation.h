#pragma once
// Zero-shot accuracy of a store under ablations (docs/method.md §3): terms are
// replaced, for every image, by their mean over the store's images (or by zero),
// and the sum of all terms (not renormalised) is classified by argmax against a
// class-name classifier. Ties go to the lowest class index, like torch's top-1.
// An attention-pooled store (SigLIP) sums heads + mlps + pooling; its sigmoid scores
// (logit_scale * cos + logit_bias) are monotone in the cosine, so the argmax is the same.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "clipscope/base/ndarray.h"
#include "clipscope/base/run_control.h"
#include "clipscope/analysis/store.h"

namespace clipscope {

// A head replaced by its TextSpan reconstruction (method.md §4.3): mean + the
// projection of (term - mean) onto the span of the head's picked text directions.
struct ReconstructedHead {
    int64_t layer = 0;
    int64_t head = 0;
    std::vector<float> mean;  // [E]
    FloatArray basis;         // [k, E] orthonormal rows (TextSpanFit::basis)
};

struct AblationSpec {
    explicit AblationSpec(std::string setting_name = "") : name(std::move(setting_name)) {}
    std::string name;
    bool mlps = false;  // every MLP term, ln_pre's included (and an attention pooling head's MLP)
    bool cls = false;   // the class-token self-attention cell of every layer (refused on attention-pooled stores)
    std::vector<int64_t> layers;                     // whole attention layers (all heads)
    std::vector<std::pair<int64_t, int64_t>> heads;  // (layer, head)
    bool zero = false;                               // replace by zero instead of the mean
    std::vector<ReconstructedHead> reconstructed;    // heads replaced by their TextSpan reconstruction
};

struct AblationResult {
    std::string name;
    int64_t correct = 0;
    int64_t total = 0;
    std::vector<int64_t> predictions;  // per store image: the predicted class, -1 where not evaluated
    double accuracy() const { return total ? 100.0 * correct / total : 0.0; }
};

// The mean of every stored term over the images whose label is >= 0 (every image when
// `labels` is empty), accumulated in float64: heads [L*H*E], mlps [(L+1)*E], and cls [L*E]
// (class-token stores) or pooling [E] (attention-pooled stores); the other one is empty.
struct TermMeans {
    std::vector<double> heads, mlps, cls, pooling;
};
TermMeans store_term_means(const Store& store, const std::vector<int64_t>& labels = {},
                           const RunControl* control = nullptr);

// classifier: [E, C] with unit columns; labels: class index per store image (-1 = skip).
// Means are taken over the evaluated images (label >= 0), as the reference does.
// The first result is the baseline (nothing ablated), then one per spec.
std::vector<AblationResult> evaluate_ablations(const Store& store, const FloatArray& classifier,
                                               const std::vector<int64_t>& labels,
                                               const std::vector<AblationSpec>& specs,
                                               const RunControl* control = nullptr);

// The reference's layer sweep: "layers 0..k" for k = 0..L-1, each cumulative (method.md §3, item 5).
std::vector<AblationSpec> cumulative_layer_sweep(int64_t layers);

}  // namespace clipscope
