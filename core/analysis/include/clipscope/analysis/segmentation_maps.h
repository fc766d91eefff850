#pragma once
// The per-patch maps that zero-shot segmentation thresholds, for one image: the
// decomposition's class-contrast map (docs/method.md §6.2) and two attention-only
// baselines evaluated the same way.
#include <cstdint>
#include <string>
#include <vector>

#include "clipscope/model/clip_model.h"
#include "clipscope/base/ndarray.h"

namespace clipscope {

enum class SegmentationMethod {
    Decomposition,       // sum over layers and heads of attn[l, m, h] . (w_c* - mean_c w_c)
    LastLayerAttention,  // the class token's attention to each patch in the last layer, heads averaged
                         // (an attention-pooled model: its pooling head's attention, heads averaged)
    Rollout,             // attention rollout (ending with the pooling head's row when pooled)
};

const char* method_name(SegmentationMethod method);        // "decomposition", "last-layer-attention", "rollout"
SegmentationMethod parse_method(const std::string& name);  // usage error naming the choices
// Refuses (Unsupported), before anything is computed or written, what a model cannot map: an
// attention-pooled model whose floored grid does not cover its image. (On such a model the
// attention baselines read its pooling head's attention where CLIP's read the class token's.)
void require_methods_for(const ClipModel& model, const std::vector<SegmentationMethod>& methods);

struct SegmentationMaps {
    int64_t predicted_class = -1;   // top-1 of the image under the classifier
    double self_check = 0;          // sum-of-parts error of the decomposition (0 if not run)
    std::vector<FloatArray> grids;  // per requested method, [G, G]
};

// pixels: [1, 3, S, S] preprocessed; classifier: [E, C] (needed for Decomposition).
SegmentationMaps segmentation_maps(const ClipModel& model, const FloatArray& pixels, const FloatArray& classifier,
                                   const std::vector<SegmentationMethod>& methods);

}  // namespace clipscope
