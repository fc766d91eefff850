#include "clipscope/analysis/live_ablation.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "clipscope/base/error.h"

namespace clipscope {
namespace {

void check_image(const Decomposition& d, int64_t b) {
    if (d.heads.rank() != 4 || d.mlps.rank() != 3)
        throw_usage("live ablation needs a decomposition with head and MLP terms");
    if (b < 0 || b >= d.heads.shape[0]) throw_usage("image index " + std::to_string(b) + " out of range");
}

void check_means(const FloatArray* means, const Shape& expected, const char* what) {
    if (means && means->shape != expected)
        throw_usage(std::string(what) + " means must be " + shape_to_string(expected) + ", got " +
                    shape_to_string(means->shape));
}

}  // namespace

std::vector<float> ablated_embedding(const Decomposition& d, int64_t b, const LiveAblation& a) {
    check_image(d, b);
    const int64_t L = d.heads.shape[1], H = d.heads.shape[2], E = d.heads.shape[3];
    check_means(a.head_means, {L, H, E}, "head");
    check_means(a.mlp_means, {L + 1, E}, "MLP");
    check_means(a.pooling_mean, {E}, "pooling");
    const bool pooled = d.pooling.rank() == 2;
    if (a.pooling && !pooled)
        throw_usage("this model has no attention pooling head: its pooling term cannot be ablated");
    std::vector<uint8_t> head_off(static_cast<size_t>(L * H), 0), mlp_off(static_cast<size_t>(L + 1), 0);
    for (const auto& [l, h] : a.heads) {
        if (l < 0 || l >= L || h < 0 || h >= H)
            throw_usage("head " + std::to_string(l) + "." + std::to_string(h) + " is not in the model");
        head_off[static_cast<size_t>(l * H + h)] = 1;
    }
    for (int64_t m : a.mlps) {
        if (m < 0 || m > L)
            throw_usage("MLP term " + std::to_string(m) + " is not in the model (0.." + std::to_string(L) + ")");
        mlp_off[static_cast<size_t>(m)] = 1;
    }
    std::vector<double> sum(static_cast<size_t>(E), 0.0);
    auto add = [&](const float* v) {
        for (int64_t e = 0; e < E; ++e) sum[static_cast<size_t>(e)] += v[e];
    };
    for (int64_t i = 0; i < L * H; ++i) {
        if (!head_off[static_cast<size_t>(i)])
            add(d.heads.data.data() + (b * L * H + i) * E);
        else if (a.head_means)
            add(a.head_means->data.data() + i * E);
    }
    for (int64_t m = 0; m <= L; ++m) {
        if (!mlp_off[static_cast<size_t>(m)])
            add(d.mlps.data.data() + (b * (L + 1) + m) * E);
        else if (a.mlp_means)
            add(a.mlp_means->data.data() + m * E);
    }
    if (pooled && !a.pooling)
        add(d.pooling.data.data() + b * E);
    else if (pooled && a.pooling_mean)
        add(a.pooling_mean->data.data());
    return std::vector<float>(sum.begin(), sum.end());
}

PartScores part_scores(const Decomposition& d, int64_t b, const std::vector<float>& direction) {
    check_image(d, b);
    const int64_t L = d.heads.shape[1], H = d.heads.shape[2], E = d.heads.shape[3];
    if (static_cast<int64_t>(direction.size()) != E)
        throw_usage("the direction must have " + std::to_string(E) + " values");
    auto dot = [&](const float* v) {
        double s = 0;
        for (int64_t e = 0; e < E; ++e) s += static_cast<double>(v[e]) * direction[static_cast<size_t>(e)];
        return static_cast<float>(s);
    };
    PartScores out;
    for (int64_t i = 0; i < L * H; ++i) out.heads.push_back(dot(d.heads.data.data() + (b * L * H + i) * E));
    for (int64_t m = 0; m <= L; ++m) out.mlps.push_back(dot(d.mlps.data.data() + (b * (L + 1) + m) * E));
    if (d.pooling.rank() == 2) out.pooling.push_back(dot(d.pooling.data.data() + b * E));
    return out;
}

std::vector<float> cosine_scores(const std::vector<float>& embedding, const FloatArray& texts) {
    const int64_t E = static_cast<int64_t>(embedding.size());
    if (texts.rank() != 2 || texts.shape[1] != E) throw_usage("texts must be [T, " + std::to_string(E) + "]");
    double norm = 0;
    for (float v : embedding) norm += static_cast<double>(v) * v;
    norm = std::sqrt(norm);
    std::vector<float> out;
    for (int64_t t = 0; t < texts.shape[0]; ++t) {
        double dot = 0;
        for (int64_t e = 0; e < E; ++e)
            dot += static_cast<double>(embedding[static_cast<size_t>(e)]) * texts.data[static_cast<size_t>(t * E + e)];
        out.push_back(norm > 0 ? static_cast<float>(dot / norm)
                               : 0.f);  // an all-ablated embedding is zero: no direction
    }
    return out;
}

std::vector<float> label_probabilities(const std::vector<float>& cosines, float logit_scale) {
    if (cosines.empty()) return {};
    const float top = *std::max_element(cosines.begin(), cosines.end());
    std::vector<double> e;
    double total = 0;
    for (float c : cosines) total += e.emplace_back(std::exp(static_cast<double>(logit_scale) * (c - top)));
    std::vector<float> out;
    for (double v : e) out.push_back(static_cast<float>(v / total));
    return out;
}

std::vector<float> label_scores(const std::vector<float>& cosines, const ZeroShotScoring& scoring) {
    switch (scoring.rule) {
        case ScoreRule::Softmax:
            return label_probabilities(cosines, scoring.logit_scale);
        case ScoreRule::Cosine:
            return cosines;
        case ScoreRule::Sigmoid: {
            std::vector<float> out;
            for (float c : cosines) out.push_back(sigmoid_score(c, scoring));
            return out;
        }
    }
    throw_usage("unknown score rule");
}

std::vector<std::pair<int64_t, int64_t>> kept_heads(const Decomposition& d, const LiveAblation& a) {
    // Projected head maps (DecomposeOptions::map_directions) cover every layer.
    int64_t first = 0, L = 0, H = 0;
    if (d.attentions.rank() == 5) {
        first = d.first_spatial_layer, L = first + d.attentions.shape[1], H = d.attentions.shape[3];
    } else if (d.head_maps.rank() == 5) {
        L = d.head_maps.shape[2], H = d.head_maps.shape[3];
    } else {
        return {};
    }
    const std::set<std::pair<int64_t, int64_t>> off(a.heads.begin(), a.heads.end());
    std::vector<std::pair<int64_t, int64_t>> out;
    for (int64_t l = first; l < L; ++l)
        for (int64_t h = 0; h < H; ++h)
            if (!off.count({l, h})) out.emplace_back(l, h);
    return out;
}

}  // namespace clipscope
