#include "clipscope/analysis/neighbors.h"

#include <algorithm>
#include <cmath>
#include <queue>

#include "clipscope/base/error.h"
#include "clipscope/analysis/neighbor_index.h"

namespace clipscope {
namespace {

void check_query(const NeighborQuery& q, int64_t L, int64_t H) {
    auto check = [&](int64_t l, int64_t h) {
        if (l < 0 || l >= L || h < 0 || h >= H)
            throw_usage("head " + std::to_string(l) + "." + std::to_string(h) + " does not exist (layers 0.." +
                        std::to_string(L - 1) + ", heads 0.." + std::to_string(H - 1) + ")");
    };
    if (q.by == NeighborQuery::By::Head) check(q.layer, q.head);
    if (q.by == NeighborQuery::By::Layer) check(q.layer, 0);
    if (q.by == NeighborQuery::By::Heads) {
        if (q.heads.empty()) throw_usage("no heads given");
        for (const auto& [l, h] : q.heads) check(l, h);
    }
}

}  // namespace

std::string NeighborQuery::describe() const {
    switch (by) {
        case By::Head:
            return "head " + std::to_string(layer) + "." + std::to_string(head);
        case By::Layer:
            return "layer " + std::to_string(layer);
        case By::Heads: {
            std::string s = "heads";
            for (const auto& [l, h] : heads) s += " " + std::to_string(l) + "." + std::to_string(h);
            return s;
        }
        case By::Embedding:
            return "embedding (cosine)";
    }
    return "?";
}

std::vector<float> neighbor_key(const FloatArray& heads_row, const FloatArray& embedding_row, const NeighborQuery& q) {
    const int64_t L = heads_row.shape.at(heads_row.rank() - 3), H = heads_row.shape.at(heads_row.rank() - 2),
                  E = heads_row.shape.back();
    check_query(q, L, H);
    std::vector<float> key(static_cast<size_t>(E), 0.0f);
    auto add = [&](int64_t l, int64_t h) {
        for (int64_t e = 0; e < E; ++e)
            key[static_cast<size_t>(e)] += heads_row.data[static_cast<size_t>((l * H + h) * E + e)];
    };
    switch (q.by) {
        case NeighborQuery::By::Head:
            add(q.layer, q.head);
            break;
        case NeighborQuery::By::Layer:
            for (int64_t h = 0; h < H; ++h) add(q.layer, h);
            break;
        case NeighborQuery::By::Heads:
            for (const auto& [l, h] : q.heads) add(l, h);
            break;
        case NeighborQuery::By::Embedding: {
            double n = 0;
            for (float v : embedding_row.data) n += double(v) * v;
            for (int64_t e = 0; e < E; ++e)
                key[static_cast<size_t>(e)] =
                    static_cast<float>(embedding_row.data[static_cast<size_t>(e)] / (n > 0 ? std::sqrt(n) : 1.0));
            break;
        }
    }
    return key;
}

std::vector<Neighbor> nearest_neighbors(const Store& store, const std::vector<float>& key, const NeighborQuery& q,
                                        int64_t k, const RunControl* control) {
    const auto& s = store.info();
    if (!store.complete()) throw_input(store.folder(), "is incomplete; finish indexing first");
    if (static_cast<int64_t>(key.size()) != s.embed_dim) throw_usage("query key has the wrong width");
    if (k < 1) throw_usage("k must be at least 1");
    check_query(q, s.layers, s.heads);
    const int64_t N = store.size(), chunk = 256;
    // Ordered by `better`, the heap keeps the worst of the best k on top (equal scores: higher index is worse).
    auto better = [](const Neighbor& a, const Neighbor& b) {
        return a.score != b.score ? a.score > b.score : a.index < b.index;
    };
    std::priority_queue<Neighbor, std::vector<Neighbor>, decltype(better)> best(better);
    const bool by_embedding = q.by == NeighborQuery::By::Embedding;
    std::vector<int64_t> cells;  // flat (layer * H + head) indices the key sums
    if (q.by == NeighborQuery::By::Head) cells = {q.layer * s.heads + q.head};
    if (q.by == NeighborQuery::By::Layer)
        for (int64_t h = 0; h < s.heads; ++h) cells.push_back(q.layer * s.heads + h);
    for (const auto& [l, h] : q.heads) cells.push_back(l * s.heads + h);
    auto keep = [&](const Neighbor& n) {
        if (static_cast<int64_t>(best.size()) < k)
            best.push(n);
        else if (better(n, best.top())) {
            best.pop();
            best.push(n);
        }
    };
    const NeighborIndexStatus index = by_embedding ? NeighborIndexStatus{} : neighbor_index_status(store);
    const bool use_index = index.usable;
    if (use_index) {
        // Head-major index: one contiguous N x E slab per head (or per layer).
        std::vector<double> scores(static_cast<size_t>(N), 0.0);
        if (q.by == NeighborQuery::By::Layer)
            scores = neighbor_index_scores(store, index.folder, q.layer, -1, key);
        else
            for (const int64_t cell : cells) {
                if (control) control->check();
                const auto part = neighbor_index_scores(store, index.folder, cell / s.heads, cell % s.heads, key);
                for (int64_t i = 0; i < N; ++i) scores[static_cast<size_t>(i)] += part[static_cast<size_t>(i)];
            }
        for (int64_t i = 0; i < N; ++i) keep({i, scores[static_cast<size_t>(i)]});
        if (control) control->report(N, N, "searching");
    }
    // Without an index: one pass over the store's rows (every image's whole [L, H, E] row is read).
    for (int64_t i0 = 0; i0 < (use_index ? 0 : N); i0 += chunk) {
        if (control) control->check();
        const int64_t c = std::min(chunk, N - i0);
        const FloatArray emb = store.read("embedding", i0, c);
        const FloatArray heads = by_embedding ? FloatArray() : store.read("heads", i0, c);
        const int64_t E = s.embed_dim, per = s.layers * s.heads * E;
        for (int64_t r = 0; r < c; ++r) {
            // The candidate's key is a sum of cells, so its dot with the query is the sum of the cells' dots.
            double score = 0;
            if (by_embedding) {
                const float* v = emb.data.data() + r * E;
                double dot = 0, norm = 0;
                for (int64_t e = 0; e < E; ++e) {
                    dot += double(v[e]) * key[static_cast<size_t>(e)];
                    norm += double(v[e]) * v[e];
                }
                score = norm > 0 ? dot / std::sqrt(norm) : 0.0;
            } else {
                for (const int64_t cell : cells) {
                    const float* v = heads.data.data() + r * per + cell * E;
                    for (int64_t e = 0; e < E; ++e) score += double(v[e]) * key[static_cast<size_t>(e)];
                }
            }
            keep({i0 + r, score});
        }
        if (control) control->report(i0 + c, N, "searching");
    }
    std::vector<Neighbor> out;
    while (!best.empty()) {
        out.push_back(best.top());
        best.pop();
    }
    std::reverse(out.begin(), out.end());
    return out;
}

}  // namespace clipscope
