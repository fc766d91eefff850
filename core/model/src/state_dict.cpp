// Checkpoint key layouts: open_clip names are canonical; transformers names are
// mapped onto them (docs/checkpoints.md §4). Also random weights and writers.
#include <cmath>
#include <cstring>
#include <memory>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>

#include "clipscope/base/atomic_file.h"
#include "clipscope/model/clip_model.h"
#include "clipscope/base/error.h"
#include "clipscope/io/safetensors.h"
#include "torch_bridge.h"

namespace clipscope {
namespace {

void add_block_shapes(std::map<std::string, Shape>& out, const std::string& prefix, const TowerConfig& t) {
    for (int64_t i = 0; i < t.layers; ++i) {
        const std::string p = prefix + "transformer.resblocks." + std::to_string(i) + ".";
        out[p + "ln_1.weight"] = {t.width};
        out[p + "ln_1.bias"] = {t.width};
        out[p + "attn.in_proj_weight"] = {3 * t.width, t.width};
        out[p + "attn.in_proj_bias"] = {3 * t.width};
        out[p + "attn.out_proj.weight"] = {t.width, t.width};
        out[p + "attn.out_proj.bias"] = {t.width};
        out[p + "ln_2.weight"] = {t.width};
        out[p + "ln_2.bias"] = {t.width};
        out[p + "mlp.c_fc.weight"] = {t.mlp_hidden, t.width};
        out[p + "mlp.c_fc.bias"] = {t.mlp_hidden};
        out[p + "mlp.c_proj.weight"] = {t.width, t.mlp_hidden};
        out[p + "mlp.c_proj.bias"] = {t.width};
    }
}

// Entries real checkpoints carry that are not weights of the model.
bool is_ignorable_extra(const std::string& key) {
    return key == "input_resolution" || key == "context_length" || key == "vocab_size" || key == "attn_mask" ||
           key.find("position_ids") != std::string::npos;
}

}  // namespace

at::Tensor view_as_tensor(const FloatArray& array) {
    return at::from_blob(const_cast<float*>(array.data.data()), array.shape, at::kFloat);
}

at::Tensor view_as_tensor(const Int64Array& array) {
    return at::from_blob(const_cast<int64_t*>(array.data.data()), array.shape, at::kLong);
}

FloatArray to_float_array(const at::Tensor& tensor) {
    const at::Tensor t = tensor.to(at::kCPU, at::kFloat).contiguous();
    FloatArray out(Shape(t.sizes().begin(), t.sizes().end()));
    std::memcpy(out.data.data(), t.data_ptr<float>(), out.data.size() * sizeof(float));
    return out;
}

std::map<std::string, Shape> expected_shapes(const ClipConfig& c) {
    std::map<std::string, Shape> s;
    const auto& v = c.vision;
    if (v.class_token) s["visual.class_embedding"] = {v.width};
    s["visual.positional_embedding"] = {v.tokens(), v.width};
    if (v.projection) s["visual.proj"] = {v.width, c.embed_dim};
    if (v.pooling == VisionPooling::AttentionPool) {
        s["visual.attn_pool.probe"] = {1, 1, v.width};
        s["visual.attn_pool.attn.in_proj_weight"] = {3 * v.width, v.width};
        s["visual.attn_pool.attn.in_proj_bias"] = {3 * v.width};
        s["visual.attn_pool.attn.out_proj.weight"] = {v.width, v.width};
        s["visual.attn_pool.attn.out_proj.bias"] = {v.width};
        s["visual.attn_pool.ln.weight"] = {v.width};
        s["visual.attn_pool.ln.bias"] = {v.width};
        s["visual.attn_pool.mlp.c_fc.weight"] = {v.mlp_hidden, v.width};
        s["visual.attn_pool.mlp.c_fc.bias"] = {v.mlp_hidden};
        s["visual.attn_pool.mlp.c_proj.weight"] = {v.width, v.mlp_hidden};
        s["visual.attn_pool.mlp.c_proj.bias"] = {v.width};
    }
    s["visual.conv1.weight"] = {v.width, 3, v.patch_size, v.patch_size};
    if (v.patch_bias) s["visual.conv1.bias"] = {v.width};
    if (v.ln_pre) {
        s["visual.ln_pre.weight"] = {v.width};
        s["visual.ln_pre.bias"] = {v.width};
    }
    s["visual.ln_post.weight"] = {v.width};
    s["visual.ln_post.bias"] = {v.width};
    add_block_shapes(s, "visual.", v);
    if (!c.text_tower) {
        // A vision-only checkpoint has no text weights and no logit_scale; an open_clip one whose
        // text tower is not run keeps its trained logit_scale (open_clip always saves it).
        if (!c.text_unavailable.empty()) s["logit_scale"] = {};
        if (!c.text_unavailable.empty() && c.logit_bias) s["logit_bias"] = {};
        return s;
    }
    const auto& t = c.text;
    s["token_embedding.weight"] = {t.vocab_size, t.width};
    s["positional_embedding"] = {t.context_length, t.width};
    s["ln_final.weight"] = {t.width};
    s["ln_final.bias"] = {t.width};
    s["text_projection"] = {t.width, c.embed_dim};
    if (t.proj_bias) s["text_projection.bias"] = {c.embed_dim};
    s["logit_scale"] = {};
    if (c.logit_bias) s["logit_bias"] = {};
    add_block_shapes(s, "", t);
    return s;
}

StateDict strip_wrapper_prefixes(StateDict dict) {
    StateDict out;
    for (auto& [key, value] : dict) {
        std::string k = key;
        if (k.rfind("module.", 0) == 0) k = k.substr(7);
        if (k.rfind("text.", 0) == 0) k = k.substr(5);
        out[k] = value;
    }
    // With text_cfg.proj_bias open_clip's text projection is an nn.Linear: its weight is
    // stored [E, W] as "text_projection.weight"; the towers multiply by the [W, E] transpose.
    auto linear = out.find("text_projection.weight");
    if (linear != out.end() && !out.count("text_projection")) {
        out["text_projection"] = linear->second.dim() == 2 ? linear->second.t().contiguous() : linear->second;
        out.erase(linear);
    }
    return out;
}

StateDict validate_state_dict(StateDict dict, const ClipConfig& config, const std::string& file) {
    StateDict normalised;
    // A text tower the config says ClipScope cannot run (ClipConfig::text_unavailable) is not
    // loaded at all: only the image tower's tensors are checked and kept.
    const bool image_tower_only = !config.text_tower && !config.text_unavailable.empty();
    for (auto& [key, value] : strip_wrapper_prefixes(std::move(dict)))
        if (!is_ignorable_extra(key) &&
            (!image_tower_only || key.rfind("visual.", 0) == 0 || key == "logit_scale" || key == "logit_bias"))
            normalised[key] = value;
    const auto expected = expected_shapes(config);
    for (const auto& [key, shape] : expected) {
        auto it = normalised.find(key);
        if (it == normalised.end())
            throw_model(file, "missing tensor '" + key + "' (expected shape " + shape_to_string(shape) + ")");
        const Shape got(it->second.sizes().begin(), it->second.sizes().end());
        // logit_scale (and logit_bias) are sometimes stored as [1] rather than [].
        const bool scalar_ok = shape.empty() && it->second.numel() == 1;
        if (got != shape && !scalar_ok)
            throw_model(file, "tensor '" + key + "' has shape " + shape_to_string(got) + ", expected " +
                                  shape_to_string(shape) + " for this architecture");
    }
    for (const auto& [key, value] : normalised)
        if (!expected.count(key))
            throw_model(file, "unexpected tensor '" + key + "' (not part of a CLIP ViT with this architecture)");
    for (auto& [key, value] : normalised) {
        value = value.to(at::kFloat).contiguous();
        if (!at::isfinite(value).all().item<bool>())
            throw_model(file, "tensor '" + key + "' contains NaN or infinite values");
    }
    return normalised;
}

namespace {

// One file's tensors into dict (float32 used in place from the mapping), their dtypes into dtypes.
void read_safetensors_into(const std::shared_ptr<SafetensorsFile>& file, StateDict& dict,
                           std::set<std::string>& dtypes) {
    const std::string& path = file->path();
    for (const auto& e : file->entries()) {
        if (e.dtype == DType::I64 || e.dtype == DType::I32) {
            if (is_ignorable_extra(e.name)) continue;  // legacy int64 position_ids buffers
            throw_model(path,
                        "tensor '" + e.name + "' is " + dtype_name(e.dtype) + ", expected floating point weights");
        }
        if (e.dtype != DType::F32 && e.dtype != DType::F16 && e.dtype != DType::BF16 && e.dtype != DType::F64)
            throw_model(path, "tensor '" + e.name + "' has unsupported dtype " + dtype_name(e.dtype));
        dtypes.insert(dtype_name(e.dtype));
        const at::ScalarType st = e.dtype == DType::F32    ? at::kFloat
                                  : e.dtype == DType::F16  ? at::kHalf
                                  : e.dtype == DType::BF16 ? at::kBFloat16
                                                           : at::kDouble;
        const unsigned char* bytes = file->data(e);
        if (st == at::kFloat && reinterpret_cast<uintptr_t>(bytes) % alignof(float) == 0) {
            // Float32 weights are used in place from the (copy-on-write) mapping: loading a
            // model then costs its file size in memory once, not twice. A weight the loader
            // repacks (q, k, v into one matrix) gives its pages back once its copy is made.
            dict[e.name] = at::from_blob(
                const_cast<unsigned char*>(bytes), e.shape, [file, &e](void*) { file->release(e); },
                at::TensorOptions().dtype(at::kFloat));
            continue;
        }
        // Copy: 16-bit weights are converted, and files from old writers may be unaligned.
        at::Tensor t = at::empty(e.shape, at::TensorOptions().dtype(st));
        std::memcpy(t.data_ptr(), bytes, e.end - e.begin);
        file->release(e);                 // read once: the converted copy is what stays
        dict[e.name] = t.to(at::kFloat);  // CPU kernels need float32 (no Half addmm)
    }
}

// A sharded checkpoint: each shard must hold exactly the tensors the index maps to it, and
// the bytes must add up to the index's total_size, so that a shard from another upload, a
// missing tensor or a truncated set is an error naming the file.
void read_sharded_into(const std::string& index_path, StateDict& dict, std::set<std::string>& dtypes) {
    const SafetensorsIndex index = read_safetensors_index(index_path);
    int64_t bytes = 0;
    for (const auto& shard_path : index.shards) {
        const auto shard = std::make_shared<SafetensorsFile>(SafetensorsFile::open(shard_path));
        for (const auto& e : shard->entries()) {
            const auto it = index.shard_of.find(e.name);
            if (it == index.shard_of.end())
                throw_model(shard_path, "holds tensor '" + e.name + "', which " +
                                            std::filesystem::path(index_path).filename().string() + " does not list");
            if (it->second != shard_path)
                throw_model(shard_path, "holds tensor '" + e.name + "', which the index puts in " +
                                            std::filesystem::path(it->second).filename().string());
            bytes += static_cast<int64_t>(e.end - e.begin);
        }
        for (const auto& [name, where] : index.shard_of)
            if (where == shard_path && !shard->contains(name))
                throw_model(shard_path, "does not hold tensor '" + name + "', which the index puts there");
        read_safetensors_into(shard, dict, dtypes);
    }
    if (index.total_size >= 0 && index.total_size != bytes)
        throw_model(index_path, "metadata.total_size is " + std::to_string(index.total_size) +
                                    " bytes, the shards hold " + std::to_string(bytes));
}

}  // namespace

StateDict read_safetensors_state_dict(const std::string& path, std::string* stored_dtype) {
    StateDict dict;
    std::set<std::string> dtypes;
    if (is_safetensors_index(path))
        read_sharded_into(path, dict, dtypes);
    else
        read_safetensors_into(std::make_shared<SafetensorsFile>(SafetensorsFile::open(path)), dict, dtypes);
    if (stored_dtype) {
        std::string s;
        for (const auto& d : dtypes) s += (s.empty() ? "" : "+") + d;
        *stored_dtype = s;
    }
    return dict;
}

at::Tensor take_tensor(StateDict& hf, const std::string& key, const std::string& file) {
    auto it = hf.find(key);
    if (it == hf.end()) throw_model(file, "missing tensor '" + key + "'");
    at::Tensor t = it->second;
    hf.erase(it);
    return t;
}

void take_hf_encoder_layers(StateDict& hf, StateDict& out, const std::string& file) {
    static const std::regex kLayer(R"((vision_model|text_model)\.encoder\.layers\.(\d+)\.(.*))");
    std::set<std::pair<std::string, int>> layers;
    for (const auto& [key, _] : hf) {
        std::smatch m;
        if (std::regex_match(key, m, kLayer)) layers.insert({m[1].str(), std::stoi(m[2].str())});
    }
    const auto take = [&](const std::string& key) { return take_tensor(hf, key, file); };
    for (const auto& [tower, i] : layers) {
        const std::string src = tower + ".encoder.layers." + std::to_string(i) + ".";
        const std::string dst = (tower == "vision_model" ? "visual." : "") + std::string("transformer.resblocks.") +
                                std::to_string(i) + ".";
        static const std::vector<std::pair<std::string, std::string>> kBlock = {
            {"layer_norm1.weight", "ln_1.weight"},
            {"layer_norm1.bias", "ln_1.bias"},
            {"layer_norm2.weight", "ln_2.weight"},
            {"layer_norm2.bias", "ln_2.bias"},
            {"self_attn.out_proj.weight", "attn.out_proj.weight"},
            {"self_attn.out_proj.bias", "attn.out_proj.bias"},
            {"mlp.fc1.weight", "mlp.c_fc.weight"},
            {"mlp.fc1.bias", "mlp.c_fc.bias"},
            {"mlp.fc2.weight", "mlp.c_proj.weight"},
            {"mlp.fc2.bias", "mlp.c_proj.bias"},
        };
        for (const auto& [from, to] : kBlock) out[dst + to] = take(src + from);
        // nn.MultiheadAttention packs q, k, v by rows.
        out[dst + "attn.in_proj_weight"] =
            at::cat({take(src + "self_attn.q_proj.weight"), take(src + "self_attn.k_proj.weight"),
                     take(src + "self_attn.v_proj.weight")},
                    0);
        out[dst + "attn.in_proj_bias"] =
            at::cat({take(src + "self_attn.q_proj.bias"), take(src + "self_attn.k_proj.bias"),
                     take(src + "self_attn.v_proj.bias")},
                    0);
    }
}

StateDict map_hf_to_open_clip(StateDict hf, const std::string& file, const ClipConfig& config) {
    if (config.vision.pooling == VisionPooling::AttentionPool)
        return map_hf_siglip_to_open_clip(std::move(hf), file, config);
    const bool text_tower = config.text_tower;
    StateDict out;
    const auto take = [&](const std::string& key) { return take_tensor(hf, key, file); };
    static const std::vector<std::pair<std::string, std::string>> kDirect = {
        {"vision_model.embeddings.patch_embedding.weight", "visual.conv1.weight"},
        {"vision_model.embeddings.class_embedding", "visual.class_embedding"},
        {"vision_model.embeddings.position_embedding.weight", "visual.positional_embedding"},
        {"vision_model.pre_layrnorm.weight", "visual.ln_pre.weight"},
        {"vision_model.pre_layrnorm.bias", "visual.ln_pre.bias"},
        {"vision_model.post_layernorm.weight", "visual.ln_post.weight"},
        {"vision_model.post_layernorm.bias", "visual.ln_post.bias"},
    };
    static const std::vector<std::pair<std::string, std::string>> kDirectText = {
        {"text_model.embeddings.token_embedding.weight", "token_embedding.weight"},
        {"text_model.embeddings.position_embedding.weight", "positional_embedding"},
        {"text_model.final_layer_norm.weight", "ln_final.weight"},
        {"text_model.final_layer_norm.bias", "ln_final.bias"},
        {"logit_scale", "logit_scale"},
    };
    for (const auto& [from, to] : kDirect) out[to] = take(from);
    // A CLIPVisionModel has no projection: its pooled output is not in the joint space.
    if (!text_tower && !hf.count("visual_projection.weight"))
        throw_model(file,
                    "has no visual_projection.weight: a CLIPVisionModel's outputs are not in CLIP's joint "
                    "image-text space (a CLIPVisionModelWithProjection or a CLIPModel is needed)");
    out["visual.proj"] = take("visual_projection.weight").t().contiguous();
    if (text_tower) {
        for (const auto& [from, to] : kDirectText) out[to] = take(from);
        out["text_projection"] = take("text_projection.weight").t().contiguous();
    }
    take_hf_encoder_layers(hf, out, file);
    for (const auto& [key, _] : hf)
        if (!is_ignorable_extra(key))
            throw_model(file, "unexpected tensor '" + key + "' in a transformers CLIP" +
                                  (text_tower ? "" : " vision-only (CLIPVisionModelWithProjection)") + " checkpoint");
    return out;
}

ClipConfig infer_openai_config(const StateDict& d, const std::string& file) {
    auto get = [&](const std::string& key) -> const at::Tensor& {
        auto it = d.find(key);
        if (it == d.end()) throw_model(file, "missing tensor '" + key + "' needed to infer the architecture");
        return it->second;
    };
    if (!d.count("visual.proj"))
        throw_model(file, "has no visual.proj: not a CLIP ViT (ResNet CLIPs are not supported)");
    ClipConfig c;
    const auto& conv = get("visual.conv1.weight");
    if (conv.dim() != 4) throw_model(file, "visual.conv1.weight should have 4 dimensions");
    c.vision.width = conv.size(0);
    c.vision.patch_size = conv.size(3);
    static const std::regex kVisionBlock(R"(visual\.transformer\.resblocks\.(\d+)\.attn\.in_proj_weight)");
    static const std::regex kTextBlock(R"(transformer\.resblocks\.(\d+)\..*)");
    std::set<int> text_layers;
    for (const auto& [key, _] : d) {
        std::smatch m;
        if (std::regex_match(key, m, kVisionBlock))
            ++c.vision.layers;
        else if (std::regex_match(key, m, kTextBlock))
            text_layers.insert(std::stoi(m[1].str()));
    }
    c.text.layers = static_cast<int64_t>(text_layers.size());
    const int64_t grid = std::llround(std::sqrt(static_cast<double>(get("visual.positional_embedding").size(0) - 1)));
    c.vision.image_size = c.vision.patch_size * grid;
    c.vision.heads = c.vision.width / 64;  // OpenAI's rule; right for OpenAI B/L models
    c.vision.mlp_hidden = get("visual.transformer.resblocks.0.mlp.c_fc.weight").size(0);
    c.embed_dim = get("text_projection").size(1);
    c.text.context_length = get("positional_embedding").size(0);
    c.text.vocab_size = get("token_embedding.weight").size(0);
    c.text.width = get("ln_final.weight").size(0);
    c.text.heads = c.text.width / 64;
    c.text.mlp_hidden = get("transformer.resblocks.0.mlp.c_fc.weight").size(0);
    c.vision.activation = c.text.activation = Activation::QuickGelu;  // OpenAI weights always use QuickGELU
    c.preprocess.image_size = c.vision.image_size;
    validate_config(c, file);
    c.name = architecture_name(c);
    return c;
}

std::map<std::string, FloatArray> random_state_dict(const ClipConfig& config, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::map<std::string, FloatArray> out;
    for (const auto& [key, shape] : expected_shapes(config)) {
        FloatArray a(shape);
        const bool is_norm = key.find("ln_") != std::string::npos || key.find(".ln.") != std::string::npos;
        const bool is_weight = key.size() > 6 && key.substr(key.size() - 6) == "weight";
        if (key == "logit_scale") {
            a.data[0] = std::log(1.0f / 0.07f);
        } else if (key == "logit_bias") {
            a.data[0] = -10.0f;  // SigLIP's initial bias
        } else if (is_norm) {
            // LayerNorm gains around 1 and small biases: realistic, yet every term non-trivial.
            std::normal_distribution<float> dist(is_weight ? 1.0f : 0.0f, is_weight ? 0.1f : 0.02f);
            for (auto& x : a.data) x = dist(rng);
        } else {
            const int64_t fan_in = shape.size() >= 2 ? element_count(Shape(shape.begin() + 1, shape.end()))
                                   : shape.empty()   ? 1
                                                     : shape[0];
            const float std = key.find("embedding") != std::string::npos ? 0.02f
                              : key.find("bias") != std::string::npos    ? 0.02f
                                                                         : 1.0f / std::sqrt(static_cast<float>(fan_in));
            std::normal_distribution<float> dist(0.0f, std);
            for (auto& x : a.data) x = dist(rng);
        }
        out[key] = std::move(a);
    }
    return out;
}

namespace {

// Refuses to write a checkpoint whose config file could not state the architecture:
// the file would load as another model.
void require_expressible(const ClipConfig& c, const std::string& format, const std::vector<std::string>& cannot) {
    if (cannot.empty()) return;
    std::string list;
    for (const auto& f : cannot) list += (list.empty() ? "" : ", ") + f;
    throw Error(ErrorKind::Unsupported, "cannot write " + format +
                                            " checkpoint of this architecture: its config has no "
                                            "field for " +
                                            list + " (" + c.name + ")");
}

nlohmann::json open_clip_kwargs(const TowerConfig& t, nlohmann::json cfg) {
    if (t.norm_eps != 1e-5) cfg["norm_kwargs"] = {{"eps", t.norm_eps}};
    if (t.activation == Activation::GeluTanh) cfg["act_kwargs"] = {{"approximate", "tanh"}};
    return cfg;
}

nlohmann::json open_clip_config_json(const ClipConfig& c) {
    std::vector<std::string> cannot;
    const bool quick = c.vision.activation == Activation::QuickGelu;
    if ((c.text.activation == Activation::QuickGelu) != quick) cannot.push_back("QuickGELU in one tower only");
    if (c.vision.patch_bias) cannot.push_back("vision.patch_bias");
    if (c.vision.pooling != VisionPooling::ClassToken)
        cannot.push_back("vision.pooling=" + pooling_name(c.vision.pooling));
    if (!c.text_tower) cannot.push_back("text_tower=none");
    if (c.preprocess.interpolation == "nearest") cannot.push_back("preprocess.interpolation=nearest");
    require_expressible(c, "an open_clip", cannot);
    nlohmann::json vision =
        open_clip_kwargs(c.vision, {{"image_size", c.vision.image_size},
                                    {"layers", c.vision.layers},
                                    {"width", c.vision.width},
                                    {"head_width", c.vision.head_dim()},
                                    {"mlp_ratio", static_cast<double>(c.vision.mlp_hidden) / c.vision.width},
                                    {"patch_size", c.vision.patch_size}});
    if (!c.vision.ln_pre) vision["no_ln_pre"] = true;
    nlohmann::json text =
        open_clip_kwargs(c.text, {{"context_length", c.text.context_length},
                                  {"vocab_size", c.text.vocab_size},
                                  {"width", c.text.width},
                                  {"heads", c.text.heads},
                                  {"layers", c.text.layers},
                                  {"mlp_ratio", static_cast<double>(c.text.mlp_hidden) / c.text.width}});
    if (c.text.pooling != TextPooling::Argmax) text["pool_type"] = pooling_name(c.text.pooling);
    if (c.text.pooling == TextPooling::Eos) text["eos_id"] = c.text.eos_id;
    if (!c.text.causal_mask) text["no_causal_mask"] = true;
    if (c.text.proj_bias) text["proj_bias"] = true;
    nlohmann::json j;
    j["model_cfg"] = {{"embed_dim", c.embed_dim}, {"quick_gelu", quick}, {"vision_cfg", vision}, {"text_cfg", text}};
    j["preprocess_cfg"] = {{"mean", c.preprocess.mean},
                           {"std", c.preprocess.std},
                           {"interpolation", c.preprocess.interpolation},
                           {"resize_mode", c.preprocess.resize_mode}};
    if (c.preprocess.fill != 0) j["preprocess_cfg"]["fill_color"] = c.preprocess.fill;
    return j;
}

// open_clip's own names: with a text projection bias the projection is an nn.Linear, whose
// weight open_clip stores [E, W] as "text_projection.weight".
std::map<std::string, FloatArray> open_clip_layout(std::map<std::string, FloatArray> sd, const ClipConfig& c) {
    if (c.text.proj_bias) {
        sd["text_projection.weight"] = transpose_2d(sd.at("text_projection"));
        sd.erase("text_projection");
    }
    return sd;
}

std::map<std::string, FloatArray> to_hf_layout(const std::map<std::string, FloatArray>& sd, const ClipConfig& c) {
    std::map<std::string, FloatArray> out;
    out["vision_model.embeddings.patch_embedding.weight"] = sd.at("visual.conv1.weight");
    out["vision_model.embeddings.class_embedding"] = sd.at("visual.class_embedding");
    out["vision_model.embeddings.position_embedding.weight"] = sd.at("visual.positional_embedding");
    out["vision_model.pre_layrnorm.weight"] = sd.at("visual.ln_pre.weight");
    out["vision_model.pre_layrnorm.bias"] = sd.at("visual.ln_pre.bias");
    out["vision_model.post_layernorm.weight"] = sd.at("visual.ln_post.weight");
    out["vision_model.post_layernorm.bias"] = sd.at("visual.ln_post.bias");
    out["visual_projection.weight"] = transpose_2d(sd.at("visual.proj"));
    out["text_model.embeddings.token_embedding.weight"] = sd.at("token_embedding.weight");
    out["text_model.embeddings.position_embedding.weight"] = sd.at("positional_embedding");
    out["text_model.final_layer_norm.weight"] = sd.at("ln_final.weight");
    out["text_model.final_layer_norm.bias"] = sd.at("ln_final.bias");
    out["text_projection.weight"] = transpose_2d(sd.at("text_projection"));
    out["logit_scale"] = sd.at("logit_scale");
    put_hf_encoder_layers(sd, c, out);
    return out;
}

}  // namespace

FloatArray transpose_2d(const FloatArray& a) {
    FloatArray t({a.shape[1], a.shape[0]});
    for (int64_t i = 0; i < a.shape[0]; ++i)
        for (int64_t j = 0; j < a.shape[1]; ++j) t.data[j * a.shape[0] + i] = a.data[i * a.shape[1] + j];
    return t;
}

void put_hf_encoder_layers(const std::map<std::string, FloatArray>& sd, const ClipConfig& c,
                           std::map<std::string, FloatArray>& out) {
    auto rows = [](const FloatArray& a, int64_t part, int64_t n) {
        Shape s = a.shape;
        s[0] = n;
        const int64_t per = element_count(s);
        return FloatArray(s, std::vector<float>(a.data.begin() + part * per, a.data.begin() + (part + 1) * per));
    };
    for (const auto& [tower, layers, width] : {std::tuple{std::string("vision_model"), c.vision.layers, c.vision.width},
                                               std::tuple{std::string("text_model"), c.text.layers, c.text.width}}) {
        if (tower == "text_model" && !c.text_tower) continue;
        for (int64_t i = 0; i < layers; ++i) {
            const std::string src = (tower == "vision_model" ? "visual." : "") + std::string("transformer.resblocks.") +
                                    std::to_string(i) + ".";
            const std::string dst = tower + ".encoder.layers." + std::to_string(i) + ".";
            out[dst + "layer_norm1.weight"] = sd.at(src + "ln_1.weight");
            out[dst + "layer_norm1.bias"] = sd.at(src + "ln_1.bias");
            out[dst + "layer_norm2.weight"] = sd.at(src + "ln_2.weight");
            out[dst + "layer_norm2.bias"] = sd.at(src + "ln_2.bias");
            out[dst + "self_attn.out_proj.weight"] = sd.at(src + "attn.out_proj.weight");
            out[dst + "self_attn.out_proj.bias"] = sd.at(src + "attn.out_proj.bias");
            out[dst + "mlp.fc1.weight"] = sd.at(src + "mlp.c_fc.weight");
            out[dst + "mlp.fc1.bias"] = sd.at(src + "mlp.c_fc.bias");
            out[dst + "mlp.fc2.weight"] = sd.at(src + "mlp.c_proj.weight");
            out[dst + "mlp.fc2.bias"] = sd.at(src + "mlp.c_proj.bias");
            const char* names[3] = {"q_proj", "k_proj", "v_proj"};
            for (int part = 0; part < 3; ++part) {
                out[dst + "self_attn." + names[part] + ".weight"] =
                    rows(sd.at(src + "attn.in_proj_weight"), part, width);
                out[dst + "self_attn." + names[part] + ".bias"] = rows(sd.at(src + "attn.in_proj_bias"), part, width);
            }
        }
    }
}

namespace {

std::string hf_activation(Activation a) { return a == Activation::GeluTanh ? "gelu_pytorch_tanh" : activation_name(a); }

// transformers' CLIP and SigLIP text_config / vision_config: the fields both share for one
// tower, then each one's own (`own`).
nlohmann::json hf_tower_json(const TowerConfig& t, const nlohmann::json& own) {
    nlohmann::json j = {
        {"hidden_size", t.width},         {"intermediate_size", t.mlp_hidden},         {"num_hidden_layers", t.layers},
        {"num_attention_heads", t.heads}, {"hidden_act", hf_activation(t.activation)}, {"layer_norm_eps", t.norm_eps}};
    j.update(own);
    return j;
}

// transformers' SiglipConfig for a SigLIP-graph config; the fixed parts of that graph
// (set_siglip_graph) are checked, not written: SiglipConfig has no fields for them.
nlohmann::json hf_siglip_config_json(const ClipConfig& c) {
    std::vector<std::string> cannot;
    if (c.vision.class_token) cannot.push_back("vision.class_token=true");
    if (c.vision.ln_pre) cannot.push_back("vision.ln_pre=true");
    if (!c.vision.patch_bias) cannot.push_back("vision.patch_bias=false");
    if (c.vision.projection) cannot.push_back("vision.projection=true");
    if (!c.text_tower) cannot.push_back("text_tower=none");
    if (c.text.causal_mask) cannot.push_back("text.causal_mask=true");
    if (c.text.pooling != TextPooling::Last) cannot.push_back("text.pooling=" + pooling_name(c.text.pooling));
    if (!c.text.proj_bias) cannot.push_back("text.proj_bias=false");
    if (!c.logit_bias) cannot.push_back("logit_bias=false");
    if (c.embed_dim != c.vision.width) cannot.push_back("embed_dim != vision.width");
    if (c.vision.activation != c.text.activation || c.vision.norm_eps != c.text.norm_eps)
        cannot.push_back("towers with different activations or LayerNorm eps");
    if (c.preprocess.resize_mode != "squash") cannot.push_back("preprocess.resize_mode=" + c.preprocess.resize_mode);
    require_expressible(c, "a transformers SigLIP", cannot);
    return {{"model_type", "siglip"},
            {"text_config", hf_tower_json(c.text, {{"max_position_embeddings", c.text.context_length},
                                                   {"vocab_size", c.text.vocab_size},
                                                   {"projection_size", c.embed_dim}})},
            {"vision_config",
             hf_tower_json(c.vision, {{"image_size", c.vision.image_size}, {"patch_size", c.vision.patch_size}})}};
}

int hf_resample(const std::string& interpolation) {
    return interpolation == "nearest" ? 0 : interpolation == "bilinear" ? 2 : 3;
}

nlohmann::json hf_config_json(const ClipConfig& c) {
    std::vector<std::string> cannot;
    if (!c.vision.ln_pre) cannot.push_back("vision.ln_pre=false");
    if (c.vision.patch_bias) cannot.push_back("vision.patch_bias");
    if (c.vision.pooling != VisionPooling::ClassToken)
        cannot.push_back("vision.pooling=" + pooling_name(c.vision.pooling));
    if (c.text.pooling == TextPooling::First || c.text.pooling == TextPooling::Last)
        cannot.push_back("text.pooling=" + pooling_name(c.text.pooling));
    if (!c.text.causal_mask) cannot.push_back("text.causal_mask=false");
    if (c.text.proj_bias) cannot.push_back("text.proj_bias=true");
    if (!c.text_tower) cannot.push_back("text_tower=none");
    require_expressible(c, "a transformers", cannot);
    return {{"model_type", "clip"},
            {"projection_dim", c.embed_dim},
            {"text_config",
             hf_tower_json(c.text, {{"max_position_embeddings", c.text.context_length},
                                    {"vocab_size", c.text.vocab_size},
                                    // 2 is transformers' "legacy" value: pool at the largest id.
                                    {"eos_token_id", c.text.pooling == TextPooling::Eos ? c.text.eos_id : 2}})},
            {"vision_config",
             hf_tower_json(c.vision, {{"image_size", c.vision.image_size}, {"patch_size", c.vision.patch_size}})}};
}

}  // namespace

void write_torchscript_checkpoint(const std::string& path,
                                  const std::map<std::string, FloatArray>& state_dict);  // torchscript.cpp

void write_checkpoint(const std::string& folder, ModelFormat format, const ClipConfig& config,
                      const std::map<std::string, FloatArray>& sd, DType stored_as) {
    namespace fs = std::filesystem;
    fs::create_directories(folder);
    const fs::path dir(folder);
    switch (format) {
        case ModelFormat::OpenClipSafetensors:
            write_text_atomically(
                (dir / "open_clip_config.json").string(),
                open_clip_config_json(config).dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
            write_safetensors((dir / "open_clip_model.safetensors").string(), open_clip_layout(sd, config), stored_as);
            return;
        case ModelFormat::HfTransformers: {
            if (config.vision.pooling == VisionPooling::AttentionPool) {  // SigLIP's layout
                const nlohmann::json siglip = hf_siglip_config_json(config);
                const int64_t S = config.vision.image_size;
                const nlohmann::json pre = {{"image_processor_type", "SiglipImageProcessor"},
                                            {"do_resize", true},
                                            {"size", {{"height", S}, {"width", S}}},
                                            {"resample", hf_resample(config.preprocess.interpolation)},
                                            {"do_rescale", true},
                                            {"rescale_factor", 1.0 / 255},
                                            {"do_normalize", true},
                                            {"image_mean", config.preprocess.mean},
                                            {"image_std", config.preprocess.std}};
                write_text_atomically((dir / "config.json").string(),
                                      siglip.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
                write_text_atomically((dir / "preprocessor_config.json").string(),
                                      pre.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
                write_safetensors((dir / "model.safetensors").string(), to_hf_siglip_layout(sd, config), stored_as,
                                  {{"format", "pt"}});
                return;
            }
            write_text_atomically((dir / "config.json").string(),
                                  hf_config_json(config).dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
            // The processor's own rules (RGB first, floored crop offset) come with the format.
            if (config.preprocess.resize_mode == "longest")
                require_expressible(config, "a transformers", {"preprocess.resize_mode=longest"});
            const int64_t S = config.vision.image_size;
            const bool squash = config.preprocess.resize_mode == "squash";
            const nlohmann::json pre = {
                {"crop_size", {{"height", S}, {"width", S}}},
                {"size", squash ? nlohmann::json{{"height", S}, {"width", S}} : nlohmann::json{{"shortest_edge", S}}},
                {"do_center_crop", !squash},
                {"do_normalize", true},
                {"do_resize", true},
                {"resample", hf_resample(config.preprocess.interpolation)},
                {"image_mean", config.preprocess.mean},
                {"image_std", config.preprocess.std}};
            write_text_atomically((dir / "preprocessor_config.json").string(),
                                  pre.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
            write_safetensors((dir / "model.safetensors").string(), to_hf_layout(sd, config), stored_as,
                              {{"format", "pt"}});
            return;
        }
        case ModelFormat::OpenAiTorchScript: {
            // The archive holds weights only: loading assumes OpenAI's graph (QuickGELU, shapes inferred).
            std::vector<std::string> cannot;
            const auto is_activation = [](const std::string& v) {
                return v.rfind("vision.activation=", 0) == 0 || v.rfind("text.activation=", 0) == 0;
            };
            for (const auto& v : architecture_variations(config))
                if (!is_activation(v)) cannot.push_back(v);
            // Each tower's activation once, plain GELU included (the original graph's, so no variation names it).
            for (const auto& [tower, act] :
                 {std::pair{"vision", config.vision.activation}, std::pair{"text", config.text.activation}})
                if (act != Activation::QuickGelu)
                    cannot.push_back(std::string(tower) + ".activation=" + activation_name(act) +
                                     " (OpenAI's graph is QuickGELU)");
            // OpenAI's transform is fixed: shortest side, bicubic, centre crop.
            if (config.preprocess.resize_mode != "shortest")
                cannot.push_back("preprocess.resize_mode=" + config.preprocess.resize_mode);
            if (config.preprocess.interpolation != "bicubic")
                cannot.push_back("preprocess.interpolation=" + config.preprocess.interpolation);
            require_expressible(config, "an OpenAI TorchScript", cannot);
            write_torchscript_checkpoint((dir / "model.pt").string(), sd);
            return;
        }
        case ModelFormat::Random:
            break;
    }
    throw_usage("cannot write a checkpoint in format " + format_name(format));
}

}  // namespace clipscope
