#include "clipscope/decompose/decompose.h"

#include <c10/core/InferenceMode.h>

#include <algorithm>

#include "clipscope/base/error.h"
#include "decompose_towers.h"
#include "model_internals.h"
#include "torch_bridge.h"

namespace clipscope {

Decomposition decompose(const ClipModel& model, const FloatArray& pixels, const DecomposeOptions& options) {
    c10::InferenceMode guard;
    const at::Tensor input = pixels_tensor(pixels, model_device(model));
    const ClipConfig& c = model.config();
    require_decomposable(c);
    const int64_t B = input.size(0), L = c.vision.layers, H = c.vision.heads, N = c.vision.tokens(), E = c.embed_dim;
    if (options.spatial_last_layers < 0 || options.spatial_last_layers > L)
        throw_usage("--layers last:K needs 1 <= K <= " + std::to_string(L) + " for this model");
    Decomposition out;
    out.first_spatial_layer =
        options.spatial ? (options.spatial_last_layers == 0 ? 0 : L - options.spatial_last_layers) : L;
    out.embedding = FloatArray({B, E});
    // Every spatial term is written by decompose_batch, so the 58 MB/image buffer is not zeroed first.
    if (options.spatial) out.attentions = FloatArray::uninitialized({B, L - out.first_spatial_layer, N, H, E});
    out.heads = FloatArray({B, L, H, E});
    out.mlps = FloatArray({B, L + 1, E});
    out.cls_attn = FloatArray({B, L, E});
    out.ln_post_mean = FloatArray({B});
    out.ln_post_std = FloatArray({B});
    const std::shared_ptr<const FoldedHeads> folded =
        folded_heads(model, [&] { return std::make_shared<const FoldedHeads>(fold_heads(tower_weights(model), c)); });
    decompose_batch(tower_weights(model), *folded, c, input, options, out);
    return out;
}

AttentionBaselines attention_baselines(const ClipModel& model, const FloatArray& pixels) {
    c10::InferenceMode guard;
    at::Tensor last, rollout;
    attention_baselines(tower_weights(model), model.config(), pixels_tensor(pixels, model_device(model)), last,
                        rollout);
    return {to_float_array(last), to_float_array(rollout)};
}

double Decomposition::max_sum_error() const {
    double m = 0;
    for (double e : sum_error) m = std::max(m, e);
    for (double e : map_error) m = std::max(m, e);
    return m;
}

}  // namespace clipscope
