#pragma once
// The decomposition of a loaded model's image embedding into per-layer, per-head and
// (optionally) per-patch terms, and the attention-only baselines that segmentation
// compares it with (docs/method.md §2). Plain arrays in and out.
#include "clipscope/base/ndarray.h"
#include "clipscope/decompose/decomposition.h"
#include "clipscope/model/clip_model.h"

namespace clipscope {

// pixels: [B, 3, S, S] (or [3, S, S]) preprocessed float32.
Decomposition decompose(const ClipModel& model, const FloatArray& pixels, const DecomposeOptions& options = {});

// Attention-only relevance maps over the patch tokens (baselines for segmentation),
// each [B, G*G] in row-major patch order, heads averaged. On an attention-pooled model the
// pooling head's probe takes the class token's place (docs/method.md §6.2).
struct AttentionBaselines {
    FloatArray last_layer_cls;  // the class token's attention to each patch in the last layer
    FloatArray rollout;  // attention rollout (Abnar & Zuidema 2020): prod over layers of 0.5 A + 0.5 I, class-token row
};
AttentionBaselines attention_baselines(const ClipModel& model, const FloatArray& pixels);

}  // namespace clipscope
