#include "clipscope/model/model_config.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "config_field_check.h"
#include "config_json.h"

namespace clipscope {
namespace {

using nlohmann::json;
// open_clip's per-tower `norm_kwargs` (LayerNorm arguments) and `act_kwargs` (nn.GELU
// arguments): eps and approximate are computed; any other argument is refused by name.
void read_block_kwargs(const json& cfg, const std::string& where, bool quick_gelu, TowerConfig& t,
                       const std::string& path) {
    t.activation = quick_gelu ? Activation::QuickGelu : Activation::Gelu;
    if (cfg.contains("norm_kwargs") && !cfg["norm_kwargs"].is_null()) {
        const json& n = cfg["norm_kwargs"];
        if (!n.is_object()) throw_model(path, where + "norm_kwargs should be an object, found " + json_in_message(n));
        for (auto it = n.begin(); it != n.end(); ++it)
            if (it.key() != "eps")
                throw_model(path, where + "norm_kwargs." + it.key() + " = " + json_in_message(it.value()) +
                                      " is not supported (only eps)");
        t.norm_eps = get_number(n, "eps", t.norm_eps, path, where + "norm_kwargs.");
    }
    if (cfg.contains("act_kwargs") && !cfg["act_kwargs"].is_null()) {
        const json& a = cfg["act_kwargs"];
        if (!a.is_object()) throw_model(path, where + "act_kwargs should be an object, found " + json_in_message(a));
        for (auto it = a.begin(); it != a.end(); ++it) {
            if (it.key() != "approximate")
                throw_model(path, where + "act_kwargs." + it.key() + " = " + json_in_message(it.value()) +
                                      " is not supported (only approximate)");
            if (quick_gelu)  // open_clip passes act_kwargs to QuickGELU, which takes none
                throw_model(path, where + "act_kwargs with quick_gelu: open_clip cannot build this model");
            if (it.value() == "tanh")
                t.activation = Activation::GeluTanh;
            else if (it.value() != "none")
                throw_model(path, where + "act_kwargs.approximate = " + json_in_message(it.value()) +
                                      " is not a GELU approximation ('none' or 'tanh')");
        }
    }
}

// open_clip's text tower options: pooling, eos_id, the causal mask and a projection bias.
void read_text_options(const json& t, TextConfig& c, const std::string& path) {
    if (t.contains("pool_type") && !t["pool_type"].is_null()) {
        const json& p = t["pool_type"];
        if (p == "argmax")
            c.pooling = TextPooling::Argmax;
        else if (p == "first")
            c.pooling = TextPooling::First;
        else if (p == "last")
            c.pooling = TextPooling::Last;
        else if (p == "eos")
            c.pooling = TextPooling::Eos;
        else
            throw_model(path,
                        "text_cfg.pool_type = " + json_in_message(p) + " is not supported (argmax, first, last, eos)");
    }
    // open_clip's CLIPTextCfg default; read for every pooling, used by 'eos' only.
    c.eos_id = get_int(t, "eos_id", 2, path, "text_cfg.");
    c.causal_mask = !get_bool(t, "no_causal_mask", false, path, "text_cfg.");
    c.proj_bias = get_bool(t, "proj_bias", false, path, "text_cfg.");
}

}  // namespace

std::string activation_name(Activation a) {
    switch (a) {
        case Activation::Gelu:
            return "gelu";
        case Activation::GeluTanh:
            return "gelu_tanh";
        case Activation::QuickGelu:
            return "quick_gelu";
    }
    return "?";
}

std::string pooling_name(VisionPooling p) {
    switch (p) {
        case VisionPooling::ClassToken:
            return "class_token";
        case VisionPooling::AttentionPool:
            return "attention_pool";
    }
    return "?";
}

std::string tokenizer_kind_name(TokenizerKind k) {
    switch (k) {
        case TokenizerKind::ClipBpe:
            return "clip_bpe";
        case TokenizerKind::SiglipSentencePiece:
            return "siglip_sentencepiece";
        case TokenizerKind::GemmaSentencePiece:
            return "gemma_sentencepiece";
    }
    return "?";
}

std::string pooling_name(TextPooling p) {
    switch (p) {
        case TextPooling::Argmax:
            return "argmax";
        case TextPooling::First:
            return "first";
        case TextPooling::Last:
            return "last";
        case TextPooling::Eos:
            return "eos";
    }
    return "?";
}

std::vector<std::string> architecture_variations(const ClipConfig& c) {
    const VisionConfig v0;
    const TextConfig t0;
    std::vector<std::string> out;
    auto add = [&](bool differs, const std::string& field, const std::string& value) {
        if (differs) out.push_back(field + "=" + value);
    };
    auto eps = [](double e) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", e);
        return std::string(buf);
    };
    for (const auto& [name, t] : {std::pair<std::string, const TowerConfig*>{"vision", &c.vision}, {"text", &c.text}}) {
        if (name == "text" && !c.text_tower) continue;  // a vision-only model's text fields are mere defaults
        add(t->activation != Activation::Gelu, name + ".activation", activation_name(t->activation));
        add(t->norm_eps != v0.norm_eps, name + ".norm_eps", eps(t->norm_eps));
    }
    add(c.vision.pooling != v0.pooling, "vision.pooling", pooling_name(c.vision.pooling));
    add(c.vision.ln_pre != v0.ln_pre, "vision.ln_pre", c.vision.ln_pre ? "true" : "false");
    add(c.vision.patch_bias != v0.patch_bias, "vision.patch_bias", c.vision.patch_bias ? "true" : "false");
    add(c.vision.class_token != v0.class_token, "vision.class_token", c.vision.class_token ? "true" : "false");
    add(c.vision.projection != v0.projection, "vision.projection", c.vision.projection ? "true" : "false");
    add(c.logit_bias, "logit_bias", "true");
    if (!c.text_tower) {
        out.push_back("text_tower=none");
        return out;
    }
    add(c.text.pooling != t0.pooling, "text.pooling",
        pooling_name(c.text.pooling) +
            (c.text.pooling == TextPooling::Eos ? "(" + std::to_string(c.text.eos_id) + ")" : ""));
    add(c.text.causal_mask != t0.causal_mask, "text.causal_mask", c.text.causal_mask ? "true" : "false");
    add(c.text.proj_bias != t0.proj_bias, "text.proj_bias", c.text.proj_bias ? "true" : "false");
    add(c.tokenizer != TokenizerKind::ClipBpe, "tokenizer", tokenizer_kind_name(c.tokenizer));
    if (c.tokenizer == TokenizerKind::GemmaSentencePiece) {
        add(c.gemma.lower_case, "tokenizer.lower_case", "true");
        add(!c.gemma.add_bos, "tokenizer.add_bos", "false");
        add(c.gemma.add_eos, "tokenizer.add_eos", "true");
    }
    return out;
}

void validate_config(const ClipConfig& c, const std::string& source) {
    auto check = [&](bool ok, const std::string& what) {
        if (!ok) throw_model(source, what);
    };
    // Bounds far above bigG (48 layers, width 1664) but low enough that a corrupt
    // config cannot make us allocate terabytes.
    auto tower = [&](const TowerConfig& t, const std::string& name) {
        check(t.width > 0 && t.width <= 16384, name + " width " + std::to_string(t.width) + " is out of range");
        check(t.layers > 0 && t.layers <= 256, name + " layers " + std::to_string(t.layers) + " is out of range");
        check(t.heads > 0 && t.heads <= t.width && t.width % t.heads == 0, name + " width " + std::to_string(t.width) +
                                                                               " is not divisible into " +
                                                                               std::to_string(t.heads) + " heads");
        check(t.mlp_hidden > 0 && t.mlp_hidden <= 65536,
              name + " MLP size " + std::to_string(t.mlp_hidden) + " is out of range");
    };
    // A model without a text tower (or one not run) computes nothing from `text`.
    const bool text = c.text_tower;
    tower(c.vision, "vision");
    if (text) tower(c.text, "text");
    for (const auto& [name, t] : {std::pair<std::string, const TowerConfig*>{"vision", &c.vision}, {"text", &c.text}})
        if (name == "vision" || text)
            check(std::isfinite(t->norm_eps) && t->norm_eps > 0 && t->norm_eps < 1,
                  name + " LayerNorm eps " + std::to_string(t->norm_eps) + " is not in (0, 1)");
    check(!text || c.text.pooling != TextPooling::Eos || (c.text.eos_id >= 0 && c.text.eos_id < c.text.vocab_size),
          "text eos_id " + std::to_string(c.text.eos_id) + " is not a token of the vocabulary");
    check(c.embed_dim > 0 && c.embed_dim <= 16384, "embed_dim " + std::to_string(c.embed_dim) + " is out of range");
    // A size that is not a multiple of the patch (SigLIP so400m: 384 / 14) is what the patch
    // convolution computes: the grid is floored, the last pixels dropped. Maps over the grid
    // assume it covers the whole image, so that is allowed only where no map is drawn yet
    // (the attention-pooled models, whose decomposition is refused).
    check(c.vision.patch_size > 0 && c.vision.image_size >= c.vision.patch_size && c.vision.image_size <= 4096 &&
              (c.vision.image_size % c.vision.patch_size == 0 || c.vision.pooling == VisionPooling::AttentionPool),
          "image_size " + std::to_string(c.vision.image_size) + " is not a positive multiple of patch_size " +
              std::to_string(c.vision.patch_size));
    check(c.vision.projection || c.embed_dim == c.vision.width,
          "embed_dim " + std::to_string(c.embed_dim) + " differs from the image tower's width " +
              std::to_string(c.vision.width) + ", which is its embedding width when nothing projects it");
    check(c.vision.class_token || c.vision.pooling != VisionPooling::ClassToken,
          "class-token pooling without a class token");
    check(!text || (c.text.context_length > 1 && c.text.context_length <= 4096),
          "context_length " + std::to_string(c.text.context_length) + " is out of range");
    check(!text || (c.text.vocab_size > 0 && c.text.vocab_size <= 10'000'000),
          "vocab_size " + std::to_string(c.text.vocab_size) + " is out of range");
    for (float s : c.preprocess.std) check(s > 0, "preprocessing std must be positive");
    if (const std::string problem = preprocess_config_problem(c.preprocess); !problem.empty())
        check(false, "preprocessing: unsupported " + problem);
}

ClipConfig parse_open_clip_config(const std::string& path, const ConfigReadOptions& options) {
    const json root = load_json(path);
    const bool wrapped = root.contains("model_cfg");
    const json& model = wrapped ? root["model_cfg"] : root;
    if (!model.is_object() || !model.contains("vision_cfg") || !model.contains("text_cfg"))
        throw_model(path, "expected model_cfg with vision_cfg and text_cfg (is this an open_clip_config.json?)");
    const json& v = model["vision_cfg"];
    const json& t = model["text_cfg"];
    if (!v.is_object() || !t.is_object()) throw_model(path, "vision_cfg and text_cfg must be objects");

    ClipConfig c;
    // Every field is checked against the option table before any is read.
    if (wrapped) check_config_fields(root, ConfigSection::OpenClipFile, path, options, c.unknown_fields);
    check_config_fields(model, ConfigSection::OpenClipModel, path, options, c.unknown_fields);
    check_config_fields(v, ConfigSection::OpenClipVision, path, options, c.unknown_fields);
    // A text side ClipScope cannot run (a Hugging Face text model, another tokenizer) leaves
    // the image tower exact: the model loads without its text tower, and texts are refused
    // naming the field (or come from --text-embeddings).
    std::vector<std::string> text_refused;
    check_config_fields(t, ConfigSection::OpenClipText, path, options, c.unknown_fields, &text_refused);
    if (!text_refused.empty()) {
        c.text_tower = false;
        for (const std::string& problem : text_refused)
            c.text_unavailable += (c.text_unavailable.empty() ? "" : "; ") + problem;
    }
    if (root.contains("preprocess_cfg"))
        check_config_fields(root["preprocess_cfg"], ConfigSection::OpenClipPreprocess, path, options, c.unknown_fields);
    c.embed_dim = get_int(model, "embed_dim", 0, path, "model_cfg.");
    c.vision.ln_pre = !get_bool(v, "no_ln_pre", false, path, "vision_cfg.");
    const bool quick_gelu = get_bool(model, "quick_gelu", false, path, "model_cfg.");
    read_block_kwargs(v, "vision_cfg.", quick_gelu, c.vision, path);
    if (c.text_tower) {
        read_block_kwargs(t, "text_cfg.", quick_gelu, c.text, path);
        read_text_options(t, c.text, path);
    }
    c.vision.image_size = get_int(v, "image_size", 224, path, "vision_cfg.");
    c.vision.patch_size = get_int(v, "patch_size", 16, path, "vision_cfg.");
    c.vision.width = get_int(v, "width", 768, path, "vision_cfg.");
    c.vision.layers = get_int(v, "layers", 12, path, "vision_cfg.");
    const int64_t head_width = get_int(v, "head_width", 64, path, "vision_cfg.");
    if (head_width <= 0 || c.vision.width % head_width != 0)
        throw_model(path, "vision_cfg.width " + std::to_string(c.vision.width) + " is not a multiple of head_width " +
                              std::to_string(head_width));
    c.vision.heads = c.vision.width / head_width;
    c.vision.mlp_hidden = static_cast<int64_t>(c.vision.width * get_number(v, "mlp_ratio", 4.0, path, "vision_cfg."));
    c.logit_bias = model.contains("init_logit_bias") && !model["init_logit_bias"].is_null();
    if (const std::string timm = get_string(v, "timm_model_name", "", path, "vision_cfg."); !timm.empty()) {
        read_timm_siglip_vision(v, timm, c, path);
        // open_clip's SigLIP text side tokenizes with a Hugging Face tokenizer (hf_tokenizer_name),
        // which drops the text tower above; a text tower left would need it too.
        if (c.text_tower) {
            c.text_tower = false;
            c.text_unavailable = "a timm SigLIP model's text tower needs open_clip's HFTokenizer, not implemented";
        }
    }
    if (c.text_tower) {
        c.text.context_length = get_int(t, "context_length", 77, path, "text_cfg.");
        c.text.vocab_size = get_int(t, "vocab_size", 49408, path, "text_cfg.");
        c.text.width = get_int(t, "width", 512, path, "text_cfg.");
        c.text.heads = get_int(t, "heads", 8, path, "text_cfg.");
        c.text.layers = get_int(t, "layers", 12, path, "text_cfg.");
        c.text.mlp_hidden = static_cast<int64_t>(c.text.width * get_number(t, "mlp_ratio", 4.0, path, "text_cfg."));
    }

    c.preprocess.image_size = c.vision.image_size;
    if (root.contains("preprocess_cfg")) {
        const json& p = root["preprocess_cfg"];
        if (!p.is_object()) throw_model(path, "preprocess_cfg must be an object");
        c.preprocess.mean = get_triplet(p, "mean", c.preprocess.mean, path);
        c.preprocess.std = get_triplet(p, "std", c.preprocess.std, path);
        const auto text_field = [&](const char* key, const std::string& fallback) {
            if (!p.contains(key)) return fallback;
            if (!p[key].is_string()) throw_model(path, std::string("preprocess_cfg.") + key + " must be a string");
            return p[key].get<std::string>();
        };
        c.preprocess.resize_mode = text_field("resize_mode", "shortest");
        if (c.preprocess.resize_mode != "shortest" && c.preprocess.resize_mode != "squash" &&
            c.preprocess.resize_mode != "longest")
            throw_model(path, "preprocess_cfg.resize_mode " + json_in_message(p["resize_mode"]) +
                                  " is not one of open_clip's (shortest, squash, longest)");
        // open_clip maps every interpolation but "bilinear" to BICUBIC at evaluation ("random"
        // only changes training), so "random" is bicubic here too.
        const std::string interpolation = text_field("interpolation", "bicubic");
        if (interpolation != "bicubic" && interpolation != "bilinear" && interpolation != "random")
            throw_model(path, "preprocess_cfg.interpolation " + json_in_message(p["interpolation"]) +
                                  " is not one of open_clip's (bicubic, bilinear, random)");
        c.preprocess.interpolation = interpolation == "bilinear" ? "bilinear" : "bicubic";
        const int64_t fill = get_int(p, "fill_color", 0, path, "preprocess_cfg.");
        if (fill < 0 || fill > 255)
            throw_model(path, "preprocess_cfg.fill_color " + json_in_message(p["fill_color"]) + " is not 0..255");
        c.preprocess.fill = static_cast<int>(fill);
        if (text_field("mode", "RGB") != "RGB")
            throw_model(path, "preprocess_cfg.mode " + json_in_message(p["mode"]) + " is not supported (only RGB)");
        if (p.contains("size")) {
            const json& size = p["size"];
            const bool square = size.is_number_integer()
                                    ? size.get<int64_t>() == c.vision.image_size
                                    : size.is_array() && size.size() == 2 && size[0].is_number_integer() &&
                                          size[0] == c.vision.image_size && size[1] == c.vision.image_size;
            if (!square)
                throw_model(path, "preprocess_cfg.size " + json_in_message(size) +
                                      " differs from vision_cfg.image_size " + std::to_string(c.vision.image_size) +
                                      "; not supported");
        }
    }
    validate_config(c, path);
    c.name = architecture_name(c);
    return c;
}

ClipConfig parse_hf_clip_config(const std::string& config_path, const std::string& preprocessor_path,
                                const ConfigReadOptions& options) {
    const json root = load_json(config_path);
    // A vision-only checkpoint's config.json is a CLIPVisionConfig itself. MetaCLIP 2's
    // classes are CLIP's with other names; its text tower always pools at the first EOS.
    const json type = root.contains("model_type") ? root["model_type"] : json("clip");
    const bool vision_only = type == "clip_vision_model" || type == "metaclip_2_vision_model";
    const bool metaclip2 = type == "metaclip_2" || type == "metaclip_2_vision_model";
    if (type == "siglip" || type == "siglip_vision_model")
        return parse_hf_siglip_config(root, config_path, preprocessor_path, options);
    // SigLIP 2's NaFlex repos (google/siglip2-*-naflex) are another graph: a linear patch
    // embedding over a variable number of patches at the image's own aspect ratio, position
    // embeddings resized to each image's grid and an attention mask over the padding. Refused by
    // name rather than read as a fixed-resolution SigLIP.
    if (type == "siglip2" || type == "siglip2_vision_model")
        throw Error(ErrorKind::Unsupported,
                    config_path + ": model_type " + type.get<std::string>() +
                        " is SigLIP 2's NaFlex variable-resolution model (Siglip2Model: patches embedded by a linear "
                        "layer at the image's own aspect ratio, resized position embeddings, a padding mask), which "
                        "ClipScope does not implement; the fixed-resolution google/siglip2-* repos (model_type "
                        "siglip) load");
    if (type != "clip" && type != "metaclip_2" && !vision_only)
        throw_model(config_path, "model_type " + json_in_message(type) +
                                     " is not a CLIP model (clip, metaclip_2 or siglip, or clip_vision_model / "
                                     "metaclip_2_vision_model / siglip_vision_model for a vision-only one)");
    // Legacy *_config_dict values override *_config (transformers' own rule).
    auto merged = [&](const char* name) {
        const std::string legacy = std::string(name) + "_dict";
        for (const std::string& key : {std::string(name), legacy})
            if (root.contains(key) && !root[key].is_object() && !root[key].is_null())
                throw_model(config_path, key + " should be an object, found " + json_in_message(root[key]));
        json out = root.contains(name) && root[name].is_object() ? root[name] : json::object();
        if (root.contains(legacy) && root[legacy].is_object())
            for (auto it = root[legacy].begin(); it != root[legacy].end(); ++it) out[it.key()] = it.value();
        return out;
    };
    const json t = vision_only ? json::object() : merged("text_config");
    const json v = vision_only ? root : merged("vision_config");
    ClipConfig c;
    // Every field is checked against the option table before any is read.
    if (vision_only) {
        c.text_tower = false;
        check_config_fields(v, ConfigSection::HfVision, config_path, options, c.unknown_fields);
    } else {
        check_config_fields(root, ConfigSection::HfClip, config_path, options, c.unknown_fields);
        check_config_fields(t, ConfigSection::HfText, config_path, options, c.unknown_fields);
        check_config_fields(v, ConfigSection::HfVision, config_path, options, c.unknown_fields);
    }
    // Defaults of CLIPConfig / CLIPTextConfig / CLIPVisionConfig: newer files omit keys equal to them.
    c.embed_dim = get_int(root, "projection_dim", 512, config_path, "");
    c.text.vocab_size = get_int(t, "vocab_size", 49408, config_path, "text_config.");
    c.text.width = get_int(t, "hidden_size", 512, config_path, "text_config.");
    c.text.mlp_hidden = get_int(t, "intermediate_size", 2048, config_path, "text_config.");
    c.text.layers = get_int(t, "num_hidden_layers", 12, config_path, "text_config.");
    c.text.heads = get_int(t, "num_attention_heads", 8, config_path, "text_config.");
    c.text.context_length = get_int(t, "max_position_embeddings", 77, config_path, "text_config.");
    c.vision.width = get_int(v, "hidden_size", 768, config_path, "vision_config.");
    c.vision.mlp_hidden = get_int(v, "intermediate_size", 3072, config_path, "vision_config.");
    c.vision.layers = get_int(v, "num_hidden_layers", 12, config_path, "vision_config.");
    c.vision.heads = get_int(v, "num_attention_heads", 12, config_path, "vision_config.");
    c.vision.image_size = get_int(v, "image_size", 224, config_path, "vision_config.");
    c.vision.patch_size = get_int(v, "patch_size", 32, config_path, "vision_config.");
    read_hf_activation(t, c.text, "text_config.", "quick_gelu", 1e-5, config_path);
    read_hf_activation(v, c.vision, "vision_config.", "quick_gelu", 1e-5, config_path);
    // CLIPTextTransformer pools at the first eos_token_id, or at the largest id when
    // eos_token_id is 2 ("legacy", what older configs hold); 49407 is CLIPTextConfig's default.
    const int64_t eos = get_int(t, "eos_token_id", 49407, config_path, "text_config.");
    if (eos != 2 || metaclip2) {
        c.text.pooling = TextPooling::Eos;
        c.text.eos_id = eos;
    }

    if (metaclip2 && !vision_only)
        c.tokenizer_unsupported =
            "MetaCLIP 2 tokenizes with a multilingual SentencePiece model (XLM-V or mT5), which ClipScope does not "
            "implement yet";

    read_hf_preprocessor(c, preprocessor_path, options, HfProcessorDefaults::Clip);
    validate_config(c, config_path);
    c.name = architecture_name(c);
    return c;
}

namespace {

// Checkpoint families with the options their configs set (open_clip's pretrained.py
// tags): DFN (Apple) and MetaCLIP 1 (Meta) are trained from OpenAI-style code, so they
// need QuickGELU; DFN's tags also preprocess by squashing the whole image to S x S.
struct FamilyPreset {
    const char* base;  // the shape, a row of the table below
    bool quick_gelu;
    const char* resize_mode;
};
const std::map<std::string, FamilyPreset>& family_presets() {
    static const std::map<std::string, FamilyPreset> kPresets = {
        {"DFN2B-ViT-B-16", {"ViT-B-16", true, "squash"}},
        {"DFN2B-ViT-L-14", {"ViT-L-14", true, "squash"}},
        {"DFN5B-ViT-H-14", {"ViT-H-14", true, "squash"}},
        {"DFN5B-ViT-H-14-378", {"ViT-H-14-378", true, "squash"}},
        {"MetaCLIP-ViT-B-32", {"ViT-B-32", true, "shortest"}},
        {"MetaCLIP-ViT-B-16", {"ViT-B-16", true, "shortest"}},
        {"MetaCLIP-ViT-L-14", {"ViT-L-14", true, "shortest"}},
        {"MetaCLIP-ViT-H-14", {"ViT-H-14", true, "shortest"}},
        {"MetaCLIP-ViT-bigG-14", {"ViT-bigG-14", true, "shortest"}},
    };
    return kPresets;
}

constexpr const char* kQuickGeluSuffix = "-quickgelu";  // open_clip's model-name convention

ClipConfig shape_architecture(const std::string& name);

}  // namespace

ClipConfig builtin_architecture(const std::string& name) {
    if (ClipConfig siglip; siglip_architecture(name, siglip)) return siglip;
    if (const auto preset = family_presets().find(name); preset != family_presets().end()) {
        ClipConfig c = shape_architecture(preset->second.base);
        if (preset->second.quick_gelu) c.vision.activation = c.text.activation = Activation::QuickGelu;
        c.preprocess.resize_mode = preset->second.resize_mode;
        return c;
    }
    const size_t n = name.size(), k = std::char_traits<char>::length(kQuickGeluSuffix);
    if (n > k && name.compare(n - k, k, kQuickGeluSuffix) == 0) {
        ClipConfig c = builtin_architecture(name.substr(0, n - k));
        c.vision.activation = c.text.activation = Activation::QuickGelu;
        return c;
    }
    return shape_architecture(name);
}

std::vector<std::string> builtin_architecture_names() {
    std::vector<std::string> names = {"ViT-B-32", "ViT-B-16",     "ViT-L-14",    "ViT-L-14-336",
                                      "ViT-H-14", "ViT-H-14-378", "ViT-bigG-14", "tiny"};
    for (const auto& [preset, _] : family_presets()) names.push_back(preset);
    for (const std::string& siglip : siglip_architecture_names()) names.push_back(siglip);
    return names;
}

namespace {

ClipConfig shape_architecture(const std::string& name) {
    struct Row {
        int64_t image, patch, width, layers, head_width, mlp, embed, twidth, tlayers, theads;
    };
    // Table of method.md §1.1 (model_configs/*.json of the reference).
    static const std::map<std::string, Row> kRows = {
        {"ViT-B-32", {224, 32, 768, 12, 64, 3072, 512, 512, 12, 8}},
        {"ViT-B-16", {224, 16, 768, 12, 64, 3072, 512, 512, 12, 8}},
        {"ViT-L-14", {224, 14, 1024, 24, 64, 4096, 768, 768, 12, 12}},
        {"ViT-L-14-336", {336, 14, 1024, 24, 64, 4096, 768, 768, 12, 12}},
        {"ViT-H-14", {224, 14, 1280, 32, 80, 5120, 1024, 1024, 24, 16}},
        {"ViT-H-14-378", {378, 14, 1280, 32, 80, 5120, 1024, 1024, 24, 16}},  // DFN5B at 378 px
        {"ViT-bigG-14", {224, 14, 1664, 48, 104, 8192, 1280, 1280, 32, 20}},
        // Same shapes as ../shared/fixtures/tiny, for quick tests.
        {"tiny", {48, 8, 64, 3, 16, 256, 32, 32, 2, 4}},
    };
    auto it = kRows.find(name);
    if (it == kRows.end()) {
        std::string known;
        for (const auto& k : builtin_architecture_names()) known += (known.empty() ? "" : ", ") + k;
        throw_usage("unknown architecture '" + name + "' (known: " + known + "; any shape also with " +
                    kQuickGeluSuffix + ")");
    }
    const Row& r = it->second;
    ClipConfig c;
    c.embed_dim = r.embed;
    c.vision.image_size = r.image;
    c.vision.patch_size = r.patch;
    c.vision.width = r.width;
    c.vision.layers = r.layers;
    c.vision.heads = r.width / r.head_width;
    c.vision.mlp_hidden = r.mlp;
    c.text.width = r.twidth;
    c.text.layers = r.tlayers;
    c.text.heads = r.theads;
    c.text.mlp_hidden = 4 * r.twidth;
    c.preprocess.image_size = r.image;
    c.name = name;
    return c;
}

}  // namespace

std::string architecture_name(const ClipConfig& c) {
    if (c.vision.pooling == VisionPooling::AttentionPool) return siglip_architecture_name(c);
    for (const char* name :
         {"ViT-B-32", "ViT-B-16", "ViT-L-14", "ViT-L-14-336", "ViT-H-14", "ViT-H-14-378", "ViT-bigG-14"}) {
        const ClipConfig b = shape_architecture(name);
        if (b.embed_dim == c.embed_dim && b.vision.image_size == c.vision.image_size &&
            b.vision.patch_size == c.vision.patch_size && b.vision.width == c.vision.width &&
            b.vision.layers == c.vision.layers && b.vision.heads == c.vision.heads && b.text.width == c.text.width &&
            b.text.layers == c.text.layers)
            return name;
    }
    return "custom";
}

}  // namespace clipscope
