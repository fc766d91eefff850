#pragma once
// TextSpan (docs/method.md §4.2): greedily picks, from a pool of text
// directions, those that explain most of the variance of one head's outputs
// over a set of images, removing each pick's direction before the next.
//
// Same picks as the reference, computed without touching the N images per
// iteration: with D centred, the unbiased variance of D·t is tᵀ(DᵀD)t/(n-1), and
// removing direction t updates the E×E Gram matrix by a projection, so each
// iteration costs O(Ntext·E²) instead of O(N·Ntext·E). The loop runs in float64.
#include <cstdint>
#include <vector>

#include "clipscope/base/ndarray.h"

namespace clipscope {

struct TextSpanOptions {
    int64_t rank = 80;        // right singular vectors of the uncentred D spanning the text projection
    int64_t iterations = 20;  // texts picked per head
    bool reconstruct = true;  // also return the [N, E] reconstruction
};

struct TextSpanPick {
    int64_t index = 0;              // row in the text matrix
    double variance_explained = 0;  // share of the head's total (centred) variance this pick removed
};

struct TextSpanResult {
    std::vector<TextSpanPick> picks;      // in the order chosen
    double total_variance_explained = 0;  // sum over picks
    FloatArray reconstruction;            // [N, E]: mean + projection of D onto the picked directions
    FloatArray projected_texts;           // [Ntext, E]: texts projected onto the top-`rank` span of D
};

// What TextSpan needs of a head's [N, E] terms, accumulated row chunk by row chunk
// so a whole store streams through in bounded memory: N, the column sums and the
// uncentred Gram matrix DᵀD (float64).
class HeadStatistics {
public:
    explicit HeadStatistics(int64_t width);
    // rows: [count, width] contiguous float32.
    void add(const float* rows, int64_t count);
    int64_t count() const { return n_; }
    int64_t width() const { return width_; }
    const std::vector<double>& sums() const { return sums_; }
    const std::vector<double>& gram() const { return gram_; }

private:
    int64_t width_, n_ = 0;
    std::vector<double> sums_, gram_;
};

struct TextSpanFit {
    std::vector<TextSpanPick> picks;
    double total_variance_explained = 0;
    FloatArray mean;            // [E]
    FloatArray span_projector;  // [E, E]: Σ t tᵀ/q over the picks, so reconstruction = mean + (d - mean)·Q
    FloatArray basis;  // [k, E]: the picks' orthogonalised directions t/sqrt(q), unit and mutually orthogonal (Q =
                       // basisᵀ basis)
    FloatArray projected_texts;  // [Ntext, E]
};

// The picks from statistics alone (no pass over the images).
TextSpanFit text_span_fit(const HeadStatistics& stats, const FloatArray& texts, const TextSpanOptions& options);
// Rows of the reconstruction for terms [count, E].
FloatArray text_span_reconstruct(const TextSpanFit& fit, const FloatArray& rows);

// data: [N, E] one head's terms over N images; texts: [Ntext, E] text embeddings.
TextSpanResult text_span(const FloatArray& data, const FloatArray& texts, const TextSpanOptions& options);

}  // namespace clipscope
