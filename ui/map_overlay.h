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

// `map` [G, G]; `crop_width` the crop's side in pixels; `patch` the pixels of one map cell
// (0: crop_width / G). A grid floored from an image size that is no multiple of the patch
// (so400m: 27 x 14 = 378 of 384 px) covers only the crop's top-left G * patch pixels, as
// the patch convolution drops the rest: the strip beyond is left clear (grey in the mask),
// since no term speaks for it.
MapOverlay map_overlay(const FloatArray& map, int crop_width, const OverlayStyle& style, int patch = 0);
// The crop as a QImage (RGB888, a deep copy).
QImage crop_image(const Image& crop);

}  // namespace clipscope::ui
