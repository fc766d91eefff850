#pragma once
// Maps read from a decomposition's projected head maps (Decomposition::head_maps, made with
// DecomposeOptions::map_directions) instead of its E-wide spatial terms: what the app draws
// for a model whose spatial terms would not fit in memory (docs/method.md §6.1). A direction
// is named by its coefficients over the rows the maps were projected on, so any combination
// of them (text A minus text B, a label against the labels' mean) needs no model re-run.
#include <cstdint>
#include <utility>
#include <vector>

#include "clipscope/decompose/decomposition.h"

namespace clipscope {

// True when image maps can be drawn from `d`: E-wide spatial terms or projected head maps.
bool has_head_maps(const Decomposition& d);

// The summed map of `heads` ((layer, head) pairs) toward sum_t c_t u_t over image b's
// patches: [grid, grid], row-major patch order, as token_maps gives for that direction.
// Refuses (Error Usage) coefficients of another length, a head out of range or a grid that
// does not match the patches.
FloatArray combined_head_map(const Decomposition& d, int64_t b, const std::vector<float>& coefficients,
                             const std::vector<std::pair<int64_t, int64_t>>& heads, int64_t grid);

// Every head's value at one patch toward sum_t c_t u_t: [L * H], row-major by layer.
std::vector<float> head_values_at_patch(const Decomposition& d, int64_t b, const std::vector<float>& coefficients,
                                        int64_t patch);

}  // namespace clipscope
