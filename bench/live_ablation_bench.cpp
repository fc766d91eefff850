// The app's latencies on ViT-B-16 sizes. 1. The live update when a head is toggled (ViewState::recompute: the ablated
// embedding, head scores, label probabilities and the map over the kept heads, all from
// stored terms) on a ViT-B-16 spatial decomposition (target: under 50 ms). 2. From an
// image file to a filled head grid.
// Run: build/bench/clipscope_live_ablation_bench
#include <benchmark/benchmark.h>

#include <QCoreApplication>
#include <QEventLoop>
#include <QImage>
#include <QTemporaryDir>
#include <cmath>

#include "clipscope/decompose/decompose.h"
#include "clipscope/model/clip_model.h"
#include "clipscope/base/process_setup.h"
#include "analysis_worker.h"
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
    for (size_t i = 0; i < pixels.data.size(); ++i)
        pixels.data[i] = static_cast<float>(std::sin(0.01 * static_cast<double>(i)));
    analysis->decomposition = std::make_shared<Decomposition>(decompose(model, pixels));
    auto texts = std::make_shared<TextEmbeddings>();
    const int64_t E = c.embed_dim, C = 1000;  // ImageNet-sized label list
    texts->text_a = "a";
    texts->a.assign(static_cast<size_t>(E), 1.f / std::sqrt(static_cast<float>(E)));
    for (int64_t i = 0; i < C; ++i) texts->labels << QString::number(i);
    texts->label_rows = FloatArray({C, E});
    for (size_t i = 0; i < texts->label_rows.data.size(); ++i)
        texts->label_rows.data[i] = static_cast<float>(std::cos(0.37 * static_cast<double>(i)));
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

// From an image file to a filled head grid, as the app does on a drop: the worker decodes,
// preprocesses and decomposes it (spatial terms of every layer) on its thread, the result
// crosses to this thread as a signal, and ViewState recomputes what the panes show.
void BM_ImageToGridViTB16(benchmark::State& state) {
    configure_threads(0);
    QTemporaryDir dir;
    const QString image = dir.filePath("photo.png");
    QImage photo(640, 480, QImage::Format_RGB888);
    for (int y = 0; y < photo.height(); ++y)
        for (int x = 0; x < photo.width(); ++x)
            photo.setPixelColor(x, y, QColor((x * 7) % 256, (y * 5) % 256, (x * y) % 256));
    photo.save(image);
    AnalysisWorker worker;
    ViewState view;
    QEventLoop loop;
    QObject::connect(&worker, &AnalysisWorker::modelLoaded, &view, [&](ModelSummaryPtr m) {
        view.setModel(std::move(m));
        auto texts = std::make_shared<TextEmbeddings>();  // random:ViT-B-16 has no vocabulary: a fixed direction
        texts->text_a = "a";
        texts->a.assign(static_cast<size_t>(view.model()->embed_dim),
                        1.f / std::sqrt(static_cast<float>(view.model()->embed_dim)));
        view.setTexts(texts);
        loop.quit();
    });
    QObject::connect(&worker, &AnalysisWorker::imageAnalysed, &view, [&](ImageAnalysisPtr a) {
        view.setAnalysis(std::move(a));
        loop.quit();
    });
    QObject::connect(&worker, &AnalysisWorker::failed, &loop, [&](const QString&, const QString& message) {
        state.SkipWithError(message.toStdString().c_str());
        loop.quit();
    });
    worker.loadModel("random:ViT-B-16");
    loop.exec();
    for (auto _ : state) {
        worker.analyseImage(image);
        loop.exec();
        benchmark::DoNotOptimize(view.live().parts.heads.data());
    }
    state.counters["decompose_s"] = view.analysis() ? view.analysis()->seconds : 0.0;
}
BENCHMARK(BM_ImageToGridViTB16)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
}  // namespace clipscope::ui

int main(int argc, char** argv) {
    clipscope::prepare_process(argc, argv);
    QCoreApplication app(argc, argv);  // the worker's results arrive as queued signals
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}
