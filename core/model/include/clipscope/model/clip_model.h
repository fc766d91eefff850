#pragma once
// A loaded CLIP ViT: image and text towers implemented with LibTorch ops. Torch stays
// behind the pimpl; inputs and outputs are plain arrays. The decomposition of the
// image embedding lives in its own module (clipscope/decompose/decompose.h).
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "clipscope/model/model_config.h"
#include "clipscope/model/model_source.h"
#include "clipscope/base/ndarray.h"
#include "clipscope/io/safetensors.h"
#include "clipscope/model/text_embedding_table.h"
#include "clipscope/model/tokenizer.h"

namespace clipscope {

struct LoadOptions {
    std::string device = "cpu";  // "cpu" or "cuda:N"
    std::string vocab_path;      // overrides the model folder's tokenizer files
    // Config fields outside the option table are loaded with a warning instead of refused
    // (--allow-unknown-config-fields); they are kept in config().unknown_fields.
    bool allow_unknown_config_fields = false;
    // Texts from files instead of the text tower (--text-embeddings T.npy --texts FILE; both
    // or neither): every text is looked up there (text_embedding_table.h), on any checkpoint.
    std::string text_embeddings;
    std::string text_embedding_texts;
};

struct ModelInfo {
    std::string spec;
    std::string format;
    std::string weights_path;
    std::string weights_dtype;  // dtype found in the file (weights are computed in float32)
    std::string vocab_path;     // "" when no tokenizer vocabulary was found
    std::string device;
    int64_t parameter_count = 0;
};

class ClipModel {
public:
    static ClipModel load(const std::string& spec, const LoadOptions& options = {});
    // A model from a configuration and weights held in memory (open_clip key names), validated
    // as a loaded checkpoint is: architectures no file format can state yet, tests, conversions.
    static ClipModel create(const ClipConfig& config, const std::map<std::string, FloatArray>& state_dict,
                            const LoadOptions& options = {});
    ~ClipModel();
    ClipModel(ClipModel&&) noexcept;
    ClipModel& operator=(ClipModel&&) noexcept;

    const ClipConfig& config() const;
    const ModelInfo& info() const;
    // Which weights these are, as stores record it (fnv1a64_file_fingerprint of the weights
    // file; a random:ARCH spec names itself; an in-memory model hashes its tensors). A file's
    // is computed once, on first use, and refused if the file has changed since it was loaded.
    const std::string& weights_fingerprint() const;
    // Throws a clear error when the model has no vocabulary (pass --vocab).
    const Tokenizer& tokenizer() const;
    bool has_tokenizer() const;
    // exp(logit_scale): CLIP's temperature for cosine logits. A vision-only checkpoint has none
    // (Error Unsupported); an open_clip one whose text tower is not run keeps its own.
    // has_logit_scale() says which.
    float logit_scale() const;
    bool has_logit_scale() const;
    // SigLIP's logit_bias: zero-shot scores are then sigmoid(logit_scale() cos + logit_bias())
    // per label (ClipConfig::logit_bias); has_logit_bias() is false for CLIP.
    bool has_logit_bias() const;
    float logit_bias() const;
    // The texts' file, when texts come from --text-embeddings (else nullptr).
    const TextEmbeddingTable* text_embeddings() const;

    // pixels: [B, 3, S, S] (or [3, S, S]) preprocessed float32 -> [B, E] unnormalised.
    FloatArray encode_image(const FloatArray& pixels) const;
    // ids: [B, C] -> [B, E] unnormalised.
    FloatArray encode_text(const Int64Array& ids) const;
    // Texts -> [n, E] unnormalised: the tower's embeddings, or the rows of the texts' file
    // when one is given (then only its lines are accepted, whatever the checkpoint).
    FloatArray encode_texts(const std::vector<std::string>& texts) const;

    // All weights as plain arrays with open_clip key names (for writing checkpoints).
    std::map<std::string, FloatArray> state_dict() const;

    // Defined only inside core (model/src), so front ends cannot use it; the
    // decomposition reaches the tower weights through model_internals.h.
    struct Impl;
    const Impl& impl() const { return *impl_; }

private:
    explicit ClipModel(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Sets torch's intra-op thread count (0 = all cores) and returns the count in use; a count
// outside 0..max_threads() is refused (Error Usage, naming --threads).
int configure_threads(int threads);
int max_threads();  // 4 x the cores
int current_threads();

// Random but non-degenerate weights of an architecture, with open_clip key names.
std::map<std::string, FloatArray> random_state_dict(const ClipConfig& config, uint64_t seed);

// Writes a state dict in the given checkpoint layout into `folder` (tests and conversion):
// OpenClipSafetensors -> open_clip_config.json + open_clip_model.safetensors,
// HfTransformers -> config.json + preprocessor_config.json + model.safetensors (keys mapped, projections transposed),
// OpenAiTorchScript -> model.pt (a TorchScript archive holding the parameters).
void write_checkpoint(const std::string& folder, ModelFormat format, const ClipConfig& config,
                      const std::map<std::string, FloatArray>& state_dict, DType stored_as = DType::F32);

}  // namespace clipscope
