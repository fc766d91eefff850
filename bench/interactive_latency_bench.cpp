// How long an image the user asks for takes to come back while the app indexes a large
// image set (docs: issue "interactive work first"): the worker's request lane against its
// long-job lane. Prints JSON: the idle decomposition time, the time during indexing, their
// ratio (target: at most 2), and how far the index got meanwhile (it must keep going).
//   clipscope_interactive_latency_bench [--model random:ViT-B-16] [--images 2000] [--requests 5] [--threads 2]
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <algorithm>
#include <cstdio>
#include <vector>

#include "analysis_worker.h"
#include "clipscope/demo/world_dataset.h"
#include "clipscope/io/dataset.h"
#include "clipscope/model/clip_model.h"

using namespace clipscope;
using namespace clipscope::ui;

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

// Posts one image and waits for its result; milliseconds from the request to the result.
double request_ms(AnalysisWorker& w, QSignalSpy& analysed, const QString& image) {
    const int before = analysed.count();
    QElapsedTimer t;
    t.start();
    w.analyseImage(image);
    while (analysed.count() == before)
        if (!analysed.wait(600000)) return -1;
    return t.nsecsElapsed() / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QString model = "random:ViT-B-16";
    int images = 2000, requests = 5, threads = 2;
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == "--model")
            model = args[i + 1];
        else if (args[i] == "--images")
            images = args[i + 1].toInt();
        else if (args[i] == "--requests")
            requests = args[i + 1].toInt();
        else if (args[i] == "--threads")
            threads = args[i + 1].toInt();
        else {
            std::fprintf(stderr, "unknown option %s\n", qPrintable(args[i]));
            return 2;
        }
    }
    configure_threads(threads);
    QTemporaryDir work;
    // A shapes world at the model's input size, so decoding costs what real images cost.
    WorldDatasetOptions world;
    world.out = QDir(work.path()).filePath("world").toStdString();
    world.count = images;
    world.size = 224;
    world.two_objects = 0.25;
    std::fprintf(stderr, "writing %d shapes-world images...\n", images);
    write_world_dataset(world);
    std::vector<QString> files;
    for (const auto& e : list_image_folder(world.out)) files.push_back(QString::fromStdString(e.path));

    AnalysisWorker w;
    QSignalSpy loaded(&w, &AnalysisWorker::modelLoaded), analysed(&w, &AnalysisWorker::imageAnalysed),
        progress(&w, &AnalysisWorker::progress), failed(&w, &AnalysisWorker::failed);
    w.loadModel(model);
    while (loaded.count() == 0 && failed.count() == 0) loaded.wait(600000);
    if (failed.count()) {
        std::fprintf(stderr, "%s\n", qPrintable(failed[0][1].toString()));
        return 1;
    }
    request_ms(w, analysed, files[0]);  // warm-up: folded heads, first allocations
    std::vector<double> idle, busy;
    for (int r = 0; r < requests; ++r) idle.push_back(request_ms(w, analysed, files[static_cast<size_t>(1 + r)]));

    w.indexImageSet(QString::fromStdString(world.out), QDir(work.path()).filePath("cache"));
    while (progress.count() < 2 && failed.count() == 0) progress.wait(600000);
    qint64 done_before = 0, done_after = 0;
    for (int r = 0; r < requests; ++r) {
        QCoreApplication::processEvents();
        done_before = progress.isEmpty() ? 0 : progress.last()[0].toLongLong();
        busy.push_back(request_ms(w, analysed, files[static_cast<size_t>(100 + r)]));
        // Let the index run between requests, as a user looking at a result would.
        progress.wait(1500);
        done_after = progress.isEmpty() ? 0 : progress.last()[0].toLongLong();
    }
    w.cancelJob();
    const double idle_ms = median(idle), busy_ms = median(busy);
    std::printf(
        "{\"model\": \"%s\", \"threads\": %d, \"index_images\": %d, \"requests\": %d, \"idle_ms\": %.1f, "
        "\"during_index_ms\": %.1f, \"during_index_max_ms\": %.1f, \"ratio\": %.3f, \"index_progress\": [%lld, "
        "%lld]}\n",
        qPrintable(model), threads, images, requests, idle_ms, busy_ms, *std::max_element(busy.begin(), busy.end()),
        busy_ms / idle_ms, static_cast<long long>(done_before), static_cast<long long>(done_after));
    return 0;
}
