#pragma once
// TextSpan for every head of the last layers of a store, in one streaming pass
// over its rows (memory: one E×E float64 Gram matrix per head).
#include <vector>

#include "clipscope/base/run_control.h"
#include "clipscope/analysis/store.h"
#include "clipscope/analysis/textspan.h"

namespace clipscope {

struct HeadSpan {
    int64_t layer = 0;
    int64_t head = 0;
    TextSpanFit fit;
};

std::vector<HeadSpan> text_span_store(const Store& store, const FloatArray& texts, const TextSpanOptions& options,
                                      int64_t last_layers, const RunControl* control = nullptr);

}  // namespace clipscope
