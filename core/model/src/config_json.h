#pragma once
// Internal to the model module: typed reads of config JSON whose errors name the file and the
// field, shared by the readers of open_clip, transformers CLIP and SigLIP configs.
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "clipscope/model/model_config.h"

namespace clipscope {

// A file's JSON object (at most 16 MiB); not JSON or not an object is a Model error naming it.
nlohmann::json load_json(const std::string& path);

// Field readers with a default for a missing or null key; a wrong type is a Model error naming
// `path` and `where` + key ("text_config.hidden_size should be an integer, found ...").
int64_t get_int(const nlohmann::json& obj, const std::string& key, int64_t fallback, const std::string& path,
                const std::string& where);
bool get_bool(const nlohmann::json& obj, const std::string& key, bool fallback, const std::string& path,
              const std::string& where);
std::string get_string(const nlohmann::json& obj, const std::string& key, const std::string& fallback,
                       const std::string& path, const std::string& where);
double get_number(const nlohmann::json& obj, const std::string& key, double fallback, const std::string& path,
                  const std::string& where);
// A list of 3 numbers, or one number for all channels.
std::array<float, 3> get_triplet(const nlohmann::json& obj, const std::string& key, std::array<float, 3> fallback,
                                 const std::string& path);

// A transformers tower's hidden_act (ACT2FN name) and layer_norm_eps into `tower`.
void read_hf_activation(const nlohmann::json& cfg, TowerConfig& tower, const std::string& where,
                        const std::string& fallback_act, double fallback_eps, const std::string& path);

// preprocessor_config.json of transformers' image processors, which share their fields:
// CLIPImageProcessor (shortest edge, centre crop) or SiglipImageProcessor (the whole image
// resized to S x S, no crop, mean = std = 0.5). With no file, the class's defaults.
enum class HfProcessorDefaults { Clip, Siglip };
void read_hf_preprocessor(ClipConfig& c, const std::string& preprocessor_path, const ConfigReadOptions& options,
                          HfProcessorDefaults defaults);

// transformers' SiglipConfig (or a SiglipVisionConfig, model_type siglip_vision_model) as read
// from `root`, the parsed config.json; the tokenizer kind from tokenizer_config.json beside it.
ClipConfig parse_hf_siglip_config(const nlohmann::json& root, const std::string& config_path,
                                  const std::string& preprocessor_path, const ConfigReadOptions& options);

// open_clip's timm SigLIP image tower (vision_cfg.timm_model_name vit_{base,large,so400m}_
// patch{P}_siglip_{S}, timm_pool "map", timm_proj "none") into c.vision; anything else is a
// Model error naming the field. timm builds these towers with exact (erf) GELU, where
// transformers' SiglipModel uses its tanh approximation: the two layouts of one checkpoint
// compute slightly different functions, each as its own library does.
constexpr Activation kTimmSiglipActivation = Activation::Gelu;
void read_timm_siglip_vision(const nlohmann::json& vision_cfg, const std::string& timm_name, ClipConfig& c,
                             const std::string& path);

// SigLIP's shapes for `random:NAME` (SigLIP-B-16-224, SigLIP-B-16-384, SigLIP-L-16-256,
// SigLIP-SO400M-14-224, SigLIP-SO400M-14-384): false when `name` is none of them.
bool siglip_architecture(const std::string& name, ClipConfig& out);
std::vector<std::string> siglip_architecture_names();
// The SigLIP shape a config has, else "SigLIP-custom".
std::string siglip_architecture_name(const ClipConfig& config);

}  // namespace clipscope
