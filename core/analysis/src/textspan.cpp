#include "clipscope/analysis/textspan.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "clipscope/base/error.h"
#include "torch_bridge.h"

namespace clipscope {

HeadStatistics::HeadStatistics(int64_t width)
    : width_(width), sums_(static_cast<size_t>(width), 0.0), gram_(static_cast<size_t>(width * width), 0.0) {}

void HeadStatistics::add(const float* rows, int64_t count) {
    if (count <= 0) return;
    c10::InferenceMode guard;
    // In float64: the centred Gram is later formed as DᵀD - n·μᵀμ, which cancels badly
    // if DᵀD carries float32 rounding (the fixture's picks changed when it did).
    const at::Tensor chunk = at::from_blob(const_cast<float*>(rows), {count, width_}, at::kFloat).to(at::kDouble);
    const at::Tensor g = at::matmul(chunk.t(), chunk).contiguous();
    const at::Tensor s = chunk.sum(0).contiguous();
    const double* gp = g.data_ptr<double>();
    const double* sp = s.data_ptr<double>();
    for (size_t i = 0; i < gram_.size(); ++i) gram_[i] += gp[i];
    for (size_t i = 0; i < sums_.size(); ++i) sums_[i] += sp[i];
    n_ += count;
}

TextSpanFit text_span_fit(const HeadStatistics& stats, const FloatArray& texts, const TextSpanOptions& options) {
    const int64_t n = stats.count(), E = stats.width();
    if (texts.rank() != 2 || texts.shape[1] != E)
        throw_usage("TextSpan needs texts [Ntext, " + std::to_string(E) + "], got " + shape_to_string(texts.shape));
    const int64_t m = texts.shape[0];
    if (n < 2) throw_usage("TextSpan needs at least 2 images");
    if (options.rank < 1 || options.iterations < 1) throw_usage("TextSpan rank and iterations must be positive");
    if (options.iterations > m)
        throw_usage("cannot pick " + std::to_string(options.iterations) + " texts from " + std::to_string(m));
    c10::InferenceMode guard;
    const auto f64 = at::TensorOptions().dtype(at::kDouble);
    const at::Tensor gram = at::from_blob(const_cast<double*>(stats.gram().data()), {E, E}, f64);
    const at::Tensor mu = at::from_blob(const_cast<double*>(stats.sums().data()), {1, E}, f64) / static_cast<double>(n);

    // 1. Span of the uncentred data: the top right singular vectors of D are the top
    //    eigenvectors of DᵀD. In float64 this is closer to an exact SVD than the
    //    reference's float32 one (a float64 replica of the reference agrees with it to 7e-6).
    const int64_t rank = std::min({options.rank, n, E});
    const at::Tensor eigenvectors = std::get<1>(at::linalg_eigh(gram));  // ascending eigenvalues
    const at::Tensor Vr = eigenvectors.narrow(1, E - rank, rank).t();    // [rank, E]
    const at::Tensor projected = at::matmul(at::matmul(view_as_tensor(texts).to(at::kDouble), Vr.t()), Vr);  // [m, E]

    // 2. Centre: the centred Gram matrix is DᵀD - n·μᵀμ. The loop never touches the
    //    N rows: it keeps G (residual Gram) and A = T·G up to date with rank-one
    //    updates, so an iteration costs O(Ntext·E).
    at::Tensor G = gram - static_cast<double>(n) * at::matmul(mu.t(), mu);
    const double total_variance = G.trace().item<double>();
    at::Tensor T = projected;
    at::Tensor A = at::matmul(T, G);  // [m, E]
    std::vector<at::Tensor> basis_rows;
    at::Tensor Q = at::zeros({E, E}, G.options());  // Σ t tᵀ / q over picks: projector onto the picked span

    TextSpanFit fit;
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
        fit.picks.push_back({best, total_variance > 0 ? tGt / q / total_variance : 0.0});  // ||D t||²/q removed
        taken[static_cast<size_t>(best)] = true;
        // With P = I - t tᵀ/q:  D ← D P,  T ← T P,  so  G ← P G P  and  A = T G ← (A - (T t/q)(G t)ᵀ) P.
        const at::Tensor Tt = at::matmul(T, t) / q;  // [m]
        const at::Tensor X = A - at::outer(Tt, Gt);
        A = X - at::outer(at::matmul(X, t) / q, t);
        const at::Tensor u = Gt / q;
        G = G - at::outer(u, t) - at::outer(t, u) + at::outer(t, t) * (tGt / (q * q));
        T = T - at::outer(Tt, t);
        Q = Q + at::outer(t, t) / q;
        basis_rows.push_back(t / std::sqrt(q));
    }
    for (const auto& p : fit.picks) fit.total_variance_explained += p.variance_explained;
    fit.mean = to_float_array(mu.squeeze(0).to(at::kFloat));
    fit.span_projector = to_float_array(Q.to(at::kFloat));
    fit.basis = basis_rows.empty() ? FloatArray({0, E}) : to_float_array(at::stack(basis_rows).to(at::kFloat));
    fit.projected_texts = to_float_array(projected.to(at::kFloat));
    return fit;
}

FloatArray text_span_reconstruct(const TextSpanFit& fit, const FloatArray& rows) {
    c10::InferenceMode guard;
    // The picked directions are mutually orthogonal, so the sum of the reference's
    // per-step projections of the residual equals the projection onto their span.
    const at::Tensor mean = view_as_tensor(fit.mean);
    return to_float_array(at::matmul(view_as_tensor(rows) - mean, view_as_tensor(fit.span_projector)) + mean);
}

TextSpanResult text_span(const FloatArray& data, const FloatArray& texts, const TextSpanOptions& options) {
    if (data.rank() != 2 || texts.rank() != 2 || data.shape[1] != texts.shape[1])
        throw_usage("TextSpan needs data [N, E] and texts [Ntext, E] with the same E, got " +
                    shape_to_string(data.shape) + " and " + shape_to_string(texts.shape));
    HeadStatistics stats(data.shape[1]);
    stats.add(data.data.data(), data.shape[0]);
    TextSpanFit fit = text_span_fit(stats, texts, options);
    TextSpanResult result;
    result.picks = fit.picks;
    result.total_variance_explained = fit.total_variance_explained;
    if (options.reconstruct) result.reconstruction = text_span_reconstruct(fit, data);
    result.projected_texts = std::move(fit.projected_texts);
    return result;
}

}  // namespace clipscope
