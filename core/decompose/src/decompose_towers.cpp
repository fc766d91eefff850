#include "decompose_towers.h"

#include <algorithm>
#include <vector>

#include "torch_bridge.h"

namespace clipscope {

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
