#include "clip_towers.h"

#include <cmath>

#include "clipscope/base/error.h"

namespace clipscope {

at::Tensor activation(const at::Tensor& x, Activation a) {
    switch (a) {
        case Activation::Gelu:
            return at::gelu(x);
        case Activation::GeluTanh:  // torch's nn.GELU(approximate="tanh"), transformers' gelu_pytorch_tanh
            return at::gelu(x, "tanh");
        case Activation::QuickGelu:
            return x * at::sigmoid(1.702 * x);
    }
    throw_usage("unknown activation");
}

at::Tensor layer_norm(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const TowerConfig& tower) {
    return at::layer_norm(x, {x.size(-1)}, w, b, tower.norm_eps);
}

// Multi-head self-attention (nn.MultiheadAttention semantics, q/k/v packed by rows).
at::Tensor attention(const at::Tensor& x, const BlockWeights& b, int64_t heads, const at::Tensor& mask,
                     AttentionRecord* record) {
    const int64_t B = x.size(0), N = x.size(1), W = x.size(2), d = W / heads;
    const at::Tensor qkv = at::linear(x, b.in_w, b.in_b).view({B, N, 3, heads, d}).permute({2, 0, 3, 1, 4});
    const at::Tensor q = qkv[0] * (1.0 / std::sqrt(static_cast<double>(d)));
    const at::Tensor k = qkv[1];
    const at::Tensor v = qkv[2];
    at::Tensor scores = at::matmul(q, k.transpose(-2, -1));
    if (mask.defined()) scores = scores + mask;
    const at::Tensor probs = at::softmax(scores, -1);
    const at::Tensor o = at::matmul(probs, v);  // [B, H, N, d]
    if (record) {
        record->cls_probs = probs.select(2, 0).contiguous();
        record->cls_value = v.select(2, 0).contiguous();
        record->cls_out = o.select(2, 0).contiguous();
        if (record->keep_values) record->values = v;
        if (record->keep_mean_probs) record->mean_probs = probs.mean(1);
    }
    const at::Tensor merged = o.permute({0, 2, 1, 3}).reshape({B, N, W});
    if (record && record->keep_outputs) record->outputs = merged;
    return at::linear(merged, b.out_w, b.out_b);
}

at::Tensor mlp(const at::Tensor& x, const BlockWeights& b, const TowerConfig& tower) {
    return at::linear(activation(at::linear(x, b.fc_w, b.fc_b), tower.activation), b.proj_w, b.proj_b);
}

at::Tensor vision_stem(const ClipWeights& w, const ClipConfig& c, const at::Tensor& pixels) {
    const int64_t B = pixels.size(0);
    at::Tensor x = at::conv2d(pixels, w.conv1_w, w.conv1_b, c.vision.patch_size);  // [B, W, G, G]
    x = x.flatten(2).transpose(1, 2);                                              // [B, G*G, W]
    if (c.vision.class_token) x = at::cat({w.class_emb.view({1, 1, -1}).expand({B, 1, c.vision.width}), x}, 1);
    x = x + w.vis_pos;
    return c.vision.ln_pre ? layer_norm(x, w.ln_pre_w, w.ln_pre_b, c.vision) : x;
}

void check_pixels(const at::Tensor& pixels, const ClipConfig& c) {
    const int64_t S = c.vision.image_size;
    if (pixels.dim() != 4 || pixels.size(1) != 3 || pixels.size(2) != S || pixels.size(3) != S)
        throw_usage("image tensor has shape " + shape_to_string(Shape(pixels.sizes().begin(), pixels.sizes().end())) +
                    ", this model needs [B, 3, " + std::to_string(S) + ", " + std::to_string(S) + "]");
}

namespace {
bool with_patch_bias(const ClipConfig& c) { return c.vision.patch_bias; }
bool with_class_token(const ClipConfig& c) { return c.vision.class_token; }
bool with_vision_proj(const ClipConfig& c) { return c.vision.projection; }
bool with_pool_head(const ClipConfig& c) { return c.vision.pooling == VisionPooling::AttentionPool; }
bool with_logit_bias(const ClipConfig& c) { return c.logit_bias && (c.text_tower || !c.text_unavailable.empty()); }
bool with_ln_pre(const ClipConfig& c) { return c.vision.ln_pre; }
bool with_text(const ClipConfig& c) { return c.text_tower; }
bool with_text_proj_bias(const ClipConfig& c) { return c.text_tower && c.text.proj_bias; }
// Kept also where the text tower is not run (text_unavailable): the checkpoint's temperature.
bool with_logit_scale(const ClipConfig& c) { return c.text_tower || !c.text_unavailable.empty(); }
}  // namespace

const std::vector<NamedWeight> kNamedWeights = {
    {"visual.conv1.weight", &ClipWeights::conv1_w},
    {"visual.conv1.bias", &ClipWeights::conv1_b, with_patch_bias},
    {"visual.class_embedding", &ClipWeights::class_emb, with_class_token},
    {"visual.positional_embedding", &ClipWeights::vis_pos},
    {"visual.ln_pre.weight", &ClipWeights::ln_pre_w, with_ln_pre},
    {"visual.ln_pre.bias", &ClipWeights::ln_pre_b, with_ln_pre},
    {"visual.ln_post.weight", &ClipWeights::ln_post_w},
    {"visual.ln_post.bias", &ClipWeights::ln_post_b},
    {"visual.proj", &ClipWeights::vis_proj, with_vision_proj},
    {"visual.attn_pool.probe", &ClipWeights::pool_probe, with_pool_head},
    {"visual.attn_pool.attn.in_proj_weight", &ClipWeights::pool_in_w, with_pool_head},
    {"visual.attn_pool.attn.in_proj_bias", &ClipWeights::pool_in_b, with_pool_head},
    {"visual.attn_pool.attn.out_proj.weight", &ClipWeights::pool_out_w, with_pool_head},
    {"visual.attn_pool.attn.out_proj.bias", &ClipWeights::pool_out_b, with_pool_head},
    {"visual.attn_pool.ln.weight", &ClipWeights::pool_ln_w, with_pool_head},
    {"visual.attn_pool.ln.bias", &ClipWeights::pool_ln_b, with_pool_head},
    {"visual.attn_pool.mlp.c_fc.weight", &ClipWeights::pool_fc_w, with_pool_head},
    {"visual.attn_pool.mlp.c_fc.bias", &ClipWeights::pool_fc_b, with_pool_head},
    {"visual.attn_pool.mlp.c_proj.weight", &ClipWeights::pool_proj_w, with_pool_head},
    {"visual.attn_pool.mlp.c_proj.bias", &ClipWeights::pool_proj_b, with_pool_head},
    {"token_embedding.weight", &ClipWeights::tok_emb, with_text},
    {"positional_embedding", &ClipWeights::txt_pos, with_text},
    {"ln_final.weight", &ClipWeights::ln_final_w, with_text},
    {"ln_final.bias", &ClipWeights::ln_final_b, with_text},
    {"text_projection", &ClipWeights::txt_proj, with_text},
    {"text_projection.bias", &ClipWeights::txt_proj_b, with_text_proj_bias},
    {"logit_scale", &ClipWeights::logit_scale, with_logit_scale},
    {"logit_bias", &ClipWeights::logit_bias, with_logit_bias},
};

const std::vector<NamedBlockWeight> kNamedBlockWeights = {
    {"ln_1.weight", &BlockWeights::ln1_w},          {"ln_1.bias", &BlockWeights::ln1_b},
    {"attn.in_proj_weight", &BlockWeights::in_w},   {"attn.in_proj_bias", &BlockWeights::in_b},
    {"attn.out_proj.weight", &BlockWeights::out_w}, {"attn.out_proj.bias", &BlockWeights::out_b},
    {"ln_2.weight", &BlockWeights::ln2_w},          {"ln_2.bias", &BlockWeights::ln2_b},
    {"mlp.c_fc.weight", &BlockWeights::fc_w},       {"mlp.c_fc.bias", &BlockWeights::fc_b},
    {"mlp.c_proj.weight", &BlockWeights::proj_w},   {"mlp.c_proj.bias", &BlockWeights::proj_b},
};

bool has_weight(const NamedWeight& weight, const ClipConfig& config) {
    return !weight.present || weight.present(config);
}

std::string block_prefix(bool vision, size_t index) {
    return std::string(vision ? "visual." : "") + "transformer.resblocks." + std::to_string(index) + ".";
}

ClipWeights build_weights(const StateDict& d, const ClipConfig& c, const at::Device& device) {
    ClipWeights w;
    for (const auto& n : kNamedWeights)
        if (has_weight(n, c)) w.*n.member = d.at(n.key).to(device);
    if (with_logit_scale(c)) w.logit_scale = w.logit_scale.reshape({});  // stored as [] or [1]
    if (with_logit_bias(c)) w.logit_bias = w.logit_bias.reshape({});
    for (const bool vision : {true, false}) {
        if (!vision && !c.text_tower) break;  // vision-only: the image tower alone
        auto& blocks = vision ? w.vision.blocks : w.text.blocks;
        blocks.resize(static_cast<size_t>(vision ? c.vision.layers : c.text.layers));
        for (size_t i = 0; i < blocks.size(); ++i)
            for (const auto& n : kNamedBlockWeights)
                blocks[i].*n.member = d.at(block_prefix(vision, i) + n.suffix).to(device);
    }
    const int64_t C = c.text.context_length;
    if (c.text_tower && c.text.causal_mask)
        w.causal_mask =
            at::full({C, C}, -std::numeric_limits<float>::infinity(), at::TensorOptions().device(device)).triu(1);
    return w;
}

at::Tensor encode_image(const ClipWeights& w, const ClipConfig& c, const at::Tensor& pixels) {
    check_pixels(pixels, c);
    at::Tensor x = vision_stem(w, c, pixels);
    for (const auto& b : w.vision.blocks) {
        x = x + attention(layer_norm(x, b.ln1_w, b.ln1_b, c.vision), b, c.vision.heads, {}, nullptr);
        x = x + mlp(layer_norm(x, b.ln2_w, b.ln2_b, c.vision), b, c.vision);
    }
    return vision_head(w, c, x);
}

at::Tensor attention_pool(const ClipWeights& w, const VisionConfig& v, const at::Tensor& y, PoolRecord* record) {
    // nn.MultiheadAttention(probe, y, y): the probe's query against every position's key and value.
    const int64_t B = y.size(0), N = y.size(1), W = y.size(2), H = v.heads, d = W / H;
    const at::Tensor q = at::linear(w.pool_probe.view({1, W}), w.pool_in_w.narrow(0, 0, W), w.pool_in_b.narrow(0, 0, W))
                             .view({1, H, 1, d}) *
                         (1.0 / std::sqrt(static_cast<double>(d)));
    const at::Tensor kv = at::linear(y, w.pool_in_w.narrow(0, W, 2 * W), w.pool_in_b.narrow(0, W, 2 * W))
                              .view({B, N, 2, H, d})
                              .permute({2, 0, 3, 1, 4});                               // [2, B, H, N, d]
    const at::Tensor probs = at::softmax(at::matmul(q, kv[0].transpose(-2, -1)), -1);  // [B, H, 1, N]
    const at::Tensor o = at::matmul(probs, kv[1]).view({B, W});                        // heads side by side
    const at::Tensor attended = at::linear(o, w.pool_out_w, w.pool_out_b);
    if (record) {
        record->probs = probs.squeeze(2);
        record->attended = attended;
    }
    const at::Tensor normed = at::layer_norm(attended, {W}, w.pool_ln_w, w.pool_ln_b, v.norm_eps);
    const at::Tensor hidden = activation(at::linear(normed, w.pool_fc_w, w.pool_fc_b), v.activation);
    return attended + at::linear(hidden, w.pool_proj_w, w.pool_proj_b);
}

at::Tensor vision_head(const ClipWeights& w, const ClipConfig& c, const at::Tensor& x) {
    at::Tensor pooled;
    switch (c.vision.pooling) {
        case VisionPooling::ClassToken:  // ln_post acts per token: at the class token alone
            pooled = layer_norm(x.select(1, 0), w.ln_post_w, w.ln_post_b, c.vision);
            break;
        case VisionPooling::AttentionPool:
            pooled = attention_pool(w, c.vision, layer_norm(x, w.ln_post_w, w.ln_post_b, c.vision), nullptr);
            break;
    }
    if (!pooled.defined()) throw_usage("unknown vision pooling");
    return c.vision.projection ? at::matmul(pooled, w.vis_proj) : pooled;
}

at::Tensor text_pool_positions(const at::Tensor& ids, const TextConfig& t) {
    const int64_t B = ids.size(0), C = ids.size(1);
    switch (t.pooling) {
        case TextPooling::Argmax:  // the largest id (CLIP's end-of-text), first occurrence as torch's argmax
            return ids.argmax(-1);
        case TextPooling::First:
            return at::zeros({B}, ids.options());
        case TextPooling::Last:
            return at::full({B}, C - 1, ids.options());
        case TextPooling::Eos:  // first occurrence of eos_id; position 0 when absent (argmax of all-false)
            return ids.eq(t.eos_id).to(at::kInt).argmax(-1);
    }
    throw_usage("unknown text pooling");
}

at::Tensor encode_text(const ClipWeights& w, const ClipConfig& c, const at::Tensor& ids) {
    if (ids.dim() != 2 || ids.size(1) != c.text.context_length)
        throw_usage("token ids must be [B, " + std::to_string(c.text.context_length) + "]");
    if (ids.numel() && (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= c.text.vocab_size))
        throw_usage("token ids out of the vocabulary range [0, " + std::to_string(c.text.vocab_size) + ")");
    at::Tensor x = at::embedding(w.tok_emb, ids) + w.txt_pos;
    for (const auto& b : w.text.blocks) {
        x = x + attention(layer_norm(x, b.ln1_w, b.ln1_b, c.text), b, c.text.heads, w.causal_mask, nullptr);
        x = x + mlp(layer_norm(x, b.ln2_w, b.ln2_b, c.text), b, c.text);
    }
    x = layer_norm(x, w.ln_final_w, w.ln_final_b, c.text);
    const at::Tensor pooled = x.index({at::arange(x.size(0), ids.options()), text_pool_positions(ids, c.text)});
    const at::Tensor projected = at::matmul(pooled, w.txt_proj);
    return w.txt_proj_b.defined() ? projected + w.txt_proj_b : projected;
}

}  // namespace clipscope
