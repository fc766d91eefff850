#pragma once
// Private to core: the CLIP ViT image and text towers as LibTorch ops, and the
// class-token-row decomposition of the image embedding (docs/method.md §1-2).
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "clipscope/decomposition.h"
#include "clipscope/model_config.h"
#include "torch_bridge.h"

namespace clipscope {

struct BlockWeights {
    at::Tensor ln1_w, ln1_b, in_w, in_b, out_w, out_b, ln2_w, ln2_b, fc_w, fc_b, proj_w, proj_b;
};

struct TowerWeights {
    std::vector<BlockWeights> blocks;
};

struct ClipWeights {
    // vision
    at::Tensor conv1_w, class_emb, vis_pos, ln_pre_w, ln_pre_b, ln_post_w, ln_post_b, vis_proj;
    TowerWeights vision;
    // text
    at::Tensor tok_emb, txt_pos, ln_final_w, ln_final_b, txt_proj, logit_scale, causal_mask;
    TowerWeights text;
};

// The open_clip key of every weight and where it lives in ClipWeights: one table
// serves loading (build_weights) and exporting (ClipModel::state_dict).
struct NamedWeight {
    const char* key;
    at::Tensor ClipWeights::*member;
};
struct NamedBlockWeight {
    const char* suffix;  // after "[visual.]transformer.resblocks.{i}."
    at::Tensor BlockWeights::*member;
};
extern const std::vector<NamedWeight> kNamedWeights;
extern const std::vector<NamedBlockWeight> kNamedBlockWeights;
// "visual." for the image tower, "" for the text tower.
std::string block_prefix(bool vision, size_t index);

// Moves the open_clip-named dict onto `device` in the layout the towers use.
ClipWeights build_weights(const StateDict& dict, const ClipConfig& config, const at::Device& device);

// Per-model constants of the decomposition: W_O of every head folded with
// ln_post's gain and the projection, once, so per-image work is one small matmul per layer.
struct FoldedHeads {
    at::Tensor head_proj;    // [L, H, d, E] = (W_O^{l,h})^T diag(gamma) P
    at::Tensor bias_proj;    // [L, E] = b_O^l diag(gamma) P
    at::Tensor gamma_proj;   // [W, E] = diag(gamma) P
    at::Tensor gamma_sum;    // [E] = 1^T diag(gamma) P
    at::Tensor beta_proj;    // [E] = beta P
};
FoldedHeads fold_heads(const ClipWeights& w, const ClipConfig& config);

at::Tensor encode_image(const ClipWeights& w, const ClipConfig& config, const at::Tensor& pixels);
at::Tensor encode_text(const ClipWeights& w, const ClipConfig& config, const at::Tensor& ids);
// The attention-only segmentation baselines, per image over the patch tokens ([B, N-1]):
// the class token's attention in the last layer and attention rollout, both averaged over heads.
void attention_baselines(const ClipWeights& w, const ClipConfig& config, const at::Tensor& pixels, at::Tensor& last_layer_cls, at::Tensor& rollout);
// Fills `out` (arrays already sized by the caller's plain buffers) for a batch.
void decompose_batch(const ClipWeights& w, const FoldedHeads& folded, const ClipConfig& config, const at::Tensor& pixels,
                     const DecomposeOptions& options, Decomposition& out);

}  // namespace clipscope
