#pragma once
// The decomposition of an attention-pooled image embedding (SigLIP; docs/method.md §12.3):
// with the image's own post_layernorm scales 1/sigma_m and the pooling head's attention
// weights A_p[h', m] frozen, the pooled attention output is linear in the residual stream,
// so every head, MLP and the embeddings carry through it to z. Everything is divided by
// ||z||. Sum of attentions + mlps + pooling = z / ||z||; so is sum of pool_heads + pool_bias
// + pooling.
#include <cstdint>
#include <vector>

#include "clipscope/base/ndarray.h"
#include "clipscope/decompose/decomposition.h"
#include "clipscope/model/clip_model.h"

namespace clipscope {

struct PooledDecomposition {
    FloatArray embedding;  // [B, E] unnormalised (the pooling head's output)
    // [B, Ls, N, H, E] what head h of layer l writes into position m, carried to z: the spatial
    // axis is where the term enters the pooled positions (no class token). Layers
    // first_spatial_layer..L-1; empty without spatial terms.
    FloatArray attentions;
    int64_t first_spatial_layer = 0;
    FloatArray heads;                // [B, L, H, E] per (layer, head), summed over positions
    FloatArray mlps;                 // [B, L+1, E] 0 = patch + position embeddings, 1+l = MLP of block l
    FloatArray pooling;              // [B, E] the pooling head's residual MLP: not linear, kept as one term
    FloatArray pool_heads;           // [B, N, H', E] A_p[h', m] W_O^h' (W_V^h' y_m + b_V^h') (spatial only)
    FloatArray pool_bias;            // [B, E] the pooling attention's out-projection bias
    FloatArray pool_attention;       // [B, H', N] A_p: the probe's attention over positions
    FloatArray ln_post_std;          // [B, N] post_layernorm's sqrt(var + eps) per position
    std::vector<double> sum_error;   // per image: max |attentions + mlps + pooling - z/||z|||
    std::vector<double> pool_error;  // per image: max |pool_heads + pool_bias + pooling - z/||z||| (spatial only)
    // With DecomposeOptions::map_directions, as Decomposition's: [B, T, L, H, N] over every
    // position, [T, E], and per image the maps' sums against heads . u_t.
    FloatArray head_maps;
    FloatArray map_directions;
    std::vector<double> map_error;
    double max_sum_error() const;
};

// Refuses (Error Usage) a model whose image is not pooled by an attention pooling head.
PooledDecomposition decompose_pooled(const ClipModel& model, const FloatArray& pixels,
                                     const DecomposeOptions& options = {});

// Either kind of model's terms in Decomposition's layout, for code that reads one image's
// parts whatever pools it (the app, stores): decompose() for a class-token model; for an
// attention-pooled one decompose_pooled(), with leading_tokens = 0, the pooling MLP in
// `pooling`, and the pooling head's own breakdown (pool_heads, pool_bias, A_p) left out.
// cls_attn and ln_post_* are empty there: they describe a class token.
Decomposition decompose_image_terms(const ClipModel& model, const FloatArray& pixels,
                                    const DecomposeOptions& options = {});

// Each head's map toward each direction, computed inside the decomposition: the E-wide cells
// of `attentions` are never formed (so400m at 384 px would need 1.45 GB per image for them).
// maps[b, t, l, h, m] = attentions[b, l, m, h] . u_t, the same numbers up to rounding.
struct PooledMaps {
    FloatArray maps;       // [B, T, L, H, N]
    FloatArray embedding;  // [B, E]
    FloatArray heads;      // [B, T, L, H]: heads[b, l, h] . u_t, the maps' sums
    // Per image: max over (t, l, h) of |sum_m maps - heads . u_t|, the per-head terms computed
    // the other way (summed over positions first).
    std::vector<double> self_check;
};
// directions: [T, E] (unit rows for the usual maps).
PooledMaps pooled_head_maps(const ClipModel& model, const FloatArray& pixels, const FloatArray& directions);

}  // namespace clipscope
