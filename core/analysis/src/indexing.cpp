#include "clipscope/analysis/indexing.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "clipscope/decompose/decompose.h"
#include "clipscope/io/batch_prefetcher.h"
#include "clipscope/io/image.h"

namespace clipscope {

BatchPixels image_files_of(const StoreWriter& writer, const ClipModel& model) {
    std::vector<std::string> paths;
    for (const ImageEntry& e : writer.info().images) paths.push_back(e.path);
    return [paths = std::move(paths), preprocess = model.config().preprocess](int64_t first, int64_t count) {
        return load_preprocessed_batch(std::vector<std::string>(paths.begin() + first, paths.begin() + first + count),
                                       preprocess);
    };
}

IndexReport index_into_store(const ClipModel& model, StoreWriter& writer, const BatchPixels& pixels,
                             RunControl* control) {
    IndexReport report;
    const int64_t N = writer.size();
    if (writer.done() == N) return report;
    DecomposeOptions nonspatial;
    nonspatial.spatial = false;
    const int64_t start = writer.done();
    const auto t0 = std::chrono::steady_clock::now();
    BatchPrefetcher prefetch(pixels, start, N, writer.info().batch);
    while (writer.done() < N) {
        if (control) control->check();  // everything written so far stays valid and resumable
        const Decomposition d = decompose(model, prefetch.next(), nonspatial);
        report.max_sum_error = std::max(report.max_sum_error, d.max_sum_error());
        writer.append(d);
        if (control) control->report(writer.done(), N, "indexing");
    }
    report.indexed = N - start;
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return report;
}

}  // namespace clipscope
