#pragma once
// A patch map drawn over the model's crop, shared by the canvas and exported figures:
// the map upsampled as the reference does (bilinear, align_corners = false), coloured by
// the diverging map over a symmetric range with opacity growing with |value| (so the
// image shows through where nothing pushes either way), or the segmentation mask.
#include <QImage>

#include "clipscope/base/ndarray.h"
#include "clipscope/io/image.h"

namespace clipscope::ui {

struct MapOverlay {
    QImage image;             // ARGB, crop-sized
    bool mask_empty = false;  // the mask shows no foreground at all
};

struct OverlayStyle {
    double range = 1;       // the symmetric colour range
    bool mask = false;      // the segmentation mask instead of colours
    double threshold = -1;  // the mask's threshold on the min-max scaled map; < 0 = the map's mean
};

// `map` [G, G]; `crop_width` the crop's side in pixels.
MapOverlay map_overlay(const FloatArray& map, int crop_width, const OverlayStyle& style);
// The crop as a QImage (RGB888, a deep copy).
QImage crop_image(const Image& crop);

}  // namespace clipscope::ui
