#pragma once
// Timings of the plain image forward against the spatial and non-spatial
// decompositions on the same input, so their ratio is the cost of the method.
#include <cstdint>
#include <string>

#include "clipscope/model/clip_model.h"

namespace clipscope {

struct BenchResult {
    std::string arch;
    int64_t batch = 0;
    int threads = 0;
    int runs = 0;
    double plain_ms = 0;  // medians
    double spatial_ms = 0;
    double nonspatial_ms = 0;
    // Non-spatial, plus each head's map toward 5 directions (the app's text A, B and three
    // labels) projected inside the decomposition: what the app runs above its spatial budget.
    double maps_ms = 0;
    double spatial_ratio() const { return spatial_ms / plain_ms; }
    double nonspatial_ratio() const { return nonspatial_ms / plain_ms; }
    double maps_ratio() const { return maps_ms / plain_ms; }
    double max_sum_error = 0;  // self-check of the last spatial run
};

// Runs each variant once to warm up, then `runs` times interleaved (plain,
// spatial, non-spatial, maps) so drift in machine load affects all three alike.
BenchResult run_benchmark(const ClipModel& model, int64_t batch, int runs, uint64_t seed = 0);

}  // namespace clipscope
