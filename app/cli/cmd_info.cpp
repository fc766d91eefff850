#include "cli_common.h"
#include "commands.h"

namespace clipscope::cli {

void register_info(CLI::App& app) {
    auto* cmd = app.add_subcommand("info", "Print a model's architecture, preprocessing and source as JSON");
    auto options = std::make_shared<ModelOptions>();
    add_model_options(*cmd, *options);
    add_text_embedding_options(*cmd, *options);
    cmd->footer("Example:\n  clipscope-cli info --model ~/models/CLIP-ViT-B-16-laion2B-s34B-b88K");
    cmd->callback([options] {
        const ClipModel model = load_model(*options);
        const auto& c = model.config();
        const auto& info = model.info();
        auto tower = [](const TowerConfig& t) {
            return nlohmann::json{{"width", t.width},           {"layers", t.layers},
                                  {"heads", t.heads},           {"head_width", t.head_dim()},
                                  {"mlp_hidden", t.mlp_hidden}, {"activation", activation_name(t.activation)},
                                  {"norm_eps", t.norm_eps}};
        };
        nlohmann::json vision = tower(c.vision);
        vision["image_size"] = c.vision.image_size;
        vision["patch_size"] = c.vision.patch_size;
        vision["grid"] = c.vision.grid();
        vision["tokens"] = c.vision.tokens();
        vision["pooling"] = pooling_name(c.vision.pooling);
        vision["ln_pre"] = c.vision.ln_pre;
        vision["patch_bias"] = c.vision.patch_bias;
        vision["class_token"] = c.vision.class_token;
        vision["projection"] = c.vision.projection;
        nlohmann::json text = tower(c.text);
        text["context_length"] = c.text.context_length;
        text["vocab_size"] = c.text.vocab_size;
        text["pooling"] = pooling_name(c.text.pooling);
        if (c.text.pooling == TextPooling::Eos) text["eos_id"] = c.text.eos_id;
        text["causal_mask"] = c.text.causal_mask;
        text["proj_bias"] = c.text.proj_bias;
        text["tokenizer"] = tokenizer_kind_name(c.tokenizer);
        print_json(
            {{"model", info.spec},
             {"format", info.format},
             {"architecture", c.name},
             {"weights", info.weights_path},
             {"weights_dtype", info.weights_dtype},
             {"compute_dtype", "float32"},
             {"device", info.device},
             {"embed_dim", c.embed_dim},
             // CLIP's softmax over labels, or SigLIP's sigmoid with this bias per label.
             {"logit_bias", model.has_logit_bias() ? nlohmann::json(model.logit_bias()) : nlohmann::json(nullptr)},
             // Where this model's graph differs from the original CLIP's (empty for CLIP itself).
             {"architecture_variations", architecture_variations(c)},
             // Fields loaded only because --allow-unknown-config-fields was given.
             {"unknown_config_fields", c.unknown_fields},
             {"vision", vision},
             // A vision-only checkpoint has no text tower: null, not the defaults it was parsed with.
             {"text", c.text_tower ? text : nlohmann::json(nullptr)},
             {"text_embeddings", model_summary(model).value("text_embeddings", nlohmann::json(nullptr))},
             {"tokenizer_unsupported",
              c.tokenizer_unsupported.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.tokenizer_unsupported)},
             {"text_unavailable",
              c.text_unavailable.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.text_unavailable)},
             {"preprocess",
              {{"image_size", c.preprocess.image_size},
               {"mean", c.preprocess.mean},
               {"std", c.preprocess.std},
               {"resize_mode", c.preprocess.resize_mode},
               {"interpolation", c.preprocess.interpolation},
               {"fill", c.preprocess.fill},
               {"crop_rounding", c.preprocess.crop_rounding},
               {"resize", describe_preprocessing(c.preprocess)}}},
             {"parameter_count", info.parameter_count},
             {"vocab", info.vocab_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(info.vocab_path)}});
    });
}

}  // namespace clipscope::cli
