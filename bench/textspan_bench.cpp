// TextSpan at the size of the benchmark: one head, [10000, 512] terms,
// 3498 descriptions, rank 80, 20 texts. Times ClipScope's Gram-matrix algorithm
// against a direct float32 port of the reference loop (which touches all N
// images every iteration) and checks that both pick the same texts.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "clipscope/model/clip_model.h"
#include "clipscope/base/process_setup.h"
#include "clipscope/analysis/textspan.h"

using namespace clipscope;

static FloatArray to_array(const at::Tensor& t) {
    const at::Tensor c = t.contiguous();
    FloatArray a(Shape(c.sizes().begin(), c.sizes().end()));
    std::memcpy(a.data.data(), c.data_ptr<float>(), a.data.size() * 4);
    return a;
}

// method.md §4.2 as written: float32, full [N, Ntext] scores every iteration.
static std::vector<int64_t> reference_picks(const at::Tensor& data, const at::Tensor& texts, int64_t rank,
                                            int64_t iters) {
    const at::Tensor vh = std::get<2>(at::linalg_svd(data, false)).narrow(0, 0, rank);
    at::Tensor T = at::matmul(at::matmul(texts, vh.t()), vh);
    at::Tensor D = data - data.mean(0, true);
    std::vector<int64_t> picks;
    for (int64_t i = 0; i < iters; ++i) {
        const int64_t k = at::matmul(D, T.t()).std(0).argmax().item<int64_t>();
        picks.push_back(k);
        const at::Tensor t = T[k].clone();
        const float q = at::dot(t, t).item<float>();
        D = D - at::outer(at::matmul(D, t) / q, t);
        T = T - at::outer(at::matmul(T, t) / q, t);
    }
    return picks;
}

int main(int argc, char** argv) {
    prepare_process(argc, argv);
    configure_threads(0);
    c10::InferenceMode guard;
    at::manual_seed(0);
    const int64_t n = 10000, E = 512, m = 3498;
    // Head-like data: a few strong directions plus noise; unit-norm text directions.
    const at::Tensor basis = at::randn({24, E});
    const at::Tensor data =
        at::matmul(at::randn({n, 24}) * at::linspace(3, 0.5, 24), basis) + 0.3 * at::randn({n, E}) + 0.5;
    at::Tensor texts = at::randn({m, E}) + 0.5 * at::matmul(at::randn({m, 24}), basis) / std::sqrt(double(E));
    texts = texts / texts.norm(2, 1, true);

    const FloatArray D = to_array(data), T = to_array(texts);
    TextSpanOptions options;
    options.rank = 80;
    options.iterations = 20;
    auto t0 = std::chrono::steady_clock::now();
    const TextSpanResult fast = text_span(D, T, options);
    const double fast_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    t0 = std::chrono::steady_clock::now();
    const std::vector<int64_t> ref = reference_picks(data, texts, 80, 20);
    const double ref_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    bool same = ref.size() == fast.picks.size();
    for (size_t i = 0; same && i < ref.size(); ++i) same = ref[i] == fast.picks[i].index;
    std::printf("TextSpan [%lld, %lld] x %lld texts, rank 80, 20 picks, %d threads\n", (long long)n, (long long)E,
                (long long)m, current_threads());
    std::printf("  clipscope (Gram, float64):      %.3f s (reconstruction included)\n", fast_s);
    std::printf("  reference loop (float32, here): %.3f s\n", ref_s);
    std::printf("  speed-up %.1fx, identical picks: %s\n", ref_s / fast_s, same ? "yes" : "NO");
    return same ? 0 : 1;
}
