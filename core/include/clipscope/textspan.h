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

#include "clipscope/ndarray.h"

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

// data: [N, E] one head's terms over N images; texts: [Ntext, E] text embeddings.
TextSpanResult text_span(const FloatArray& data, const FloatArray& texts, const TextSpanOptions& options);

}  // namespace clipscope
