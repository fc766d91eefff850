#include "map_overlay.h"

#include <algorithm>
#include <cmath>

#include "clipscope/analysis/heatmap.h"
#include "clipscope/analysis/segmentation.h"
#include "colour_maps.h"

namespace clipscope::ui {

MapOverlay map_overlay(const FloatArray& map, int crop_width, const OverlayStyle& style, int patch) {
    MapOverlay out;
    if (map.rank() != 2 || map.shape[0] <= 0 || crop_width <= 0) return out;
    // The mask is the segmentation protocol's (core's predict_foreground: clamped at 0,
    // min-max scaled, above its mean) or above the user's threshold on that scale.
    const int64_t G = map.shape[0];
    const int64_t factor = std::max<int64_t>(1, patch > 0 ? patch : crop_width / G);
    const FloatArray up = upsample_bilinear(map, factor);
    const int64_t S = up.shape[0];
    const double range = style.range > 0 ? style.range : 1;
    const ForegroundPrediction mask = style.mask ? predict_foreground(map, factor) : ForegroundPrediction();
    const int side = std::max(crop_width, static_cast<int>(S));
    out.image = QImage(side, side, QImage::Format_ARGB32);
    // Pixels no patch covers: clear over the image, grey under the mask.
    out.image.fill(style.mask ? QColor(128, 128, 128, 200) : QColor(0, 0, 0, 0));
    bool any_foreground = false;
    for (int64_t y = 0; y < S; ++y)
        for (int64_t x = 0; x < S; ++x) {
            const size_t i = static_cast<size_t>(y * S + x);
            QColor c;
            if (style.mask) {
                const bool foreground = style.threshold < 0 ? mask.foreground[i] != 0 : mask.heat[i] > style.threshold;
                any_foreground = any_foreground || foreground;
                c = foreground ? QColor(255, 255, 255, 0) : QColor(0, 0, 0, 200);
            } else {
                const double t = up.data[i] / range;
                c = diverging_colour(t);
                c.setAlphaF(static_cast<float>(std::min(1.0, std::fabs(t))));
            }
            out.image.setPixelColor(static_cast<int>(x), static_cast<int>(y), c);
        }
    out.mask_empty = style.mask && !any_foreground;
    return out;
}

QImage crop_image(const Image& crop) {
    if (crop.pixels.empty() || crop.channels != 3) return {};
    return QImage(crop.pixels.data(), crop.width, crop.height, crop.width * 3, QImage::Format_RGB888).copy();
}

}  // namespace clipscope::ui
