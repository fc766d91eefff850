#pragma once
// The one colour map for signed quantities, shared by the canvas, the head grid, the
// head detail and exported figures: ColorBrewer's RdBu (blue for negative, near-white
// at zero, red for positive; readable with the common colour-vision deficiencies).
#include <QColor>

namespace clipscope::ui {

// `t` in [-1, 1] (value / symmetric range); values outside are clamped.
QColor diverging_colour(double t);
// Black or white, whichever reads better on `background`.
QColor readable_text_on(const QColor& background);

}  // namespace clipscope::ui
