#include "clip_towers.h"

#include <cmath>

#include "clipscope/error.h"

namespace clipscope {
namespace {

constexpr double kLnEps = 1e-5;

at::Tensor activation(const at::Tensor& x, Activation a) {
    return a == Activation::Gelu ? at::gelu(x) : x * at::sigmoid(1.702 * x);
}

at::Tensor layer_norm(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
    return at::layer_norm(x, {x.size(-1)}, w, b, kLnEps);
}

// What the decomposition needs from one attention layer: the class-token row of
// the attention probabilities and the values, both already computed by the forward.
// Only small copies are kept unless the spatial terms need every value: holding
// views would keep the [B, H, N, N] probabilities and packed qkv alive, and on
// batches those big blocks then cannot be reused by the next layer (measured 1.4x
// slower non-spatial decompositions at batch 8 on ViT-B-16).
struct AttentionRecord {
    bool keep_values = false;
    bool keep_mean_probs = false;
    at::Tensor cls_probs;  // [B, H, N]
    at::Tensor mean_probs; // [B, N, N] averaged over heads (only with keep_mean_probs)
    at::Tensor values;     // [B, H, N, d] (only with keep_values)
    at::Tensor cls_value;  // [B, H, d]: v at source token 0
    at::Tensor cls_out;    // [B, H, d]: sum_m probs[0, m] v_m (the head outputs at the class token)
};

// Multi-head self-attention (nn.MultiheadAttention semantics, q/k/v packed by rows).
at::Tensor attention(const at::Tensor& x, const BlockWeights& b, int64_t heads, const at::Tensor& mask, AttentionRecord* record) {
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
    return at::linear(o.permute({0, 2, 1, 3}).reshape({B, N, W}), b.out_w, b.out_b);
}

at::Tensor mlp(const at::Tensor& x, const BlockWeights& b, Activation act) {
    return at::linear(activation(at::linear(x, b.fc_w, b.fc_b), act), b.proj_w, b.proj_b);
}

// Patch embedding + class token + positions + ln_pre: the initial residual stream x0.
at::Tensor vision_stem(const ClipWeights& w, const ClipConfig& c, const at::Tensor& pixels) {
    const int64_t B = pixels.size(0);
    at::Tensor x = at::conv2d(pixels, w.conv1_w, {}, c.vision.patch_size);  // [B, W, G, G]
    x = x.flatten(2).transpose(1, 2);                                        // [B, G*G, W]
    x = at::cat({w.class_emb.view({1, 1, -1}).expand({B, 1, c.vision.width}), x}, 1) + w.vis_pos;
    return layer_norm(x, w.ln_pre_w, w.ln_pre_b);
}

void check_pixels(const at::Tensor& pixels, const ClipConfig& c) {
    const int64_t S = c.vision.image_size;
    if (pixels.dim() != 4 || pixels.size(1) != 3 || pixels.size(2) != S || pixels.size(3) != S)
        throw_usage("image tensor has shape " + shape_to_string(Shape(pixels.sizes().begin(), pixels.sizes().end())) + ", this model needs [B, 3, " +
                    std::to_string(S) + ", " + std::to_string(S) + "]");
}

}  // namespace

const std::vector<NamedWeight> kNamedWeights = {
    {"visual.conv1.weight", &ClipWeights::conv1_w},      {"visual.class_embedding", &ClipWeights::class_emb},
    {"visual.positional_embedding", &ClipWeights::vis_pos}, {"visual.ln_pre.weight", &ClipWeights::ln_pre_w},
    {"visual.ln_pre.bias", &ClipWeights::ln_pre_b},       {"visual.ln_post.weight", &ClipWeights::ln_post_w},
    {"visual.ln_post.bias", &ClipWeights::ln_post_b},     {"visual.proj", &ClipWeights::vis_proj},
    {"token_embedding.weight", &ClipWeights::tok_emb},    {"positional_embedding", &ClipWeights::txt_pos},
    {"ln_final.weight", &ClipWeights::ln_final_w},        {"ln_final.bias", &ClipWeights::ln_final_b},
    {"text_projection", &ClipWeights::txt_proj},          {"logit_scale", &ClipWeights::logit_scale},
};

const std::vector<NamedBlockWeight> kNamedBlockWeights = {
    {"ln_1.weight", &BlockWeights::ln1_w},          {"ln_1.bias", &BlockWeights::ln1_b},
    {"attn.in_proj_weight", &BlockWeights::in_w},   {"attn.in_proj_bias", &BlockWeights::in_b},
    {"attn.out_proj.weight", &BlockWeights::out_w}, {"attn.out_proj.bias", &BlockWeights::out_b},
    {"ln_2.weight", &BlockWeights::ln2_w},          {"ln_2.bias", &BlockWeights::ln2_b},
    {"mlp.c_fc.weight", &BlockWeights::fc_w},       {"mlp.c_fc.bias", &BlockWeights::fc_b},
    {"mlp.c_proj.weight", &BlockWeights::proj_w},   {"mlp.c_proj.bias", &BlockWeights::proj_b},
};

std::string block_prefix(bool vision, size_t index) {
    return std::string(vision ? "visual." : "") + "transformer.resblocks." + std::to_string(index) + ".";
}

ClipWeights build_weights(const StateDict& d, const ClipConfig& c, const at::Device& device) {
    ClipWeights w;
    for (const auto& n : kNamedWeights) w.*n.member = d.at(n.key).to(device);
    w.logit_scale = w.logit_scale.reshape({});  // stored as [] or [1]
    for (const bool vision : {true, false}) {
        auto& blocks = vision ? w.vision.blocks : w.text.blocks;
        blocks.resize(static_cast<size_t>(vision ? c.vision.layers : c.text.layers));
        for (size_t i = 0; i < blocks.size(); ++i)
            for (const auto& n : kNamedBlockWeights) blocks[i].*n.member = d.at(block_prefix(vision, i) + n.suffix).to(device);
    }
    const int64_t C = c.text.context_length;
    w.causal_mask = at::full({C, C}, -std::numeric_limits<float>::infinity(), at::TensorOptions().device(device)).triu(1);
    return w;
}

FoldedHeads fold_heads(const ClipWeights& w, const ClipConfig& c) {
    const int64_t L = c.vision.layers, H = c.vision.heads, d = c.vision.head_dim();
    FoldedHeads f;
    f.gamma_proj = w.ln_post_w.unsqueeze(1) * w.vis_proj;  // [W, E]
    f.gamma_sum = f.gamma_proj.sum(0);
    f.beta_proj = at::matmul(w.ln_post_b, w.vis_proj);
    std::vector<at::Tensor> heads, biases;
    for (int64_t l = 0; l < L; ++l) {
        const auto& b = w.vision.blocks[static_cast<size_t>(l)];
        // out = o W_O^T: head h uses columns h*d..h*d+d-1 of W_O, i.e. rows of W_O^T.
        heads.push_back(at::matmul(b.out_w.t(), f.gamma_proj).view({H, d, -1}));  // [H, d, E]
        biases.push_back(at::matmul(b.out_b, f.gamma_proj));
    }
    f.head_proj = at::stack(heads);   // [L, H, d, E]
    f.bias_proj = at::stack(biases);  // [L, E]
    return f;
}

at::Tensor encode_image(const ClipWeights& w, const ClipConfig& c, const at::Tensor& pixels) {
    check_pixels(pixels, c);
    at::Tensor x = vision_stem(w, c, pixels);
    for (const auto& b : w.vision.blocks) {
        x = x + attention(layer_norm(x, b.ln1_w, b.ln1_b), b, c.vision.heads, {}, nullptr);
        x = x + mlp(layer_norm(x, b.ln2_w, b.ln2_b), b, c.activation);
    }
    return at::matmul(layer_norm(x.select(1, 0), w.ln_post_w, w.ln_post_b), w.vis_proj);
}

at::Tensor encode_text(const ClipWeights& w, const ClipConfig& c, const at::Tensor& ids) {
    if (ids.dim() != 2 || ids.size(1) != c.text.context_length)
        throw_usage("token ids must be [B, " + std::to_string(c.text.context_length) + "]");
    if (ids.numel() && (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= c.text.vocab_size))
        throw_usage("token ids out of the vocabulary range [0, " + std::to_string(c.text.vocab_size) + ")");
    at::Tensor x = at::embedding(w.tok_emb, ids) + w.txt_pos;
    for (const auto& b : w.text.blocks) {
        x = x + attention(layer_norm(x, b.ln1_w, b.ln1_b), b, c.text.heads, w.causal_mask, nullptr);
        x = x + mlp(layer_norm(x, b.ln2_w, b.ln2_b), b, c.activation);
    }
    x = layer_norm(x, w.ln_final_w, w.ln_final_b);
    // Pool at the end-of-text token: the largest id, first occurrence (torch argmax).
    const at::Tensor eot = ids.argmax(-1);
    const at::Tensor pooled = x.index({at::arange(x.size(0), ids.options()), eot});
    return at::matmul(pooled, w.txt_proj);
}

void attention_baselines(const ClipWeights& w, const ClipConfig& c, const at::Tensor& pixels, at::Tensor& last_layer_cls, at::Tensor& rollout) {
    check_pixels(pixels, c);
    const int64_t N = c.vision.tokens();
    at::Tensor x = vision_stem(w, c, pixels);
    const at::Tensor half_eye = at::eye(N, pixels.options()) * 0.5;
    at::Tensor joint;
    for (size_t l = 0; l < w.vision.blocks.size(); ++l) {
        const auto& b = w.vision.blocks[l];
        AttentionRecord rec;
        rec.keep_mean_probs = true;
        x = x + attention(layer_norm(x, b.ln1_w, b.ln1_b), b, c.vision.heads, {}, &rec);
        // Rollout (Abnar & Zuidema 2020): residual-aware attention 0.5 A + 0.5 I, multiplied from the first layer up.
        const at::Tensor a = rec.mean_probs * 0.5 + half_eye;
        joint = l == 0 ? a : at::bmm(a, joint);
        if (l + 1 == w.vision.blocks.size()) {
            last_layer_cls = rec.mean_probs.select(1, 0).narrow(-1, 1, N - 1);
            break;  // the last MLP does not change any attention
        }
        x = x + mlp(layer_norm(x, b.ln2_w, b.ln2_b), b, c.activation);
    }
    rollout = joint.select(1, 0).narrow(-1, 1, N - 1);
}

void decompose_batch(const ClipWeights& w, const FoldedHeads& f, const ClipConfig& c, const at::Tensor& pixels, const DecomposeOptions& options,
                     Decomposition& out) {
    check_pixels(pixels, c);
    const int64_t B = pixels.size(0), L = c.vision.layers, H = c.vision.heads, N = c.vision.tokens(), E = c.embed_dim, d = c.vision.head_dim();
    const int64_t K = 2 * L + 1;
    const int64_t first_spatial = options.spatial ? out.first_spatial_layer : L;
    const at::Device device = pixels.device();
    const bool direct_write = device.is_cpu();

    // Raw (not yet linearised) terms, projected by diag(gamma) P; finished after ln_post's statistics are known.
    at::Tensor raw_heads = at::empty({B, L, H, E}, pixels.options());
    at::Tensor raw_cls = at::empty({B, L, E}, pixels.options());
    at::Tensor raw_mlps = at::empty({B, L + 1, E}, pixels.options());
    at::Tensor spatial_out;  // [B, Ls, N, H, E] over the caller's buffer (CPU) or on the device
    if (first_spatial < L) {
        spatial_out = direct_write ? view_as_tensor(out.attentions) : at::empty({B, L - first_spatial, N, H, E}, pixels.options());
    }

    std::vector<at::Tensor> weighted;  // per spatial layer
    at::Tensor x = vision_stem(w, c, pixels);
    raw_mlps.select(1, 0).copy_(at::matmul(x.select(1, 0), f.gamma_proj));
    for (int64_t l = 0; l < L; ++l) {
        const auto& b = w.vision.blocks[static_cast<size_t>(l)];
        AttentionRecord rec;
        rec.keep_values = l >= first_spatial;
        x = x + attention(layer_norm(x, b.ln1_w, b.ln1_b), b, H, {}, &rec);
        const at::Tensor M = f.head_proj[l];  // [H, d, E]
        // Per head: (sum_m A[0,m] v_m) M_h, as [H, B, d] x [H, d, E] (a broadcast matmul would copy M per image).
        raw_heads.select(1, l).copy_(at::bmm(rec.cls_out.transpose(0, 1), M).transpose(0, 1));
        // Source token 0 alone: A[0,0] v_0 per head, summed over heads after projection.
        const at::Tensor cls_cell = rec.cls_probs.select(2, 0).unsqueeze(-1) * rec.cls_value;  // [B, H, d]
        raw_cls.select(1, l).copy_(at::bmm(cls_cell.transpose(0, 1), M).sum(0));
        // Spatial cells need sigma and ||z||, known only after the last layer: keep the
        // attention-weighted values (N*W floats per image, E*H/W times smaller than the terms).
        if (l >= first_spatial) weighted.push_back(rec.cls_probs.unsqueeze(-1) * rec.values);  // [B, H, N, d]
        const at::Tensor m = mlp(layer_norm(x, b.ln2_w, b.ln2_b), b, c.activation);
        raw_mlps.select(1, l + 1).copy_(at::matmul(m.select(1, 0), f.gamma_proj));
        x = x + m;
    }

    // ln_post statistics at the class token, with the reference's one-pass variance.
    const at::Tensor r = x.select(1, 0);                      // [B, W]
    const at::Tensor mu = r.mean(-1);                         // [B]
    const at::Tensor sigma = at::sqrt((r * r).mean(-1) - mu * mu + kLnEps);
    const at::Tensor z = at::matmul(layer_norm(r, w.ln_post_w, w.ln_post_b), w.vis_proj);  // [B, E]
    const at::Tensor nz = z.norm(2, -1);                      // [B]
    const at::Tensor scale = (1.0 / (sigma * nz)).view({B, 1});           // multiplies raw terms
    const at::Tensor mean_dir = (mu / (sigma * nz)).view({B, 1}) * f.gamma_sum;  // [B, E]: mu (1^T gamma P) / (sigma nz)
    const at::Tensor beta_dir = f.beta_proj / nz.view({B, 1});            // [B, E]

    // T(t, s) = t.gammaP/(sigma nz) - s mu gammaSum/(sigma nz) + s betaP/nz   (method.md eq. 3)
    auto offset = [&](double share) { return (beta_dir - mean_dir) * share; };  // [B, E]
    const at::Tensor bias_terms = f.bias_proj.unsqueeze(0) * scale.view({B, 1, 1});  // [B, L, E]: b_O^l gammaP /(sigma nz)
    const at::Tensor heads = raw_heads * scale.view({B, 1, 1, 1}) + bias_terms.unsqueeze(2) / static_cast<double>(H) +
                             offset(1.0 / (K * H)).view({B, 1, 1, E});
    const at::Tensor mlps = raw_mlps * scale.view({B, 1, 1}) + offset(1.0 / K).view({B, 1, E});
    const at::Tensor cls = raw_cls * scale.view({B, 1, 1}) + bias_terms / static_cast<double>(N) +
                           offset(1.0 / (K * N)).view({B, 1, E});  // H cells of share 1/(KNH) each
    at::Tensor total = mlps.sum(1) + heads.narrow(1, 0, first_spatial).sum({1, 2});
    if (first_spatial < L) {
        const at::Tensor cell_offset = offset(1.0 / (K * N * H));  // [B, E]
        // Per layer, a few images at a time: one batched GEMM over heads, [H, n*N, d] x [H, d, E],
        // into a small contiguous buffer (strided writes straight into the output measured
        // slower: rows H*E floats apart alias in the caches), then one pass that permutes to
        // [N, H, E] while adding the shares. 1/(sigma ||z||) is folded into the values.
        const int64_t per_image = N * H * E;
        const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(B, (int64_t{8} << 20) / (per_image * 4)));
        at::Tensor lhs = at::empty({H, chunk, N, d}, pixels.options());
        at::Tensor cell = at::empty({H, chunk * N, E}, pixels.options());
        for (int64_t l = first_spatial; l < L; ++l) {
            const at::Tensor& wl = weighted[static_cast<size_t>(l - first_spatial)];  // [B, H, N, d]
            for (int64_t i0 = 0; i0 < B; i0 += chunk) {
                const int64_t n = std::min(chunk, B - i0);
                at::Tensor lhs_n = lhs.narrow(1, 0, n);
                at::mul_out(lhs_n, wl.narrow(0, i0, n).transpose(0, 1), scale.narrow(0, i0, n).view({1, n, 1, 1}));
                at::Tensor cell_n = cell.narrow(1, 0, n * N);
                at::bmm_out(cell_n, lhs_n.view({H, n * N, d}), f.head_proj[l]);
                for (int64_t j = 0; j < n; ++j) {
                    const int64_t i = i0 + j;
                    const at::Tensor constant = bias_terms.select(0, i).select(0, l) / static_cast<double>(N * H) + cell_offset.select(0, i);  // [E]
                    at::Tensor dst = spatial_out.select(0, i).select(0, l - first_spatial);  // [N, H, E]
                    at::add_out(dst, cell_n.narrow(1, j * N, N).transpose(0, 1), constant);
                    total.select(0, i) += dst.sum(at::IntArrayRef{0, 1});
                }
            }
        }
    }
    const at::Tensor error = (total - z / nz.view({B, 1})).abs().amax(-1).to(at::kDouble).cpu();

    auto store = [](FloatArray& dst, const at::Tensor& src) { view_as_tensor(dst).copy_(src); };
    store(out.embedding, z);
    store(out.heads, heads);
    store(out.mlps, mlps);
    store(out.cls_attn, cls);
    store(out.ln_post_mean, mu);
    store(out.ln_post_std, sigma);
    if (first_spatial < L && !direct_write) store(out.attentions, spatial_out);
    out.sum_error.assign(error.data_ptr<double>(), error.data_ptr<double>() + B);
}

}  // namespace clipscope
