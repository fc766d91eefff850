#pragma once
// Per-head nearest neighbours over a store (docs/method.md §7): images similar
// "according to" one head, one layer, a set of heads, or the whole embedding.
// Head and layer keys are the decomposition terms themselves, compared by plain
// dot product as the reference does (no normalisation, no centring); the whole
// embedding is compared by cosine.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "clipscope/base/run_control.h"
#include "clipscope/analysis/store.h"

namespace clipscope {

struct NeighborQuery {
    enum class By { Head, Layer, Heads, Embedding } by = By::Embedding;
    int64_t layer = 0, head = 0;
    std::vector<std::pair<int64_t, int64_t>> heads;
    std::string describe() const;
};

struct Neighbor {
    int64_t index = 0;
    double score = 0;
};

// The comparison vector of one image: heads_row [L, H, E] and embedding_row [E] as stored.
std::vector<float> neighbor_key(const FloatArray& heads_row, const FloatArray& embedding_row,
                                const NeighborQuery& query);

// Top k by score, best first (ties: lower index first). Head, layer and head-set
// queries read the store's neighbour index when it has a valid one (neighbor_index.h),
// else make one pass over the store.
std::vector<Neighbor> nearest_neighbors(const Store& store, const std::vector<float>& key, const NeighborQuery& query,
                                        int64_t k, const RunControl* control = nullptr);

}  // namespace clipscope
