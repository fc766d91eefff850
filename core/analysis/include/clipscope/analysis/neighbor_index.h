#pragma once
// A head-major copy of a store's per-head terms, so a query "according to one head"
// reads N x E contiguous values instead of touching every image's whole [L, H, E]
// row (a 100k-image ViT-B-16 store holds 29.5 GB of head terms; one head is 205 MB).
// Lives in STORE/neighbors/, or where the store is read-only in the user's cache
// ($XDG_CACHE_HOME/ClipScope/neighbor_index/<store key>/): heads.npy [L*H, N, E] in the
// store's dtype (values are the store's, bit for bit), layers.npy [L, N, E] float64
// (heads summed per layer, so layer scores equal the sum of the head scores to float64
// rounding), index.json written last (its presence means complete; it records the
// store's manifest, so a stale index is never used, and each array's size and
// modification time, so an array rewritten since, e.g. overwritten with zeros, is not).
#include <cstdint>
#include <string>
#include <vector>

#include "clipscope/base/run_control.h"
#include "clipscope/analysis/store.h"

namespace clipscope {

// Builds (or rebuilds) the index in one streaming pass over the store; bounded memory.
// Returns the folder it was written to.
std::string build_neighbor_index(const Store& store, const RunControl* control = nullptr);

struct NeighborIndexStatus {
    std::string folder;   // where a usable index is, or where one was found unusable ("" if none)
    bool usable = false;  // complete, of exactly this store, its arrays unchanged since built
    std::string problem;  // why an index that was found is not used ("" when usable or none)
};
NeighborIndexStatus neighbor_index_status(const Store& store);
bool has_neighbor_index(const Store& store);  // neighbor_index_status(store).usable

// Scores of every image against `key` for one head (layer, head) or, with head = -1,
// a whole layer: out[i] = cells(i) . key, summed in float64, from the usable index in
// `index_folder` (neighbor_index_status's folder).
std::vector<double> neighbor_index_scores(const Store& store, const std::string& index_folder, int64_t layer,
                                          int64_t head, const std::vector<float>& key);

}  // namespace clipscope
