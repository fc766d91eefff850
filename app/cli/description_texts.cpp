// Description pools as text directions, shared by the commands that need them.
#include "description_texts.h"
#include "clipscope/base/resources.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/io/description_pool.h"
#include "clipscope/io/npy.h"
#include "clipscope/analysis/zero_shot.h"
#include "console_progress.h"

namespace clipscope::cli {
namespace {

// Unit-norm text embeddings of every description, in file order (method.md §5.2).
FloatArray embed_descriptions(const ClipModel& model, const std::vector<std::string>& lines) {
    const int64_t E = model.config().embed_dim, n = static_cast<int64_t>(lines.size()), chunk = 256;
    FloatArray out({n, E});
    ConsoleProgress progress("embedding descriptions");
    for (int64_t i0 = 0; i0 < n; i0 += chunk) {
        interrupt_control().check();
        const int64_t k = std::min(chunk, n - i0);
        FloatArray e = model.encode_texts(std::vector<std::string>(lines.begin() + i0, lines.begin() + i0 + k));
        normalize_rows(e);
        std::copy(e.data.begin(), e.data.end(), out.data.begin() + i0 * E);
        progress.update(i0 + k, n);
    }
    progress.finish();
    return out;
}

std::string hex64(uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

}  // namespace

// Text directions from --text-embeddings, or the --descriptions embedded with --model.
// With a store, computed embeddings are cached in the user's cache folder (see the header).
Texts load_texts(const std::string& descriptions, const std::string& text_embeddings, const ModelOptions& model_options,
                 const StoreInfo* store_info) {
    Texts t;
    if (!descriptions.empty()) t.labels = read_description_pool(descriptions).texts;
    if (!text_embeddings.empty()) {
        t.embeddings = read_npy_float(text_embeddings);
        t.source = text_embeddings;
        if (!t.labels.empty() && static_cast<int64_t>(t.labels.size()) != t.embeddings.shape.at(0))
            throw_input(descriptions, std::to_string(t.labels.size()) + " lines but " + text_embeddings + " has " +
                                          std::to_string(t.embeddings.shape.at(0)) + " rows");
        return t;
    }
    if (descriptions.empty()) throw_usage("give --text-embeddings T.npy, or --descriptions FILE with --model M");
    // Without --model, a store's texts are embedded by the model that made the store.
    if (model_options.model.empty() && !store_info)
        throw_usage("--descriptions needs --model to embed them (or pass --text-embeddings)");
    t.source = descriptions;
    const ClipModel model = store_info ? load_store_model(model_options, *store_info, "embedding the descriptions")
                                       : load_model(model_options);
    t.model = model_summary(model);
    // The cache is keyed by the descriptions' bytes and the weights, and lives in the user's
    // cache folder, not the store (which may be read-only or shared). Its checksum file
    // vouches for it: a truncated or overwritten cache is discarded and recomputed.
    std::string cache, sum;
    if (store_info) {
        const uint64_t h =
            fnv1a64(read_file_bytes(descriptions, size_t{256} << 20) + "|" + store_info->weights_fingerprint);
        const std::filesystem::path dir = std::filesystem::path(user_cache_directory()) / "text_cache";
        cache = (dir / (hex64(h) + ".npy")).string();
        sum = cache + ".fnv1a64";
        std::error_code ec;
        if (std::filesystem::exists(cache, ec)) {
            std::string problem;
            try {
                const bool vouched =
                    std::filesystem::exists(sum, ec) &&
                    read_file_bytes(sum, 64) == hex64(fnv1a64(read_file_bytes(cache, size_t{1} << 34)));
                if (!vouched) problem = "its checksum does not match";
                t.embeddings = read_npy_float(cache);
                if (problem.empty() &&
                    (t.embeddings.rank() != 2 || t.embeddings.shape[0] != static_cast<int64_t>(t.labels.size()) ||
                     t.embeddings.shape[1] != model.config().embed_dim))
                    problem = "its shape " + shape_to_string(t.embeddings.shape) + " does not fit";
            } catch (const Error& e) {
                problem = e.what();
            }
            if (problem.empty()) {
                spdlog::info("using cached description embeddings {}", cache);
                return t;
            }
            spdlog::warn("discarding the damaged description cache {} ({}); recomputing it", cache, problem);
            std::filesystem::remove(cache, ec);
            std::filesystem::remove(sum, ec);
        }
    }
    t.embeddings = embed_descriptions(model, t.labels);
    if (!cache.empty()) {
        try {
            std::filesystem::create_directories(std::filesystem::path(cache).parent_path());
            write_npy(cache, t.embeddings);
            write_text_atomically(sum, hex64(fnv1a64(read_file_bytes(cache, size_t{1} << 34))));
        } catch (const std::exception& e) {  // a cache that cannot be written costs time, not the result
            spdlog::warn("could not cache the description embeddings in {}: {}", cache, e.what());
        }
    }
    return t;
}

}  // namespace clipscope::cli
