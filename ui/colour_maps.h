#pragma once
// Colour maps shared by the canvas, the head grid and exported figures.
#include <QColor>

namespace clipscope::ui {

// Blue -> cyan -> yellow -> red for t in [0, 1] (a jet-like map for heatmaps).
QColor heat_colour(double t);
// Diverging map for signed contributions: blue (negative) -> white -> red (positive);
// `t` in [-1, 1]. Light enough for dark text on top.
QColor diverging_colour(double t);

}  // namespace clipscope::ui
