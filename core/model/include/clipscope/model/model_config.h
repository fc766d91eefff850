#pragma once
// Architecture and preprocessing of a CLIP ViT, read from the model's own files
// (open_clip_config.json, transformers config.json + preprocessor_config.json, or
// inferred from tensor shapes for OpenAI TorchScript archives). Nothing here is
// guessed from the model's name.
#include <array>
#include <cstdint>
#include <string>

#include "clipscope/io/preprocess_config.h"

namespace clipscope {

enum class Activation { Gelu, QuickGelu };
std::string activation_name(Activation a);

struct TowerConfig {
    int64_t width = 0;
    int64_t layers = 0;
    int64_t heads = 0;
    int64_t mlp_hidden = 0;
    int64_t head_dim() const { return heads ? width / heads : 0; }
};

struct VisionConfig : TowerConfig {
    int64_t image_size = 0;
    int64_t patch_size = 0;
    int64_t grid() const { return patch_size ? image_size / patch_size : 0; }
    int64_t tokens() const { return grid() * grid() + 1; }
};

struct TextConfig : TowerConfig {
    int64_t context_length = 77;
    int64_t vocab_size = 49408;
};

struct ClipConfig {
    int64_t embed_dim = 0;
    VisionConfig vision;
    TextConfig text;
    Activation activation = Activation::Gelu;
    PreprocessConfig preprocess;
    std::string name;  // a readable architecture name ("ViT-B-16" for known shapes, else "custom")
};

// Checks that sizes are positive, divisible and bounded; throws Model errors naming `source`.
void validate_config(const ClipConfig& config, const std::string& source);

// open_clip_config.json (wrapper with model_cfg/preprocess_cfg, or a bare model_cfg).
ClipConfig parse_open_clip_config(const std::string& path);
// transformers CLIPConfig (defaults filled for missing keys) + optional preprocessor_config.json.
ClipConfig parse_hf_clip_config(const std::string& config_path, const std::string& preprocessor_path);

// Built-in architectures for `random:NAME` (ViT-B-32, ViT-B-16, ViT-L-14, ViT-L-14-336, ViT-H-14, ViT-bigG-14, tiny).
ClipConfig builtin_architecture(const std::string& name);
// Names a config after the built-in architecture it matches, else "custom".
std::string architecture_name(const ClipConfig& config);

}  // namespace clipscope
