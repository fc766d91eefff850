#pragma once
// Spatial maps of what pushes an image toward a text (docs/method.md §6.1): for
// each patch token m, the sum over the selected layers and heads of the
// decomposition terms attn[l, m, h] dotted with the text direction. The class-token
// cell (Decomposition::leading_tokens) and the MLP terms are not part of the map, as in the
// reference's demo.
#include <cstdint>
#include <string>
#include <vector>

#include "clipscope/decompose/decomposition.h"
#include "clipscope/io/image.h"
#include "clipscope/base/ndarray.h"

namespace clipscope {

struct MapSelection {
    int64_t first_layer = 0;
    int64_t last_layer = -1;                         // inclusive; -1 = the last layer
    std::vector<std::pair<int64_t, int64_t>> heads;  // (layer, head); empty = every head of the layers
};

// texts: [T, E] (unit rows for the reference's maps). Returns [T, G, G] for image `b`
// of a spatial decomposition whose spatial layers cover the selection.
FloatArray token_maps(const Decomposition& d, int64_t b, const FloatArray& texts, const MapSelection& selection,
                      int64_t grid);

// torch's bilinear upsampling by an integer factor with align_corners = false (method.md §6.3): [G, G] -> [G*f, G*f].
FloatArray upsample_bilinear(const FloatArray& grid, int64_t factor);

// The map over the image (the model's crop), coloured with a blue-to-red map scaled
// to the map's own min..max, blended at `opacity`; written as PNG (atomically).
void write_heatmap_overlay(const std::string& path, const Image& crop, const FloatArray& map, double opacity);

}  // namespace clipscope
