#pragma once
// The option table: every field that open_clip and transformers define in the config files
// ClipScope reads, and what ClipScope does with it. One rule, enforced in one place by the
// config readers (model_config.cpp):
//   implemented  the computation follows the field exactly (a parity test covers it);
//   harmless     the field cannot change an embedding or a decomposition term (training,
//                generation and bookkeeping settings, or options that only act together with
//                a field that is itself refused);
//   refused      any value but the listed defaults is an error naming the field and value.
// A field in no row is refused by name too, unless the user allows unknown fields; then it
// is recorded in ClipConfig::unknown_fields and in every output. docs/config-fields.md lists
// the table; `clipscope-cli config-fields` prints it.
#include <string>
#include <vector>

namespace clipscope {

enum class FieldRule { Implemented, Harmless, Refused };
std::string rule_name(FieldRule rule);  // "implemented", "harmless", "refused"

// Where a field lives: the object of one config file.
enum class ConfigSection {
    OpenClipFile,        // open_clip_config.json's top level (model_cfg, preprocess_cfg)
    OpenClipModel,       // model_cfg (or a bare model config)
    OpenClipVision,      // model_cfg.vision_cfg (CLIPVisionCfg)
    OpenClipText,        // model_cfg.text_cfg (CLIPTextCfg)
    OpenClipPreprocess,  // preprocess_cfg (PreprocessCfg)
    HfClip,              // config.json's top level (CLIPConfig)
    HfVision,            // config.json vision_config (CLIPVisionConfig)
    HfText,              // config.json text_config (CLIPTextConfig)
    HfPreprocessor,      // preprocessor_config.json (CLIPImageProcessor, SiglipImageProcessor)
    HfSiglip,            // config.json's top level (SiglipConfig)
    HfSiglipVision,      // config.json vision_config (SiglipVisionConfig)
    HfSiglipText,        // config.json text_config (SiglipTextConfig)
    HfSiglipTokenizer,   // tokenizer_config.json of a SigLIP repo
    HfGemmaTokenizer,    // tokenizer_config.json of a SigLIP 2 repo (GemmaTokenizer)
};
std::string section_name(ConfigSection section);  // "open_clip vision_cfg", "transformers text_config", ...
// How error messages spell a field of the section: "vision_cfg.", "text_config.", "" ...
std::string section_prefix(ConfigSection section);

struct ConfigField {
    ConfigSection section;
    std::string name;
    FieldRule rule;
    // The values ClipScope computes, as a JSON list ("[null, false]"); "" when the config
    // reader checks the value itself (implemented fields with a range or a type) or any
    // value is fine (harmless fields).
    std::string accepted;
    std::string why;  // what the field does, and for implemented fields which test checks it
};

// Every row, in section order.
const std::vector<ConfigField>& config_field_table();
// The row for a field, or nullptr.
const ConfigField* find_config_field(ConfigSection section, const std::string& name);

}  // namespace clipscope
