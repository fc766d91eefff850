#include "clipscope/model/config_fields.h"

#include <nlohmann/json.hpp>

#include "clipscope/base/error.h"
#include "config_field_check.h"

namespace clipscope {
namespace {

using S = ConfigSection;
constexpr FieldRule I = FieldRule::Implemented;
constexpr FieldRule H = FieldRule::Harmless;
constexpr FieldRule R = FieldRule::Refused;

// transformers' PretrainedConfig attributes that every config.json section may carry:
// generation defaults, output switches, labels and bookkeeping. None reaches the forward
// pass of CLIPModel's encoders.
const char* const kPretrainedConfigCommon[] = {"_name_or_path",
                                               "_commit_hash",
                                               "_attn_implementation",
                                               "_attn_implementation_autoset",
                                               "attn_implementation",
                                               "transformers_version",
                                               "architectures",
                                               "return_dict",
                                               "output_hidden_states",
                                               "output_attentions",
                                               "torchscript",
                                               "torch_dtype",
                                               "dtype",
                                               "use_bfloat16",
                                               "tf_legacy_loss",
                                               "tie_word_embeddings",
                                               "chunk_size_feed_forward",
                                               "is_encoder_decoder",
                                               "is_decoder",
                                               "cross_attention_hidden_size",
                                               "add_cross_attention",
                                               "tie_encoder_decoder",
                                               "max_length",
                                               "min_length",
                                               "do_sample",
                                               "early_stopping",
                                               "num_beams",
                                               "num_beam_groups",
                                               "diversity_penalty",
                                               "temperature",
                                               "top_k",
                                               "top_p",
                                               "typical_p",
                                               "repetition_penalty",
                                               "length_penalty",
                                               "no_repeat_ngram_size",
                                               "encoder_no_repeat_ngram_size",
                                               "bad_words_ids",
                                               "num_return_sequences",
                                               "output_scores",
                                               "return_dict_in_generate",
                                               "forced_bos_token_id",
                                               "forced_eos_token_id",
                                               "remove_invalid_values",
                                               "exponential_decay_length_penalty",
                                               "suppress_tokens",
                                               "begin_suppress_tokens",
                                               "finetuning_task",
                                               "id2label",
                                               "label2id",
                                               "num_labels",
                                               "tokenizer_class",
                                               "prefix",
                                               "bos_token_id",
                                               "pad_token_id",
                                               "sep_token_id",
                                               "decoder_start_token_id",
                                               "task_specific_params",
                                               "problem_type",
                                               "gradient_checkpointing",
                                               "use_cache",
                                               "initializer_range",
                                               "initializer_factor"};

const ConfigField* find_in(const std::vector<ConfigField>& table, ConfigSection section, const std::string& name) {
    for (const auto& f : table)
        if (f.section == section && f.name == name) return &f;
    return nullptr;
}

std::vector<ConfigField> build_table() {
    std::vector<ConfigField> t = {
        // open_clip_config.json: the wrapper push_to_hf_hub writes.
        {S::OpenClipFile, "model_cfg", I, "", "the model config below"},
        {S::OpenClipFile, "preprocess_cfg", I, "", "the preprocessing below"},

        // model_cfg: open_clip CLIP.__init__ / CustomTextCLIP arguments.
        {S::OpenClipModel, "embed_dim", I, "", "joint embedding width; checked against both projections"},
        {S::OpenClipModel, "quick_gelu", I, "",
         "QuickGELU in both towers (Architecture tests; numpy parity: OptionParity)"},
        {S::OpenClipModel, "vision_cfg", I, "", "the image tower below"},
        {S::OpenClipModel, "text_cfg", I, "", "the text tower below"},
        {S::OpenClipModel, "custom_text", I, "",
         "CustomTextCLIP: the text tower's weights under text.*, read as CLIP's (ConfigFields.CustomTextLayout)"},
        {S::OpenClipModel, "cast_dtype", H, "", "training precision; ClipScope computes in float32"},
        {S::OpenClipModel, "output_dict", H, "", "the Python return type"},
        {S::OpenClipModel, "init_logit_scale", H, "", "initial value only; logit_scale is read from the weights"},
        {S::OpenClipModel, "init_logit_bias", I, "",
         "a sigmoid-loss logit bias (SigLIP): logit_bias is read from the weights and scores are sigmoid(scale cos "
         "+ bias) per label (TimmSigLip)"},
        {S::OpenClipModel, "nonscalar_logit_scale", R, "[false]", "a logit scale per dimension is not computed"},
        {S::OpenClipModel, "multimodal_cfg", R, "[null]", "CoCa's text decoder and attentional pooler"},

        // vision_cfg: CLIPVisionCfg (with the names of older open_clip releases).
        {S::OpenClipVision, "layers", I, "", "an integer; a list (ModifiedResNet) is refused by the reader"},
        {S::OpenClipVision, "width", I, "", ""},
        {S::OpenClipVision, "head_width", I, "", "heads = width / head_width"},
        {S::OpenClipVision, "mlp_ratio", I, "", "MLP width (the weights' shape wins, as open_clip's int())"},
        {S::OpenClipVision, "patch_size", I, "", ""},
        {S::OpenClipVision, "image_size", I, "", "an integer (square); preprocessing follows it"},
        {S::OpenClipVision, "no_ln_pre", I, "",
         "no LayerNorm before the first block (Architecture tests; OptionParity)"},
        {S::OpenClipVision, "norm_kwargs", I, "",
         "LayerNorm eps (OptionParity); any other argument is refused by name"},
        {S::OpenClipVision, "act_kwargs", I, "",
         "GELU approximate 'tanh' or 'none' (OptionParity); others refused by name"},
        {S::OpenClipVision, "pool_type", I, R"(["tok"])", "class-token pooling only"},
        {S::OpenClipVision, "final_ln_after_pool", H, "",
         "with class-token pooling ln_post sees the same token before or after pooling"},
        {S::OpenClipVision, "patch_dropout", H, "", "training only: open_clip drops no patch in eval mode"},
        {S::OpenClipVision, "output_tokens", H, "", "also returns the tokens; the embedding is the same"},
        {S::OpenClipVision, "ls_init_value", R, "[null]", "layer scale (learned per-block gains) is not computed"},
        {S::OpenClipVision, "attentional_pool", R, "[false]", "an attentional pooler replaces the class token"},
        {S::OpenClipVision, "attn_pooler_queries", H, "", "only with attentional_pool (refused)"},
        {S::OpenClipVision, "attn_pooler_heads", H, "", "only with attentional_pool (refused)"},
        {S::OpenClipVision, "n_queries", H, "", "older name of attn_pooler_queries"},
        {S::OpenClipVision, "pos_embed_type", R, R"(["learnable"])", "only learned position embeddings"},
        {S::OpenClipVision, "global_average_pool", R, "[false]", "mean pooling of older releases"},
        {S::OpenClipVision, "input_patchnorm", R, "[false]", "a LayerNorm on raw patches (older releases)"},
        {S::OpenClipVision, "block_type", R, R"([null, "default"])", "the custom attention block"},
        {S::OpenClipVision, "qk_norm", R, "[false]", "LayerNorm on queries and keys"},
        {S::OpenClipVision, "scaled_cosine_attn", R, "[false]", "cosine attention with a learned scale"},
        {S::OpenClipVision, "scale_heads", R, "[false]", "learned per-head attention scales"},
        {S::OpenClipVision, "scale_attn_inner", R, "[false]", "a LayerNorm inside attention"},
        {S::OpenClipVision, "scale_attn", R, "[false]", "a LayerNorm after attention"},
        {S::OpenClipVision, "scale_fc", R, "[false]", "a LayerNorm inside the MLP"},
        {S::OpenClipVision, "timm_model_name", I, "",
         "timm's SigLIP towers vit_{base,large,so400m}_patch{P}_siglip_{S} (TimmSigLip); any other timm model is "
         "refused by name"},
        {S::OpenClipVision, "timm_model_pretrained", H, "",
         "where timm would take initial weights; the checkpoint's are read"},
        {S::OpenClipVision, "timm_pool", I, "",
         "with timm_model_name: must be \"map\" (SigLIP's attention pooling head); open_clip ignores it without"},
        {S::OpenClipVision, "timm_proj", I, "",
         "with timm_model_name: must be \"none\" (the pooled output is the embedding); open_clip ignores it without"},
        {S::OpenClipVision, "timm_proj_bias", H, "", "only with a timm_proj, which must be none"},
        {S::OpenClipVision, "timm_drop", H, "", "training only (dropout)"},
        {S::OpenClipVision, "timm_drop_path", H, "", "training only (stochastic depth)"},

        // text_cfg: CLIPTextCfg.
        {S::OpenClipText, "context_length", I, "", ""},
        {S::OpenClipText, "vocab_size", I, "", ""},
        {S::OpenClipText, "width", I, "", ""},
        {S::OpenClipText, "heads", I, "", ""},
        {S::OpenClipText, "layers", I, "", ""},
        {S::OpenClipText, "mlp_ratio", I, "", "MLP width (the weights' shape wins)"},
        {S::OpenClipText, "norm_kwargs", I, "", "LayerNorm eps (OptionParity); any other argument is refused by name"},
        {S::OpenClipText, "act_kwargs", I, "",
         "GELU approximate 'tanh' or 'none' (OptionParity); others refused by name"},
        {S::OpenClipText, "pool_type", I, R"(["argmax", "first", "last", "eos"])",
         "where the text embedding is read (Architecture.TextPoolingPicksTheStatedPosition, OptionParity)"},
        {S::OpenClipText, "eos_id", I, "", "the token 'eos' pooling looks for (OptionParity)"},
        {S::OpenClipText, "no_causal_mask", I, "",
         "bidirectional attention (Architecture.TheCausalMask..., OptionParity)"},
        {S::OpenClipText, "proj_bias", I, "",
         "a bias on the text projection (Architecture.TextProjectionBias..., OptionParity)"},
        {S::OpenClipText, "final_ln_after_pool", H, "",
         "every text pooling picks one token, and ln_final acts per token: the same before or after pooling"},
        {S::OpenClipText, "output_tokens", H, "", "also returns the tokens; the embedding is the same"},
        {S::OpenClipText, "pad_id", H, "", "only masks padding for embed_cls (refused)"},
        {S::OpenClipText, "proj_type", R, R"(["linear"])", "'none' drops the text projection"},
        {S::OpenClipText, "embed_cls", R, "[false]", "a learned class token appended to the text"},
        {S::OpenClipText, "ls_init_value", R, "[null]", "layer scale (learned per-block gains) is not computed"},
        {S::OpenClipText, "hf_tokenizer_name", R, "[null]", "a Hugging Face tokenizer instead of CLIP's BPE"},
        {S::OpenClipText, "tokenizer_mode", R, "[null]", "another open_clip tokenizer"},
        {S::OpenClipText, "tokenizer_kwargs", R, R"([null, {}, {"clean": "lower"}])",
         "tokenizer options other than CLIP's default cleaning"},
        {S::OpenClipText, "hf_model_name", R, R"([null, ""])", "a Hugging Face text model (TextTowerNotRun)"},
        {S::OpenClipText, "hf_model_pretrained", H, "", "only with hf_model_name (text tower not run)"},
        {S::OpenClipText, "hf_proj_type", H, "", "only with hf_model_name (text tower not run)"},
        {S::OpenClipText, "hf_pooler_type", H, "", "only with hf_model_name (text tower not run)"},
        {S::OpenClipText, "proj", H, "", "older name of hf_proj_type"},
        {S::OpenClipText, "pooler_type", H, "", "older name of hf_pooler_type"},
        {S::OpenClipText, "block_type", R, R"([null, "default"])", "the custom attention block"},
        {S::OpenClipText, "qk_norm", R, "[false]", "LayerNorm on queries and keys"},
        {S::OpenClipText, "scaled_cosine_attn", R, "[false]", "cosine attention with a learned scale"},
        {S::OpenClipText, "scale_heads", R, "[false]", "learned per-head attention scales"},
        {S::OpenClipText, "scale_attn_inner", R, "[false]", "a LayerNorm inside attention"},
        {S::OpenClipText, "scale_attn", R, "[false]", "a LayerNorm after attention"},
        {S::OpenClipText, "scale_fc", R, "[false]", "a LayerNorm inside the MLP"},

        // preprocess_cfg: PreprocessCfg.
        {S::OpenClipPreprocess, "size", I, "", "must equal vision_cfg.image_size"},
        {S::OpenClipPreprocess, "mode", I, R"(["RGB"])", "RGB input only"},
        {S::OpenClipPreprocess, "mean", I, "", ""},
        {S::OpenClipPreprocess, "std", I, "", ""},
        {S::OpenClipPreprocess, "interpolation", I, "", "bicubic, bilinear ('random' is bicubic at evaluation)"},
        {S::OpenClipPreprocess, "resize_mode", I, "", "shortest, squash, longest (tests/images parity)"},
        {S::OpenClipPreprocess, "fill_color", I, "", "padding of 'longest'"},

        // config.json: CLIPConfig.
        {S::HfClip, "model_type", I, R"(["clip", "metaclip_2"])",
         "a CLIPModel, or MetaCLIP 2's (CLIP's graph, text pooled at the first EOS: MetaClip2); a config.json with "
         "model_type clip_vision_model or metaclip_2_vision_model is read as a vision-only CLIPVisionConfig"},
        {S::HfClip, "text_config", I, "", "the text tower below"},
        {S::HfClip, "vision_config", I, "", "the image tower below"},
        {S::HfClip, "text_config_dict", I, "", "legacy: overrides text_config, as transformers does"},
        {S::HfClip, "vision_config_dict", I, "", "legacy: overrides vision_config, as transformers does"},
        {S::HfClip, "projection_dim", I, "", "joint embedding width (both projections)"},
        {S::HfClip, "logit_scale_init_value", H, "", "initial value only; logit_scale is read from the weights"},
        {S::HfClip, "eos_token_id", H, "", "the text tower's own eos_token_id is what pooling uses"},
        {S::HfClip, "pruned_heads", R, "[{}]", "pruned attention heads"},
        {S::HfClip, "quantization_config", R, "[null]", "quantised weights"},

        // config.json text_config: CLIPTextConfig.
        {S::HfText, "model_type", I, R"(["clip_text_model", "metaclip_2_text_model"])", ""},
        {S::HfText, "vocab_size", I, "", ""},
        {S::HfText, "hidden_size", I, "", ""},
        {S::HfText, "intermediate_size", I, "", ""},
        {S::HfText, "num_hidden_layers", I, "", ""},
        {S::HfText, "num_attention_heads", I, "", ""},
        {S::HfText, "max_position_embeddings", I, "", ""},
        {S::HfText, "hidden_act", I, "", "gelu, quick_gelu, gelu_pytorch_tanh (OptionParity)"},
        {S::HfText, "layer_norm_eps", I, "", "OptionParity"},
        {S::HfText, "eos_token_id", I, "", "pooling at the first eos_token_id; 2 is the legacy argmax (OptionParity)"},
        {S::HfText, "projection_dim", H, "", "CLIPModel sizes the projection by the top-level projection_dim"},
        {S::HfText, "attention_dropout", H, "", "training only"},
        {S::HfText, "dropout", H, "", "training only (older files)"},
        {S::HfText, "pruned_heads", R, "[{}]", "pruned attention heads"},

        // config.json vision_config: CLIPVisionConfig.
        {S::HfVision, "model_type", I, R"(["clip_vision_model", "metaclip_2_vision_model"])", ""},
        {S::HfVision, "hidden_size", I, "", ""},
        {S::HfVision, "intermediate_size", I, "", ""},
        {S::HfVision, "num_hidden_layers", I, "", ""},
        {S::HfVision, "num_attention_heads", I, "", ""},
        {S::HfVision, "num_channels", I, "[3]", "RGB input only"},
        {S::HfVision, "image_size", I, "", ""},
        {S::HfVision, "patch_size", I, "", ""},
        {S::HfVision, "hidden_act", I, "", "gelu, quick_gelu, gelu_pytorch_tanh (OptionParity)"},
        {S::HfVision, "layer_norm_eps", I, "", "OptionParity"},
        {S::HfVision, "projection_dim", I, "",
         "the projection of a vision-only CLIPVisionModelWithProjection (VisionOnly tests); inside CLIPModel the "
         "top-level projection_dim sizes it"},
        {S::HfVision, "attention_dropout", H, "", "training only"},
        {S::HfVision, "dropout", H, "", "training only (older files)"},
        {S::HfVision, "eos_token_id", H, "", "not used by the image tower"},
        {S::HfVision, "pruned_heads", R, "[{}]", "pruned attention heads"},

        // preprocessor_config.json: CLIPImageProcessor (and the older CLIPFeatureExtractor).
        {S::HfPreprocessor, "do_resize", I, "[true]", ""},
        {S::HfPreprocessor, "size", I, "", "shortest_edge S (with a centre crop of S) or height = width = S"},
        {S::HfPreprocessor, "resample", I, "", "0 nearest, 2 bilinear, 3 bicubic"},
        {S::HfPreprocessor, "do_center_crop", I, "", ""},
        {S::HfPreprocessor, "crop_size", I, "", ""},
        {S::HfPreprocessor, "do_rescale", I, "[true]", ""},
        {S::HfPreprocessor, "rescale_factor", I, "", "1/255 only"},
        {S::HfPreprocessor, "do_normalize", I, "[true]", ""},
        {S::HfPreprocessor, "image_mean", I, "", ""},
        {S::HfPreprocessor, "image_std", I, "", ""},
        {S::HfPreprocessor, "do_convert_rgb", I, "[true]", "RGB conversion before resizing"},
        {S::HfPreprocessor, "default_to_square", I, "[false]", "an integer size is the shortest edge"},
        {S::HfPreprocessor, "image_processor_type", H, "", "the Python class"},
        {S::HfPreprocessor, "feature_extractor_type", H, "", "the Python class (older files)"},
        {S::HfPreprocessor, "processor_class", H, "", "the Python class"},
        {S::HfPreprocessor, "data_format", H, "", "the output's axis order"},
        {S::HfPreprocessor, "input_data_format", H, "", "the input's axis order, inferred by ClipScope's decoder"},
        {S::HfPreprocessor, "return_tensors", H, "", "the Python tensor type"},
        {S::HfPreprocessor, "device", H, "", "where the Python processor runs"},
        {S::HfPreprocessor, "disable_grouping", H, "", "batching of the fast processor"},
        {S::HfPreprocessor, "do_pad", R, "[null, false]", "padding to a size"},
        {S::HfPreprocessor, "crop_pct", R, "[null]", "a crop fraction (timm style)"},

        // config.json: SiglipConfig.
        {S::HfSiglip, "model_type", I, R"(["siglip"])",
         "a SiglipModel (SigLipParity); a config.json with model_type siglip_vision_model is read as a vision-only "
         "SiglipVisionConfig"},
        {S::HfSiglip, "text_config", I, "", "the text tower below"},
        {S::HfSiglip, "vision_config", I, "", "the image tower below"},
        {S::HfSiglip, "pruned_heads", R, "[{}]", "pruned attention heads"},
        {S::HfSiglip, "quantization_config", R, "[null]", "quantised weights"},

        // config.json text_config: SiglipTextConfig.
        {S::HfSiglipText, "model_type", I, R"(["siglip_text_model"])", ""},
        {S::HfSiglipText, "vocab_size", I, "", ""},
        {S::HfSiglipText, "hidden_size", I, "", ""},
        {S::HfSiglipText, "intermediate_size", I, "", ""},
        {S::HfSiglipText, "num_hidden_layers", I, "", ""},
        {S::HfSiglipText, "num_attention_heads", I, "", ""},
        {S::HfSiglipText, "max_position_embeddings", I, "", "the context every text is padded to (SigLipParity)"},
        {S::HfSiglipText, "hidden_act", I, "", "gelu, quick_gelu, gelu_pytorch_tanh (SigLipParity)"},
        {S::HfSiglipText, "layer_norm_eps", I, "", "SigLipParity"},
        {S::HfSiglipText, "projection_size", I, "", "the text head's width; must equal the image tower's"},
        {S::HfSiglipText, "attention_dropout", H, "", "training only"},
        {S::HfSiglipText, "eos_token_id", H, "", "SigLIP's text model is read at the last position, whatever the ids"},
        {S::HfSiglipText, "pruned_heads", R, "[{}]", "pruned attention heads"},

        // config.json vision_config: SiglipVisionConfig.
        {S::HfSiglipVision, "model_type", I, R"(["siglip_vision_model"])", ""},
        {S::HfSiglipVision, "hidden_size", I, "", ""},
        {S::HfSiglipVision, "intermediate_size", I, "", ""},
        {S::HfSiglipVision, "num_hidden_layers", I, "", ""},
        {S::HfSiglipVision, "num_attention_heads", I, "", "the blocks' and the pooling head's"},
        {S::HfSiglipVision, "num_channels", I, "[3]", "RGB input only"},
        {S::HfSiglipVision, "image_size", I, "", "the grid is floored when it is not a multiple of patch_size"},
        {S::HfSiglipVision, "patch_size", I, "", ""},
        {S::HfSiglipVision, "hidden_act", I, "", "gelu, quick_gelu, gelu_pytorch_tanh (SigLipParity)"},
        {S::HfSiglipVision, "layer_norm_eps", I, "", "SigLipParity"},
        {S::HfSiglipVision, "vision_use_head", I, "[true]", "the attention pooling head gives the embedding"},
        {S::HfSiglipVision, "attention_dropout", H, "", "training only"},
        {S::HfSiglipVision, "pruned_heads", R, "[{}]", "pruned attention heads"},

        // tokenizer_config.json of a SigLIP repo: SiglipTokenizer's arguments.
        {S::HfSiglipTokenizer, "tokenizer_class", I, "",
         "SiglipTokenizer (SigLipTokenizer tests); GemmaTokenizer(Fast) and Siglip2Tokenizer are read as SigLIP 2's "
         "(the next section)"},
        {S::HfSiglipTokenizer, "do_lower_case", I, "[true]", "texts are lower-cased"},
        {S::HfSiglipTokenizer, "eos_token", I, "", "must be </s>"},
        {S::HfSiglipTokenizer, "pad_token", I, "", "must be </s>"},
        {S::HfSiglipTokenizer, "unk_token", I, "", "must be <unk>"},
        {S::HfSiglipTokenizer, "model_max_length", H, "",
         "texts are padded to the text model's max_position_embeddings, the length it was trained on"},
        {S::HfSiglipTokenizer, "sp_model_kwargs", R, "[{}]", "SentencePiece options (sampling, ...)"},
        {S::HfSiglipTokenizer, "additional_special_tokens", R, "[null, []]", "special tokens split out of texts"},
        {S::HfSiglipTokenizer, "added_tokens_decoder", H, "",
         "the ids of <unk>, </s> and <pad>, which the SentencePiece model itself holds"},
        {S::HfSiglipTokenizer, "model_input_names", H, "", "the Python call's outputs"},
        {S::HfSiglipTokenizer, "processor_class", H, "", "the Python class"},
        {S::HfSiglipTokenizer, "clean_up_tokenization_spaces", H, "", "decoding only"},
        {S::HfSiglipTokenizer, "name_or_path", H, "", "bookkeeping"},
        {S::HfSiglipTokenizer, "special_tokens_map_file", H, "", "bookkeeping"},
        {S::HfSiglipTokenizer, "extra_special_tokens", H, "", "Python attributes; none splits texts"},
        {S::HfGemmaTokenizer, "tokenizer_class", I, "",
         "GemmaTokenizer(Fast) or Siglip2Tokenizer: SentencePiece on tokenizer.model (GemmaTokenizer tests)"},
        {S::HfGemmaTokenizer, "do_lower_case", I, "",
         "texts lower-cased, each character on its own, special tokens kept as written (Siglip2Tokenizer's rule; "
         "transformers' GemmaTokenizer ignores the field)"},
        {S::HfGemmaTokenizer, "add_bos_token", I, "", "texts start with bos_token"},
        {S::HfGemmaTokenizer, "add_eos_token", I, "", "texts end with eos_token, kept last when truncated"},
        {S::HfGemmaTokenizer, "bos_token", I, "", "a special piece of tokenizer.model"},
        {S::HfGemmaTokenizer, "eos_token", I, "", "a special piece of tokenizer.model"},
        {S::HfGemmaTokenizer, "pad_token", I, "", "a special piece of tokenizer.model; pads to the context"},
        {S::HfGemmaTokenizer, "unk_token", I, "", "a special piece of tokenizer.model"},
        {S::HfGemmaTokenizer, "mask_token", I, "", "a special piece of tokenizer.model (split out of texts)"},
        {S::HfGemmaTokenizer, "added_tokens_decoder", I, "",
         "each must be the special piece of tokenizer.model at that id; all are split out of texts as written"},
        {S::HfGemmaTokenizer, "additional_special_tokens", I, "",
         "each must be a special piece of tokenizer.model; split out of texts as written"},
        {S::HfGemmaTokenizer, "padding_side", R, "[null, \"right\"]", "where the padding goes"},
        {S::HfGemmaTokenizer, "truncation_side", R, "[null, \"right\"]", "which end truncation cuts"},
        {S::HfGemmaTokenizer, "add_prefix_space", R, "[null, false]", "a space put before each text"},
        {S::HfGemmaTokenizer, "legacy", R, "[null, false]", "Llama's old handling of spaces after special tokens"},
        {S::HfGemmaTokenizer, "sp_model_kwargs", R, "[{}]", "SentencePiece options (sampling, ...)"},
        {S::HfGemmaTokenizer, "model_max_length", H, "",
         "texts are padded to the text model's max_position_embeddings, the length it was trained on"},
        {S::HfGemmaTokenizer, "model_input_names", H, "", "the Python call's outputs"},
        {S::HfGemmaTokenizer, "processor_class", H, "", "the Python class"},
        {S::HfGemmaTokenizer, "clean_up_tokenization_spaces", H, "", "decoding only"},
        {S::HfGemmaTokenizer, "spaces_between_special_tokens", H, "", "decoding only"},
        {S::HfGemmaTokenizer, "use_default_system_prompt", H, "", "chat templates only"},
        {S::HfGemmaTokenizer, "chat_template", H, "", "chat templates only"},
        {S::HfGemmaTokenizer, "name_or_path", H, "", "bookkeeping"},
        {S::HfGemmaTokenizer, "special_tokens_map_file", H, "", "bookkeeping"},
        {S::HfGemmaTokenizer, "extra_special_tokens", R, "[null, {}, []]", "more special tokens split out of texts"},
    };
    for (const ConfigSection s : {S::HfSiglip, S::HfSiglipText, S::HfSiglipVision})
        for (const char* name : kPretrainedConfigCommon)
            if (!find_in(t, s, name))
                t.push_back({s, name, H, "", "transformers PretrainedConfig attribute: no effect on the encoders"});
    for (const ConfigSection s : {S::HfClip, S::HfText, S::HfVision})
        for (const char* name : kPretrainedConfigCommon)
            if (!find_in(t, s, name))
                t.push_back({s, name, H, "", "transformers PretrainedConfig attribute: no effect on the encoders"});
    return t;
}

}  // namespace

std::string json_in_message(const nlohmann::json& v) {
    return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string rule_name(FieldRule rule) {
    switch (rule) {
        case FieldRule::Implemented:
            return "implemented";
        case FieldRule::Harmless:
            return "harmless";
        case FieldRule::Refused:
            return "refused";
    }
    return "?";
}

std::string section_name(ConfigSection section) {
    switch (section) {
        case S::OpenClipFile:
            return "open_clip open_clip_config.json";
        case S::OpenClipModel:
            return "open_clip model_cfg";
        case S::OpenClipVision:
            return "open_clip vision_cfg";
        case S::OpenClipText:
            return "open_clip text_cfg";
        case S::OpenClipPreprocess:
            return "open_clip preprocess_cfg";
        case S::HfClip:
            return "transformers config.json";
        case S::HfVision:
            return "transformers vision_config";
        case S::HfText:
            return "transformers text_config";
        case S::HfPreprocessor:
            return "transformers preprocessor_config.json";
        case S::HfSiglip:
            return "transformers SigLIP config.json";
        case S::HfSiglipVision:
            return "transformers SigLIP vision_config";
        case S::HfSiglipText:
            return "transformers SigLIP text_config";
        case S::HfSiglipTokenizer:
            return "transformers SigLIP tokenizer_config.json";
        case S::HfGemmaTokenizer:
            return "transformers SigLIP 2 tokenizer_config.json (Gemma)";
    }
    return "?";
}

std::string section_prefix(ConfigSection section) {
    switch (section) {
        case S::OpenClipModel:
            return "model_cfg.";
        case S::OpenClipVision:
            return "vision_cfg.";
        case S::OpenClipText:
            return "text_cfg.";
        case S::OpenClipPreprocess:
            return "preprocess_cfg.";
        case S::HfVision:
        case S::HfSiglipVision:
            return "vision_config.";
        case S::HfText:
        case S::HfSiglipText:
            return "text_config.";
        case S::OpenClipFile:
        case S::HfClip:
        case S::HfPreprocessor:
        case S::HfSiglip:
        case S::HfSiglipTokenizer:
        case S::HfGemmaTokenizer:
            return "";
    }
    return "";
}

const std::vector<ConfigField>& config_field_table() {
    static const std::vector<ConfigField> table = build_table();
    return table;
}

const ConfigField* find_config_field(ConfigSection section, const std::string& name) {
    return find_in(config_field_table(), section, name);
}

void check_config_fields(const nlohmann::json& object, ConfigSection section, const std::string& path,
                         const ConfigReadOptions& options, std::vector<std::string>& unknown,
                         std::vector<std::string>* refused) {
    if (!object.is_object()) return;  // the reader names a wrong type itself
    const std::string prefix = section_prefix(section);
    for (auto it = object.begin(); it != object.end(); ++it) {
        const std::string field = prefix + it.key();
        const ConfigField* row = find_config_field(section, it.key());
        if (!row) {
            if (!options.allow_unknown_fields)
                throw_model(path, field + " = " + json_in_message(it.value()) +
                                      " is a field ClipScope does not know (" + section_name(section) +
                                      "); it may change the computation. Pass --allow-unknown-config-fields to load "
                                      "the model anyway: the field is then recorded in every output");
            unknown.push_back(field + " = " + json_in_message(it.value()));
            continue;
        }
        if (row->accepted.empty()) continue;
        const nlohmann::json accepted = nlohmann::json::parse(row->accepted);
        bool ok = false;
        for (const auto& a : accepted) ok = ok || a == it.value();
        if (ok) continue;
        const std::string problem = field + " = " + json_in_message(it.value()) + " is not supported (" + row->why +
                                    (row->why.empty() ? "" : "; ") + "ClipScope computes " + row->accepted + ")";
        if (!refused) throw_model(path, problem);
        refused->push_back(field + " = " + json_in_message(it.value()) + (row->why.empty() ? "" : ": " + row->why));
    }
}

}  // namespace clipscope
