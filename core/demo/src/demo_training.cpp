#include "clipscope/demo/demo_training.h"

#include <c10/core/GradMode.h>
#include <torch/optim/adamw.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "clip_towers.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/demo/bpe_learner.h"
#include "clipscope/model/clip_model.h"
#include "clipscope/base/error.h"
#include "clipscope/base/output_guard.h"
#include "clipscope/io/image.h"
#include "clipscope/model/tokenizer.h"
#include "clipscope/demo/world_batches.h"
#include "torch_bridge.h"

namespace clipscope {
namespace fs = std::filesystem;
namespace {

constexpr uint64_t kVocabularySalt = 0xB0CAB0CAB0CAull;
constexpr uint64_t kHeldOutSalt = 0x4E1D0u;

// open_clip's initialisation (its VisionTransformer/TextTransformer init_parameters), on a shape map.
StateDict initial_parameters(const ClipConfig& c, uint64_t seed) {
    at::manual_seed(seed);
    StateDict p;
    for (const auto& [key, shape] : expected_shapes(c)) {
        const bool vision = key.rfind("visual.", 0) == 0;
        const double width = static_cast<double>(vision ? c.vision.width : c.text.width);
        const double layers = static_cast<double>(vision ? c.vision.layers : c.text.layers);
        at::Tensor t;
        auto normal = [&](double std) { return at::randn(at::IntArrayRef(shape), at::kFloat) * std; };
        const bool is_norm = key.find("ln_") != std::string::npos;
        if (key == "logit_scale")
            t = at::full(at::IntArrayRef(shape), std::log(1 / 0.07), at::kFloat);
        else if (is_norm && key.size() > 7 && key.compare(key.size() - 7, 7, ".weight") == 0)
            t = at::ones(at::IntArrayRef(shape), at::kFloat);
        else if (key.find("bias") != std::string::npos && key.find("class_embedding") == std::string::npos)
            t = at::zeros(at::IntArrayRef(shape), at::kFloat);
        else if (key == "token_embedding.weight")
            t = normal(0.02);
        else if (key == "positional_embedding")
            t = normal(0.01);
        else if (key.find("in_proj_weight") != std::string::npos)
            t = normal(std::pow(width, -0.5));
        else if (key.find("out_proj.weight") != std::string::npos || key.find("c_proj.weight") != std::string::npos)
            t = normal(std::pow(width, -0.5) * std::pow(2 * layers, -0.5));
        else if (key.find("c_fc.weight") != std::string::npos)
            t = normal(std::pow(2 * width, -0.5));
        else
            t = normal(std::pow(width, -0.5));  // conv1, class/positional embeddings of the image tower, projections
        p[key] = t.requires_grad_(true);
    }
    return p;
}

struct Batch {
    at::Tensor pixels;  // [B, 3, S, S]
    at::Tensor ids;     // [B, C]
};

Batch make_batch(const std::vector<world::Scene>& scenes, const std::vector<std::string>& captions, const ClipConfig& c,
                 const Tokenizer& tok) {
    std::vector<FloatArray> images;
    for (const auto& s : scenes)
        images.push_back(normalize_crop(world::render(s, static_cast<int>(c.vision.image_size)).image, c.preprocess));
    Batch b;
    b.pixels = view_as_tensor(stack_images(images)).clone();
    if (!captions.empty()) b.ids = view_as_tensor(tok.tokenize(captions, c.text.context_length)).clone();
    return b;
}

// Zero-shot accuracy (%) per attribute family on held-out single-object scenes.
std::map<std::string, double> evaluate(const ClipWeights& w, const ClipConfig& c, const Tokenizer& tok,
                                       const Batch& held_out, const std::vector<world::Scene>& scenes) {
    c10::NoGradGuard no_grad;
    const at::Tensor raw = encode_image(w, c, held_out.pixels);
    const at::Tensor img = raw / raw.norm(2, -1, true);
    std::map<std::string, double> out;
    for (const auto& family : world::attribute_families()) {
        std::vector<at::Tensor> columns;
        for (const auto& name : world::family_names(family)) {
            std::vector<std::string> prompts;
            for (const auto& t : world::family_templates(family))
                prompts.push_back(t.substr(0, t.find("{}")) + name + t.substr(t.find("{}") + 2));
            const at::Tensor e =
                encode_text(w, c, view_as_tensor(tok.tokenize(prompts, c.text.context_length)).clone());
            const at::Tensor mean = (e / e.norm(2, -1, true)).mean(0);
            columns.push_back(mean / mean.norm());
        }
        const at::Tensor predictions = at::matmul(img, at::stack(columns, 1)).argmax(1);
        int64_t correct = 0;
        for (size_t i = 0; i < scenes.size(); ++i)
            correct +=
                predictions[static_cast<int64_t>(i)].item<int64_t>() == world::attribute_value(scenes[i], family);
        out[family] = 100.0 * correct / static_cast<double>(scenes.size());
    }
    return out;
}

nlohmann::json settings_json(const TrainOptions& o) {
    return {{"steps", o.steps},
            {"batch", o.batch},
            {"group_size", o.group_size},
            {"learning_rate", o.learning_rate},
            {"weight_decay", o.weight_decay},
            {"warmup", o.warmup},
            {"seed", o.seed},
            {"vocab_merges", o.vocab_merges},
            {"width", o.width},
            {"vision_layers", o.vision_layers},
            {"text_layers", o.text_layers},
            {"two_objects", o.distribution.two_objects},
            {"bias", o.distribution.bias}};
}

double learning_rate_at(const TrainOptions& o, int64_t step) {
    if (step < o.warmup) return o.learning_rate * (step + 1) / static_cast<double>(o.warmup);
    const double progress = static_cast<double>(step - o.warmup) / std::max<int64_t>(1, o.steps - o.warmup);
    return o.learning_rate * 0.5 * (1 + std::cos(M_PI * std::min(1.0, progress)));
}

}  // namespace

ClipConfig demo_architecture(int64_t vocab_size, int64_t context_length) {
    ClipConfig c;
    c.embed_dim = 128;
    c.vision.image_size = 64;
    c.vision.patch_size = 8;
    c.vision.width = 128;
    c.vision.layers = 6;
    c.vision.heads = 8;
    c.vision.mlp_hidden = 512;
    c.text.width = 128;
    c.text.layers = 3;
    c.text.heads = 4;
    c.text.mlp_hidden = 512;
    c.text.context_length = context_length;
    c.text.vocab_size = vocab_size;
    c.preprocess.image_size = 64;
    c.name = "shapes-world ViT-6L-128";
    return c;
}

void train_demo(const TrainOptions& o, const RunControl* control, const std::function<void(const TrainLog&)>& log) {
    if (o.out.empty()) throw_usage("train-demo needs --out DIR");
    if (o.steps < 1 || o.batch < 2 || o.width < 16 || o.width % 8 || o.vision_layers < 1 || o.text_layers < 1)
        throw_usage(
            "train-demo: steps >= 1, batch >= 2, width a multiple of 8 (>= 16) and at least one layer per tower");
    // Never into a model's or a user's folder (write_checkpoint would replace its files); an
    // earlier run's folder is resumed (--resume) or refused below, so nothing is cleared here.
    refuse_foreign_folder(o.out, {"train_state/settings.json", "training.json"}, "train-demo");
    const fs::path out(o.out), state_dir = out / "train_state";
    const fs::path state_file = state_dir / "state.pt", settings_file = state_dir / "settings.json";
    const nlohmann::json settings = settings_json(o);
    if (fs::exists(state_file) && !o.resume)
        throw_usage(o.out + " holds a training run: pass --resume to continue it, or choose another --out");
    if (o.resume && fs::exists(settings_file) &&
        nlohmann::json::parse(read_file_bytes(settings_file.string(), 1 << 20)) != settings)
        throw_usage(o.out + " holds a run with other settings (" + settings_file.string() +
                    "); resume with the same options");
    fs::create_directories(state_dir);
    write_text_atomically(settings_file.string(),
                          settings.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));

    // The world's own vocabulary, learned once from training-distribution captions.
    const std::string vocab_path = (out / "bpe_simple_vocab_16e6.txt.gz").string();
    if (!fs::exists(vocab_path)) {
        world::WorldRng rng(o.seed ^ kVocabularySalt);
        std::vector<std::string> corpus;
        for (int i = 0; i < 20000; ++i) corpus.push_back(world::caption(world::random_scene(rng, o.distribution), rng));
        write_bpe_vocabulary(vocab_path, learn_bpe_merges(corpus, static_cast<int>(o.vocab_merges)));
    }
    const Tokenizer tok = Tokenizer::load(vocab_path);
    ClipConfig c = demo_architecture(tok.vocab_size());
    c.vision.width = c.text.width = c.embed_dim = o.width;
    c.vision.mlp_hidden = c.text.mlp_hidden = 4 * o.width;
    c.vision.layers = o.vision_layers;
    c.text.layers = o.text_layers;
    c.vision.heads = std::max<int64_t>(1, o.width / 16);
    c.text.heads = std::max<int64_t>(1, o.width / 32);
    validate_config(c, o.out);

    StateDict params = initial_parameters(c, o.seed);
    std::vector<at::Tensor> decay, no_decay;
    for (auto& [key, t] : params) {
        const bool embedding = key.find("embedding") != std::string::npos;
        (t.dim() >= 2 && !embedding ? decay : no_decay).push_back(t);
    }
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(
        decay,
        std::make_unique<torch::optim::AdamWOptions>(
            torch::optim::AdamWOptions(o.learning_rate).weight_decay(o.weight_decay).betas({0.9, 0.98}).eps(1e-6)));
    groups.emplace_back(
        no_decay, std::make_unique<torch::optim::AdamWOptions>(
                      torch::optim::AdamWOptions(o.learning_rate).weight_decay(0.0).betas({0.9, 0.98}).eps(1e-6)));
    torch::optim::AdamW optimizer(groups, torch::optim::AdamWOptions(o.learning_rate));

    int64_t start = 0;
    double seconds_before = 0;
    if (o.resume && fs::exists(state_file)) {
        torch::serialize::InputArchive in;
        in.load_from(state_file.string());
        for (auto& [key, t] : params) in.read(key, t);
        optimizer.load(in);
        at::Tensor step, seconds;
        in.read("step", step);
        in.read("seconds", seconds);
        start = step.item<int64_t>();
        seconds_before = seconds.item<double>();
    }

    auto save_state = [&](int64_t next_step, double seconds) {
        torch::serialize::OutputArchive archive;
        for (const auto& [key, t] : params) archive.write(key, t);
        optimizer.save(archive);
        archive.write("step", at::tensor(next_step));
        archive.write("seconds", at::tensor(seconds, at::kDouble));
        const std::string temp = state_file.string() + ".tmp";
        archive.save_to(temp);
        fs::rename(temp, state_file);
    };
    auto export_model = [&](const std::map<std::string, double>& accuracy, int64_t steps_done, double seconds) {
        std::map<std::string, FloatArray> sd;
        for (const auto& [key, t] : params) sd[key] = to_float_array(t.detach());
        write_checkpoint(o.out, ModelFormat::OpenClipSafetensors, c, sd, o.export_f32 ? DType::F32 : DType::F16);
        nlohmann::json record = {{"what", "ClipScope's shapes-world demo CLIP, trained from scratch by train-demo"},
                                 {"command", o.command_line},
                                 {"settings", settings},
                                 {"architecture", c.name},
                                 {"steps_done", steps_done},
                                 {"training_seconds", seconds},
                                 {"held_out_zero_shot_accuracy", accuracy},
                                 {"weights_dtype", o.export_f32 ? "float32" : "float16 (trained in float32)"}};
        write_text_atomically((out / "training.json").string(),
                              record.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    };

    // Held-out scenes: another seed, one object, habitats independent of shapes.
    world::SceneDistribution balanced;
    balanced.two_objects = 0;
    world::WorldRng held_rng(o.seed ^ kHeldOutSalt);
    std::vector<world::Scene> held_scenes;
    for (int64_t i = 0; i < o.eval_images; ++i) held_scenes.push_back(world::random_scene(held_rng, balanced));
    const Batch held_out = make_batch(held_scenes, {}, c, tok);

    const std::string log_path = (out / "training_log.csv").string();
    if (start == 0) write_text_atomically(log_path, "step,loss,learning_rate,seconds,shape,colour,position,habitat\n");
    std::ofstream log_file(log_path, std::ios::app);
    const auto t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] {
        return seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    std::map<std::string, double> last_accuracy;
    for (int64_t step = start; step < o.steps; ++step) {
        if (control) control->check();
        // The batch of a step depends only on the seed and the step: resuming sees the same data.
        world::WorldRng rng(o.seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(step) + 1);
        std::vector<world::Scene> scenes;
        std::vector<std::string> captions;
        for (auto& item : world::training_batch(rng, o.batch, o.group_size, o.distribution)) {
            scenes.push_back(std::move(item.scene));
            captions.push_back(std::move(item.caption));
        }
        const Batch batch = make_batch(scenes, captions, c, tok);
        const double lr = learning_rate_at(o, step);
        for (auto& g : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);

        const ClipWeights w = build_weights(params, c, at::kCPU);
        const at::Tensor img = encode_image(w, c, batch.pixels), txt = encode_text(w, c, batch.ids);
        const at::Tensor img_n = img / img.norm(2, -1, true), txt_n = txt / txt.norm(2, -1, true);
        const at::Tensor logits = at::matmul(img_n, txt_n.t()) * w.logit_scale.clamp_max(std::log(100.0)).exp();
        const at::Tensor labels = at::arange(o.batch, at::kLong);
        const at::Tensor loss =
            (at::cross_entropy_loss(logits, labels) + at::cross_entropy_loss(logits.t(), labels)) / 2;
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();

        TrainLog entry{step + 1, loss.item<double>(), lr, elapsed(), {}};
        const bool last = step + 1 == o.steps;
        if ((step + 1) % o.eval_every == 0 || last) {
            entry.accuracy = evaluate(build_weights(params, c, at::kCPU), c, tok, held_out, held_scenes);
            last_accuracy = entry.accuracy;
        }
        log_file << entry.step << "," << entry.loss << "," << lr << "," << entry.seconds;
        for (const auto& f : world::attribute_families())
            log_file << "," << (entry.accuracy.count(f) ? std::to_string(entry.accuracy.at(f)) : "");
        log_file << "\n";
        log_file.flush();
        if (log) log(entry);
        if ((step + 1) % o.checkpoint_every == 0 || last) {
            save_state(step + 1, entry.seconds);
            export_model(last_accuracy, step + 1, entry.seconds);
        }
    }
    if (start >= o.steps && !fs::exists(out / "open_clip_model.safetensors"))
        export_model(last_accuracy, start, seconds_before);
}

}  // namespace clipscope
