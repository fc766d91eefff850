#pragma once
// A long loop's progress as one part of a step's 0..1 (e.g. the horizontal pass of a
// resize as its first 0.9), passed on at most once per percent, never going back, so that
// a caller showing it is not flooded. Private to io.
#include <cstdint>

#include "clipscope/io/image.h"

namespace clipscope {

class FractionSpan {
public:
    // fn may be empty (then nothing is reported); start + share <= 1.
    FractionSpan(const FractionDone& fn, double start, double share) : fn_(fn), start_(start), share_(share) {}
    void at(int64_t done, int64_t total) {
        if (!fn_ || total <= 0) return;
        const double f = start_ + share_ * static_cast<double>(done) / static_cast<double>(total);
        const int percent = static_cast<int>(f * 100.0);
        // Never backwards: libjpeg raises its estimate of a progressive file's scans as it reads.
        if (percent <= last_percent_) return;
        last_percent_ = percent;
        fn_(f);
    }

private:
    const FractionDone& fn_;
    double start_, share_;
    int last_percent_ = -1;
};

}  // namespace clipscope
