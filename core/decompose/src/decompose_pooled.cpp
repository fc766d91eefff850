// The attention-pooled decomposition (docs/method.md §12.3). Notation: x_m the last residual
// stream at position m, y_m = gamma (x_m - mean x_m) / sigma_m + beta its post_layernorm,
// A_p[h', m] the pooling attention, W_V / b_V and W_O / b_O the pooling head's value and
// out-projections. With sigma and A_p frozen,
//   a = sum_m sum_h' A_p[h', m] W_O^h' (W_V^h' y_m + b_V^h') + b_O
// is linear in x, and z = a + MLP(LN(a)).
#include <c10/core/InferenceMode.h>

#include <algorithm>

#include "clipscope/base/error.h"
#include "clipscope/decompose/pooled_decomposition.h"
#include "decompose_towers.h"
#include "model_internals.h"
#include "torch_bridge.h"

namespace clipscope {
namespace {

// The frozen linear map from the residual stream to the pooled attention output.
struct PoolCarrier {
    at::Tensor gamma;      // [W]
    at::Tensor value_w;    // [W, W] W_V (pool heads side by side, by rows)
    at::Tensor out_w;      // [E, W] W_O
    at::Tensor weights;    // [B, H', N] A_p / sigma
    at::Tensor probs;      // [B, H', N] A_p
    at::Tensor inv_sigma;  // [B, N]
    int64_t pool_heads = 0;

    // Centred and scaled as post_layernorm does, without its beta: [.., W].
    at::Tensor normalise(const at::Tensor& t) const { return (t - t.mean(-1, true)) * gamma; }

    // Per cell: t [B, N, K, W] written at position m -> [B, N, K, E].
    at::Tensor cells(const at::Tensor& t) const {
        const int64_t B = t.size(0), N = t.size(1), K = t.size(2), W = t.size(3), Hp = pool_heads;
        const at::Tensor u = normalise(t) * inv_sigma.view({B, N, 1, 1});
        const at::Tensor v =
            at::matmul(u, value_w.t()).view({B, N, K, Hp, W / Hp}) * probs.permute({0, 2, 1}).reshape({B, N, 1, Hp, 1});
        return at::matmul(v.view({B, N, K, W}), out_w.t());
    }

    // Each pooling head's value projection of its own input: s [R, H', W] (row h' feeds head h')
    // -> [R, W], heads side by side. Only the head's own block is computed (1/H' of a full product).
    at::Tensor own_values(const at::Tensor& s) const {
        const int64_t R = s.size(0), W = s.size(2), Hp = pool_heads;
        // One batched product over the heads (torch's einsum took 5x longer here).
        const at::Tensor v =
            at::bmm(s.permute({1, 0, 2}), value_w.view({Hp, W / Hp, W}).transpose(1, 2));  // [H', R, dp]
        return v.permute({1, 0, 2}).reshape({R, W});
    }

    // Summed over positions: each stream t [B, N, W] -> [B, E] without materialising a cell per
    // position: the sum over m is taken in the residual stream, once per pooling head, stream
    // by stream (stacked first, the streams would be copied whole: 94 MB on so400m), and the
    // small [B, H', W] sums go through the head together. Returns [streams, B, E].
    at::Tensor summed(const std::vector<at::Tensor>& streams) const {
        const int64_t B = weights.size(0), R = static_cast<int64_t>(streams.size());
        std::vector<at::Tensor> sums;
        for (const at::Tensor& t : streams) sums.push_back(at::matmul(weights, t));  // [B, H', W]
        const at::Tensor s = at::stack(sums).view({R * B, pool_heads, -1});
        return at::matmul(own_values(normalise(s)), out_w.t()).view({R, B, -1});
    }
};

}  // namespace

double PooledDecomposition::max_sum_error() const {
    double m = 0;
    for (double e : sum_error) m = std::max(m, e);
    for (double e : pool_error) m = std::max(m, e);
    for (double e : map_error) m = std::max(m, e);
    return m;
}

namespace {

// What every product of the attention-pooled decomposition starts from: the forward, kept
// where the terms need it, and the frozen map from the residual stream to the pooled output.
struct PooledForward {
    int64_t B = 0, L = 0, H = 0, N = 0, W = 0, d = 0, Hp = 0, K = 0;
    at::Tensor x0;                             // [B, N, W] patch + position embeddings
    std::vector<at::Tensor> outputs, mlp_out;  // per layer: head outputs [B, N, H*d], MLP outputs [B, N, W]
    at::Tensor sigma, y, z, nz, pooling;       // [B, N], [B, N, W], [B, E], [B, 1], [B, E]
    PoolRecord pool;
    PoolCarrier carry;
    at::Tensor value_b;  // [W]
    at::Tensor share;    // [B, E]: each of the K term groups' share of the constants, / ||z||
};

PooledForward pooled_forward(const ClipModel& model, const at::Tensor& pixels) {
    const ClipConfig& c = model.config();
    if (c.vision.pooling != VisionPooling::AttentionPool)
        throw_usage(c.name + " pools its image at the class token: use decompose(), not decompose_pooled()");
    const ClipWeights& w = tower_weights(model);
    check_pixels(pixels, c);
    PooledForward f;
    f.B = pixels.size(0), f.L = c.vision.layers, f.H = c.vision.heads, f.N = c.vision.tokens(), f.W = c.vision.width,
    f.d = c.vision.head_dim(), f.Hp = c.vision.heads;
    f.K = 2 * f.L + 1;  // term groups sharing the constants: L attention layers, L+1 MLP entries
    // The forward, keeping what the terms need: the embeddings, each block's head outputs at
    // every position and each MLP's output.
    f.x0 = vision_stem(w, c, pixels);
    at::Tensor x = f.x0;
    for (const auto& b : w.vision.blocks) {
        AttentionRecord rec;
        rec.keep_outputs = true;
        x = x + attention(layer_norm(x, b.ln1_w, b.ln1_b, c.vision), b, f.H, {}, &rec);
        f.outputs.push_back(rec.outputs);
        f.mlp_out.push_back(mlp(layer_norm(x, b.ln2_w, b.ln2_b, c.vision), b, c.vision));
        x = x + f.mlp_out.back();
    }
    const at::Tensor mu = x.mean(-1, true);
    f.sigma = at::sqrt((x - mu).pow(2).mean(-1) + c.vision.norm_eps);  // [B, N], as layer_norm
    f.y = layer_norm(x, w.ln_post_w, w.ln_post_b, c.vision);
    f.z = attention_pool(w, c.vision, f.y, &f.pool);  // [B, W] = [B, E]
    f.nz = f.z.norm(2, -1).view({f.B, 1});
    f.pooling = f.z - f.pool.attended;  // the residual MLP

    PoolCarrier& carry = f.carry;
    carry.gamma = w.ln_post_w;
    carry.value_w = w.pool_in_w.narrow(0, 2 * f.W, f.W);
    carry.out_w = w.pool_out_w;
    carry.probs = f.pool.probs;
    carry.inv_sigma = 1.0 / f.sigma;
    carry.weights = f.pool.probs * carry.inv_sigma.unsqueeze(1);
    carry.pool_heads = f.Hp;
    f.value_b = w.pool_in_b.narrow(0, 2 * f.W, f.W);
    // What no term carries: beta and the value bias through the head (sum_m A_p = 1), and b_O.
    const at::Tensor constant =
        at::matmul(at::matmul(w.ln_post_b, carry.value_w.t()) + f.value_b, carry.out_w.t()) + w.pool_out_b;  // [E]
    f.share = (constant / static_cast<double>(f.K)).unsqueeze(0) / f.nz;
    return f;
}

// The terms summed over positions: heads [B, L, H, E] and mlps [B, L+1, E].
std::pair<at::Tensor, at::Tensor> summed_terms(const PooledForward& f, const ClipWeights& w) {
    const int64_t B = f.B, L = f.L, H = f.H, W = f.W, d = f.d, Hp = f.Hp;
    const PoolCarrier& carry = f.carry;
    const at::Tensor& nz = f.nz;
    const at::Tensor& share = f.share;
    const at::Tensor& x0 = f.x0;
    const std::vector<at::Tensor>& outputs = f.outputs;
    const std::vector<at::Tensor>& mlp_out = f.mlp_out;
    // The terms summed over positions: one product per layer reduces the positions, and the
    // small sums then go through the rest in a few batched products (per layer those would be
    // a dozen small BLAS calls each, whose start-up cost shows on the forward's scale).
    // Streams: the embeddings and each MLP's output.
    std::vector<at::Tensor> streams = {x0};
    streams.insert(streams.end(), mlp_out.begin(), mlp_out.end());
    const at::Tensor mlps_t = (carry.summed(streams) / nz + share).permute({1, 0, 2});  // [B, L+1, E]
    // Per head: sum_m (A_p[h', m] / sigma_m) o_h[m] first, then through the head's slice of
    // W_O^l, post_layernorm, W_V and W_O; each layer's out-projection bias, written at every
    // position, is shared over its heads.
    std::vector<at::Tensor> out_ws, out_bs;
    for (const auto& b : w.vision.blocks) {
        out_ws.push_back(b.out_w.view({W, H, d}));
        out_bs.push_back(b.out_b);
    }
    // omega[b, h', l, h] = sum_m weights[b, h', m] o_{l,h}[b, m]: one product per layer on the
    // head outputs as the forward kept them (re-laid out for one product over all layers they
    // were copied twice, 180 MB on so400m).
    std::vector<at::Tensor> per_layer;
    for (const at::Tensor& o : outputs) per_layer.push_back(at::matmul(carry.weights, o));  // [B, H', H*d]
    const at::Tensor omega = at::stack(per_layer, 2).view({B, Hp, L, H, d});
    // Through each head's slice of W_O^l, [H, B*H', d] x [H, d, W] per layer. The slices are
    // read in place as transposed matrices: re-laid out, W_O of every layer was copied per call
    // (28 MB on SigLIP-B, 19 ms, most of the decomposition's cost).
    const at::Tensor by_head = omega.permute({2, 3, 0, 1, 4}).reshape({L, H, B * Hp, d});
    // One layer at a time, reduced at once to each head's own values: all layers' writes
    // together ([L, B, H, H', W], 318 MB on so400m, twice with their normalised copy) were the
    // largest buffer of an image's decomposition in the app.
    std::vector<at::Tensor> owns;
    for (int64_t l = 0; l < L; ++l) {
        const at::Tensor written = at::bmm(by_head.select(0, l), out_ws[static_cast<size_t>(l)].permute({1, 2, 0}))
                                       .view({H, B, Hp, W})
                                       .permute({1, 0, 2, 3});                               // [B, H, H', W]
        owns.push_back(carry.own_values(carry.normalise(written).reshape({B * H, Hp, W})));  // [B*H, W]
    }
    const at::Tensor own = at::cat(owns);  // [L*B*H, W]
    const at::Tensor bias_written =
        carry.weights.sum(-1).unsqueeze(0).unsqueeze(-1) * at::stack(out_bs).view({L, 1, 1, W});  // [L, B, H', W]
    const at::Tensor bias_share =
        at::matmul(carry.own_values(carry.normalise(bias_written).view({L * B, Hp, W})), carry.out_w.t())
                .view({L, B, 1, W}) /
            nz.view({1, B, 1, 1}) / static_cast<double>(H) +
        (share / static_cast<double>(H)).view({1, B, 1, W});
    const at::Tensor heads_t =
        (at::matmul(own, carry.out_w.t()).view({L, B, H, W}) / nz.view({1, B, 1, 1}) + bias_share)
            .permute({1, 0, 2, 3});  // [B, L, H, E]
    return {heads_t, mlps_t};
}

// Each head's map toward the rows of u ([T, E]): [B, T, L, H, N], without the E-wide cells.
at::Tensor project_maps(const PooledForward& f, const ClipWeights& w, const at::Tensor& u) {
    const int64_t B = f.B, L = f.L, H = f.H, N = f.N, W = f.W, d = f.d, Hp = f.Hp, T = u.size(0);
    const PoolCarrier& carry = f.carry;
    // Backwards through the frozen map: a write t at position m scores t . q_m, with
    // q_m = C(gamma (W_V^T concat_h'(A_p[h', m] (W_O^T u)_h'))) / sigma_m (C centres, and is
    // its own adjoint).
    const at::Tensor g = at::matmul(u, carry.out_w).view({1, T, 1, Hp, W / Hp});                 // [1, T, 1, H', dp]
    const at::Tensor scaled = g * carry.probs.permute({0, 2, 1}).reshape({B, 1, N, Hp, 1});      // [B, T, N, H', dp]
    const at::Tensor r = at::matmul(scaled.reshape({B, T, N, W}), carry.value_w) * carry.gamma;  // [B, T, N, W]
    const at::Tensor q = (r - r.mean(-1, true)) * carry.inv_sigma.view({B, 1, N, 1}) / f.nz.view({B, 1, 1, 1});
    // Each layer's constant share per cell, projected: the out-projection bias over its heads
    // and the K groups' share of c over positions and heads.
    const at::Tensor share_cell = at::matmul(f.share, u.t()).view({B, T, 1, 1}) / static_cast<double>(N * H);
    std::vector<at::Tensor> layers;
    for (int64_t l = 0; l < L; ++l) {
        const auto& b = w.vision.blocks[static_cast<size_t>(l)];
        // Through the head's slice of W_O^l: [B, T, N, H, d] against the head outputs, the kept
        // [B, N, W] read per head as [B, 1, N, H, d].
        const at::Tensor Q = at::matmul(q, b.out_w).view({B, T, N, H, d});
        const at::Tensor o = f.outputs[static_cast<size_t>(l)].view({B, 1, N, H, d});
        const at::Tensor bias = at::matmul(q, b.out_b).unsqueeze(-1) / static_cast<double>(H);  // [B, T, N, 1]
        layers.push_back(((Q * o).sum(-1) + bias + share_cell).permute({0, 1, 3, 2}));          // [B, T, H, N]
    }
    return at::stack(layers, 2);  // [B, T, L, H, N]
}

}  // namespace

PooledDecomposition decompose_pooled(const ClipModel& model, const FloatArray& pixels_in,
                                     const DecomposeOptions& options) {
    c10::InferenceMode guard;
    const PooledForward f = pooled_forward(model, pixels_tensor(pixels_in, model_device(model)));
    const ClipWeights& w = tower_weights(model);
    const int64_t B = f.B, L = f.L, H = f.H, N = f.N, W = f.W, d = f.d, Hp = f.Hp;
    if (options.spatial_last_layers < 0 || options.spatial_last_layers > L)
        throw_usage("--layers last:K needs 1 <= K <= " + std::to_string(L) + " for this model");
    const int64_t first_spatial =
        options.spatial ? (options.spatial_last_layers == 0 ? 0 : L - options.spatial_last_layers) : L;
    const PoolCarrier& carry = f.carry;
    const at::Tensor &nz = f.nz, &share = f.share, &z = f.z, &pooling = f.pooling, &sigma = f.sigma, &y = f.y;
    const PoolRecord& pool = f.pool;
    const at::Tensor& value_b = f.value_b;
    const std::vector<at::Tensor>& outputs = f.outputs;
    PooledDecomposition out;
    out.first_spatial_layer = first_spatial;
    const auto [heads_t, mlps_t] = summed_terms(f, w);
    std::vector<at::Tensor> spatial;
    for (int64_t l = first_spatial; l < L; ++l) {
        const auto& b = w.vision.blocks[static_cast<size_t>(l)];
        const at::Tensor o = outputs[static_cast<size_t>(l)].view({B, N, H, d});
        const at::Tensor bias_at = b.out_b.view({1, 1, 1, W}).expand({B, N, 1, W});
        const at::Tensor writes = at::einsum("bnhd,whd->bnhw", {o, b.out_w.view({W, H, d})});  // [B, N, H, W]
        const at::Tensor bias_cell =
            carry.cells(bias_at) / nz.view({B, 1, 1, 1}) / static_cast<double>(H);  // [B, N, 1, E]
        spatial.push_back(carry.cells(writes) / nz.view({B, 1, 1, 1}) + bias_cell +
                          (share / static_cast<double>(N * H)).view({B, 1, 1, -1}));
    }
    const at::Tensor normed = z / nz;
    const at::Tensor total = heads_t.sum({1, 2}) + mlps_t.sum(1) + pooling / nz;
    const at::Tensor error = (total - normed).abs().amax(-1).to(at::kDouble).cpu();
    out.sum_error.assign(error.data_ptr<double>(), error.data_ptr<double>() + B);

    out.embedding = to_float_array(z);
    out.heads = to_float_array(heads_t);
    out.mlps = to_float_array(mlps_t);
    out.pooling = to_float_array(pooling / nz);
    out.pool_bias = to_float_array(w.pool_out_b.unsqueeze(0).expand({B, W}) / nz);
    out.pool_attention = to_float_array(pool.probs);
    out.ln_post_std = to_float_array(sigma);
    const at::Tensor directions = map_directions_tensor(options, W, z.device());
    if (directions.defined()) {
        const at::Tensor maps = project_maps(f, w, directions);
        out.head_maps = to_float_array(maps);  // no class token: every position is a patch
        out.map_directions = to_float_array(directions);
        out.map_error = map_self_check(maps, heads_t, directions);
    }
    if (options.spatial) {
        if (!spatial.empty()) {
            const at::Tensor cells = at::stack(spatial, 1);  // [B, Ls, N, H, E]
            out.attentions = to_float_array(cells);
            // The spatial cells sum to the per-head terms: checked with the rest.
            const at::Tensor cells_error =
                (cells.sum(2) - heads_t.narrow(1, first_spatial, L - first_spatial)).abs().amax({1, 2, 3});
            const at::Tensor e = cells_error.to(at::kDouble).cpu();
            for (int64_t i = 0; i < B; ++i)
                out.sum_error[static_cast<size_t>(i)] =
                    std::max(out.sum_error[static_cast<size_t>(i)], e[i].item<double>());
        }
        // The pooling head's own terms: A_p[h', m] W_O^h' (W_V^h' y_m + b_V^h').
        const at::Tensor values = (at::matmul(y, carry.value_w.t()) + value_b).view({B, N, Hp, W / Hp});
        const at::Tensor weighted = values * pool.probs.permute({0, 2, 1}).unsqueeze(-1);  // [B, N, H', dp]
        const at::Tensor per_head =
            at::einsum("bnpe,wpe->bnpw", {weighted, carry.out_w.view({W, Hp, W / Hp})}) / nz.view({B, 1, 1, 1});
        out.pool_heads = to_float_array(per_head);
        const at::Tensor pool_total = per_head.sum({1, 2}) + w.pool_out_b / nz + pooling / nz;
        const at::Tensor pe = (pool_total - normed).abs().amax(-1).to(at::kDouble).cpu();
        out.pool_error.assign(pe.data_ptr<double>(), pe.data_ptr<double>() + B);
    }
    return out;
}

PooledMaps pooled_head_maps(const ClipModel& model, const FloatArray& pixels, const FloatArray& directions) {
    // The non-spatial decomposition with maps: one forward, the same maps and self-check the
    // app's projected view reads.
    DecomposeOptions options;
    options.spatial = false;
    options.map_directions = &directions;
    PooledDecomposition d = decompose_pooled(model, pixels, options);
    c10::InferenceMode guard;
    PooledMaps out;
    out.heads = to_float_array(
        at::matmul(view_as_tensor(d.heads), view_as_tensor(directions).t()).permute({0, 3, 1, 2}));  // [B, T, L, H]
    out.maps = std::move(d.head_maps);
    out.embedding = std::move(d.embedding);
    out.self_check = std::move(d.map_error);
    return out;
}

}  // namespace clipscope
