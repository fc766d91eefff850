#include "clipscope/analysis/direction_maps.h"

#include <string>

#include "clipscope/base/error.h"

namespace clipscope {
namespace {

struct MapShape {
    int64_t B, T, L, H, P;
};

MapShape checked_shape(const Decomposition& d, int64_t b, const std::vector<float>& coefficients) {
    if (d.head_maps.rank() != 5) throw_usage("this decomposition has no projected head maps");
    const MapShape s{d.head_maps.shape[0], d.head_maps.shape[1], d.head_maps.shape[2], d.head_maps.shape[3],
                     d.head_maps.shape[4]};
    if (b < 0 || b >= s.B) throw_usage("image index out of range");
    if (static_cast<int64_t>(coefficients.size()) != s.T)
        throw_usage("the maps were projected on " + std::to_string(s.T) + " directions, got " +
                    std::to_string(coefficients.size()) + " coefficients");
    return s;
}

}  // namespace

bool has_head_maps(const Decomposition& d) { return d.attentions.rank() == 5 || d.head_maps.rank() == 5; }

FloatArray combined_head_map(const Decomposition& d, int64_t b, const std::vector<float>& coefficients,
                             const std::vector<std::pair<int64_t, int64_t>>& heads, int64_t grid) {
    const MapShape s = checked_shape(d, b, coefficients);
    if (s.P != grid * grid)
        throw_usage("grid " + std::to_string(grid) + " does not match " + std::to_string(s.P) + " patches");
    std::vector<double> sum(static_cast<size_t>(s.P), 0.0);
    for (const auto& [l, h] : heads) {
        if (l < 0 || l >= s.L || h < 0 || h >= s.H)
            throw_usage("head " + std::to_string(l) + "." + std::to_string(h) + " is not among layers 0.." +
                        std::to_string(s.L - 1) + " x heads 0.." + std::to_string(s.H - 1));
        for (int64_t t = 0; t < s.T; ++t) {
            const double c = coefficients[static_cast<size_t>(t)];
            if (c == 0) continue;
            const float* row = d.head_maps.data.data() + (((b * s.T + t) * s.L + l) * s.H + h) * s.P;
            for (int64_t p = 0; p < s.P; ++p) sum[static_cast<size_t>(p)] += c * row[p];
        }
    }
    FloatArray out({grid, grid});
    for (int64_t p = 0; p < s.P; ++p)
        out.data[static_cast<size_t>(p)] = static_cast<float>(sum[static_cast<size_t>(p)]);
    return out;
}

std::vector<float> head_values_at_patch(const Decomposition& d, int64_t b, const std::vector<float>& coefficients,
                                        int64_t patch) {
    const MapShape s = checked_shape(d, b, coefficients);
    if (patch < 0 || patch >= s.P) throw_usage("patch " + std::to_string(patch) + " is out of range");
    std::vector<float> out(static_cast<size_t>(s.L * s.H));
    for (int64_t i = 0; i < s.L * s.H; ++i) {
        double v = 0;
        for (int64_t t = 0; t < s.T; ++t)
            v += coefficients[static_cast<size_t>(t)] *
                 d.head_maps.data[static_cast<size_t>(((b * s.T + t) * s.L * s.H + i) * s.P + patch)];
        out[static_cast<size_t>(i)] = static_cast<float>(v);
    }
    return out;
}

}  // namespace clipscope
