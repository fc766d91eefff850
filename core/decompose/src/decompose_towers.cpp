#include "decompose_towers.h"

#include <ATen/Parallel.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#include <xmmintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "clipscope/base/error.h"
#include "torch_bridge.h"

namespace clipscope {
namespace {

// dst[n*row_stride + e] = alpha * src[n*E + e] + constant[e] for N rows, and
// sums[e] = sum_n dst[n*row_stride + e]: one pass, rows split across threads. The
// output is written with non-temporal stores where the CPU has them (SSE2, every
// x86-64): it is 58 MB per ViT-B-16 image and is not read again here, so bypassing the
// cache halves the time its writing takes (measured 14 -> 6 ms per image).
void write_cell_and_sum(const float* src, float alpha, const float* constant, float* dst, int64_t row_stride,
                        float* sums, int64_t N, int64_t E) {
    const int64_t chunks = std::min<int64_t>(at::get_num_threads(), N);
    std::vector<float> partial(static_cast<size_t>(chunks * E), 0.0f);
    at::parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
        for (int64_t chunk = c0; chunk < c1; ++chunk) {
            float* acc = partial.data() + chunk * E;
            for (int64_t n = chunk * N / chunks; n < (chunk + 1) * N / chunks; ++n) {
                const float* s = src + n * E;
                float* o = dst + n * row_stride;
                int64_t e = 0;
#if defined(__SSE2__)
                if (reinterpret_cast<uintptr_t>(o) % 16 == 0) {
                    const __m128 a = _mm_set1_ps(alpha);
                    for (; e + 4 <= E; e += 4) {
                        const __m128 v = _mm_add_ps(_mm_mul_ps(a, _mm_loadu_ps(s + e)), _mm_loadu_ps(constant + e));
                        _mm_stream_ps(o + e, v);
                        _mm_storeu_ps(acc + e, _mm_add_ps(_mm_loadu_ps(acc + e), v));
                    }
                }
#endif
                for (; e < E; ++e) {
                    const float v = alpha * s[e] + constant[e];
                    o[e] = v;
                    acc[e] += v;
                }
            }
        }
#if defined(__SSE2__)
        _mm_sfence();  // the streamed rows are visible before the caller reads the output
#endif
    });
    for (int64_t e = 0; e < E; ++e) sums[e] = 0.0f;
    for (int64_t chunk = 0; chunk < chunks; ++chunk)
        for (int64_t e = 0; e < E; ++e) sums[e] += partial[static_cast<size_t>(chunk * E + e)];
}

}  // namespace

at::Tensor map_directions_tensor(const DecomposeOptions& options, int64_t E, const at::Device& device) {
    if (!options.map_directions) return {};
    const FloatArray& u = *options.map_directions;
    if (u.rank() != 2 || u.shape[0] < 1 || u.shape[1] != E)
        throw_usage("map directions must be [T, " + std::to_string(E) + "] with T >= 1, got " +
                    shape_to_string(u.shape));
    for (float v : u.data)
        if (!std::isfinite(v)) throw_usage("map directions hold a value that is not finite");
    return view_as_tensor(u).to(device).contiguous();
}

std::vector<double> map_self_check(const at::Tensor& maps, const at::Tensor& heads, const at::Tensor& u) {
    const at::Tensor along = at::matmul(heads, u.t()).permute({0, 3, 1, 2});  // [B, T, L, H]
    const at::Tensor error = (maps.sum(-1) - along).abs().amax({1, 2, 3}).to(at::kDouble).cpu();
    return {error.data_ptr<double>(), error.data_ptr<double>() + error.size(0)};
}

void require_decomposable(const ClipConfig& c) {
    switch (c.vision.pooling) {
        case VisionPooling::ClassToken:
            return;
        case VisionPooling::AttentionPool:
            throw Error(ErrorKind::Unsupported,
                        c.name +
                            " pools the image with an attention pooling head (SigLIP): `decompose`, `heatmap`, "
                            "`segment`, `index` and what reads its stores (textspan, neighbors, ablate, spurious) "
                            "work through the pooling head, but this analysis does not read attention-pooled "
                            "terms yet. Image and text embeddings and classify work too");
    }
    throw_usage("unknown vision pooling");
}

FoldedHeads fold_heads(const ClipWeights& w, const ClipConfig& c) {
    require_decomposable(c);
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

namespace {

// The forward with what both baselines read: the rollout product J = prod over layers of
// 0.5 A + 0.5 I (Abnar & Zuidema 2020; heads averaged, multiplied from the first layer up) and
// the last layer's head-averaged attention. `final_mlp` false stops before the last block's
// MLP, which changes no attention; the stream `x` is then not the tower's output.
struct RolloutPass {
    at::Tensor x, joint, last_mean_probs;
};
RolloutPass rollout_pass(const ClipWeights& w, const ClipConfig& c, const at::Tensor& pixels, bool final_mlp) {
    const int64_t N = c.vision.tokens();
    RolloutPass r;
    r.x = vision_stem(w, c, pixels);
    const at::Tensor half_eye = at::eye(N, pixels.options()) * 0.5;
    for (size_t l = 0; l < w.vision.blocks.size(); ++l) {
        const auto& b = w.vision.blocks[l];
        AttentionRecord rec;
        rec.keep_mean_probs = true;
        r.x = r.x + attention(layer_norm(r.x, b.ln1_w, b.ln1_b, c.vision), b, c.vision.heads, {}, &rec);
        const at::Tensor a = rec.mean_probs * 0.5 + half_eye;
        r.joint = l == 0 ? a : at::bmm(a, r.joint);
        r.last_mean_probs = rec.mean_probs;
        if (l + 1 == w.vision.blocks.size() && !final_mlp) break;
        r.x = r.x + mlp(layer_norm(r.x, b.ln2_w, b.ln2_b, c.vision), b, c.vision);
    }
    return r;
}

}  // namespace

void attention_baselines(const ClipWeights& w, const ClipConfig& c, const at::Tensor& pixels,
                         at::Tensor& last_layer_cls, at::Tensor& rollout) {
    check_pixels(pixels, c);
    if (c.vision.pooling == VisionPooling::AttentionPool) {
        // The probe plays the class token's part (docs/method.md §12.6): the last attention
        // before the embedding is the pooling head's own over the positions, and rollout ends
        // with that row. The probe reads the stream without a residual of its own, so its row
        // is A_p, not 0.5 A_p + 0.5 I.
        const RolloutPass r = rollout_pass(w, c, pixels, /*final_mlp=*/true);
        PoolRecord pool;
        attention_pool(w, c.vision, layer_norm(r.x, w.ln_post_w, w.ln_post_b, c.vision), &pool);
        last_layer_cls = pool.probs.mean(1);  // [B, N]
        rollout = at::bmm(last_layer_cls.unsqueeze(1), r.joint).squeeze(1);
        return;
    }
    require_decomposable(c);
    const int64_t N = c.vision.tokens();
    const RolloutPass r = rollout_pass(w, c, pixels, /*final_mlp=*/false);
    last_layer_cls = r.last_mean_probs.select(1, 0).narrow(-1, 1, N - 1);
    rollout = r.joint.select(1, 0).narrow(-1, 1, N - 1);
}

void decompose_batch(const ClipWeights& w, const FoldedHeads& f, const ClipConfig& c, const at::Tensor& pixels,
                     const DecomposeOptions& options, Decomposition& out) {
    check_pixels(pixels, c);
    // The terms below are those of class-token pooling: what each layer and head writes
    // into token 0 (docs/method.md §2). A pooling head of another kind needs its own
    // linearisation here (docs/adding-a-model-family.md).
    require_decomposable(c);
    const int64_t B = pixels.size(0), L = c.vision.layers, H = c.vision.heads, N = c.vision.tokens(), E = c.embed_dim,
                  d = c.vision.head_dim(), W = c.vision.width;
    const int64_t K = 2 * L + 1;
    const int64_t first_spatial = options.spatial ? out.first_spatial_layer : L;
    const at::Device device = pixels.device();
    const bool direct_write = device.is_cpu();

    at::Tensor spatial_out;  // [B, Ls, N, H, E] over the caller's buffer (CPU) or on the device
    if (first_spatial < L) {
        spatial_out = direct_write ? view_as_tensor(out.attentions)
                                   : at::empty({B, L - first_spatial, N, H, E}, pixels.options());
    }

    // What each layer contributes at the class token, kept as the forward runs and
    // projected after it in three batched products: per layer they were a dozen tiny
    // BLAS calls, whose start-up cost was 5% of the forward on ViT-B-16.
    at::Tensor cls_out = at::empty({L, H, B, d}, pixels.options());      // sum_m A[0,m] v_m per head
    at::Tensor cls_cell = at::empty({L, H, B, d}, pixels.options());     // A[0,0] v_0 per head (source token 0 alone)
    at::Tensor cls_stream = at::empty({L + 1, B, W}, pixels.options());  // x0 and each MLP's output at the class token
    // Maps toward directions need every layer's weighted values (not its E-wide cells).
    const at::Tensor directions = map_directions_tensor(options, E, device);  // [T, E] or undefined
    const int64_t first_kept = directions.defined() ? 0 : first_spatial;
    std::vector<at::Tensor> weighted;  // per layer from first_kept
    at::Tensor x = vision_stem(w, c, pixels);
    cls_stream.select(0, 0).copy_(x.select(1, 0));
    for (int64_t l = 0; l < L; ++l) {
        const auto& b = w.vision.blocks[static_cast<size_t>(l)];
        AttentionRecord rec;
        rec.keep_values = l >= first_kept;
        x = x + attention(layer_norm(x, b.ln1_w, b.ln1_b, c.vision), b, H, {}, &rec);
        cls_out.select(0, l).copy_(rec.cls_out.transpose(0, 1));
        at::Tensor cell_l = cls_cell.select(0, l);
        at::mul_out(cell_l, rec.cls_probs.select(2, 0).unsqueeze(-1).transpose(0, 1), rec.cls_value.transpose(0, 1));
        // Spatial cells need sigma and ||z||, known only after the last layer: keep the
        // attention-weighted values (N*W floats per image, E*H/W times smaller than the terms).
        if (l >= first_kept) weighted.push_back(rec.cls_probs.unsqueeze(-1) * rec.values);  // [B, H, N, d]
        const at::Tensor m = mlp(layer_norm(x, b.ln2_w, b.ln2_b, c.vision), b, c.vision);
        cls_stream.select(0, l + 1).copy_(m.select(1, 0));
        x = x + m;
    }
    // Raw (not yet linearised) terms, projected by diag(gamma) P; finished once ln_post's statistics are known.
    // Per head: (sum_m A[0,m] v_m) M_h, as [L*H, B, d] x [L*H, d, E] (a broadcast matmul would copy M per image).
    const at::Tensor M_all = f.head_proj.view({L * H, d, E});
    const at::Tensor raw_heads =
        at::bmm(cls_out.view({L * H, B, d}), M_all).view({L, H, B, E}).permute({2, 0, 1, 3});  // [B, L, H, E]
    const at::Tensor raw_cls =
        at::bmm(cls_cell.view({L * H, B, d}), M_all).view({L, H, B, E}).sum(1).permute({1, 0, 2});  // [B, L, E]
    const at::Tensor raw_mlps = at::matmul(cls_stream.view({(L + 1) * B, W}), f.gamma_proj)
                                    .view({L + 1, B, E})
                                    .permute({1, 0, 2});  // [B, L+1, E]

    // ln_post statistics at the class token, with the reference's one-pass variance.
    const at::Tensor r = x.select(1, 0);  // [B, W]
    const at::Tensor mu = r.mean(-1);     // [B]
    const at::Tensor sigma = at::sqrt((r * r).mean(-1) - mu * mu + c.vision.norm_eps);
    const at::Tensor z = at::matmul(layer_norm(r, w.ln_post_w, w.ln_post_b, c.vision), w.vis_proj);  // [B, E]
    const at::Tensor nz = z.norm(2, -1);                                                             // [B]
    const at::Tensor scale = (1.0 / (sigma * nz)).view({B, 1});  // multiplies raw terms
    const at::Tensor mean_dir =
        (mu / (sigma * nz)).view({B, 1}) * f.gamma_sum;         // [B, E]: mu (1^T gamma P) / (sigma nz)
    const at::Tensor beta_dir = f.beta_proj / nz.view({B, 1});  // [B, E]

    // T(t, s) = t.gammaP/(sigma nz) - s mu gammaSum/(sigma nz) + s betaP/nz   (method.md eq. 3)
    auto offset = [&](double share) { return (beta_dir - mean_dir) * share; };  // [B, E]
    const at::Tensor bias_terms =
        f.bias_proj.unsqueeze(0) * scale.view({B, 1, 1});  // [B, L, E]: b_O^l gammaP /(sigma nz)
    const at::Tensor heads = raw_heads * scale.view({B, 1, 1, 1}) + bias_terms.unsqueeze(2) / static_cast<double>(H) +
                             offset(1.0 / (K * H)).view({B, 1, 1, E});
    const at::Tensor mlps = raw_mlps * scale.view({B, 1, 1}) + offset(1.0 / K).view({B, 1, E});
    const at::Tensor cls = raw_cls * scale.view({B, 1, 1}) + bias_terms / static_cast<double>(N) +
                           offset(1.0 / (K * N)).view({B, 1, E});  // H cells of share 1/(KNH) each
    at::Tensor total = mlps.sum(1) + heads.narrow(1, 0, first_spatial).sum({1, 2});
    const at::Tensor cell_offset = offset(1.0 / (K * N * H));  // [B, E]: each cell's share of the constants
    if (directions.defined()) {
        // Each cell dotted with u_t, without forming it: scale * weighted (M_h u_t) + constant . u_t.
        const int64_t T = directions.size(0);
        const at::Tensor ut = directions.t();  // [E, T]
        std::vector<at::Tensor> layers;
        for (int64_t l = 0; l < L; ++l) {
            const at::Tensor G = at::matmul(f.head_proj.select(0, l), ut);  // [H, d, T]
            const at::Tensor constant =
                at::matmul(bias_terms.select(1, l) / static_cast<double>(N * H) + cell_offset, ut);  // [B, T]
            const at::Tensor cells =
                at::matmul(weighted[static_cast<size_t>(l)], G.unsqueeze(0)) * scale.view({B, 1, 1, 1}) +
                constant.view({B, 1, 1, T});                // [B, H, N, T]
            layers.push_back(cells.permute({0, 3, 1, 2}));  // [B, T, H, N]
        }
        const at::Tensor maps = at::stack(layers, 2);               // [B, T, L, H, N]
        out.head_maps = to_float_array(maps.narrow(-1, 1, N - 1));  // the patches: the class token is not mapped
        out.map_directions = to_float_array(directions);
        out.map_error = map_self_check(maps, heads, directions);
    }
    if (first_spatial < L) {
        // Per image, layer and head: one GEMM, [N, d] x [d, E], into a scratch block small
        // enough to stay in cache (N*E floats), then one pass that writes
        // scale * scratch + the cell's constant share into the output's [N, H, E] layout
        // and sums it for the self-check on the way. The 58 MB/image of spatial terms is
        // written to memory once and never read back (the permuting add and the separate
        // sum it replaces read it twice more: 16% of the forward on ViT-B-16).
        const at::Tensor scales = scale.view({B}).to(at::kDouble).cpu();
        at::Tensor scratch = at::empty({N, E}, pixels.options());
        at::Tensor cell_sums = at::empty({H, E}, pixels.options());
        for (int64_t l = first_spatial; l < L; ++l) {
            const at::Tensor& wl = weighted[static_cast<size_t>(l - first_kept)];  // [B, H, N, d]
            for (int64_t i = 0; i < B; ++i) {
                const at::Tensor constant =
                    (bias_terms.select(0, i).select(0, l) / static_cast<double>(N * H) + cell_offset.select(0, i))
                        .contiguous();                                                   // [E]
                at::Tensor dst = spatial_out.select(0, i).select(0, l - first_spatial);  // [N, H, E]
                const float alpha = static_cast<float>(scales[i].item<double>());
                for (int64_t h = 0; h < H; ++h) {
                    at::mm_out(scratch, wl.select(0, i).select(0, h), f.head_proj.select(0, l).select(0, h));
                    if (direct_write) {
                        write_cell_and_sum(scratch.data_ptr<float>(), alpha, constant.data_ptr<float>(),
                                           dst.select(1, h).data_ptr<float>(), H * E,
                                           cell_sums.select(0, h).data_ptr<float>(), N, E);
                    } else {
                        at::Tensor cell = dst.select(1, h);
                        at::add_out(cell, constant, scratch, alpha);
                        cell_sums.select(0, h).copy_(cell.sum(0));
                    }
                }
                total.select(0, i) += cell_sums.sum(0);
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
