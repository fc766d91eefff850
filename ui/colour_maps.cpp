#include "colour_maps.h"

#include <algorithm>

namespace clipscope::ui {

QColor heat_colour(double t) {
    t = std::clamp(t, 0.0, 1.0);
    // Piecewise-linear jet: 0 blue, 0.35 cyan, 0.65 yellow, 1 red.
    auto lerp = [](double a, double b, double u) { return a + (b - a) * u; };
    double r, g, b;
    if (t < 0.35) {
        const double u = t / 0.35;
        r = 0, g = lerp(0.15, 0.9, u), b = lerp(0.6, 1.0, u);
    } else if (t < 0.65) {
        const double u = (t - 0.35) / 0.3;
        r = lerp(0.0, 1.0, u), g = lerp(0.9, 0.9, u), b = lerp(1.0, 0.1, u);
    } else {
        const double u = (t - 0.65) / 0.35;
        r = 1.0, g = lerp(0.9, 0.1, u), b = lerp(0.1, 0.05, u);
    }
    return QColor::fromRgbF(static_cast<float>(r), static_cast<float>(g), static_cast<float>(b));
}

QColor diverging_colour(double t) {
    t = std::clamp(t, -1.0, 1.0);
    const double s = 0.75 * std::abs(t);  // keep the extremes light enough for text
    if (t >= 0) return QColor::fromRgbF(1.0f, static_cast<float>(1 - s), static_cast<float>(1 - s));
    return QColor::fromRgbF(static_cast<float>(1 - s), static_cast<float>(1 - s * 0.6), 1.0f);
}

}  // namespace clipscope::ui
