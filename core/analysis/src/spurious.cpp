#include "clipscope/analysis/spurious.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <random>
#include <set>

#include "clipscope/base/error.h"

namespace clipscope {

GroupReport group_report(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels,
                         const std::vector<std::string>& groups) {
    if (predictions.size() != labels.size() || groups.size() != labels.size())
        throw_usage("group_report: one prediction, label and group per image");
    std::map<std::string, GroupAccuracy> by_group;
    int64_t correct = 0, total = 0;
    for (size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] < 0) continue;
        auto& g = by_group[groups[i]];
        g.group = groups[i];
        const bool right = predictions[i] == labels[i];
        g.correct += right;
        g.total += 1;
        correct += right;
        total += 1;
    }
    GroupReport r;
    if (total == 0) throw_usage("no image was evaluated");
    r.overall = 100.0 * correct / total;
    r.worst = 101;
    for (const auto& [name, g] : by_group) {
        r.groups.push_back(g);
        r.group_mean += g.accuracy();
        if (g.accuracy() < r.worst) {
            r.worst = g.accuracy();
            r.worst_group = name;
        }
    }
    r.group_mean /= static_cast<double>(r.groups.size());
    return r;
}

HeadList preset_heads(const std::string& architecture, const std::string& preset) {
    // method.md §8.2, exactly as listed in the reference (ViT-L-14's (22,12) is in both lists).
    static const std::map<std::string, std::pair<HeadList, HeadList>> kPresets = {
        {"ViT-H-14", {{{31, 8}, {30, 15}, {30, 12}, {30, 6}, {29, 14}, {29, 8}}, {{31, 12}, {30, 11}, {29, 4}}}},
        {"ViT-L-14",
         {{{21, 1}, {22, 12}, {22, 13}, {21, 11}, {21, 14}, {23, 6}},
          {{21, 3}, {21, 6}, {21, 8}, {21, 13}, {22, 2}, {22, 12}, {22, 15}, {23, 1}, {23, 3}, {23, 5}}}},
        {"ViT-B-16", {{{11, 6}, {11, 0}}, {{11, 3}, {10, 11}, {10, 10}, {9, 8}, {9, 6}}}},
    };
    const auto it = kPresets.find(architecture);
    if (it == kPresets.end())
        throw_usage("the reference lists spurious-cue heads only for ViT-B-16, ViT-L-14 and ViT-H-14, not '" +
                    architecture + "'; pass --heads or --keywords");
    HeadList out;
    if (preset == "geolocation" || preset == "both") out = it->second.first;
    if (preset == "image-setting" || preset == "both")
        for (const auto& h : it->second.second)
            if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
    if (preset != "geolocation" && preset != "image-setting" && preset != "both")
        throw_usage("unknown preset '" + preset + "' (choose geolocation, image-setting or both)");
    return out;
}

HeadList random_heads(int64_t layers, int64_t heads, int64_t last_layers, int64_t count, uint64_t seed) {
    const int64_t first = layers - last_layers, pool_size = last_layers * heads;
    if (last_layers < 1 || last_layers > layers || heads < 1) throw_usage("random_heads: bad layer range");
    if (count < 0 || count > pool_size)
        throw_usage("cannot draw " + std::to_string(count) + " distinct heads from " + std::to_string(pool_size));
    std::vector<int64_t> pool(static_cast<size_t>(pool_size));
    for (int64_t i = 0; i < pool_size; ++i) pool[static_cast<size_t>(i)] = i;
    std::mt19937_64 rng(seed);
    // Unbiased integer in [0, n) by rejection: the standard distributions differ between libraries.
    auto below = [&](uint64_t n) {
        const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
        uint64_t v;
        do v = rng();
        while (v >= limit);
        return v % n;
    };
    HeadList out;
    for (int64_t i = 0; i < count; ++i) {
        const auto j = static_cast<int64_t>(below(static_cast<uint64_t>(pool_size - i))) + i;
        std::swap(pool[static_cast<size_t>(i)], pool[static_cast<size_t>(j)]);
        out.emplace_back(first + pool[static_cast<size_t>(i)] / heads, pool[static_cast<size_t>(i)] % heads);
    }
    std::sort(out.begin(), out.end());
    return out;
}

HeadList heads_matching_keywords(const std::vector<HeadDescriptions>& heads, const std::vector<std::string>& keywords) {
    auto lower = [](std::string s) {
        std::transform(s.begin(), s.end(), s.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return s;
    };
    std::vector<std::string> keys;
    for (const auto& k : keywords)
        if (!k.empty()) keys.push_back(lower(k));
    if (keys.empty()) throw_usage("no keywords given");
    HeadList out;
    for (const auto& h : heads) {
        bool hit = false;
        for (const auto& t : h.texts)
            for (const auto& k : keys) hit = hit || lower(t).find(k) != std::string::npos;
        if (hit) out.emplace_back(h.layer, h.head);
    }
    return out;
}

}  // namespace clipscope
