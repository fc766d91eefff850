#include "clipscope/decompose/decompose.h"
#include "clipscope/analysis/segmentation_maps.h"

#include "clipscope/base/error.h"
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

SegmentationMaps segmentation_maps(const ClipModel& model, const FloatArray& pixels, const FloatArray& classifier,
                                   const std::vector<SegmentationMethod>& methods) {
    const int64_t G = model.config().vision.grid();
    if (pixels.rank() != 4 || pixels.shape[0] != 1) throw_usage("segmentation_maps takes one image [1, 3, S, S]");
    SegmentationMaps out;
    AttentionBaselines baselines;
    bool have_baselines = false;
    for (auto m : methods) {
        if (m == SegmentationMethod::Decomposition) {
            if (classifier.rank() != 2 || classifier.shape[0] != model.config().embed_dim)
                throw_usage("the decomposition map needs an [E, C] classifier with E = " +
                            std::to_string(model.config().embed_dim));
            const Decomposition d = decompose(model, pixels);
            out.self_check = d.max_sum_error();
            out.predicted_class = top1_class(d.embedding.data.data(), classifier);
            const FloatArray direction = class_contrast_direction(classifier, out.predicted_class);
            FloatArray rows({1, direction.shape[0]}, direction.data);
            FloatArray grid = token_maps(d, 0, rows, MapSelection{}, G);
            grid.shape = {G, G};
            out.grids.push_back(std::move(grid));
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
