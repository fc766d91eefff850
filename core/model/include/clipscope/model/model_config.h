#pragma once
// Architecture and preprocessing of a CLIP ViT, read from the model's own files
// (open_clip_config.json, transformers config.json + preprocessor_config.json, or
// inferred from tensor shapes for OpenAI TorchScript archives). Nothing here is
// guessed from the model's name.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "clipscope/io/preprocess_config.h"

namespace clipscope {

// The computation of a ViT is described by the fields below, not assumed: the
// towers, the decomposition and the checkpoint writers all read them, and a value
// they cannot compute exactly is refused in one place (validate_config). Defaults are
// the original CLIP graph. docs/adding-a-model-family.md says how a family extends this.

// The MLP's non-linearity: exact GELU (erf), GELU's tanh approximation, or OpenAI's
// QuickGELU x * sigmoid(1.702 x).
enum class Activation { Gelu, GeluTanh, QuickGelu };
std::string activation_name(Activation a);  // "gelu", "gelu_tanh", "quick_gelu"

// How the image embedding is read from the last residual stream: the class token (after
// ln_post, then projected), or SigLIP's multi-head attention pooling head ("MAP": a learned
// probe attends over every position of the post-LayerNorm stream, then a LayerNorm and a
// residual MLP; its output is the embedding).
enum class VisionPooling { ClassToken, AttentionPool };
// Where the text embedding is read: the largest token id (CLIP's end-of-text, first
// occurrence), the first or the last position, or the first occurrence of `eos_id`.
enum class TextPooling { Argmax, First, Last, Eos };
std::string pooling_name(VisionPooling p);
std::string pooling_name(TextPooling p);

// What both towers share: the sizes of their pre-LayerNorm residual blocks and how
// the blocks compute.
struct TowerConfig {
    int64_t width = 0;
    int64_t layers = 0;
    int64_t heads = 0;
    int64_t mlp_hidden = 0;
    Activation activation = Activation::Gelu;
    double norm_eps = 1e-5;  // every LayerNorm of the tower
    int64_t head_dim() const { return heads ? width / heads : 0; }
};

// Image tower: conv patch embedding (+ bias), class token, learned positions,
// ln_pre, blocks, ln_post, pooling, projection.
struct VisionConfig : TowerConfig {
    int64_t image_size = 0;
    int64_t patch_size = 0;
    VisionPooling pooling = VisionPooling::ClassToken;
    bool ln_pre = true;       // a LayerNorm on the patch embeddings before the first block
    bool patch_bias = false;  // the patch convolution has a bias (visual.conv1.bias)
    bool class_token = true;  // a learned class token precedes the patches (SigLIP has none)
    bool projection = true;   // the pooled stream is projected (visual.proj); SigLIP's pooled output is the embedding
    // The patch convolution drops the pixels beyond the last whole patch (SigLIP so400m: 384 px
    // in 14 px patches gives a 27 x 27 grid covering 378 px).
    int64_t grid() const { return patch_size ? image_size / patch_size : 0; }
    int64_t tokens() const { return grid() * grid() + (class_token ? 1 : 0); }
};

// Text tower: token + learned position embeddings, blocks, ln_final, pooling, projection.
struct TextConfig : TowerConfig {
    int64_t context_length = 77;
    int64_t vocab_size = 49408;
    TextPooling pooling = TextPooling::Argmax;
    int64_t eos_id = 0;       // the token TextPooling::Eos looks for
    bool causal_mask = true;  // each position attends only to itself and earlier ones
    bool proj_bias = false;   // the projection adds a bias (text_projection.bias)
};

// How texts become token ids: CLIP's byte-level BPE, SigLIP's SentencePiece model as
// transformers' SiglipTokenizer applies it, or SigLIP 2's Gemma SentencePiece model as its
// GemmaTokenizer does (tokenizer.h).
enum class TokenizerKind { ClipBpe, SiglipSentencePiece, GemmaSentencePiece };
std::string tokenizer_kind_name(TokenizerKind k);  // "clip_bpe", "siglip_sentencepiece", "gemma_sentencepiece"

// What a SigLIP 2 repo's tokenizer_config.json sets for its Gemma tokenizer (docs/method.md §12.2).
struct GemmaTokenizerSettings {
    bool lower_case = false;  // do_lower_case (Siglip2Tokenizer's default; GemmaTokenizer has none)
    bool add_bos = true;      // add_bos_token: texts start with bos
    bool add_eos = false;     // add_eos_token: texts end with eos (Google's SigLIP 2 repos set it)
    std::string bos = "<bos>", eos = "<eos>", pad = "<pad>", unk = "<unk>";
    // added_tokens_decoder's (id, spelling) and additional_special_tokens: each must be a
    // special (control, unknown or user-defined) piece of the SentencePiece model at that id.
    std::vector<std::pair<int64_t, std::string>> added_tokens;
    std::vector<std::string> additional_special;
};

struct ClipConfig {
    int64_t embed_dim = 0;
    VisionConfig vision;
    TextConfig text;
    // false: a vision-only checkpoint (transformers CLIPVisionModelWithProjection). Its image
    // embedding is CLIP's, so every image analysis works; anything needing a text embedding
    // is refused (Error Unsupported), and `text` holds only defaults.
    bool text_tower = true;
    // Why an open_clip checkpoint's text tower is not run although its weights are there (a
    // Hugging Face text model, another tokenizer: "text_cfg.hf_model_name = ..."); "" when the
    // checkpoint has no text tower at all or runs it.
    std::string text_unavailable;
    // Why texts cannot be tokenized although the text tower runs (MetaCLIP 2's multilingual
    // tokenizers): texts then come only from --text-embeddings; "" for CLIP's BPE.
    std::string tokenizer_unsupported;
    TokenizerKind tokenizer = TokenizerKind::ClipBpe;
    GemmaTokenizerSettings gemma;  // read when tokenizer is GemmaSentencePiece
    // SigLIP's sigmoid scores: each label scores sigmoid(exp(logit_scale) cos + logit_bias) on
    // its own, not a softmax over the labels (the weights hold logit_bias).
    bool logit_bias = false;
    PreprocessConfig preprocess;
    std::string name;  // a readable architecture name ("ViT-B-16" for known shapes, else "custom")
    // Config fields no table row knows (config_fields.h), let through because the user asked
    // for it ("vision_cfg.foo = 3"): every output records them, since they may change the numbers.
    std::vector<std::string> unknown_fields;
};

// How the config readers treat a field that is in no row of the option table: refused by
// name (the default), or let through into ClipConfig::unknown_fields with a warning.
struct ConfigReadOptions {
    bool allow_unknown_fields = false;
};

// The architecture fields that differ from the original CLIP graph, as "field=value"
// ("vision.norm_eps=1e-06", "text.pooling=last"): what a checkpoint writer must be able
// to express and what outputs record beside the model's name.
std::vector<std::string> architecture_variations(const ClipConfig& config);

// Checks that sizes are positive, divisible and bounded and that every architecture
// field holds a value the towers compute; throws Model errors naming `source`.
void validate_config(const ClipConfig& config, const std::string& source);

// open_clip_config.json (wrapper with model_cfg/preprocess_cfg, or a bare model_cfg).
ClipConfig parse_open_clip_config(const std::string& path, const ConfigReadOptions& options = {});
// transformers CLIPConfig (defaults filled for missing keys) + optional preprocessor_config.json;
// a config.json of model_type siglip is read as a SiglipConfig.
ClipConfig parse_hf_clip_config(const std::string& config_path, const std::string& preprocessor_path,
                                const ConfigReadOptions& options = {});

// Built-in architectures for `random:NAME`: the shapes ViT-B-32, ViT-B-16, ViT-L-14,
// ViT-L-14-336, ViT-H-14, ViT-H-14-378, ViT-bigG-14 and tiny; any of them with open_clip's
// "-quickgelu" suffix; and checkpoint families with the options their configs set
// (DFN2B-ViT-B-16, DFN2B-ViT-L-14, DFN5B-ViT-H-14, DFN5B-ViT-H-14-378: QuickGELU and squash;
// MetaCLIP-ViT-B-32 ... MetaCLIP-ViT-bigG-14: QuickGELU); and SigLIP's shapes (SigLIP-B-16-224,
// SigLIP-B-16-384, SigLIP-L-16-256, SigLIP-SO400M-14-224, SigLIP-SO400M-14-384).
ClipConfig builtin_architecture(const std::string& name);
std::vector<std::string> builtin_architecture_names();  // without the -quickgelu forms
// Names a config after the built-in architecture it matches, else "custom".
std::string architecture_name(const ClipConfig& config);

}  // namespace clipscope
