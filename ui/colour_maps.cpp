#include "colour_maps.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace clipscope::ui {
namespace {

// ColorBrewer RdBu, 11 classes, from the blue end (-1) to the red end (+1).
constexpr std::array<std::array<int, 3>, 11> kRdBu = {{{5, 48, 97},
                                                       {33, 102, 172},
                                                       {67, 147, 195},
                                                       {146, 197, 222},
                                                       {209, 229, 240},
                                                       {247, 247, 247},
                                                       {253, 219, 199},
                                                       {244, 165, 130},
                                                       {214, 96, 77},
                                                       {178, 24, 43},
                                                       {103, 0, 31}}};

}  // namespace

QColor diverging_colour(double t) {
    if (!std::isfinite(t)) t = 0;
    const double u = (std::clamp(t, -1.0, 1.0) + 1.0) * 0.5 * (kRdBu.size() - 1);
    const size_t i = std::min(static_cast<size_t>(u), kRdBu.size() - 2);
    const double f = u - static_cast<double>(i);
    auto mix = [&](int c) { return static_cast<int>(std::lround(kRdBu[i][c] + (kRdBu[i + 1][c] - kRdBu[i][c]) * f)); };
    return QColor(mix(0), mix(1), mix(2));
}

QColor readable_text_on(const QColor& background) {
    // Relative luminance (sRGB weights on the gamma-encoded values is close enough here).
    const double y = 0.2126 * background.redF() + 0.7152 * background.greenF() + 0.0722 * background.blueF();
    return y > 0.5 ? QColor(20, 20, 20) : QColor(250, 250, 250);
}

}  // namespace clipscope::ui
