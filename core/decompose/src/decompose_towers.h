#pragma once
// Internal to the decompose module: the class-token-row decomposition of the image
// embedding and the attention baselines, as LibTorch ops over the model's tower
// weights (docs/method.md §2).
#include <ATen/ATen.h>

#include <vector>

#include "clip_towers.h"
#include "clipscope/decompose/decomposition.h"
#include "clipscope/model/model_config.h"

namespace clipscope {

// Per-model constants of the decomposition: W_O of every head folded with
// ln_post's gain and the projection, once, so per-image work is one small matmul per layer.
struct FoldedHeads {
    at::Tensor head_proj;   // [L, H, d, E] = (W_O^{l,h})^T diag(gamma) P
    at::Tensor bias_proj;   // [L, E] = b_O^l diag(gamma) P
    at::Tensor gamma_proj;  // [W, E] = diag(gamma) P
    at::Tensor gamma_sum;   // [E] = 1^T diag(gamma) P
    at::Tensor beta_proj;   // [E] = beta P
};
// Refuses (Error Unsupported) a model whose pooling these terms do not linearise: they are
// those of class-token pooling (docs/method.md §2).
void require_decomposable(const ClipConfig& config);

// DecomposeOptions::map_directions as a [T, E] tensor on `device` (undefined when null);
// refuses (Error Usage) another width or a value that is not finite.
at::Tensor map_directions_tensor(const DecomposeOptions& options, int64_t E, const at::Device& device);
// The maps' self-check, per image: max over (t, l, h) of |maps [B, T, L, H, N] summed over
// every token - heads [B, L, H, E] . u_t| (u [T, E]): the per-head terms computed the other way.
std::vector<double> map_self_check(const at::Tensor& maps, const at::Tensor& heads, const at::Tensor& u);

FoldedHeads fold_heads(const ClipWeights& w, const ClipConfig& config);

// The attention-only segmentation baselines, per image over the patch tokens ([B, N-1]):
// the class token's attention in the last layer and attention rollout, both averaged over
// heads. An attention-pooled model's ([B, N], every position a patch) read its pooling head
// in the class token's place.
void attention_baselines(const ClipWeights& w, const ClipConfig& config, const at::Tensor& pixels,
                         at::Tensor& last_layer_cls, at::Tensor& rollout);
// Fills `out` (arrays already sized by the caller's plain buffers) for a batch.
void decompose_batch(const ClipWeights& w, const FoldedHeads& folded, const ClipConfig& config,
                     const at::Tensor& pixels, const DecomposeOptions& options, Decomposition& out);

}  // namespace clipscope
