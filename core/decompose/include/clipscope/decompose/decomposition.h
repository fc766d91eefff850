#pragma once
// Direct contributions of every part of a CLIP ViT to its normalised image
// embedding (docs/method.md §2): attention terms per (layer, source token, head),
// per (layer, head), MLP terms (index 0 = ln_pre), with ln_post linearised and
// everything divided by the embedding's norm, exactly like the reference's
// finalize. Sum of all parts = z / ||z||.
#include <cstdint>
#include <vector>

#include "clipscope/base/ndarray.h"

namespace clipscope {

struct DecomposeOptions {
    bool spatial = true;              // keep per-source-token terms
    int64_t spatial_last_layers = 0;  // 0 = all layers; K = only the last K layers keep spatial terms
    // [T, E]: also each head's map toward each row (Decomposition::head_maps), computed inside
    // the decomposition without the E-wide spatial terms, which a large model cannot keep
    // (so400m at 384 px: 1.45 GB per image, ViT-H-14 at 378 px: 1.5 GB). Null: no maps.
    const FloatArray* map_directions = nullptr;
};

struct Decomposition {
    FloatArray embedding;   // [B, E] unnormalised image embedding
    FloatArray attentions;  // [B, Ls, N, H, E] spatial terms of layers first_spatial_layer..L-1 (empty if not spatial)
    int64_t first_spatial_layer = 0;
    // Tokens before the patches on the N axis of `attentions`: 1, the class token (CLIP); 0
    // for an attention-pooled image (SigLIP), whose terms enter z at the patches themselves.
    int64_t leading_tokens = 1;
    FloatArray heads;  // [B, L, H, E] per (layer, head), summed over source tokens
    FloatArray mlps;   // [B, L+1, E]
    // [B, E] the attention pooling head's residual MLP, not linear and so one term (SigLIP,
    // decompose_image_terms); empty for a class-token model. heads + mlps + pooling = z/||z||.
    FloatArray pooling;
    FloatArray cls_attn;            // [B, L, E] terms of source token 0 summed over heads
    FloatArray ln_post_mean;        // [B] ln_post's mean at the class token
    FloatArray ln_post_std;         // [B] sqrt(var + eps)
    std::vector<double> sum_error;  // per image: max |sum of parts - z/||z|||
    // With DecomposeOptions::map_directions: head_maps[b, t, l, h, p] = the spatial term of
    // head h of layer l at patch p (after the leading tokens) dotted with direction t, for
    // every layer, [B, T, L, H, P]; the same numbers as `attentions` projected, up to rounding.
    FloatArray head_maps;
    FloatArray map_directions;  // [T, E] the rows the maps were projected on
    // Per image: max over (t, l, h) of |maps summed over every token - heads . u_t|, the
    // per-head terms computed the other way. Empty without maps.
    std::vector<double> map_error;
    double max_sum_error() const;  // over sum_error and map_error
};

}  // namespace clipscope
