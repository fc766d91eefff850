// The option table (config_fields.h) is complete against the upstream field lists, and the
// config readers enforce it: a refused value or an unknown field stops the load with the
// field and its value named; --allow-unknown-config-fields turns an unknown field into a
// record that reaches the model's config and every store made with it.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include <nlohmann/json.hpp>

#include "clipscope/analysis/store.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/io/safetensors.h"
#include "clipscope/model/clip_model.h"
#include "clipscope/model/config_fields.h"
#include "test_support.h"

namespace clipscope {
namespace {

using json = nlohmann::json;
using S = ConfigSection;

std::string read_text(const std::string& path) { return read_file_bytes(path, size_t{1} << 20); }

// The fields upstream defines, written out here from open_clip's CLIPVisionCfg, CLIPTextCfg,
// PreprocessCfg and CLIP.__init__ and from transformers' CLIPConfig, CLIPTextConfig,
// CLIPVisionConfig and CLIPImageProcessor, independently of the table: a field missing from
// the table fails here rather than being refused as unknown in a user's checkpoint.
const std::vector<std::pair<ConfigSection, std::vector<std::string>>> kUpstreamFields = {
    {S::OpenClipModel,
     {"embed_dim", "vision_cfg", "text_cfg", "quick_gelu", "init_logit_scale", "init_logit_bias",
      "nonscalar_logit_scale", "cast_dtype", "output_dict", "custom_text", "multimodal_cfg"}},
    {S::OpenClipVision,
     {"layers",
      "width",
      "head_width",
      "mlp_ratio",
      "patch_size",
      "image_size",
      "ls_init_value",
      "patch_dropout",
      "attentional_pool",
      "attn_pooler_queries",
      "attn_pooler_heads",
      "no_ln_pre",
      "pos_embed_type",
      "final_ln_after_pool",
      "pool_type",
      "output_tokens",
      "act_kwargs",
      "norm_kwargs",
      "block_type",
      "qk_norm",
      "scaled_cosine_attn",
      "scale_heads",
      "scale_attn_inner",
      "scale_attn",
      "scale_fc",
      "timm_model_name",
      "timm_model_pretrained",
      "timm_pool",
      "timm_proj",
      "timm_proj_bias",
      "timm_drop",
      "timm_drop_path"}},
    {S::OpenClipText, {"context_length", "vocab_size",       "hf_tokenizer_name",
                       "tokenizer_mode", "tokenizer_kwargs", "width",
                       "heads",          "layers",           "mlp_ratio",
                       "ls_init_value",  "embed_cls",        "pad_id",
                       "eos_id",         "no_causal_mask",   "final_ln_after_pool",
                       "pool_type",      "proj_bias",        "proj_type",
                       "output_tokens",  "act_kwargs",       "norm_kwargs",
                       "block_type",     "qk_norm",          "scaled_cosine_attn",
                       "scale_heads",    "scale_attn_inner", "scale_attn",
                       "scale_fc",       "hf_model_name",    "hf_model_pretrained",
                       "hf_proj_type",   "hf_pooler_type"}},
    {S::OpenClipPreprocess, {"size", "mode", "mean", "std", "interpolation", "resize_mode", "fill_color"}},
    {S::HfClip,
     {"text_config", "vision_config", "projection_dim", "logit_scale_init_value", "initializer_factor", "model_type",
      "architectures", "torch_dtype", "transformers_version"}},
    {S::HfText,
     {"vocab_size", "hidden_size", "intermediate_size", "projection_dim", "num_hidden_layers", "num_attention_heads",
      "max_position_embeddings", "hidden_act", "layer_norm_eps", "attention_dropout", "initializer_range",
      "initializer_factor", "pad_token_id", "bos_token_id", "eos_token_id", "model_type"}},
    {S::HfVision,
     {"hidden_size", "intermediate_size", "projection_dim", "num_hidden_layers", "num_attention_heads", "num_channels",
      "image_size", "patch_size", "hidden_act", "layer_norm_eps", "attention_dropout", "initializer_range",
      "initializer_factor", "model_type"}},
    {S::HfPreprocessor,
     {"do_resize", "size", "resample", "do_center_crop", "crop_size", "do_rescale", "rescale_factor", "do_normalize",
      "image_mean", "image_std", "do_convert_rgb", "image_processor_type", "feature_extractor_type",
      "processor_class"}},
};

TEST(ConfigFields, EveryUpstreamFieldHasARow) {
    for (const auto& [section, names] : kUpstreamFields)
        for (const auto& name : names)
            EXPECT_NE(find_config_field(section, name), nullptr) << section_name(section) << ": " << name;
    // And no row is listed twice (find_config_field would hide the second).
    const auto& table = config_field_table();
    for (size_t i = 0; i < table.size(); ++i)
        EXPECT_EQ(find_config_field(table[i].section, table[i].name), &table[i]) << table[i].name;
}

// Minimal valid files for each section, so that one field at a time can be set.
json open_clip_file() {
    return {
        {"model_cfg",
         {{"embed_dim", 32},
          {"vision_cfg", {{"image_size", 48}, {"layers", 3}, {"width", 64}, {"head_width", 16}, {"patch_size", 8}}},
          {"text_cfg", {{"context_length", 77}, {"vocab_size", 49408}, {"width", 32}, {"heads", 4}, {"layers", 2}}}}},
        {"preprocess_cfg", {{"mean", {0.5, 0.5, 0.5}}, {"std", {0.5, 0.5, 0.5}}}}};
}

json& open_clip_object(json& file, ConfigSection section) {
    switch (section) {
        case S::OpenClipFile:
            return file;
        case S::OpenClipModel:
            return file["model_cfg"];
        case S::OpenClipVision:
            return file["model_cfg"]["vision_cfg"];
        case S::OpenClipText:
            return file["model_cfg"]["text_cfg"];
        default:
            return file["preprocess_cfg"];
    }
}

bool is_open_clip(ConfigSection s) {
    return s == S::OpenClipFile || s == S::OpenClipModel || s == S::OpenClipVision || s == S::OpenClipText ||
           s == S::OpenClipPreprocess;
}

// Parses the section's file with `field` set to `value`; returns the error, or "" when it loads.
std::string parse_with(ConfigSection section, const std::string& field, const json& value,
                       const ConfigReadOptions& options = {}, ClipConfig* out = nullptr) {
    test::TempDir dir;
    try {
        ClipConfig c;
        if (is_open_clip(section)) {
            json file = open_clip_file();
            open_clip_object(file, section)[field] = value;
            test::write_bytes(dir.path("c.json"), file.dump());
            c = parse_open_clip_config(dir.path("c.json"), options);
        } else if (section == S::HfSiglip || section == S::HfSiglipText || section == S::HfSiglipVision ||
                   section == S::HfSiglipTokenizer || section == S::HfGemmaTokenizer) {
            json config = {
                {"model_type", "siglip"}, {"text_config", json::object()}, {"vision_config", json::object()}};
            json tokenizer = {
                {"tokenizer_class", section == S::HfGemmaTokenizer ? "GemmaTokenizer" : "SiglipTokenizer"}};
            if (section == S::HfSiglip) config[field] = value;
            if (section == S::HfSiglipText) config["text_config"][field] = value;
            if (section == S::HfSiglipVision) config["vision_config"][field] = value;
            if (section == S::HfSiglipTokenizer || section == S::HfGemmaTokenizer) tokenizer[field] = value;
            test::write_bytes(dir.path("config.json"), config.dump());
            test::write_bytes(dir.path("tokenizer_config.json"), tokenizer.dump());
            c = parse_hf_clip_config(dir.path("config.json"), "", options);
        } else {
            json config = {{"model_type", "clip"}, {"text_config", json::object()}, {"vision_config", json::object()}};
            json pre = {{"size", {{"shortest_edge", 224}}}, {"crop_size", {{"height", 224}, {"width", 224}}}};
            if (section == S::HfClip) config[field] = value;
            if (section == S::HfText) config["text_config"][field] = value;
            if (section == S::HfVision) config["vision_config"][field] = value;
            if (section == S::HfPreprocessor) pre[field] = value;
            test::write_bytes(dir.path("config.json"), config.dump());
            test::write_bytes(dir.path("pre.json"), pre.dump());
            c = parse_hf_clip_config(dir.path("config.json"), dir.path("pre.json"), options);
        }
        if (out) *out = c;
        return "";
    } catch (const Error& e) {
        return e.what();
    }
}

TEST(ConfigFields, TheMinimalFilesLoad) {
    EXPECT_EQ(parse_with(S::OpenClipVision, "patch_dropout", 0.0), "");
    EXPECT_EQ(parse_with(S::HfText, "attention_dropout", 0.0), "");
}

TEST(ConfigFields, EveryValueOutsideARowsListIsRefusedNamingTheFieldAndTheValue) {
    int checked = 0;
    for (const auto& f : config_field_table()) {
        if (f.accepted.empty()) continue;
        // config.json's model_type is told apart first ("... is not a CLIP model"), by the reader.
        if ((f.section == S::HfClip || f.section == S::HfSiglip) && f.name == "model_type") continue;
        ClipConfig loaded;
        const std::string error = parse_with(f.section, f.name, "no such value", {}, &loaded);
        if (f.section == S::OpenClipText) {
            // open_clip's text side: the checkpoint loads without its text tower, naming the field.
            const std::string named = "text_cfg." + f.name + " = \"no such value\"";
            EXPECT_EQ(error, "") << f.name;
            EXPECT_FALSE(loaded.text_tower) << f.name;
            EXPECT_NE(loaded.text_unavailable.find(named), std::string::npos)
                << "wanted '" << named << "', got '" << loaded.text_unavailable << "'";
        } else {
            const std::string named = section_prefix(f.section) + f.name + " = \"no such value\" is not supported";
            EXPECT_NE(error.find(named), std::string::npos) << "wanted '" << named << "', got '" << error << "'";
        }
        // Each listed value is accepted by the table (the reader may still check it further).
        for (const json& ok : json::parse(f.accepted)) {
            const std::string e = parse_with(f.section, f.name, ok);
            EXPECT_EQ(e.find(" is not supported ("), std::string::npos) << f.name << " = " << ok.dump() << ": " << e;
        }
        ++checked;
    }
    EXPECT_GT(checked, 40);
}

TEST(ConfigFields, HarmlessFieldsLoadWithAnyValue) {
    for (const auto& f : config_field_table()) {
        if (f.rule != FieldRule::Harmless) continue;
        EXPECT_EQ(parse_with(f.section, f.name, "any value"), "") << section_name(f.section) << ": " << f.name;
    }
}

TEST(ConfigFields, AnUnknownFieldIsRefusedByNameUnlessAllowedAndThenRecorded) {
    for (const ConfigSection s : {S::OpenClipFile, S::OpenClipModel, S::OpenClipVision, S::OpenClipText,
                                  S::OpenClipPreprocess, S::HfClip, S::HfText, S::HfVision, S::HfPreprocessor}) {
        const std::string field = section_prefix(s) + "gated_mlp";
        const std::string error = parse_with(s, "gated_mlp", 3);
        EXPECT_NE(error.find(field + " = 3 is a field ClipScope does not know (" + section_name(s) + ")"),
                  std::string::npos)
            << error;
        EXPECT_NE(error.find("--allow-unknown-config-fields"), std::string::npos) << error;
        ClipConfig c;
        EXPECT_EQ(parse_with(s, "gated_mlp", 3, ConfigReadOptions{true}, &c), "") << section_name(s);
        EXPECT_EQ(c.unknown_fields, std::vector<std::string>{field + " = 3"});
    }
    // Allowing unknown fields does not let a refused value through.
    EXPECT_NE(parse_with(S::OpenClipVision, "qk_norm", true, ConfigReadOptions{true}), "");
}

// A checkpoint written in open_clip's layout, with `edit` applied to its config.
std::string open_clip_checkpoint(const test::TempDir& dir, const std::function<void(json&)>& edit) {
    const ClipConfig c = builtin_architecture("tiny");
    write_checkpoint(dir.path("m"), ModelFormat::OpenClipSafetensors, c, random_state_dict(c, 5));
    const std::string path = dir.path("m/open_clip_config.json");
    json config = json::parse(read_text(path));
    edit(config);
    test::write_bytes(path, config.dump());
    return dir.path("m");
}

TEST(ConfigFields, AllowedUnknownFieldsReachTheModelAndItsStores) {
    test::TempDir dir;
    const std::string folder =
        open_clip_checkpoint(dir, [](json& j) { j["model_cfg"]["vision_cfg"]["gated_mlp"] = true; });
    try {
        ClipModel::load(folder);
        ADD_FAILURE() << "an unknown field was loaded";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("vision_cfg.gated_mlp = true"), std::string::npos) << e.what();
        EXPECT_EQ(e.kind(), ErrorKind::Model);
    }
    LoadOptions allow;
    allow.allow_unknown_config_fields = true;
    const ClipModel model = ClipModel::load(folder, allow);
    EXPECT_EQ(model.config().unknown_fields, std::vector<std::string>{"vision_cfg.gated_mlp = true"});
    // The record goes into a store's manifest and comes back.
    StoreInfo info = test::store_info(3, 4, 8, 2, 1);
    info.unknown_config_fields = model.config().unknown_fields;
    EXPECT_EQ(store_info_for(model).unknown_config_fields, model.config().unknown_fields);
    { StoreWriter w = StoreWriter::open(dir.path("s"), info); }
    EXPECT_EQ(Store::open(dir.path("s")).info().unknown_config_fields, info.unknown_config_fields);
    EXPECT_NE(read_text(dir.path("s/manifest.json")).find("vision_cfg.gated_mlp = true"), std::string::npos);
}

TEST(ConfigFields, CustomTextLayoutLoadsAsTheSameModel) {
    // open_clip's CustomTextCLIP keeps the text tower under "text." (its own module).
    test::TempDir dir;
    const std::string folder = open_clip_checkpoint(dir, [](json& j) { j["model_cfg"]["custom_text"] = true; });
    const ClipModel plain = ClipModel::load(folder);
    const std::string weights = folder + "/open_clip_model.safetensors";
    std::map<std::string, FloatArray> tensors;
    {
        const SafetensorsFile file = SafetensorsFile::open(weights);
        for (const auto& e : file.entries()) {
            const bool text = e.name.rfind("visual.", 0) != 0 && e.name != "logit_scale";
            tensors[text ? "text." + e.name : e.name] = file.read_float(e);
        }
    }
    std::filesystem::remove(weights);
    write_safetensors(weights, tensors);
    const ClipModel custom = ClipModel::load(folder);
    const int64_t C = custom.config().text.context_length;
    Int64Array ids({1, C});
    for (int64_t i = 0; i < 6; ++i) ids.data[static_cast<size_t>(i)] = 300 + 17 * i;
    ids.data[6] = custom.config().text.vocab_size - 1;  // end of text
    EXPECT_EQ(test::max_abs_diff(custom.encode_text(ids), plain.encode_text(ids)), 0.0);
}

}  // namespace
}  // namespace clipscope
