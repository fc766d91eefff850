#include "decompose_pooled_output.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>

#include "cli_common.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/decompose/pooled_decomposition.h"
#include "clipscope/io/npy.h"
#include "console_progress.h"

namespace clipscope::cli {

void write_pooled_decomposition(const PooledRun& run, const std::function<FloatArray(int64_t, int64_t)>& batch_pixels) {
    const ClipConfig& c = run.model.config();
    const int64_t B = run.images, L = c.vision.layers, S = c.vision.image_size;
    const std::filesystem::path dir(run.out);
    std::filesystem::create_directories(dir);
    // One writer per file, opened at the first batch (the shapes come from it); unfinished
    // files are discarded when a run stops (Ctrl+C, an error).
    std::map<std::string, std::unique_ptr<NpyStreamWriter>> files;
    const auto append = [&](const std::string& name, const FloatArray& a) {
        auto& w = files[name];
        if (!w) {
            Shape shape = a.shape;
            shape[0] = B;
            w = std::make_unique<NpyStreamWriter>((dir / name).string(), shape);
        }
        w->append(a.data.data(), a.data.size());
    };
    const bool spatial = run.options.spatial;
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<double> errors, pool_errors;
    int64_t first_spatial = L;
    ConsoleProgress progress("decompose");
    for (int64_t b0 = 0; b0 < B; b0 += run.batch) {
        interrupt_control().check();
        const int64_t n = std::min(run.batch, B - b0);
        const FloatArray pixels = batch_pixels(b0, n);
        const PooledDecomposition d = decompose_pooled(run.model, pixels, run.options);
        first_spatial = d.first_spatial_layer;
        if (!run.image_paths.empty()) append("preprocessed.npy", pixels);
        append("embedding.npy", d.embedding);
        append("mlps.npy", d.mlps);
        append("pooling.npy", d.pooling);
        append("pool_bias.npy", d.pool_bias);
        append("pool_attention.npy", d.pool_attention);
        // As for class-token models: attentions.npy holds the spatial terms, or the per-head ones
        // with --no-spatial; heads.npy the per-head ones beside spatial terms.
        append(spatial ? "heads.npy" : "attentions.npy", d.heads);
        if (spatial) {
            if (!d.attentions.data.empty()) append("attentions.npy", d.attentions);
            append("pool_heads.npy", d.pool_heads);
        }
        errors.insert(errors.end(), d.sum_error.begin(), d.sum_error.end());
        pool_errors.insert(pool_errors.end(), d.pool_error.begin(), d.pool_error.end());
        if (B > run.batch) progress.update(b0 + n, B);
    }
    if (B > run.batch) progress.finish();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (auto& [name, w] : files) w->finish();

    double max_error = 0, max_pool_error = 0;
    for (double e : errors) max_error = std::max(max_error, e);
    for (double e : pool_errors) max_pool_error = std::max(max_pool_error, e);
    std::vector<int64_t> spatial_layers;
    for (int64_t l = first_spatial; l < L; ++l) spatial_layers.push_back(l);
    nlohmann::json meta = {
        {"model", model_summary(run.model)},
        {"decomposition",
         "attention-pooled (docs/method.md §12.3): post_layernorm scales 1/sigma_m and the pooling "
         "head's attention A_p[h', m] of each image frozen; the pooled attention output is then "
         "linear in the residual stream. Constants (out-projection biases, beta, the pooling head's "
         "value and out-projection biases) are shared uniformly over the heads of a layer and over "
         "positions, so differences between heads are exact"},
        {"settings",
         {{"layers", run.layers},
          {"spatial", spatial},
          {"spatial_layers", spatial_layers},
          {"device", run.model.info().device},
          {"batch", run.batch}}},
        {"inputs", run.image_paths.empty() ? nlohmann::json{{"tensor", run.tensor}}
                                           : nlohmann::json{{"images", run.image_paths}}},
        {"shapes",
         {{"L", L},
          {"N", c.vision.tokens()},
          {"H", c.vision.heads},
          {"H_pool", c.vision.heads},
          {"E", c.embed_dim},
          {"B", B},
          {"grid", c.vision.grid()},
          {"S", S}}},
        {"files",
         {{"embedding.npy", "[B, E] unnormalised image embedding (the pooling head's output)"},
          {"attentions.npy",
           spatial ? "[B, Ls, N, H, E] what head h of layer l (in spatial_layers) writes into position m, carried "
                     "through post_layernorm and the pooling head to z, divided by ||z||. The spatial axis is where "
                     "the term enters the pooled positions (patch m of the grid, row-major; no class token)"
                   : "[B, L, H, E] per (layer, head), summed over positions, divided by ||z||"},
          {"mlps.npy",
           "[B, L+1, E] index 0 = patch + position embeddings, 1+l = MLP of block l, summed over "
           "positions, divided by ||z||"},
          {"pooling.npy", "[B, E] the pooling head's residual MLP (not linear in its input: one term), / ||z||"},
          {"pool_bias.npy", "[B, E] the pooling attention's out-projection bias / ||z||"},
          {"pool_attention.npy", "[B, H', N] the pooling head's attention weights A_p over positions"}}},
        {"self_check",
         {{"description",
           "max abs difference between the sum of attentions + mlps + pooling (and of the spatial "
           "cells against the per-head terms) and the normalised embedding z/||z||"},
          {"max_abs_error", max_error},
          {"per_image", errors}}},
        {"seconds", seconds},
    };
    if (spatial) {
        meta["files"]["heads.npy"] = "[B, L, H, E] per (layer, head) for every layer, summed over positions";
        meta["files"]["pool_heads.npy"] =
            "[B, N, H', E] the pooling head's own terms A_p[h', m] W_O^h' (W_V^h' y_m + b_V^h') / ||z||, y = "
            "post_layernorm output";
        meta["self_check_pooling"] = {
            {"description", "max abs difference between pool_heads + pool_bias + pooling and z/||z||"},
            {"max_abs_error", max_pool_error},
            {"per_image", pool_errors}};
    }
    if (!run.image_paths.empty()) meta["files"]["preprocessed.npy"] = "[B, 3, S, S] the preprocessed input";
    write_text_atomically((dir / "meta.json").string(),
                          meta.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    spdlog::info(
        "decomposed {} image(s) with {} ({}, attention-pooled) in {:.2f} s; sum of parts = normalised embedding "
        "within {:.2e}",
        B, run.model.info().spec, c.name, seconds, std::max(max_error, max_pool_error));
}

}  // namespace clipscope::cli
