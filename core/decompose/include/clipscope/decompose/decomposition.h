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
    double max_sum_error() const;
};

}  // namespace clipscope
