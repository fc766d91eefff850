#include "clipscope/model/clip_model.h"

#include <spdlog/spdlog.h>

#include <ATen/Parallel.h>
#include <ATen/Context.h>
#include <c10/core/InferenceMode.h>

#include <cmath>
#include <filesystem>
#include <mutex>
#include <thread>

#include "clip_towers.h"
#include "model_internals.h"
#include "clipscope/base/error.h"
#include "clipscope/base/file_digest.h"
#include "clipscope/io/safetensors.h"
#include "torch_bridge.h"

namespace clipscope {

struct ClipModel::Impl {
    ClipConfig config;
    ModelInfo info;
    ClipWeights weights;
    mutable std::shared_ptr<const FoldedHeads> folded;  // the decomposition's, built on first use
    mutable std::mutex folded_mutex;
    std::optional<Tokenizer> tokenizer;
    std::optional<TextEmbeddingTable> text_table;  // --text-embeddings: texts come from files
    std::vector<std::string> vocab_searched;       // where a missing vocabulary was looked for
    at::Device device = at::kCPU;
    // The weights files (one, or a sharded set's index and shards) as they were when loaded.
    std::vector<std::pair<std::string, FileIdentity>> weights_files;
    mutable std::string fingerprint;  // weights_fingerprint(), once computed
    mutable std::once_flag fingerprint_once;
};

namespace {

at::Device parse_device(const std::string& spec) {
    if (spec == "cpu") return at::kCPU;
    if (spec.rfind("cuda", 0) == 0) {
        if (!at::hasCUDA())
            throw Error(ErrorKind::Unsupported, "device '" + spec +
                                                    "' requested, but this LibTorch build has no CUDA support "
                                                    "(Debian's libtorch is CPU-only); use --device cpu");
        // Exact before fast: cuDNN convolutions default to TF32 on Ampere and later, which
        // moved the fixture's embedding by 2e-4 on an H100 (float32 agrees to 1e-6).
        at::globalContext().setAllowTF32CuDNN(false);
        at::globalContext().setAllowTF32CuBLAS(false);
        try {
            return at::Device(spec);
        } catch (const std::exception&) {
            throw_usage("'" + spec + "' is not a device (use cpu or cuda:N)");
        }
    }
    throw_usage("'" + spec + "' is not a device (use cpu or cuda:N)");
}

}  // namespace

at::Tensor pixels_tensor(const FloatArray& pixels, const at::Device& device) {
    at::Tensor t = view_as_tensor(pixels);
    if (t.dim() == 3) t = t.unsqueeze(0);
    return t.to(device);
}

const ClipWeights& tower_weights(const ClipModel& model) { return model.impl().weights; }
const at::Device& model_device(const ClipModel& model) { return model.impl().device; }
std::shared_ptr<const FoldedHeads> folded_heads(const ClipModel& model,
                                                const std::function<std::shared_ptr<const FoldedHeads>()>& build) {
    const std::lock_guard<std::mutex> lock(model.impl().folded_mutex);
    if (!model.impl().folded) model.impl().folded = build();
    return model.impl().folded;
}

ClipModel::ClipModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ClipModel::~ClipModel() = default;
ClipModel::ClipModel(ClipModel&&) noexcept = default;
ClipModel& ClipModel::operator=(ClipModel&&) noexcept = default;

namespace {
// What every way of making a model ends with: the weights checked against the config
// (errors name `source`), moved to the device, and counted.
void take_weights(ClipModel::Impl& impl, StateDict dict, const std::string& source) {
    dict = validate_state_dict(std::move(dict), impl.config, source);
    impl.weights = build_weights(dict, impl.config, impl.device);
    impl.info.device = impl.device.str();
    for (const auto& [k, v] : dict) impl.info.parameter_count += v.numel();
}

// The files a model's weights came from: a safetensors index and its shards, or the one file.
std::vector<std::string> safetensors_files_or_self(const ModelLocation& loc) {
    if (loc.format == ModelFormat::OpenClipSafetensors || loc.format == ModelFormat::HfTransformers)
        return safetensors_files(loc.weights_path);
    return {loc.weights_path};
}

// --text-embeddings and --texts come together: rows without names (or names without rows)
// could not be looked up.
void attach_text_table(ClipModel::Impl& impl, const LoadOptions& options) {
    if (options.text_embeddings.empty() && options.text_embedding_texts.empty()) return;
    if (options.text_embeddings.empty() || options.text_embedding_texts.empty())
        throw_usage(options.text_embeddings.empty()
                        ? "--texts " + options.text_embedding_texts +
                              " names the rows of --text-embeddings T.npy; give both"
                        : "--text-embeddings " + options.text_embeddings +
                              " needs --texts FILE (one text per line, line i naming row i)");
    impl.text_table =
        TextEmbeddingTable::read(options.text_embeddings, options.text_embedding_texts, impl.config.embed_dim);
    spdlog::info("texts come from {} ({} rows named by {}), not from the text tower", options.text_embeddings,
                 impl.text_table->size(), options.text_embedding_texts);
}
}  // namespace

ClipModel ClipModel::create(const ClipConfig& config, const std::map<std::string, FloatArray>& state_dict,
                            const LoadOptions& options) {
    c10::InferenceMode guard;
    validate_config(config, "the given configuration");
    auto impl = std::make_unique<Impl>();
    impl->device = parse_device(options.device);
    impl->config = config;
    StateDict dict;
    for (const auto& [key, array] : state_dict) dict[key] = view_as_tensor(array).clone();
    uint64_t hash = kFnv1a64Offset;  // the tensors themselves, in key order: no file names them
    uint64_t bytes = 0;
    for (const auto& [key, array] : state_dict) {
        hash = fnv1a64_words(key.data(), key.size(), hash);
        const auto* data = reinterpret_cast<const char*>(array.data.data());
        hash = fnv1a64_words(data, array.data.size() * sizeof(float), hash);
        bytes += array.data.size() * sizeof(float);
    }
    impl->fingerprint = fnv1a64_fingerprint_text(hash, bytes) + ":in-memory";
    take_weights(*impl, std::move(dict), "the given weights");
    impl->info.spec = "in-memory:" + config.name;
    impl->info.format = "in-memory";
    impl->info.weights_dtype = "F32";
    if (!options.vocab_path.empty())
        impl->tokenizer = config.tokenizer == TokenizerKind::SiglipSentencePiece
                              ? Tokenizer::load_siglip(options.vocab_path)
                          : config.tokenizer == TokenizerKind::GemmaSentencePiece
                              ? Tokenizer::load_gemma(options.vocab_path, config.gemma, "the given configuration")
                              : Tokenizer::load(options.vocab_path);
    attach_text_table(*impl, options);
    return ClipModel(std::move(impl));
}

namespace {
std::string fs_extension(const std::string& path) { return std::filesystem::path(path).extension().string(); }

// Where a SentencePiece tokenizer's model lives in its repo.
std::string sentencepiece_file_name(TokenizerKind kind) {
    return kind == TokenizerKind::GemmaSentencePiece ? "tokenizer.model" : "spiece.model";
}

// A vocabulary with more tokens than the embedding table would index past it.
void check_vocabulary_size(const ClipModel::Impl& impl) {
    if (impl.tokenizer->vocab_size() > impl.config.text.vocab_size)
        throw_model(impl.info.vocab_path, "vocabulary has " + std::to_string(impl.tokenizer->vocab_size()) +
                                              " tokens but the model's embedding table has " +
                                              std::to_string(impl.config.text.vocab_size));
}
}  // namespace

ClipModel ClipModel::load(const std::string& spec, const LoadOptions& options) {
    c10::InferenceMode guard;
    auto impl = std::make_unique<Impl>();
    impl->device = parse_device(options.device);
    const ModelLocation loc = resolve_model(spec);
    StateDict dict;
    std::string stored = "F32";
    switch (loc.format) {
        case ModelFormat::Random: {
            impl->config = builtin_architecture(loc.random_arch);
            for (auto& [key, array] : random_state_dict(impl->config, loc.random_seed))
                dict[key] = view_as_tensor(array).clone();
            break;
        }
        case ModelFormat::OpenClipSafetensors:
            impl->config =
                parse_open_clip_config(loc.config_path, ConfigReadOptions{options.allow_unknown_config_fields});
            dict = read_safetensors_state_dict(loc.weights_path, &stored);
            // An attention-pooled open_clip config is a timm SigLIP tower (visual.trunk.*).
            if (impl->config.vision.pooling == VisionPooling::AttentionPool)
                dict = map_timm_siglip_to_open_clip(std::move(dict), loc.weights_path);
            break;
        case ModelFormat::HfTransformers:
            impl->config = parse_hf_clip_config(loc.config_path, loc.preprocessor_path,
                                                ConfigReadOptions{options.allow_unknown_config_fields});
            dict = map_hf_to_open_clip(read_safetensors_state_dict(loc.weights_path, &stored), loc.weights_path,
                                       impl->config);
            break;
        case ModelFormat::OpenAiTorchScript:
            dict = strip_wrapper_prefixes(read_torchscript_state_dict(loc.weights_path, &stored));
            impl->config = infer_openai_config(dict, loc.weights_path);
            break;
    }
    for (const std::string& field : impl->config.unknown_fields)
        spdlog::warn(
            "{}: {} is a config field ClipScope does not know; loaded anyway as asked "
            "(--allow-unknown-config-fields), and every output records it",
            loc.config_path, field);
    // The MLP width is read from the weights (bigG's ratio 4.9231 rounds), not recomputed.
    const std::string fc_key = "visual.transformer.resblocks.0.mlp.c_fc.weight";
    dict = strip_wrapper_prefixes(std::move(dict));
    if (dict.count(fc_key) && dict.at(fc_key).dim() == 2) impl->config.vision.mlp_hidden = dict.at(fc_key).size(0);
    take_weights(*impl, std::move(dict), loc.weights_path.empty() ? spec : loc.weights_path);
    impl->info.spec = spec;
    impl->info.format = format_name(loc.format);
    impl->info.weights_path = loc.weights_path;
    if (loc.weights_path.empty())
        impl->fingerprint = spec;  // random:ARCH:SEED makes the same weights every time
    else
        for (const std::string& f : safetensors_files_or_self(loc))
            impl->weights_files.emplace_back(f, file_identity(f));
    impl->info.weights_dtype = stored;
    impl->info.vocab_path = find_vocabulary(loc, options.vocab_path);
    // Checkpoints shipped without tokenizer files (OpenAI .pt, bare safetensors) use the standard
    // CLIP vocabulary; borrow it from a cached CLIP repo or an installed open_clip package.
    constexpr int64_t kStandardClipVocab = 49408;
    attach_text_table(*impl, options);
    if (!impl->config.text_tower) return ClipModel(std::move(impl));  // nothing to tokenize for
    if (!impl->config.tokenizer_unsupported.empty()) {
        // CLIP's BPE would give ids of another vocabulary: never borrowed, never taken from --vocab.
        if (!options.vocab_path.empty())
            throw_usage("--vocab " + options.vocab_path + ": " + impl->config.tokenizer_unsupported +
                        "; CLIP's BPE vocabulary would give other token ids");
        return ClipModel(std::move(impl));
    }
    if (impl->config.tokenizer == TokenizerKind::SiglipSentencePiece ||
        impl->config.tokenizer == TokenizerKind::GemmaSentencePiece) {
        const bool gemma = impl->config.tokenizer == TokenizerKind::GemmaSentencePiece;
        const std::string file = sentencepiece_file_name(impl->config.tokenizer);
        // The repo's own file of that name: SigLIP's spiece.model is no vocabulary for SigLIP 2.
        if (options.vocab_path.empty()) {
            std::error_code ec;
            const std::string own = loc.folder.empty() ? "" : loc.folder + "/" + file;
            impl->info.vocab_path = !own.empty() && std::filesystem::is_regular_file(own, ec) ? own : "";
        }
        const std::string& path = impl->info.vocab_path;
        if (path.empty()) {
            impl->vocab_searched = {loc.folder.empty() ? spec : loc.folder + "/" + file};
            return ClipModel(std::move(impl));
        }
        if (fs_extension(path) != ".model")
            throw_usage("--vocab " + path + ": a " + (gemma ? "SigLIP 2" : "SigLIP") +
                        " model tokenizes with a SentencePiece model (" + file + ")");
        impl->tokenizer = gemma ? Tokenizer::load_gemma(path, impl->config.gemma, loc.folder + "/tokenizer_config.json")
                                : Tokenizer::load_siglip(path);
        check_vocabulary_size(*impl);
        return ClipModel(std::move(impl));
    }
    if (impl->info.vocab_path.empty() && impl->config.text.vocab_size == kStandardClipVocab) {
        const VocabularySearch search = find_clip_vocabulary_elsewhere(hf_hub_cache_dir());
        impl->info.vocab_path = search.path;
        if (search.path.empty())
            impl->vocab_searched = search.searched;
        else
            spdlog::info("{} has no tokenizer files; using the standard CLIP vocabulary from {}", spec, search.path);
    }
    if (!impl->info.vocab_path.empty()) {
        if (fs_extension(impl->info.vocab_path) == ".model")
            throw_usage("--vocab " + impl->info.vocab_path +
                        ": a SentencePiece model, but this model tokenizes with CLIP's BPE");
        impl->tokenizer = Tokenizer::load(impl->info.vocab_path);
        check_vocabulary_size(*impl);
    }
    return ClipModel(std::move(impl));
}

const ClipConfig& ClipModel::config() const { return impl_->config; }
const ModelInfo& ClipModel::info() const { return impl_->info; }

const std::string& ClipModel::weights_fingerprint() const {
    std::call_once(impl_->fingerprint_once, [this] {
        const std::string& path = impl_->info.weights_path;
        if (path.empty()) return;  // set when the model was made
        for (const auto& [file, identity] : impl_->weights_files)
            if (file_identity(file) != identity)
                throw_input(file, "the weights file has changed since the model was loaded; load the model again");
        if (impl_->weights_files.size() == 1) {
            impl_->fingerprint = fnv1a64_file_fingerprint(path);
            return;
        }
        // A sharded set: the index and every shard, in order, hashed into one fingerprint.
        uint64_t hash = kFnv1a64Offset, bytes = 0;
        for (const auto& [file, identity] : impl_->weights_files) {
            const std::string part = fnv1a64_file_fingerprint(file);
            hash = fnv1a64_words(part.data(), part.size(), hash);
            bytes += static_cast<uint64_t>(identity.size);
        }
        impl_->fingerprint =
            fnv1a64_fingerprint_text(hash, bytes) + ":" + std::to_string(impl_->weights_files.size()) + "-files";
    });
    return impl_->fingerprint;
}
bool ClipModel::has_tokenizer() const { return impl_->tokenizer.has_value(); }

namespace {
// Texts on a checkpoint without a text tower: a valid request this model cannot serve (exit 5).
void require_text_tower(const ClipModel::Impl& impl) {
    if (impl.config.text_tower) return;
    const std::string why = impl.config.text_unavailable.empty()
                                ? " is a vision-only checkpoint (CLIPVisionModelWithProjection): it has no text tower"
                                : " has a text side ClipScope cannot run (" + impl.config.text_unavailable +
                                      "), so it is loaded without its text tower";
    throw Error(
        ErrorKind::Unsupported,
        impl.info.spec + why +
            ": texts cannot be embedded. Image analyses (decompose, index, neighbors, ablation by heads) "
            "work. For texts, give their embeddings as files: --text-embeddings T.npy --texts FILE (row i "
            "of T.npy is line i of FILE, e.g. written by `clipscope-cli embed-text --texts-file FILE --out "
            "T.npy` with the full checkpoint; textspan takes its pool as --text-embeddings T.npy --descriptions FILE)");
}
}  // namespace

bool ClipModel::has_logit_scale() const { return impl_->weights.logit_scale.defined(); }
bool ClipModel::has_logit_bias() const { return impl_->weights.logit_bias.defined(); }
float ClipModel::logit_bias() const {
    if (!impl_->weights.logit_bias.defined())
        throw Error(ErrorKind::Unsupported, impl_->info.spec + " has no logit_bias: its scores are a softmax (CLIP)");
    return impl_->weights.logit_bias.item<float>();
}
const TextEmbeddingTable* ClipModel::text_embeddings() const {
    return impl_->text_table ? &*impl_->text_table : nullptr;
}

float ClipModel::logit_scale() const {
    if (!impl_->weights.logit_scale.defined()) require_text_tower(*impl_);
    return std::exp(impl_->weights.logit_scale.item<float>());
}

const Tokenizer& ClipModel::tokenizer() const {
    require_text_tower(*impl_);
    if (!impl_->config.tokenizer_unsupported.empty())
        throw Error(ErrorKind::Unsupported, impl_->info.spec + ": " + impl_->config.tokenizer_unsupported +
                                                ". Give texts with their embeddings (computed with transformers, say): "
                                                "--text-embeddings T.npy --texts FILE");
    if (!impl_->tokenizer) {
        std::string searched;
        for (const auto& place : impl_->vocab_searched) searched += "\n  " + place;
        if (impl_->config.tokenizer != TokenizerKind::ClipBpe) {
            const std::string file = sentencepiece_file_name(impl_->config.tokenizer);
            throw Error(ErrorKind::InputFile, impl_->info.spec + ": no SentencePiece model (" + file +
                                                  ") found beside the model\nPass --vocab FILE (the " + file +
                                                  " of the same repo).");
        }
        throw Error(ErrorKind::InputFile, impl_->info.spec +
                                              ": no tokenizer vocabulary found beside the model "
                                              "(bpe_simple_vocab_16e6.txt.gz, or vocab.json + merges.txt)" +
                                              (searched.empty() ? std::string() : "; also looked in:" + searched) +
                                              "\nPass --vocab FILE (e.g. vocab.json of any OpenAI CLIP repo, or "
                                              "open_clip's bpe_simple_vocab_16e6.txt.gz).");
    }
    return *impl_->tokenizer;
}

FloatArray ClipModel::encode_image(const FloatArray& pixels) const {
    c10::InferenceMode guard;
    return to_float_array(clipscope::encode_image(impl_->weights, impl_->config, pixels_tensor(pixels, impl_->device)));
}

FloatArray ClipModel::encode_text(const Int64Array& ids) const {
    require_text_tower(*impl_);
    c10::InferenceMode guard;
    return to_float_array(clipscope::encode_text(impl_->weights, impl_->config, view_as_tensor(ids).to(impl_->device)));
}

FloatArray ClipModel::encode_texts(const std::vector<std::string>& texts) const {
    if (impl_->text_table) return impl_->text_table->lookup(texts);
    return encode_text(tokenizer().tokenize(texts, impl_->config.text.context_length));
}

std::map<std::string, FloatArray> ClipModel::state_dict() const {
    // Rebuilt from the tower weights so it reflects exactly what is computed.
    const auto& w = impl_->weights;
    std::map<std::string, FloatArray> out;
    for (const auto& n : kNamedWeights)
        if (has_weight(n, impl_->config)) out[n.key] = to_float_array(w.*n.member);
    for (const bool vision : {true, false})
        for (size_t i = 0; i < (vision ? w.vision : w.text).blocks.size(); ++i)
            for (const auto& n : kNamedBlockWeights)
                out[block_prefix(vision, i) + n.suffix] =
                    to_float_array((vision ? w.vision : w.text).blocks[i].*n.member);
    return out;
}

int max_threads() { return 4 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

int configure_threads(int threads) {
    // More threads than this only slow the work (500 on 2 cores: 27 s instead of 0.9 s), and
    // tens of thousands exhaust memory before the first step can notice a Ctrl+C.
    if (threads < 0 || threads > max_threads())
        throw_usage("--threads takes 0 (all cores) or 1 to " + std::to_string(max_threads()) + " (4 x the " +
                    std::to_string(max_threads() / 4) + " cores), got " + std::to_string(threads));
    // Debian's LibTorch starts with one intra-op thread; we want every core unless told otherwise.
    const int n = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    at::set_num_threads(n);
    return at::get_num_threads();
}

int current_threads() { return at::get_num_threads(); }

}  // namespace clipscope
