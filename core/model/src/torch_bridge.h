#pragma once
// Private to core: conversions between the public plain arrays and torch tensors,
// and the open_clip-named state dict every checkpoint format is mapped into.
#include <ATen/ATen.h>

#include <map>
#include <string>

#include "clipscope/model/model_config.h"
#include "clipscope/base/ndarray.h"

namespace clipscope {

using StateDict = std::map<std::string, at::Tensor>;

// A tensor viewing the array's memory (no copy); keep the array alive while it is used.
at::Tensor view_as_tensor(const FloatArray& array);
at::Tensor view_as_tensor(const Int64Array& array);
FloatArray to_float_array(const at::Tensor& tensor);

// Expected open_clip key -> shape for a config (what a checkpoint must provide).
std::map<std::string, Shape> expected_shapes(const ClipConfig& config);

// Strips wrapper prefixes: "module." (DDP) and open_clip's custom-text "text.".
StateDict strip_wrapper_prefixes(StateDict dict);

// Normalises key prefixes ("module.", custom-text "text."), drops known extras
// (OpenAI's scalar entries, position_ids), then checks every expected key is
// present with the expected shape and nothing unexpected remains. Errors name
// the file and the key.
StateDict validate_state_dict(StateDict dict, const ClipConfig& config, const std::string& file);

// Format readers: each returns an open_clip-named dict (float32, CPU).
StateDict read_safetensors_state_dict(const std::string& path, std::string* stored_dtype);
// transformers' CLIP and SigLIP layouts (which one by config.vision.pooling) to open_clip names.
StateDict map_hf_to_open_clip(StateDict hf, const std::string& file, const ClipConfig& config);
StateDict map_hf_siglip_to_open_clip(StateDict hf, const std::string& file, const ClipConfig& config);
// open_clip's timm SigLIP image tower (visual.trunk.*) onto the towers' names; other keys kept.
StateDict map_timm_siglip_to_open_clip(StateDict dict, const std::string& file);
// Removes `key` from `hf` and returns it; a missing key is a Model error naming `file`.
at::Tensor take_tensor(StateDict& hf, const std::string& key, const std::string& file);
// Every "{vision,text}_model.encoder.layers.{i}.*" tensor (CLIP's and SigLIP's encoder
// layers share their names) moved into `out` under open_clip's block names.
void take_hf_encoder_layers(StateDict& hf, StateDict& out, const std::string& file);
// The writers' way back: open_clip's blocks as transformers' encoder layers (q, k and v
// split), and a SigLIP-graph state dict in transformers' SigLIP layout.
void put_hf_encoder_layers(const std::map<std::string, FloatArray>& sd, const ClipConfig& config,
                           std::map<std::string, FloatArray>& out);
FloatArray transpose_2d(const FloatArray& a);  // [R, C] -> [C, R]
std::map<std::string, FloatArray> to_hf_siglip_layout(const std::map<std::string, FloatArray>& sd,
                                                      const ClipConfig& config);
StateDict read_torchscript_state_dict(const std::string& path, std::string* stored_dtype);
// OpenAI's build_model: the architecture from tensor shapes (vision heads = width / 64).
ClipConfig infer_openai_config(const StateDict& dict, const std::string& file);

}  // namespace clipscope
