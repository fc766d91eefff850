// transformers' SigLIP key layout (SiglipModel / SiglipVisionModel) onto open_clip's names,
// the towers' own (docs/checkpoints.md). The pooling head's names follow open_clip's
// attentional pooler ("visual.attn_pool.*").
#include "clipscope/base/error.h"
#include "clipscope/base/ndarray.h"
#include "torch_bridge.h"

namespace clipscope {

namespace {

// transformers' name -> the towers' name, for the tensors that are copied as they are.
const std::vector<std::pair<std::string, std::string>> kVision = {
    {"vision_model.embeddings.patch_embedding.weight", "visual.conv1.weight"},
    {"vision_model.embeddings.patch_embedding.bias", "visual.conv1.bias"},
    {"vision_model.embeddings.position_embedding.weight", "visual.positional_embedding"},
    {"vision_model.post_layernorm.weight", "visual.ln_post.weight"},
    {"vision_model.post_layernorm.bias", "visual.ln_post.bias"},
    {"vision_model.head.probe", "visual.attn_pool.probe"},
    {"vision_model.head.attention.in_proj_weight", "visual.attn_pool.attn.in_proj_weight"},
    {"vision_model.head.attention.in_proj_bias", "visual.attn_pool.attn.in_proj_bias"},
    {"vision_model.head.attention.out_proj.weight", "visual.attn_pool.attn.out_proj.weight"},
    {"vision_model.head.attention.out_proj.bias", "visual.attn_pool.attn.out_proj.bias"},
    {"vision_model.head.layernorm.weight", "visual.attn_pool.ln.weight"},
    {"vision_model.head.layernorm.bias", "visual.attn_pool.ln.bias"},
    {"vision_model.head.mlp.fc1.weight", "visual.attn_pool.mlp.c_fc.weight"},
    {"vision_model.head.mlp.fc1.bias", "visual.attn_pool.mlp.c_fc.bias"},
    {"vision_model.head.mlp.fc2.weight", "visual.attn_pool.mlp.c_proj.weight"},
    {"vision_model.head.mlp.fc2.bias", "visual.attn_pool.mlp.c_proj.bias"},
};
const std::vector<std::pair<std::string, std::string>> kText = {
    {"text_model.embeddings.token_embedding.weight", "token_embedding.weight"},
    {"text_model.embeddings.position_embedding.weight", "positional_embedding"},
    {"text_model.final_layer_norm.weight", "ln_final.weight"},
    {"text_model.final_layer_norm.bias", "ln_final.bias"},
    {"text_model.head.bias", "text_projection.bias"},
    {"logit_scale", "logit_scale"},
    {"logit_bias", "logit_bias"},
};

}  // namespace

StateDict map_hf_siglip_to_open_clip(StateDict hf, const std::string& file, const ClipConfig& c) {
    StateDict out;
    const auto take = [&](const std::string& key) { return take_tensor(hf, key, file); };
    // A SiglipVisionModel saved on its own has the same names under vision_model.
    for (const auto& [from, to] : kVision) out[to] = take(from);
    if (c.text_tower) {
        for (const auto& [from, to] : kText) out[to] = take(from);
        out["text_projection"] = take("text_model.head.weight").t().contiguous();  // nn.Linear stores [E, W]
    }
    take_hf_encoder_layers(hf, out, file);
    for (const auto& [key, _] : hf)
        if (key.find("position_ids") == std::string::npos)
            throw_model(file, "unexpected tensor '" + key + "' in a transformers SigLIP" +
                                  (c.text_tower ? "" : " vision-only (SiglipVisionModel)") + " checkpoint");
    return out;
}

std::map<std::string, FloatArray> to_hf_siglip_layout(const std::map<std::string, FloatArray>& sd,
                                                      const ClipConfig& c) {
    std::map<std::string, FloatArray> out;
    for (const auto& [hf, ours] : kVision) out[hf] = sd.at(ours);
    if (c.text_tower) {
        for (const auto& [hf, ours] : kText) out[hf] = sd.at(ours);
        out["text_model.head.weight"] = transpose_2d(sd.at("text_projection"));  // nn.Linear stores [E, W]
    }
    put_hf_encoder_layers(sd, c, out);
    return out;
}

}  // namespace clipscope
