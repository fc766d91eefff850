// The app's live update when a head is toggled (ViewState::recompute: the ablated
// embedding, head scores, label probabilities and the map over the kept heads, all from
// stored terms) on a ViT-B-16-sized spatial decomposition. Target: under 50 ms.
// Run: build/bench/clipscope_live_ablation_bench
#include <benchmark/benchmark.h>

#include <cmath>

#include "clipscope/clip_model.h"
#include "clipscope/process_setup.h"
#include "view_state.h"

namespace clipscope::ui {
namespace {

void BM_ToggleHeadViTB16(benchmark::State& state) {
    configure_threads(0);
    const ClipModel model = ClipModel::load("random:ViT-B-16");
    const ClipConfig& c = model.config();
    auto summary = std::make_shared<ModelSummary>();
    summary->layers = c.vision.layers;
    summary->heads = c.vision.heads;
    summary->grid = c.vision.image_size / c.vision.patch_size;
    summary->embed_dim = c.embed_dim;
    auto analysis = std::make_shared<ImageAnalysis>();
    FloatArray pixels({1, 3, c.vision.image_size, c.vision.image_size});
    for (size_t i = 0; i < pixels.data.size(); ++i) pixels.data[i] = static_cast<float>(std::sin(0.01 * static_cast<double>(i)));
    analysis->decomposition = std::make_shared<Decomposition>(model.decompose(pixels));
    auto texts = std::make_shared<TextEmbeddings>();
    const int64_t E = c.embed_dim, C = 1000;  // ImageNet-sized label list
    texts->text_a = "a";
    texts->a.assign(static_cast<size_t>(E), 1.f / std::sqrt(static_cast<float>(E)));
    for (int64_t i = 0; i < C; ++i) texts->labels << QString::number(i);
    texts->label_rows = FloatArray({C, E});
    for (size_t i = 0; i < texts->label_rows.data.size(); ++i) texts->label_rows.data[i] = static_cast<float>(std::cos(0.37 * static_cast<double>(i)));
    ViewState view;
    view.setModel(summary);
    view.setAnalysis(analysis);
    view.setTexts(texts);
    for (auto _ : state) {
        view.toggleHead(11, 3);  // each toggle recomputes everything the panes show
        benchmark::DoNotOptimize(view.live().map.data.data());
    }
    state.counters["live_ms"] = view.live().compute_ms;
}
BENCHMARK(BM_ToggleHeadViTB16)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace clipscope::ui

int main(int argc, char** argv) {
    clipscope::prepare_process(argc, argv);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}
