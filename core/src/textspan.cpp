#include "clipscope/textspan.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "clipscope/error.h"
#include "torch_bridge.h"

namespace clipscope {

TextSpanResult text_span(const FloatArray& data, const FloatArray& texts, const TextSpanOptions& options) {
    if (data.rank() != 2 || texts.rank() != 2 || data.shape[1] != texts.shape[1])
        throw_usage("TextSpan needs data [N, E] and texts [Ntext, E] with the same E, got " + shape_to_string(data.shape) + " and " + shape_to_string(texts.shape));
    const int64_t n = data.shape[0], E = data.shape[1], m = texts.shape[0];
    if (n < 2) throw_usage("TextSpan needs at least 2 images");
    if (options.rank < 1 || options.iterations < 1) throw_usage("TextSpan rank and iterations must be positive");
    if (options.iterations > m) throw_usage("cannot pick " + std::to_string(options.iterations) + " texts from " + std::to_string(m));
    c10::InferenceMode guard;
    const at::Tensor D0 = view_as_tensor(data);
    const at::Tensor T0 = view_as_tensor(texts);

    // 1. Span of the uncentred data: the top right singular vectors of D are the top
    //    eigenvectors of DᵀD. In float64 this is closer to an exact SVD than the
    //    reference's float32 one (a float64 replica of the reference agrees with it to 7e-6).
    const int64_t rank = std::min({options.rank, n, E});
    const at::Tensor D64 = D0.to(at::kDouble);
    const at::Tensor gram = at::matmul(D64.t(), D64);                                  // [E, E] uncentred
    const at::Tensor eigenvectors = std::get<1>(at::linalg_eigh(gram));               // ascending eigenvalues
    const at::Tensor Vr = eigenvectors.narrow(1, E - rank, rank).t();                  // [rank, E]
    const at::Tensor projected64 = at::matmul(at::matmul(T0.to(at::kDouble), Vr.t()), Vr);  // [m, E]

    // 2. Centre: the centred Gram matrix is DᵀD - n·μᵀμ. The loop below never touches
    //    the N rows again: it keeps G (residual Gram) and A = T·G up to date with
    //    rank-one updates, so an iteration costs O(Ntext·E).
    const at::Tensor mean = D0.mean(0, /*keepdim=*/true);  // [1, E] float32, as the reference
    const at::Tensor mu = mean.to(at::kDouble);
    at::Tensor G = gram - static_cast<double>(n) * at::matmul(mu.t(), mu);
    const double total_variance = G.trace().item<double>();
    at::Tensor T = projected64;
    at::Tensor A = at::matmul(T, G);                // [m, E]
    at::Tensor Q = at::zeros({E, E}, G.options());  // Σ t tᵀ / q over picks: projector onto the picked span

    TextSpanResult result;
    std::vector<bool> taken(static_cast<size_t>(m), false);
    for (int64_t it = 0; it < options.iterations; ++it) {
        // Column variances of S = D Tᵀ, up to the common 1/(n-1): diag(T G Tᵀ).
        at::Tensor var = (A * T).sum(1);
        // A picked row is zero after orthogonalisation; keep it out explicitly so rounding cannot bring it back.
        for (int64_t k = 0; k < m; ++k)
            if (taken[static_cast<size_t>(k)]) var[k] = -1.0;
        const int64_t best = var.argmax().item<int64_t>();  // first index on ties, as torch.argmax
        const at::Tensor t = T[best].clone();
        const double q = at::dot(t, t).item<double>();
        if (!(q > 0)) break;  // every remaining text lies in the span already picked
        const at::Tensor Gt = at::matmul(G, t);
        const double tGt = at::dot(t, Gt).item<double>();
        result.picks.push_back({best, total_variance > 0 ? tGt / q / total_variance : 0.0});  // ||D t||²/q removed
        taken[static_cast<size_t>(best)] = true;
        // With P = I - t tᵀ/q:  D ← D P,  T ← T P,  so  G ← P G P  and  A = T G ← (A - (T t/q)(G t)ᵀ) P.
        const at::Tensor Tt = at::matmul(T, t) / q;                 // [m]
        at::Tensor X = A - at::outer(Tt, Gt);
        A = X - at::outer(at::matmul(X, t) / q, t);
        const at::Tensor u = Gt / q;
        G = G - at::outer(u, t) - at::outer(t, u) + at::outer(t, t) * (tGt / (q * q));
        T = T - at::outer(Tt, t);
        Q = Q + at::outer(t, t) / q;
    }
    for (const auto& p : result.picks) result.total_variance_explained += p.variance_explained;
    if (options.reconstruct) {
        // The picked directions are mutually orthogonal, so the sum of the per-step
        // projections of the residual equals the projection of D onto their span.
        result.reconstruction = to_float_array(at::matmul(D0 - mean, Q.to(at::kFloat)) + mean);
    }
    result.projected_texts = to_float_array(projected64.to(at::kFloat));
    return result;
}

}  // namespace clipscope
