#include "clipscope/analysis/indexing.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <chrono>
#include <string>
#include <vector>

#include "clipscope/decompose/decompose.h"
#include "clipscope/decompose/pooled_decomposition.h"
#include "clipscope/io/batch_prefetcher.h"
#include "clipscope/io/image.h"
#include "clipscope/base/error.h"

#include <spdlog/spdlog.h>

namespace clipscope {
namespace fs = std::filesystem;

IndexList images_to_index(const std::vector<ImageEntry>& entries, const std::string& folder, bool strict,
                          RunControl* control) {
    IndexList list;
    const fs::path manifest = fs::path(folder) / "manifest.json";
    std::error_code ec;
    if (fs::exists(manifest, ec)) {
        // Resuming: the store's own verdicts, not a second decode of every image.
        const StoreInfo existing = Store::open(folder).info();
        std::set<std::string> skipped;
        for (const auto& k : existing.skipped) skipped.insert(k.path);
        list.skipped = existing.skipped;
        for (const auto& e : entries)
            if (!skipped.count(e.path)) list.images.push_back(e);
        return list;
    }
    const int64_t n = static_cast<int64_t>(entries.size());
    for (int64_t i = 0; i < n; ++i) {
        if (control) {
            control->check();
            control->report(i, n, "checking images");
        }
        const ImageEntry& e = entries[static_cast<size_t>(i)];
        try {
            (void)load_image(e.path);
            list.images.push_back(e);
        } catch (const Error& error) {
            if (strict || error.kind() != ErrorKind::InputFile) throw;
            spdlog::warn("skipping {}", error.what());
            list.skipped.push_back({e.path, problem_without_file(error.what(), e.path)});
        }
    }
    if (control) control->report(n, n, "checking images");
    if (list.images.empty()) throw_input(folder, "none of the " + std::to_string(n) + " images can be decoded");
    return list;
}

BatchPixels image_files_of(const StoreWriter& writer, const ClipModel& model) {
    std::vector<std::string> paths;
    for (const ImageEntry& e : writer.info().images) paths.push_back(e.path);
    return [paths = std::move(paths), preprocess = model.config().preprocess](int64_t first, int64_t count) {
        return load_preprocessed_batch(std::vector<std::string>(paths.begin() + first, paths.begin() + first + count),
                                       preprocess);
    };
}

StoreTerms store_terms_of(const ClipModel& model, const FloatArray& pixels) {
    DecomposeOptions nonspatial;
    nonspatial.spatial = false;
    Decomposition d = decompose_image_terms(model, pixels, nonspatial);  // docs/method.md §12.5 when pooled
    const double error = d.max_sum_error();
    const bool pooled = model.config().vision.pooling == VisionPooling::AttentionPool;
    return {std::move(d.embedding), std::move(d.heads), std::move(d.mlps),
            pooled ? std::move(d.pooling) : std::move(d.cls_attn), error};
}

IndexReport index_into_store(const ClipModel& model, StoreWriter& writer, const BatchPixels& pixels,
                             RunControl* control) {
    IndexReport report;
    const int64_t N = writer.size();
    if (writer.done() == N) return report;
    const int64_t start = writer.done();
    const auto t0 = std::chrono::steady_clock::now();
    BatchPrefetcher prefetch(pixels, start, N, writer.info().batch);
    while (writer.done() < N) {
        if (control) control->check();  // everything written so far stays valid and resumable
        const StoreTerms t = store_terms_of(model, prefetch.next());
        report.max_sum_error = std::max(report.max_sum_error, t.max_sum_error);
        writer.append(t.embedding, t.heads, t.mlps, t.fourth);
        if (control) control->report(writer.done(), N, "indexing");
    }
    report.indexed = N - start;
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return report;
}

}  // namespace clipscope
