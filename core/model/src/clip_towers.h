#pragma once
// Internal to core (model and the modules above it; never the front ends): the CLIP
// ViT image and text towers as LibTorch ops, and the building blocks the
// decomposition (core/decompose) re-runs to record what it needs (docs/method.md §1).
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "clipscope/model/model_config.h"
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
    at::Tensor conv1_w, conv1_b, class_emb, vis_pos, ln_pre_w, ln_pre_b, ln_post_w, ln_post_b, vis_proj;
    TowerWeights vision;
    // SigLIP's attention pooling head (VisionPooling::AttentionPool): the probe [1, 1, W], its
    // attention (q, k, v packed by rows as nn.MultiheadAttention), the LayerNorm and the MLP.
    at::Tensor pool_probe, pool_in_w, pool_in_b, pool_out_w, pool_out_b, pool_ln_w, pool_ln_b, pool_fc_w, pool_fc_b,
        pool_proj_w, pool_proj_b;
    // text
    at::Tensor tok_emb, txt_pos, ln_final_w, ln_final_b, txt_proj, txt_proj_b, logit_scale, logit_bias, causal_mask;
    TowerWeights text;
};

// The open_clip key of every weight and where it lives in ClipWeights: one table
// serves loading (build_weights) and exporting (ClipModel::state_dict).
struct NamedWeight {
    const char* key;
    at::Tensor ClipWeights::*member;
    bool (*present)(const ClipConfig&) = nullptr;  // null: every architecture has it
};
struct NamedBlockWeight {
    const char* suffix;  // after "[visual.]transformer.resblocks.{i}."
    at::Tensor BlockWeights::*member;
};
extern const std::vector<NamedWeight> kNamedWeights;
extern const std::vector<NamedBlockWeight> kNamedBlockWeights;
// Whether this architecture has the weight (NamedWeight::present).
bool has_weight(const NamedWeight& weight, const ClipConfig& config);
// "visual." for the image tower, "" for the text tower.
std::string block_prefix(bool vision, size_t index);

// Moves the open_clip-named dict onto `device` in the layout the towers use.
ClipWeights build_weights(const StateDict& dict, const ClipConfig& config, const at::Device& device);

at::Tensor encode_image(const ClipWeights& w, const ClipConfig& config, const at::Tensor& pixels);
at::Tensor encode_text(const ClipWeights& w, const ClipConfig& config, const at::Tensor& ids);

// The blocks of a tower, shared by the forward passes here and by the decomposition;
// `tower` says how they compute (activation, LayerNorm eps).
at::Tensor activation(const at::Tensor& x, Activation a);
at::Tensor layer_norm(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const TowerConfig& tower);

// What the decomposition needs from one attention layer: the class-token row of
// the attention probabilities and the values, both already computed by the forward.
// Only small copies are kept unless the spatial terms need every value: holding
// views would keep the [B, H, N, N] probabilities and packed qkv alive, and on
// batches those big blocks then cannot be reused by the next layer (measured 1.4x
// slower non-spatial decompositions at batch 8 on ViT-B-16).
struct AttentionRecord {
    bool keep_values = false;
    bool keep_mean_probs = false;
    bool keep_outputs = false;  // every position's head outputs (the attention-pooled decomposition)
    at::Tensor cls_probs;       // [B, H, N]
    at::Tensor mean_probs;      // [B, N, N] averaged over heads (only with keep_mean_probs)
    at::Tensor values;          // [B, H, N, d] (only with keep_values)
    at::Tensor cls_value;       // [B, H, d]: v at source token 0
    at::Tensor cls_out;         // [B, H, d]: sum_m probs[0, m] v_m (the head outputs at the class token)
    // [B, N, W]: every position's head outputs side by side (head h at columns h*d..h*d+d-1),
    // the out-projection's own input, so keeping it costs no copy (only with keep_outputs).
    at::Tensor outputs;
};

// Multi-head self-attention (nn.MultiheadAttention semantics); fills `record` when given.
at::Tensor attention(const at::Tensor& x, const BlockWeights& b, int64_t heads, const at::Tensor& mask,
                     AttentionRecord* record);
at::Tensor mlp(const at::Tensor& x, const BlockWeights& b, const TowerConfig& tower);
// Patch embedding (+ bias) (+ class token) + positions (+ ln_pre): the initial residual stream x0.
at::Tensor vision_stem(const ClipWeights& w, const ClipConfig& c, const at::Tensor& pixels);
// The last residual stream [B, N, W] to the image embedding [B, E] (VisionConfig::pooling).
at::Tensor vision_head(const ClipWeights& w, const ClipConfig& c, const at::Tensor& x);
// What the decomposition needs from the attention pooling head: its attention weights
// A_p [B, H, N] (probe over positions) and its attention output before the residual MLP, [B, W].
struct PoolRecord {
    at::Tensor probs;
    at::Tensor attended;
};
// SigLIP's pooling head on the post-LayerNorm stream y [B, N, W] -> [B, W] (fills `record` when given).
at::Tensor attention_pool(const ClipWeights& w, const VisionConfig& vision, const at::Tensor& y, PoolRecord* record);
// The position [B] each text is pooled at (TextConfig::pooling).
at::Tensor text_pool_positions(const at::Tensor& ids, const TextConfig& text);
// Refuses pixels that are not [B, 3, S, S] for this model's S.
void check_pixels(const at::Tensor& pixels, const ClipConfig& c);

}  // namespace clipscope
