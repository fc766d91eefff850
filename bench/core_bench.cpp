// Micro-benchmarks of the core's hot paths that are not model forwards.
// Run: build/bench/clipscope_core_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <random>

#include "clipscope/decompose/decompose.h"
#include "clipscope/model/clip_model.h"
#include "clipscope/io/image.h"
#include "clipscope/base/process_setup.h"

namespace clipscope {
namespace {

Image random_image(int w, int h) {
    std::vector<uint8_t> px(static_cast<size_t>(w) * h * 3);
    std::mt19937 rng(1);
    for (auto& p : px) p = static_cast<uint8_t>(rng());
    return image_from_rgb(w, h, px);
}

void BM_PreprocessPhoto(benchmark::State& state) {
    const Image im = random_image(640, 480);
    PreprocessConfig cfg;
    for (auto _ : state) benchmark::DoNotOptimize(preprocess_image(im, cfg));
}
BENCHMARK(BM_PreprocessPhoto)->Unit(benchmark::kMillisecond);

void BM_DecomposeTiny(benchmark::State& state) {
    configure_threads(0);
    const ClipModel model = ClipModel::load("random:tiny");
    FloatArray pixels({state.range(0), 3, 48, 48});
    for (auto _ : state) benchmark::DoNotOptimize(decompose(model, pixels));
}
BENCHMARK(BM_DecomposeTiny)->Arg(1)->Arg(8)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace clipscope

int main(int argc, char** argv) {
    clipscope::prepare_process(argc, argv);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}
