#include "clipscope/analysis/ablation.h"

#include <algorithm>

#include "clipscope/base/error.h"

namespace clipscope {
namespace {

constexpr int64_t kChunk = 256;

int64_t argmax_class(const std::vector<double>& x, const FloatArray& classifier) {
    const int64_t E = classifier.shape[0], C = classifier.shape[1];
    int64_t best = 0;
    double best_score = -1e300;
    for (int64_t c = 0; c < C; ++c) {
        double score = 0;
        for (int64_t e = 0; e < E; ++e)
            score += x[static_cast<size_t>(e)] * classifier.data[static_cast<size_t>(e * C + c)];
        if (score > best_score) {  // strict: the lowest index wins ties
            best_score = score;
            best = c;
        }
    }
    return best;
}

}  // namespace

TermMeans store_term_means(const Store& store, const std::vector<int64_t>& labels, const RunControl* control) {
    const auto& s = store.info();
    const int64_t L = s.layers, H = s.heads, E = s.embed_dim, N = store.size();
    if (!labels.empty() && static_cast<int64_t>(labels.size()) != N)
        throw_usage("one label per store image is needed for the means");
    auto counted = [&](int64_t i) { return labels.empty() || labels[static_cast<size_t>(i)] >= 0; };
    const bool pooled = s.attention_pooled();
    TermMeans m{std::vector<double>(static_cast<size_t>(L * H * E)),
                std::vector<double>(static_cast<size_t>((L + 1) * E)),
                std::vector<double>(pooled ? 0 : static_cast<size_t>(L * E)),
                std::vector<double>(pooled ? static_cast<size_t>(E) : 0)};
    int64_t evaluated = 0;
    for (int64_t i0 = 0; i0 < N; i0 += kChunk) {
        if (control) control->check();
        const int64_t c = std::min(kChunk, N - i0);
        const std::pair<const char*, std::vector<double>*> arrays[] = {
            {"heads", &m.heads}, {"mlps", &m.mlps}, {store_arrays(s).back().name, pooled ? &m.pooling : &m.cls}};
        for (const auto& [name, sums] : arrays) {
            const FloatArray rows = store.read(name, i0, c);
            const size_t per = sums->size();
            for (int64_t r = 0; r < c; ++r)
                if (counted(i0 + r))
                    for (size_t k = 0; k < per; ++k) (*sums)[k] += rows.data[static_cast<size_t>(r) * per + k];
        }
        for (int64_t r = 0; r < c; ++r) evaluated += counted(i0 + r);
        if (control) control->report(i0 + c, 2 * N, "means");
    }
    if (evaluated == 0) throw_usage("no image of the store has a label among the classes");
    for (auto* v : {&m.heads, &m.mlps, &m.cls, &m.pooling})
        for (auto& x : *v) x /= static_cast<double>(evaluated);
    return m;
}

std::vector<AblationSpec> cumulative_layer_sweep(int64_t layers) {
    std::vector<AblationSpec> out;
    for (int64_t k = 0; k < layers; ++k) {
        AblationSpec s;
        s.name = "attention layers 0.." + std::to_string(k);
        for (int64_t l = 0; l <= k; ++l) s.layers.push_back(l);
        out.push_back(s);
    }
    return out;
}

std::vector<AblationResult> evaluate_ablations(const Store& store, const FloatArray& classifier,
                                               const std::vector<int64_t>& labels,
                                               const std::vector<AblationSpec>& specs, const RunControl* control) {
    const auto& s = store.info();
    const int64_t L = s.layers, H = s.heads, E = s.embed_dim, N = store.size();
    if (!store.complete()) throw_input(store.folder(), "is incomplete; finish indexing first");
    if (classifier.rank() != 2 || classifier.shape[0] != E)
        throw_usage("classifier must be [" + std::to_string(E) + ", C]");
    if (static_cast<int64_t>(labels.size()) != N) throw_usage("need one label per store image");
    const bool pooled = s.attention_pooled();
    for (const auto& spec : specs) {
        if (spec.cls && pooled)
            throw_usage(spec.name + ": " + store.folder() +
                        " is attention-pooled (no class token): there is no class-token cell to ablate");
        for (int64_t l : spec.layers)
            if (l < 0 || l >= L)
                throw_usage(spec.name + ": layer " + std::to_string(l) + " is outside 0.." + std::to_string(L - 1));
        for (const auto& [l, h] : spec.heads)
            if (l < 0 || l >= L || h < 0 || h >= H)
                throw_usage(spec.name + ": head " + std::to_string(l) + "." + std::to_string(h) + " does not exist");
        // The class-token cell is summed over heads, so it cannot be replaced apart from
        // a subset of its own heads; the reference never combines the two.
        if (spec.cls && (!spec.layers.empty() || !spec.heads.empty() || !spec.reconstructed.empty()))
            throw_usage(spec.name + ": class-token ablation cannot be combined with head or layer ablations");
    }
    // Per spec, the (layer * H + head) cells it replaces, each once (a head listed twice is ablated once).
    std::vector<std::vector<int64_t>> ablated_cells;
    for (const auto& spec : specs) {
        std::vector<bool> ablated(static_cast<size_t>(L * H), false);
        for (int64_t l : spec.layers)
            for (int64_t h = 0; h < H; ++h) ablated[static_cast<size_t>(l * H + h)] = true;
        for (const auto& [l, h] : spec.heads) ablated[static_cast<size_t>(l * H + h)] = true;
        for (const auto& r : spec.reconstructed)
            if (r.layer >= 0 && r.layer < L && r.head >= 0 && r.head < H &&
                ablated[static_cast<size_t>(r.layer * H + r.head)])
                throw_usage(spec.name + ": head " + std::to_string(r.layer) + "." + std::to_string(r.head) +
                            " is both ablated and reconstructed");
        ablated_cells.emplace_back();
        for (int64_t j = 0; j < L * H; ++j)
            if (ablated[static_cast<size_t>(j)]) ablated_cells.back().push_back(j);
    }
    for (const auto& spec : specs)
        for (const auto& r : spec.reconstructed) {
            if (r.layer < 0 || r.layer >= L || r.head < 0 || r.head >= H)
                throw_usage(spec.name + ": reconstructed head does not exist");
            if (static_cast<int64_t>(r.mean.size()) != E || r.basis.rank() != 2 || r.basis.shape[1] != E)
                throw_usage(spec.name + ": reconstruction of head " + std::to_string(r.layer) + "." +
                            std::to_string(r.head) + " has the wrong width");
        }
    const TermMeans means = store_term_means(store, labels, control);
    std::vector<AblationResult> results(specs.size() + 1);
    results[0].name = "baseline";
    for (size_t k = 0; k < specs.size(); ++k) results[k + 1].name = specs[k].name;
    for (auto& r : results) r.predictions.assign(static_cast<size_t>(N), -1);

    std::vector<double> full(static_cast<size_t>(E)), x(static_cast<size_t>(E));
    for (int64_t i0 = 0; i0 < N; i0 += kChunk) {
        if (control) control->check();
        const int64_t c = std::min(kChunk, N - i0);
        const FloatArray heads = store.read("heads", i0, c), mlps = store.read("mlps", i0, c),
                         fourth = store.read(store_arrays(s).back().name, i0, c);  // cls_attn or pooling
        for (int64_t r = 0; r < c; ++r) {
            const int64_t label = labels[static_cast<size_t>(i0 + r)];
            if (label < 0) continue;
            const float* hp = heads.data.data() + r * L * H * E;
            const float* mp = mlps.data.data() + r * (L + 1) * E;
            const float* cp = pooled ? nullptr : fourth.data.data() + r * L * E;  // part of the heads' terms
            const float* pp = pooled ? fourth.data.data() + r * E : nullptr;      // a term of its own
            std::fill(full.begin(), full.end(), 0.0);
            for (int64_t k = 0; k < L * H; ++k)
                for (int64_t e = 0; e < E; ++e) full[static_cast<size_t>(e)] += hp[k * E + e];
            for (int64_t k = 0; k <= L; ++k)
                for (int64_t e = 0; e < E; ++e) full[static_cast<size_t>(e)] += mp[k * E + e];
            if (pp)
                for (int64_t e = 0; e < E; ++e) full[static_cast<size_t>(e)] += pp[e];
            results[0].total += 1;
            results[0].predictions[static_cast<size_t>(i0 + r)] = argmax_class(full, classifier);
            results[0].correct += results[0].predictions[static_cast<size_t>(i0 + r)] == label;
            for (size_t k = 0; k < specs.size(); ++k) {
                const AblationSpec& spec = specs[k];
                const double keep_mean = spec.zero ? 0.0 : 1.0;
                x = full;
                // Replace each ablated term: x += replacement - value.
                auto replace = [&](const float* value, const double* mean) {
                    for (int64_t e = 0; e < E; ++e) x[static_cast<size_t>(e)] += keep_mean * mean[e] - value[e];
                };
                for (const int64_t j : ablated_cells[k]) replace(hp + j * E, means.heads.data() + j * E);
                if (spec.mlps) {
                    for (int64_t j = 0; j <= L; ++j) replace(mp + j * E, means.mlps.data() + j * E);
                    if (pp) replace(pp, means.pooling.data());  // the pooling head's MLP is an MLP too
                }
                if (spec.cls)
                    for (int64_t l = 0; l < L; ++l) replace(cp + l * E, means.cls.data() + l * E);
                for (const auto& rh : spec.reconstructed) {
                    // x += (mean + sum_j ((d - mean) . b_j) b_j) - d
                    const float* d = hp + (rh.layer * H + rh.head) * E;
                    for (int64_t e = 0; e < E; ++e) x[static_cast<size_t>(e)] += rh.mean[static_cast<size_t>(e)] - d[e];
                    for (int64_t j = 0; j < rh.basis.shape[0]; ++j) {
                        const float* b = rh.basis.data.data() + j * E;
                        double coefficient = 0;
                        for (int64_t e = 0; e < E; ++e)
                            coefficient += (static_cast<double>(d[e]) - rh.mean[static_cast<size_t>(e)]) * b[e];
                        for (int64_t e = 0; e < E; ++e) x[static_cast<size_t>(e)] += coefficient * b[e];
                    }
                }
                results[k + 1].total += 1;
                results[k + 1].predictions[static_cast<size_t>(i0 + r)] = argmax_class(x, classifier);
                results[k + 1].correct += results[k + 1].predictions[static_cast<size_t>(i0 + r)] == label;
            }
        }
        if (control) control->report(N + i0 + c, 2 * N, "evaluating");
    }
    return results;
}

}  // namespace clipscope
