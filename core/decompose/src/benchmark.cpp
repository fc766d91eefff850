#include "clipscope/decompose/decompose.h"
#include "clipscope/decompose/benchmark.h"
#include "clipscope/decompose/pooled_decomposition.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <vector>

namespace clipscope {
namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

template <typename F>
double time_ms(F&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

BenchResult run_benchmark(const ClipModel& model, int64_t batch, int runs, uint64_t seed) {
    const auto& c = model.config();
    FloatArray pixels({batch, 3, c.vision.image_size, c.vision.image_size});
    std::mt19937 rng(static_cast<uint32_t>(seed));
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (auto& x : pixels.data) x = dist(rng);

    DecomposeOptions spatial, nonspatial, maps;
    nonspatial.spatial = false;
    FloatArray directions({5, c.embed_dim});
    for (auto& x : directions.data) x = dist(rng) / std::sqrt(static_cast<float>(c.embed_dim));
    maps.spatial = false;
    maps.map_directions = &directions;
    BenchResult r;
    r.arch = c.name;
    r.batch = batch;
    r.threads = current_threads();
    r.runs = std::max(1, runs);
    std::vector<double> plain, sp, nsp, mp;
    // Attention-pooled models (SigLIP) have their own decomposition; the self-check is returned.
    const bool pooled = c.vision.pooling == VisionPooling::AttentionPool;
    const auto run = [&](const DecomposeOptions& o) {
        return pooled ? decompose_pooled(model, pixels, o).max_sum_error()
                      : decompose(model, pixels, o).max_sum_error();
    };
    model.encode_image(pixels);  // warm-up: first-touch allocations, folded heads
    run(spatial);
    run(nonspatial);
    run(maps);
    for (int i = 0; i < r.runs; ++i) {
        plain.push_back(time_ms([&] { model.encode_image(pixels); }));
        sp.push_back(time_ms([&] { r.max_sum_error = run(spatial); }));
        nsp.push_back(time_ms([&] { run(nonspatial); }));
        mp.push_back(time_ms([&] { r.max_sum_error = std::max(r.max_sum_error, run(maps)); }));
    }
    r.plain_ms = median(plain);
    r.spatial_ms = median(sp);
    r.nonspatial_ms = median(nsp);
    r.maps_ms = median(mp);
    return r;
}

}  // namespace clipscope
