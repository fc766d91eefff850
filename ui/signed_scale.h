#pragma once
// The symmetric range [-range, +range] a signed map is coloured with. By default it is
// set by the first map of each subject (an image along one direction) and then kept,
// so that ablating a head recolours only the patches it changed; "auto" refits every
// map, "fixed" keeps a range the user typed.
#include <vector>

#include "clipscope/base/ndarray.h"

namespace clipscope::ui {

class SignedScale {
public:
    enum class Mode { PerSubject, Auto, Fixed };

    Mode mode() const { return mode_; }
    double range() const { return range_; }
    void setMode(Mode mode);
    // A range the user typed (> 0); switches to Fixed.
    void setFixed(double range);
    // A new map whose largest |value| is `max_abs`; `new_subject` when the image, the
    // direction or the map's source changed. Returns whether the range changed.
    bool observe(double max_abs, bool new_subject);

private:
    Mode mode_ = Mode::PerSubject;
    double range_ = 1.0;
    double last_max_abs_ = 0;
};

// The largest |value|; and a range to colour with: that, or a tiny positive one for an
// all-zero map (every head ablated, an empty selection).
double max_abs(const FloatArray& values);
double usable_range(double max_abs);

// Round tick values in [-range, range], symmetric about 0, at most `max_ticks` of them
// (0 included): steps of 1, 2 or 5 times a power of ten.
std::vector<double> symmetric_ticks(double range, int max_ticks);

}  // namespace clipscope::ui
