#include "clipscope/analysis/store_textspan.h"

#include <algorithm>

#include "clipscope/base/error.h"

namespace clipscope {

std::vector<HeadSpan> text_span_store(const Store& store, const FloatArray& texts, const TextSpanOptions& options,
                                      int64_t last_layers, const RunControl* control) {
    const StoreInfo& info = store.info();
    if (!store.complete())
        throw_input(store.folder(), "is incomplete (" + std::to_string(store.done()) + " of " +
                                        std::to_string(store.size()) + " images)");
    if (last_layers < 1 || last_layers > info.layers)
        throw_usage("last layers must be between 1 and " + std::to_string(info.layers));
    if (texts.rank() != 2 || texts.shape[1] != info.embed_dim)
        throw_usage("text embeddings " + shape_to_string(texts.shape) + " do not match the store's width " +
                    std::to_string(info.embed_dim));
    const int64_t L = info.layers, H = info.heads, E = info.embed_dim, first = L - last_layers, N = store.size(),
                  chunk = 256;
    std::vector<HeadStatistics> stats(static_cast<size_t>(last_layers * H), HeadStatistics(E));
    std::vector<float> column;
    for (int64_t i0 = 0; i0 < N; i0 += chunk) {
        if (control) control->check();
        const int64_t c = std::min(chunk, N - i0);
        const FloatArray rows = store.read("heads", i0, c);  // [c, L, H, E]
        column.resize(static_cast<size_t>(c * E));
        for (int64_t l = first; l < L; ++l)
            for (int64_t h = 0; h < H; ++h) {
                for (int64_t r = 0; r < c; ++r)
                    std::copy_n(rows.data.begin() + ((r * L + l) * H + h) * E, E, column.begin() + r * E);
                stats[static_cast<size_t>((l - first) * H + h)].add(column.data(), c);
            }
        if (control) control->report(i0 + c, N + last_layers * H, "reading the store");
    }
    std::vector<HeadSpan> out;
    for (int64_t l = first; l < L; ++l)
        for (int64_t h = 0; h < H; ++h) {
            if (control) control->check();
            out.push_back({l, h, text_span_fit(stats[static_cast<size_t>((l - first) * H + h)], texts, options)});
            if (control) control->report(N + static_cast<int64_t>(out.size()), N + last_layers * H, "TextSpan");
        }
    return out;
}

}  // namespace clipscope
