// open_clip's timm-based SigLIP image towers (vision_cfg.timm_model_name such as
// vit_so400m_patch14_siglip_384, timm_pool "map", timm_proj "none"): the architecture from the
// timm model's name, and the weights under visual.trunk.* mapped onto the towers' names.
#include <map>
#include <regex>

#include "clipscope/base/error.h"
#include "config_json.h"
#include "torch_bridge.h"

namespace clipscope {

using nlohmann::json;

void read_timm_siglip_vision(const json& v, const std::string& timm_name, ClipConfig& c, const std::string& path) {
    // timm's SigLIP ViTs: no class token, attention-pooled ("map"), pre-norm blocks with the
    // final norm before the pool; sizes by family (timm's vit_*_siglip_* model functions).
    struct Family {
        int64_t width, layers, heads, mlp;
    };
    static const std::map<std::string, Family> kFamilies = {
        {"base", {768, 12, 12, 3072}},
        {"large", {1024, 24, 16, 4096}},
        {"so400m", {1152, 27, 16, 4304}},  // mlp_ratio 3.7362: int(1152 * 3.7362)
    };
    static const std::regex kName(R"(vit_(base|large|so400m)_patch(\d+)_siglip_(\d+))");
    std::smatch m;
    if (!std::regex_match(timm_name, m, kName))
        throw_model(path, "vision_cfg.timm_model_name = \"" + timm_name +
                              "\" is not supported: ClipScope computes timm's SigLIP image towers "
                              "vit_{base,large,so400m}_patch{P}_siglip_{S} (attention-pooled), no other timm model");
    const std::string pool = get_string(v, "timm_pool", "avg", path, "vision_cfg.");
    if (pool != "map")
        throw_model(path, "vision_cfg.timm_pool = \"" + pool + "\" is not supported with " + timm_name +
                              " (only \"map\", SigLIP's attention pooling head)");
    const std::string proj = get_string(v, "timm_proj", "linear", path, "vision_cfg.");
    if (proj != "none")
        throw_model(path, "vision_cfg.timm_proj = \"" + proj + "\" is not supported with " + timm_name +
                              " (only \"none\": the pooled output is the embedding)");
    const Family& f = kFamilies.at(m[1].str());
    c.vision.width = f.width;
    c.vision.layers = f.layers;
    c.vision.heads = f.heads;
    c.vision.mlp_hidden = f.mlp;
    c.vision.patch_size = std::stoll(m[2].str());
    // open_clip builds the trunk at vision_cfg.image_size (default: the name's).
    c.vision.image_size = get_int(v, "image_size", std::stoll(m[3].str()), path, "vision_cfg.");
    c.vision.pooling = VisionPooling::AttentionPool;
    c.vision.class_token = false;
    c.vision.ln_pre = false;
    c.vision.patch_bias = true;
    c.vision.projection = false;
    c.vision.activation = kTimmSiglipActivation;
    c.vision.norm_eps = 1e-6;  // timm ViT's LayerNorm(eps=1e-6), blocks, final norm and pool alike
}

StateDict map_timm_siglip_to_open_clip(StateDict sd, const std::string& file) {
    StateDict out;
    const auto take = [&](const std::string& key) { return take_tensor(sd, key, file); };
    const std::string t = "visual.trunk.";
    out["visual.conv1.weight"] = take(t + "patch_embed.proj.weight");
    out["visual.conv1.bias"] = take(t + "patch_embed.proj.bias");
    const at::Tensor pos = take(t + "pos_embed");  // [1, N, W]
    out["visual.positional_embedding"] = pos.dim() == 3 && pos.size(0) == 1 ? pos.squeeze(0) : pos;
    out["visual.ln_post.weight"] = take(t + "norm.weight");
    out["visual.ln_post.bias"] = take(t + "norm.bias");
    const std::string p = t + "attn_pool.";
    out["visual.attn_pool.probe"] = take(p + "latent");
    // timm's AttentionPoolLatent keeps q and kv apart; nn.MultiheadAttention packs q, k, v by rows.
    out["visual.attn_pool.attn.in_proj_weight"] = at::cat({take(p + "q.weight"), take(p + "kv.weight")}, 0);
    out["visual.attn_pool.attn.in_proj_bias"] = at::cat({take(p + "q.bias"), take(p + "kv.bias")}, 0);
    static const std::vector<std::pair<std::string, std::string>> kPool = {
        {"proj.weight", "attn.out_proj.weight"},
        {"proj.bias", "attn.out_proj.bias"},
        {"norm.weight", "ln.weight"},
        {"norm.bias", "ln.bias"},
        {"mlp.fc1.weight", "mlp.c_fc.weight"},
        {"mlp.fc1.bias", "mlp.c_fc.bias"},
        {"mlp.fc2.weight", "mlp.c_proj.weight"},
        {"mlp.fc2.bias", "mlp.c_proj.bias"},
    };
    for (const auto& [from, to] : kPool) out["visual.attn_pool." + to] = take(p + from);
    static const std::regex kBlock(R"(visual\.trunk\.blocks\.(\d+)\.(.*))");
    static const std::map<std::string, std::string> kBlockNames = {
        {"norm1.weight", "ln_1.weight"},
        {"norm1.bias", "ln_1.bias"},
        {"attn.qkv.weight", "attn.in_proj_weight"},
        {"attn.qkv.bias", "attn.in_proj_bias"},
        {"attn.proj.weight", "attn.out_proj.weight"},
        {"attn.proj.bias", "attn.out_proj.bias"},
        {"norm2.weight", "ln_2.weight"},
        {"norm2.bias", "ln_2.bias"},
        {"mlp.fc1.weight", "mlp.c_fc.weight"},
        {"mlp.fc1.bias", "mlp.c_fc.bias"},
        {"mlp.fc2.weight", "mlp.c_proj.weight"},
        {"mlp.fc2.bias", "mlp.c_proj.bias"},
    };
    for (auto it = sd.begin(); it != sd.end();) {
        std::smatch m;
        const std::string key = it->first;
        if (std::regex_match(key, m, kBlock)) {
            const auto name = kBlockNames.find(m[2].str());
            if (name == kBlockNames.end())
                throw_model(file, "unexpected tensor '" + key + "' in an open_clip timm SigLIP checkpoint");
            out["visual.transformer.resblocks." + m[1].str() + "." + name->second] = it->second;
            it = sd.erase(it);
        } else if (key.rfind("visual.", 0) == 0) {
            throw_model(file, "unexpected tensor '" + key + "' in an open_clip timm SigLIP checkpoint");
        } else {
            out[key] = it->second;  // the text tower and the logit scale and bias, under open_clip's names
            it = sd.erase(it);
        }
    }
    return out;
}

}  // namespace clipscope
