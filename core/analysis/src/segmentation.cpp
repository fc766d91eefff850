#include "clipscope/analysis/segmentation.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "clipscope/base/error.h"
#include "clipscope/analysis/heatmap.h"

namespace clipscope {
namespace {
constexpr double kEps = 2.220446049250313e-16;  // numpy's float64 eps, added by the reference
}

FloatArray class_contrast_direction(const FloatArray& classifier, int64_t predicted_class) {
    if (classifier.rank() != 2) throw_usage("the classifier must be [E, C]");
    const int64_t E = classifier.shape[0], C = classifier.shape[1];
    if (predicted_class < 0 || predicted_class >= C) throw_usage("class index out of range");
    FloatArray direction({E});
    for (int64_t e = 0; e < E; ++e) {
        const float* row = classifier.data.data() + e * C;
        double mean = 0;
        for (int64_t c = 0; c < C; ++c) mean += row[c];
        direction.data[static_cast<size_t>(e)] =
            static_cast<float>(row[predicted_class] - mean / static_cast<double>(C));
    }
    return direction;
}

int64_t top1_class(const float* embedding, const FloatArray& classifier) {
    const int64_t E = classifier.shape[0], C = classifier.shape[1];
    std::vector<double> scores(static_cast<size_t>(C), 0.0);
    for (int64_t e = 0; e < E; ++e)
        for (int64_t c = 0; c < C; ++c)
            scores[static_cast<size_t>(c)] +=
                static_cast<double>(embedding[e]) * classifier.data[static_cast<size_t>(e * C + c)];
    return std::max_element(scores.begin(), scores.end()) - scores.begin();  // first maximum
}

ForegroundPrediction predict_foreground(const FloatArray& grid, int64_t factor) {
    const FloatArray up = upsample_bilinear(grid, factor);
    ForegroundPrediction p;
    p.size = up.shape[0];
    const size_t n = up.data.size();
    p.heat.resize(n);
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; ++i) {
        const float v = std::max(up.data[i], 0.0f);
        p.heat[i] = v;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    // A constant map gives 0/0 = NaN in the reference, which it turns into 0 (all background).
    const float range = hi - lo;
    p.undefined = !(range > 0);
    double sum = 0;
    for (auto& v : p.heat) {
        v = range > 0 ? (v - lo) / range : 0.0f;
        sum += v;
    }
    const double threshold = sum / static_cast<double>(n);
    p.foreground.resize(n);
    for (size_t i = 0; i < n; ++i) p.foreground[i] = range > 0 && p.heat[i] > threshold;
    return p;
}

double average_precision(const std::vector<float>& scores, const std::vector<uint8_t>& targets) {
    if (scores.size() != targets.size()) throw_usage("average_precision: scores and targets differ in length");
    std::vector<uint32_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return scores[a] > scores[b]; });
    const int64_t positives = std::count_if(targets.begin(), targets.end(), [](uint8_t t) { return t != 0; });
    if (positives == 0) return 0.0;  // scikit-learn gives NaN here; the reference maps NaN to 0
    double ap = 0, previous_recall = 0;
    int64_t tp = 0, seen = 0;
    for (size_t i = 0; i < order.size(); ++i) {
        tp += targets[order[i]] != 0;
        ++seen;
        // A threshold is complete only after the last of a run of equal scores.
        if (i + 1 < order.size() && scores[order[i + 1]] == scores[order[i]]) continue;
        const double recall = static_cast<double>(tp) / positives;
        ap += (recall - previous_recall) * (static_cast<double>(tp) / seen);
        previous_recall = recall;
    }
    return ap;
}

SegmentationCounts score_segmentation(const ForegroundPrediction& p, const std::vector<uint8_t>& mask) {
    const size_t n = p.foreground.size();
    if (mask.size() != n)
        throw_usage("the mask has " + std::to_string(mask.size()) + " pixels, the prediction " + std::to_string(n));
    SegmentationCounts c;
    c.labeled = static_cast<int64_t>(n);
    std::array<int64_t, 2> predicted{}, truth{};
    for (size_t i = 0; i < n; ++i) {
        const int pr = p.foreground[i] ? 1 : 0, gt = mask[i] ? 1 : 0;
        c.correct += pr == gt;
        ++predicted[pr];
        ++truth[gt];
        if (pr == gt) ++c.intersection[pr];
    }
    for (int k = 0; k < 2; ++k) c.union_[k] = predicted[k] + truth[k] - c.intersection[k];
    // AP over both channels: background scored 1 - Hm against gt == 0, foreground Hm against gt == 1.
    std::vector<float> scores(2 * n);
    std::vector<uint8_t> targets(2 * n);
    for (size_t i = 0; i < n; ++i) {
        scores[i] = p.undefined ? 0.0f : 1.0f - p.heat[i];
        targets[i] = mask[i] == 0;
        scores[n + i] = p.heat[i];
        targets[n + i] = mask[i] != 0;
    }
    c.ap = average_precision(scores, targets);
    return c;
}

void SegmentationTotals::add(const SegmentationCounts& c) {
    ++images;
    correct += c.correct;
    labeled += c.labeled;
    for (int k = 0; k < 2; ++k) {
        intersection[k] += c.intersection[k];
        union_[k] += c.union_[k];
    }
    ap_sum += c.ap;
}

double SegmentationTotals::pixel_accuracy() const { return correct / (kEps + static_cast<double>(labeled)); }
double SegmentationTotals::iou(int cls) const { return intersection[cls] / (kEps + static_cast<double>(union_[cls])); }
double SegmentationTotals::mean_iou() const { return (iou(0) + iou(1)) / 2; }
double SegmentationTotals::mean_ap() const { return images ? ap_sum / images : 0.0; }

}  // namespace clipscope
