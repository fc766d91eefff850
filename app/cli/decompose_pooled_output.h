#pragma once
// `decompose` for attention-pooled models (SigLIP): the terms of
// clipscope/decompose/pooled_decomposition.h streamed into .npy files with their meta.json.
#include <functional>
#include <string>
#include <vector>

#include "clipscope/base/ndarray.h"
#include "clipscope/decompose/decomposition.h"
#include "clipscope/model/clip_model.h"

namespace clipscope::cli {

struct PooledRun {
    const ClipModel& model;
    int64_t images = 0;  // B
    int64_t batch = 4;
    DecomposeOptions options;
    std::string layers;  // as given (--layers)
    std::string out;     // the output folder, already guarded
    std::vector<std::string> image_paths;
    std::string tensor;
};

// batch_pixels(first, count): the preprocessed inputs of that slice.
void write_pooled_decomposition(const PooledRun& run, const std::function<FloatArray(int64_t, int64_t)>& batch_pixels);

}  // namespace clipscope::cli
