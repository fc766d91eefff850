#include "clipscope/decompose/decompose.h"
#include "clipscope/decompose/pooled_decomposition.h"

namespace clipscope {

Decomposition decompose_image_terms(const ClipModel& model, const FloatArray& pixels, const DecomposeOptions& options) {
    if (model.config().vision.pooling != VisionPooling::AttentionPool) return decompose(model, pixels, options);
    PooledDecomposition p = decompose_pooled(model, pixels, options);  // docs/method.md §12.3
    Decomposition d;
    d.embedding = std::move(p.embedding);
    d.attentions = std::move(p.attentions);
    d.first_spatial_layer = p.first_spatial_layer;
    d.leading_tokens = 0;
    d.heads = std::move(p.heads);
    d.mlps = std::move(p.mlps);
    d.pooling = std::move(p.pooling);
    d.sum_error = std::move(p.sum_error);
    d.head_maps = std::move(p.head_maps);
    d.map_directions = std::move(p.map_directions);
    d.map_error = std::move(p.map_error);
    return d;
}

}  // namespace clipscope
