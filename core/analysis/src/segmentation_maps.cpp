#include "clipscope/analysis/segmentation_maps.h"

#include <algorithm>

#include "clipscope/decompose/decompose.h"
#include "clipscope/decompose/pooled_decomposition.h"

#include "clipscope/base/error.h"
#include "clipscope/analysis/direction_maps.h"
#include "clipscope/analysis/heatmap.h"
#include "clipscope/analysis/segmentation.h"

namespace clipscope {

const char* method_name(SegmentationMethod m) {
    switch (m) {
        case SegmentationMethod::Decomposition:
            return "decomposition";
        case SegmentationMethod::LastLayerAttention:
            return "last-layer-attention";
        case SegmentationMethod::Rollout:
            return "rollout";
    }
    return "?";
}

SegmentationMethod parse_method(const std::string& name) {
    for (auto m :
         {SegmentationMethod::Decomposition, SegmentationMethod::LastLayerAttention, SegmentationMethod::Rollout})
        if (name == method_name(m)) return m;
    throw_usage("unknown segmentation method '" + name +
                "' (choose from decomposition, last-layer-attention, rollout)");
}

void require_methods_for(const ClipModel& model, const std::vector<SegmentationMethod>& methods) {
    const auto& v = model.config().vision;
    if (v.pooling != VisionPooling::AttentionPool || methods.empty()) return;
    // A floored grid (so400m: 27 x 14 px of a 384 px image) leaves a strip of the image under
    // no patch: a map of the whole image would have to invent it, whichever method made it.
    const int64_t G = v.grid();
    if (G * v.patch_size != v.image_size)
        throw Error(ErrorKind::Unsupported,
                    model.config().name + ": its " + std::to_string(G) + " x " + std::to_string(G) + " grid of " +
                        std::to_string(v.patch_size) + " px patches covers " + std::to_string(G * v.patch_size) +
                        " of the " + std::to_string(v.image_size) +
                        " px image, and a segmentation map over the whole image would have to invent the rest");
}

namespace {

// The class-contrast map (docs/method.md §6.2; §12.6 through a pooling head): the heads'
// maps toward the predicted class's contrast direction, summed over every layer and head.
// The maps are projected inside the decomposition (DecomposeOptions::map_directions), so no
// model's E-wide spatial terms are formed (1.5 GB per image for ViT-H-14 at 378 px); the
// predicted class comes from a plain forward first, as the direction depends on it.
void class_contrast_map(const ClipModel& model, const FloatArray& pixels, const FloatArray& classifier,
                        SegmentationMaps& out) {
    const auto& v = model.config().vision;
    const int64_t G = v.grid();
    const int64_t predicted = top1_class(model.encode_image(pixels).data.data(), classifier);
    const FloatArray direction = class_contrast_direction(classifier, predicted);
    const FloatArray rows({1, direction.shape[0]}, direction.data);
    DecomposeOptions options;
    options.spatial = false;
    options.map_directions = &rows;
    const Decomposition d = decompose_image_terms(model, pixels, options);
    std::vector<std::pair<int64_t, int64_t>> every_head;
    for (int64_t l = 0; l < v.layers; ++l)
        for (int64_t h = 0; h < v.heads; ++h) every_head.emplace_back(l, h);
    out.predicted_class = predicted;
    out.self_check = d.max_sum_error();
    out.grids.push_back(combined_head_map(d, 0, {1.0f}, every_head, G));
}

}  // namespace

SegmentationMaps segmentation_maps(const ClipModel& model, const FloatArray& pixels, const FloatArray& classifier,
                                   const std::vector<SegmentationMethod>& methods) {
    const int64_t G = model.config().vision.grid();
    if (pixels.rank() != 4 || pixels.shape[0] != 1) throw_usage("segmentation_maps takes one image [1, 3, S, S]");
    require_methods_for(model, methods);
    SegmentationMaps out;
    AttentionBaselines baselines;
    bool have_baselines = false;
    for (auto m : methods) {
        if (m == SegmentationMethod::Decomposition) {
            if (classifier.rank() != 2 || classifier.shape[0] != model.config().embed_dim)
                throw_usage("the decomposition map needs an [E, C] classifier with E = " +
                            std::to_string(model.config().embed_dim));
            class_contrast_map(model, pixels, classifier, out);
        } else {
            if (!have_baselines) {
                baselines = attention_baselines(model, pixels);
                have_baselines = true;
            }
            const FloatArray& src = m == SegmentationMethod::Rollout ? baselines.rollout : baselines.last_layer_cls;
            out.grids.emplace_back(Shape{G, G}, src.data);
        }
    }
    if (out.predicted_class < 0 && classifier.rank() == 2 && classifier.shape[0] == model.config().embed_dim) {
        const FloatArray z = model.encode_image(pixels);
        out.predicted_class = top1_class(z.data.data(), classifier);
    }
    return out;
}

}  // namespace clipscope
