// transformers' SiglipConfig: SigLIP (and the fixed-resolution SigLIP 2 repos, which use the
// same classes) as one ClipConfig: no class token, a patch bias, learned positions, pre-LN
// blocks, post_layernorm on every position, the attention pooling head, no projection; the
// text tower bidirectional, pooled at the last position, with a linear head with bias.
#include <filesystem>
#include <map>

#include "clipscope/base/error.h"
#include "config_field_check.h"
#include "config_json.h"

namespace clipscope {

using nlohmann::json;

namespace {

// A special token's spelling: the token itself or an AddedToken object {"content": ...}.
std::string token_spelling(const json& t, const char* key, const std::string& fallback, const std::string& path) {
    if (!t.contains(key) || t[key].is_null()) return fallback;
    const json& v = t[key].is_object() && t[key].contains("content") ? t[key]["content"] : t[key];
    if (!v.is_string() || v.get<std::string>().empty())
        throw_model(path, std::string(key) + " = " + json_in_message(t[key]) + " is not a token");
    return v.get<std::string>();
}

// SigLIP 2's tokenizer_config.json (GemmaTokenizer, or transformers' Siglip2Tokenizer, whose
// defaults are SigLIP 2's training rule: no bos, eos, lower case).
void read_gemma_tokenizer(ClipConfig& c, const json& t, const std::string& cls, const std::string& path,
                          const ConfigReadOptions& options) {
    check_config_fields(t, ConfigSection::HfGemmaTokenizer, path, options, c.unknown_fields);
    const bool siglip2_class = cls == "Siglip2Tokenizer";
    GemmaTokenizerSettings& g = c.gemma;
    g.lower_case = get_bool(t, "do_lower_case", siglip2_class, path, "");
    g.add_bos = get_bool(t, "add_bos_token", !siglip2_class, path, "");
    g.add_eos = get_bool(t, "add_eos_token", siglip2_class, path, "");
    g.bos = token_spelling(t, "bos_token", g.bos, path);
    g.eos = token_spelling(t, "eos_token", g.eos, path);
    g.pad = token_spelling(t, "pad_token", g.pad, path);
    g.unk = token_spelling(t, "unk_token", g.unk, path);
    if (t.contains("mask_token") && !t["mask_token"].is_null())
        g.additional_special.push_back(token_spelling(t, "mask_token", "", path));
    if (t.contains("added_tokens_decoder")) {
        const json& d = t["added_tokens_decoder"];
        if (!d.is_object()) throw_model(path, "added_tokens_decoder must be an object of id: token");
        for (auto it = d.begin(); it != d.end(); ++it) {
            int64_t id = -1;
            try {
                size_t used = 0;
                id = std::stoll(it.key(), &used);
                if (used != it.key().size()) id = -1;
            } catch (const std::exception&) {
                id = -1;
            }
            if (id < 0 || !it.value().is_object() || !it.value().contains("content") ||
                !it.value()["content"].is_string())
                throw_model(path, "added_tokens_decoder entry " + json_in_message(it.key()) +
                                      " is not an id with a {\"content\": token}");
            g.added_tokens.emplace_back(id, it.value()["content"].get<std::string>());
        }
    }
    if (t.contains("additional_special_tokens") && !t["additional_special_tokens"].is_null()) {
        const json& a = t["additional_special_tokens"];
        if (!a.is_array()) throw_model(path, "additional_special_tokens must be a list of tokens");
        for (const json& v : a) {
            const json& content = v.is_object() && v.contains("content") ? v["content"] : v;
            if (!content.is_string())
                throw_model(path, "additional_special_tokens holds " + json_in_message(v) + ", not a token");
            g.additional_special.push_back(content.get<std::string>());
        }
    }
    c.tokenizer = TokenizerKind::GemmaSentencePiece;
}

// tokenizer_config.json beside config.json: which tokenizer the repo names, SigLIP's own
// (SiglipTokenizer) or SigLIP 2's Gemma one.
void read_siglip_tokenizer(ClipConfig& c, const std::string& config_path, const ConfigReadOptions& options) {
    const std::filesystem::path file = std::filesystem::path(config_path).parent_path() / "tokenizer_config.json";
    std::error_code ec;
    c.tokenizer = TokenizerKind::SiglipSentencePiece;
    if (!std::filesystem::is_regular_file(file, ec)) return;  // SiglipTokenizer's defaults
    const std::string path = file.string();
    const json t = load_json(path);
    const std::string cls = get_string(t, "tokenizer_class", "SiglipTokenizer", path, "");
    if (cls == "GemmaTokenizer" || cls == "GemmaTokenizerFast" || cls == "Siglip2Tokenizer")
        return read_gemma_tokenizer(c, t, cls, path, options);
    check_config_fields(t, ConfigSection::HfSiglipTokenizer, path, options, c.unknown_fields);
    if (cls != "SiglipTokenizer")
        throw_model(path, "tokenizer_class " + json_in_message(t["tokenizer_class"]) +
                              " is not supported (SiglipTokenizer, GemmaTokenizer(Fast), Siglip2Tokenizer)");
    if (!get_bool(t, "do_lower_case", true, path, ""))
        throw_model(path, "do_lower_case = false is not supported: SigLIP was trained on lower-cased text");
    const auto token = [&](const char* key, const char* expected) {
        if (token_spelling(t, key, expected, path) != expected)
            throw_model(path, std::string(key) + " = " + json_in_message(t[key]) +
                                  " is not supported (ClipScope "
                                  "pads and ends texts with " +
                                  expected + " as SiglipTokenizer does by default)");
    };
    token("eos_token", "</s>");
    token("pad_token", "</s>");
    token("unk_token", "<unk>");
}

}  // namespace

namespace {

// SiglipModel's fixed parts, whatever the sizes.
void set_siglip_graph(ClipConfig& c) {
    c.vision.pooling = VisionPooling::AttentionPool;
    c.vision.class_token = false;
    c.vision.ln_pre = false;
    c.vision.patch_bias = true;
    c.vision.projection = false;
    c.embed_dim = c.vision.width;
    c.vision.activation = c.text.activation = Activation::GeluTanh;
    c.vision.norm_eps = c.text.norm_eps = 1e-6;
    // The text model attends to the padding too (no mask, as SigLIP was trained) and is read
    // at the last position, through a linear head with bias.
    c.text.causal_mask = false;
    c.text.pooling = TextPooling::Last;
    c.text.proj_bias = true;
    c.logit_bias = true;
    c.tokenizer = TokenizerKind::SiglipSentencePiece;
}

struct SiglipShape {
    int64_t image, patch, width, layers, heads, mlp;  // both towers share the sizes
};
// google/siglip-* (config.json of each repo); the text tower: 32,000 pieces, context 64.
const std::map<std::string, SiglipShape>& siglip_shapes() {
    static const std::map<std::string, SiglipShape> kShapes = {
        {"SigLIP-B-16-224", {224, 16, 768, 12, 12, 3072}},
        {"SigLIP-B-16-384", {384, 16, 768, 12, 12, 3072}},
        {"SigLIP-L-16-256", {256, 16, 1024, 24, 16, 4096}},
        {"SigLIP-SO400M-14-224", {224, 14, 1152, 27, 16, 4304}},
        {"SigLIP-SO400M-14-384", {384, 14, 1152, 27, 16, 4304}},
    };
    return kShapes;
}

}  // namespace

bool siglip_architecture(const std::string& name, ClipConfig& c) {
    const auto it = siglip_shapes().find(name);
    if (it == siglip_shapes().end()) return false;
    const SiglipShape& s = it->second;
    c = ClipConfig();
    for (TowerConfig* t : {static_cast<TowerConfig*>(&c.vision), static_cast<TowerConfig*>(&c.text)}) {
        t->width = s.width;
        t->layers = s.layers;
        t->heads = s.heads;
        t->mlp_hidden = s.mlp;
    }
    c.vision.image_size = s.image;
    c.vision.patch_size = s.patch;
    c.text.vocab_size = 32000;
    c.text.context_length = 64;
    set_siglip_graph(c);
    c.preprocess.image_size = s.image;
    c.preprocess.resize_mode = "squash";
    c.preprocess.interpolation = "bicubic";
    c.preprocess.mean = c.preprocess.std = {0.5f, 0.5f, 0.5f};
    c.name = name;
    return true;
}

std::vector<std::string> siglip_architecture_names() {
    std::vector<std::string> out;
    for (const auto& [name, _] : siglip_shapes()) out.push_back(name);
    return out;
}

std::string siglip_architecture_name(const ClipConfig& c) {
    for (const auto& [name, s] : siglip_shapes())
        if (c.vision.image_size == s.image && c.vision.patch_size == s.patch && c.vision.width == s.width &&
            c.vision.layers == s.layers && c.vision.heads == s.heads &&
            (!c.text_tower || (c.text.width == s.width && c.text.layers == s.layers)))
            return name;
    return "SigLIP-custom";
}

ClipConfig parse_hf_siglip_config(const json& root, const std::string& config_path,
                                  const std::string& preprocessor_path, const ConfigReadOptions& options) {
    const bool vision_only = root.value("model_type", json()) == "siglip_vision_model";
    for (const char* key : {"text_config", "vision_config"})
        if (root.contains(key) && !root[key].is_object() && !root[key].is_null())
            throw_model(config_path, std::string(key) + " should be an object, found " + json_in_message(root[key]));
    const auto section = [&](const char* key) {
        return root.contains(key) && root[key].is_object() ? root[key] : json::object();
    };
    const json t = vision_only ? json::object() : section("text_config");
    const json v = vision_only ? root : section("vision_config");
    ClipConfig c;
    if (vision_only) {
        c.text_tower = false;
        check_config_fields(v, ConfigSection::HfSiglipVision, config_path, options, c.unknown_fields);
    } else {
        check_config_fields(root, ConfigSection::HfSiglip, config_path, options, c.unknown_fields);
        check_config_fields(t, ConfigSection::HfSiglipText, config_path, options, c.unknown_fields);
        check_config_fields(v, ConfigSection::HfSiglipVision, config_path, options, c.unknown_fields);
    }
    // Defaults of SiglipVisionConfig / SiglipTextConfig: files omit keys equal to them.
    c.vision.width = get_int(v, "hidden_size", 768, config_path, "vision_config.");
    c.vision.mlp_hidden = get_int(v, "intermediate_size", 3072, config_path, "vision_config.");
    c.vision.layers = get_int(v, "num_hidden_layers", 12, config_path, "vision_config.");
    c.vision.heads = get_int(v, "num_attention_heads", 12, config_path, "vision_config.");
    c.vision.image_size = get_int(v, "image_size", 224, config_path, "vision_config.");
    c.vision.patch_size = get_int(v, "patch_size", 16, config_path, "vision_config.");
    set_siglip_graph(c);
    read_hf_activation(v, c.vision, "vision_config.", "gelu_pytorch_tanh", 1e-6, config_path);
    if (!vision_only) {
        c.text.vocab_size = get_int(t, "vocab_size", 32000, config_path, "text_config.");
        c.text.width = get_int(t, "hidden_size", 768, config_path, "text_config.");
        c.text.mlp_hidden = get_int(t, "intermediate_size", 3072, config_path, "text_config.");
        c.text.layers = get_int(t, "num_hidden_layers", 12, config_path, "text_config.");
        c.text.heads = get_int(t, "num_attention_heads", 12, config_path, "text_config.");
        c.text.context_length = get_int(t, "max_position_embeddings", 64, config_path, "text_config.");
        read_hf_activation(t, c.text, "text_config.", "gelu_pytorch_tanh", 1e-6, config_path);
        const int64_t projection = get_int(t, "projection_size", c.text.width, config_path, "text_config.");
        if (projection != c.vision.width)
            throw_model(config_path, "text_config.projection_size " + std::to_string(projection) +
                                         " differs from vision_config.hidden_size " + std::to_string(c.vision.width) +
                                         ": the two embeddings would not share a space");
        read_siglip_tokenizer(c, config_path, options);
    } else {
        c.text_tower = false;
        c.logit_bias = false;  // a SiglipVisionModel has no scores of its own
        c.tokenizer = TokenizerKind::ClipBpe;
    }
    read_hf_preprocessor(c, preprocessor_path, options, HfProcessorDefaults::Siglip);
    validate_config(c, config_path);
    c.name = architecture_name(c);
    return c;
}

}  // namespace clipscope
