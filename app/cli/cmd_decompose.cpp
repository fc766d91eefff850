#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>

#include "cli_common.h"
#include "clipscope/decompose/decompose.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/io/image.h"
#include "clipscope/io/npy.h"
#include "commands.h"
#include "console_progress.h"
#include "decompose_pooled_output.h"

namespace clipscope::cli {
namespace {

struct Options {
    ModelOptions model;
    std::vector<std::string> images;
    std::string tensor;
    std::string out;
    std::string layers = "all";
    bool no_spatial = false;
    int64_t batch = 4;
};

int64_t parse_last_layers(const std::string& spec, int64_t L) {
    if (spec == "all") return 0;
    if (spec.rfind("last:", 0) == 0) {
        try {
            const int64_t k = std::stoll(spec.substr(5));
            if (k >= 1 && k <= L) return k;
        } catch (const std::exception&) {
        }
        throw_usage("--layers " + spec + ": K must be between 1 and " + std::to_string(L) + " for this model");
    }
    throw_usage("--layers must be 'all' or 'last:K', got '" + spec + "'");
}

// A batch slice [b0, b0+n) of a [B, ...] array.
FloatArray slice_batch(const FloatArray& a, int64_t b0, int64_t n) {
    Shape s = a.shape;
    const int64_t per = element_count(Shape(s.begin() + 1, s.end()));
    s[0] = n;
    return FloatArray(s, std::vector<float>(a.data.begin() + b0 * per, a.data.begin() + (b0 + n) * per));
}

Shape with_batch(Shape s, int64_t B) {
    s[0] = B;
    return s;
}

void run(const Options& o) {
    if (o.images.empty() == o.tensor.empty()) throw_usage("give either --image IMG... or --tensor T.npy");
    if (o.batch < 1) throw_usage("--batch must be at least 1");
    {
        OutputPlan plan{with_model_inputs(o.model, o.images), {}, {}};
        plan.inputs.push_back(o.tensor);
        for (const char* name :
             {"preprocessed.npy", "embedding.npy", "mlps.npy", "cls_attn.npy", "heads.npy", "attentions.npy",
              "meta.json", "pooling.npy", "pool_heads.npy", "pool_bias.npy", "pool_attention.npy"})
            plan.outputs.push_back((std::filesystem::path(o.out) / name).string());
        guard_outputs(plan);  // e.g. --tensor out/preprocessed.npy --out out
    }
    const ClipModel model = load_model(o.model);
    const auto& c = model.config();
    const int64_t S = c.vision.image_size, L = c.vision.layers;
    // Inputs are read batch by batch (images decoded on demand), so memory stays bounded by one batch.
    FloatArray tensor;
    int64_t B = static_cast<int64_t>(o.images.size());
    if (!o.tensor.empty()) {
        tensor = read_npy_float(o.tensor);
        if (tensor.rank() == 3) tensor.shape.insert(tensor.shape.begin(), 1);
        if (tensor.rank() != 4 || tensor.shape[1] != 3 || tensor.shape[2] != S || tensor.shape[3] != S)
            throw_input(o.tensor, "has shape " + shape_to_string(tensor.shape) + ", this model needs [B, 3, " +
                                      std::to_string(S) + ", " + std::to_string(S) + "]");
        B = tensor.shape[0];
    }
    auto batch_pixels = [&](int64_t b0, int64_t n) {
        if (!o.tensor.empty()) return slice_batch(tensor, b0, n);
        return load_preprocessed_batch(std::vector<std::string>(o.images.begin() + b0, o.images.begin() + b0 + n),
                                       model.config().preprocess);
    };
    DecomposeOptions options;
    options.spatial = !o.no_spatial;
    options.spatial_last_layers = parse_last_layers(o.layers, L);
    if (o.no_spatial && o.layers != "all") throw_usage("--layers and --no-spatial exclude each other");
    if (c.vision.pooling == VisionPooling::AttentionPool) {
        const PooledRun run{model, B, o.batch, options, o.layers, o.out, o.images, o.tensor};
        write_pooled_decomposition(run, batch_pixels);
        return;
    }

    std::filesystem::create_directories(o.out);
    const std::filesystem::path dir(o.out);
    // Outputs are streamed batch by batch so memory stays bounded by one batch.
    std::unique_ptr<NpyStreamWriter> attn, heads, mlps, cls, emb, preprocessed;
    if (!o.images.empty())
        preprocessed = std::make_unique<NpyStreamWriter>((dir / "preprocessed.npy").string(), Shape{B, 3, S, S});
    const auto t0 = std::chrono::steady_clock::now();
    double max_error = 0;
    std::vector<double> errors;
    int64_t first_spatial = L;
    ConsoleProgress progress("decompose");
    for (int64_t b0 = 0; b0 < B; b0 += o.batch) {
        interrupt_control().check();  // Ctrl+C: unfinished outputs are removed, finished files untouched
        const int64_t n = std::min(o.batch, B - b0);
        const FloatArray pixels = batch_pixels(b0, n);
        const Decomposition d = decompose(model, pixels, options);
        if (preprocessed) preprocessed->append(pixels.data.data(), pixels.data.size());
        if (!emb) {
            first_spatial = d.first_spatial_layer;
            emb = std::make_unique<NpyStreamWriter>((dir / "embedding.npy").string(), with_batch(d.embedding.shape, B));
            mlps = std::make_unique<NpyStreamWriter>((dir / "mlps.npy").string(), with_batch(d.mlps.shape, B));
            cls = std::make_unique<NpyStreamWriter>((dir / "cls_attn.npy").string(), with_batch(d.cls_attn.shape, B));
            heads = std::make_unique<NpyStreamWriter>(
                (dir / (options.spatial ? "heads.npy" : "attentions.npy")).string(), with_batch(d.heads.shape, B));
            if (options.spatial)
                attn = std::make_unique<NpyStreamWriter>((dir / "attentions.npy").string(),
                                                         with_batch(d.attentions.shape, B));
        }
        emb->append(d.embedding.data.data(), d.embedding.data.size());
        mlps->append(d.mlps.data.data(), d.mlps.data.size());
        cls->append(d.cls_attn.data.data(), d.cls_attn.data.size());
        heads->append(d.heads.data.data(), d.heads.data.size());
        if (attn) attn->append(d.attentions.data.data(), d.attentions.data.size());
        errors.insert(errors.end(), d.sum_error.begin(), d.sum_error.end());
        max_error = std::max(max_error, d.max_sum_error());
        if (B > o.batch) progress.update(b0 + n, B);
    }
    if (B > o.batch) progress.finish();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (auto* w : {emb.get(), mlps.get(), cls.get(), heads.get(), attn.get(), preprocessed.get()})
        if (w) w->finish();

    std::vector<int64_t> spatial_layers;
    for (int64_t l = first_spatial; l < L; ++l) spatial_layers.push_back(l);
    nlohmann::json meta = {
        {"model", model_summary(model)},
        {"settings",
         {{"layers", o.layers},
          {"spatial", options.spatial},
          {"spatial_layers", spatial_layers},
          {"device", model.info().device},
          {"batch", o.batch}}},
        {"inputs", o.images.empty() ? nlohmann::json{{"tensor", o.tensor}} : nlohmann::json{{"images", o.images}}},
        {"shapes", {{"L", L}, {"N", c.vision.tokens()}, {"H", c.vision.heads}, {"E", c.embed_dim}, {"B", B}}},
        {"files",
         {{"embedding.npy", "[B, E] unnormalised image embedding"},
          {"attentions.npy",
           options.spatial ? "[B, Ls, N, H, E] per (layer in spatial_layers, source token, head), divided by ||z||"
                           : "[B, L, H, E] per (layer, head), summed over source tokens, divided by ||z||"},
          {"mlps.npy", "[B, L+1, E] index 0 = ln_pre direct path, 1+l = MLP of block l, divided by ||z||"},
          {"cls_attn.npy", "[B, L, E] class-token source cell summed over heads"}}},
        {"self_check",
         {{"description", "max abs difference between the sum of all parts and the normalised embedding z/||z||"},
          {"max_abs_error", max_error},
          {"per_image", errors}}},
        {"seconds", seconds},
    };
    if (options.spatial)
        meta["files"]["heads.npy"] = "[B, L, H, E] per (layer, head) for every layer, summed over source tokens";
    if (!o.images.empty()) meta["files"]["preprocessed.npy"] = "[B, 3, S, S] the preprocessed input";
    write_text_atomically((dir / "meta.json").string(),
                          meta.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    spdlog::info("decomposed {} image(s) with {} ({}) in {:.2f} s; sum of parts = normalised embedding within {:.2e}",
                 B, model.info().spec, c.name, seconds, max_error);
}

}  // namespace

void register_decompose(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "decompose",
        "Decompose image embeddings into per-layer/token/head and MLP contributions (.npy files + meta.json)");
    auto o = std::make_shared<Options>();
    add_model_options(*cmd, o->model);
    cmd->add_option("--image,-i", o->images, "Image files");
    cmd->add_option("--tensor", o->tensor, "A preprocessed float32 [B, 3, S, S] or [3, S, S] .npy instead of images");
    cmd->add_option("--out,-o", o->out, "Output folder")->required();
    cmd->add_option("--layers", o->layers, "all, or last:K to keep spatial terms of the last K layers only")
        ->capture_default_str();
    cmd->add_flag("--no-spatial", o->no_spatial,
                  "Per (layer, head) terms summed over source tokens: attentions.npy is [B, L, H, E]");
    cmd->add_option("--batch", o->batch, "Images per forward pass")->capture_default_str();
    cmd->footer(
        "Outputs (float32, normalised like the reference's finalize):\n"
        "  embedding.npy [B,E], attentions.npy [B,L,N,H,E] (or [B,L,H,E] with --no-spatial),\n"
        "  mlps.npy [B,L+1,E], cls_attn.npy [B,L,E], heads.npy [B,L,H,E], preprocessed.npy, meta.json\n"
        "Example:\n  clipscope-cli decompose --model M --image dog.jpg --out dog_terms --layers last:4");
    cmd->callback([o] { run(*o); });
}

}  // namespace clipscope::cli
