#pragma once
// Internal to core: what the modules above `model` (decompose, analysis, demo) may
// use of a loaded ClipModel beyond its public API. LibTorch types; never included by
// a front end.
#include <ATen/ATen.h>

#include <functional>
#include <memory>

#include "clip_towers.h"
#include "clipscope/base/ndarray.h"
#include "clipscope/model/clip_model.h"

namespace clipscope {

// The decomposition's per-model constants (core/decompose/src/decompose_towers.h).
// The model only keeps them, built on the first decomposition and reused after.
struct FoldedHeads;

const ClipWeights& tower_weights(const ClipModel& model);
const at::Device& model_device(const ClipModel& model);
// The model's folded heads, built by `build` on first use; safe to call from several
// threads at once (the app decomposes on two).
std::shared_ptr<const FoldedHeads> folded_heads(const ClipModel& model,
                                                const std::function<std::shared_ptr<const FoldedHeads>()>& build);

// [B, 3, S, S] or [3, S, S] plain pixels as a [B, 3, S, S] tensor on `device`.
at::Tensor pixels_tensor(const FloatArray& pixels, const at::Device& device);

}  // namespace clipscope
