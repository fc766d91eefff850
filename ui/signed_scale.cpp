#include "signed_scale.h"

#include <algorithm>
#include <cmath>

namespace clipscope::ui {
double max_abs(const FloatArray& values) {
    double m = 0;
    for (float v : values.data) m = std::max(m, static_cast<double>(std::fabs(v)));
    return m;
}

double usable_range(double max_abs) { return std::isfinite(max_abs) && max_abs > 0 ? max_abs : 1e-6; }

void SignedScale::setMode(Mode mode) {
    mode_ = mode;
    if (mode_ == Mode::Auto) range_ = usable_range(last_max_abs_);
}

void SignedScale::setFixed(double range) {
    if (!(range > 0) || !std::isfinite(range)) return;
    mode_ = Mode::Fixed;
    range_ = range;
}

bool SignedScale::observe(double max_abs, bool new_subject) {
    last_max_abs_ = max_abs;
    const double before = range_;
    if (mode_ == Mode::Auto || (mode_ == Mode::PerSubject && new_subject)) range_ = usable_range(max_abs);
    return range_ != before;
}

std::vector<double> symmetric_ticks(double range, int max_ticks) {
    std::vector<double> ticks;
    if (!(range > 0) || !std::isfinite(range) || max_ticks < 1) return ticks;
    const int per_side = std::max(1, (max_ticks - 1) / 2);
    // The smallest step of 1, 2 or 5 times a power of ten that puts at most per_side ticks on a side.
    const double power = std::pow(10.0, std::floor(std::log10(range / per_side)));
    double step = 10 * power;
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (std::floor(range / (m * power) * (1 + 1e-9)) <= per_side) {
            step = m * power;
            break;
        }
    const int n = static_cast<int>(std::floor(range / step * (1 + 1e-9)));
    for (int k = -n; k <= n; ++k) ticks.push_back(k * step);
    return ticks;
}

}  // namespace clipscope::ui
