#pragma once
// Pillow's Image.resize, reproduced exactly (docs/method.md, "Preprocessing"): the
// separable convolution of Resample.c for BICUBIC and BILINEAR (kernel stretched when
// downscaling, 22-bit fixed point for 8-bit data, horizontal pass first, each pass
// rounded and clipped) and the affine NEAREST of Geometry.c. Internal to io: image.h
// exposes resize_pillow and friends.
#include <cstdint>
#include <string>
#include <vector>

#include "clipscope/io/image.h"

namespace clipscope {

enum class ResampleFilter { Nearest, Bilinear, Bicubic };

// "bicubic", "bilinear" or "nearest"; anything else is a caller's mistake (configs are
// checked by preprocess_config_problem first).
ResampleFilter resample_filter(const std::string& interpolation);

// 8-bit bands (RGB, RGBA premultiplied as Pillow does, CMYK as four plain bands).
// on_done follows the passes row by row.
Image resample_8bit(const Image& image, int width, int height, ResampleFilter filter, const FractionDone& on_done = {});

// Pillow's 32-bit mode "I" (16-bit grey): double weights, each pass rounded half away
// from zero to int32, no clipping.
std::vector<int32_t> resample_wide(const std::vector<int32_t>& in, int width, int height, int out_width, int out_height,
                                   ResampleFilter filter);

}  // namespace clipscope
