#pragma once
// Zero-shot segmentation from a per-patch map and its evaluation, exactly as the
// reference's compute_segmentations.py (docs/method.md §6.2, §6.5): the patch grid
// is upsampled bilinearly, clamped at 0, min-max normalised, thresholded at its
// mean; pixel accuracy and IoU are accumulated over the dataset, AP is averaged
// over images.
#include <array>
#include <cstdint>
#include <vector>

#include "clipscope/base/ndarray.h"

namespace clipscope {

// The reference's per-image heatmap for the decomposition (method.md §6.2), as one
// direction: s[m, c*] - mean_c s[m, c] = tok[m] . (w_{c*} - mean_c w_c).
// classifier: [E, C]; returns the [E] direction to dot the patch tokens with.
FloatArray class_contrast_direction(const FloatArray& classifier, int64_t predicted_class);

// Top-1 class of an (unnormalised) embedding [E] under an [E, C] classifier; ties -> lowest index.
int64_t top1_class(const float* embedding, const FloatArray& classifier);

struct ForegroundPrediction {
    int64_t size = 0;
    std::vector<float> heat;          // [S*S] normalised map Hm in [0, 1]; 0 where it was NaN
    std::vector<uint8_t> foreground;  // [S*S] 1 where Hm > mean(Hm)
    bool undefined = false;           // constant map: the reference's 0/0, every score taken as 0
};

// grid: [G, G] patch map -> upsampled by `factor` (bilinear, align_corners = false),
// clamp(min = 0), (Hm - min) / (max - min), foreground = Hm > mean.
ForegroundPrediction predict_foreground(const FloatArray& grid, int64_t factor);

// scikit-learn's average_precision_score (no interpolation): sum over distinct
// descending thresholds of (R_k - R_{k-1}) P_k. 0 when there are no positives.
double average_precision(const std::vector<float>& scores, const std::vector<uint8_t>& targets);

// One image's contribution to the dataset metrics.
struct SegmentationCounts {
    int64_t correct = 0;
    int64_t labeled = 0;
    std::array<int64_t, 2> intersection{};  // per class: 0 background, 1 foreground
    std::array<int64_t, 2> union_{};
    double ap = 0;
};

// mask: [S*S] ground truth, 0 background, anything else foreground.
SegmentationCounts score_segmentation(const ForegroundPrediction& prediction, const std::vector<uint8_t>& mask);

struct SegmentationTotals {
    int64_t images = 0;
    int64_t correct = 0;
    int64_t labeled = 0;
    std::array<int64_t, 2> intersection{};
    std::array<int64_t, 2> union_{};
    double ap_sum = 0;

    void add(const SegmentationCounts& c);
    double pixel_accuracy() const;  // fractions in [0, 1], with the reference's epsilon
    double iou(int cls) const;
    double mean_iou() const;
    double mean_ap() const;
};

}  // namespace clipscope
