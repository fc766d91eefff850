#include "clipscope/analysis/heatmap.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"

namespace clipscope {

FloatArray token_maps(const Decomposition& d, int64_t b, const FloatArray& texts, const MapSelection& sel,
                      int64_t grid) {
    if (d.attentions.rank() != 5) throw_usage("token maps need a spatial decomposition");
    const int64_t B = d.attentions.shape[0], Ls = d.attentions.shape[1], N = d.attentions.shape[2],
                  H = d.attentions.shape[3], E = d.attentions.shape[4];
    const int64_t L = d.first_spatial_layer + Ls;
    const int64_t last = sel.last_layer < 0 ? L - 1 : sel.last_layer;
    if (b < 0 || b >= B) throw_usage("image index out of range");
    const int64_t lead = d.leading_tokens, P = N - lead;  // the class token (CLIP) is not mapped
    if (P != grid * grid)
        throw_usage("grid " + std::to_string(grid) + " does not match " + std::to_string(N) + " tokens");
    if (texts.rank() != 2 || texts.shape[1] != E) throw_usage("texts must be [T, " + std::to_string(E) + "]");
    // Which (layer, head) cells are summed.
    std::vector<std::pair<int64_t, int64_t>> cells = sel.heads;
    if (cells.empty())
        for (int64_t l = sel.first_layer; l <= last; ++l)
            for (int64_t h = 0; h < H; ++h) cells.emplace_back(l, h);
    for (const auto& [l, h] : cells) {
        if (l < d.first_spatial_layer || l >= L || h < 0 || h >= H)
            throw_usage("head " + std::to_string(l) + "." + std::to_string(h) +
                        " is not among the decomposed spatial layers " + std::to_string(d.first_spatial_layer) + ".." +
                        std::to_string(L - 1) + " x heads 0.." + std::to_string(H - 1));
    }
    // Sum the selected cells per token first (E-vectors), then one dot per text.
    std::vector<double> summed(static_cast<size_t>(P * E), 0.0);
    for (const auto& [l, h] : cells)
        for (int64_t m = lead; m < N; ++m) {
            const float* v = d.attentions.data.data() + (((b * Ls + (l - d.first_spatial_layer)) * N + m) * H + h) * E;
            double* acc = summed.data() + (m - lead) * E;
            for (int64_t e = 0; e < E; ++e) acc[e] += v[e];
        }
    const int64_t T = texts.shape[0];
    FloatArray maps({T, grid, grid});
    for (int64_t t = 0; t < T; ++t)
        for (int64_t m = 0; m < P; ++m) {
            double dot = 0;
            for (int64_t e = 0; e < E; ++e)
                dot += summed[static_cast<size_t>(m * E + e)] * texts.data[static_cast<size_t>(t * E + e)];
            maps.data[static_cast<size_t>(t * P + m)] = static_cast<float>(dot);  // row-major patch order
        }
    return maps;
}

FloatArray upsample_bilinear(const FloatArray& grid, int64_t factor) {
    if (grid.rank() != 2 || factor < 1) throw_usage("upsample_bilinear needs a [G, G] grid and a positive factor");
    const int64_t gh = grid.shape[0], gw = grid.shape[1], oh = gh * factor, ow = gw * factor;
    auto taps = [](int64_t o, int64_t n_in, int64_t n_out, int64_t& i0, int64_t& i1, double& lambda) {
        double src = (o + 0.5) * (static_cast<double>(n_in) / n_out) - 0.5;
        if (src < 0) src = 0;
        i0 = static_cast<int64_t>(std::floor(src));
        i1 = std::min(i0 + 1, n_in - 1);
        lambda = src - i0;
    };
    FloatArray out({oh, ow});
    for (int64_t y = 0; y < oh; ++y) {
        int64_t y0, y1;
        double ly;
        taps(y, gh, oh, y0, y1, ly);
        for (int64_t x = 0; x < ow; ++x) {
            int64_t x0, x1;
            double lx;
            taps(x, gw, ow, x0, x1, lx);
            auto at = [&](int64_t r, int64_t c) {
                return static_cast<double>(grid.data[static_cast<size_t>(r * gw + c)]);
            };
            const double top = (1 - lx) * at(y0, x0) + lx * at(y0, x1);
            const double bottom = (1 - lx) * at(y1, x0) + lx * at(y1, x1);
            out.data[static_cast<size_t>(y * ow + x)] = static_cast<float>((1 - ly) * top + ly * bottom);
        }
    }
    return out;
}

void write_heatmap_overlay(const std::string& path, const Image& crop, const FloatArray& map, double opacity) {
    if (map.rank() != 2 || map.shape[0] != crop.height || map.shape[1] != crop.width || crop.channels != 3)
        throw_usage("the map " + shape_to_string(map.shape) + " must cover the " + std::to_string(crop.width) + "x" +
                    std::to_string(crop.height) + " RGB image");
    const auto [lo, hi] = std::minmax_element(map.data.begin(), map.data.end());
    const double range = *hi - *lo > 0 ? *hi - *lo : 1.0;
    cv::Mat gray(crop.height, crop.width, CV_8UC1);
    for (int y = 0; y < crop.height; ++y)
        for (int x = 0; x < crop.width; ++x)
            gray.at<uint8_t>(y, x) = static_cast<uint8_t>(
                std::lround(255.0 * (map.data[static_cast<size_t>(y * crop.width + x)] - *lo) / range));
    cv::Mat colour;
    cv::applyColorMap(gray, colour, cv::COLORMAP_JET);  // BGR
    cv::Mat image(crop.height, crop.width, CV_8UC3, const_cast<uint8_t*>(crop.pixels.data()));
    cv::Mat bgr;
    cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
    cv::Mat blended;
    cv::addWeighted(colour, opacity, bgr, 1.0 - opacity, 0.0, blended);
    std::vector<uchar> png;
    if (!cv::imencode(".png", blended, png)) throw_input(path, "PNG encoding failed");
    write_file_atomically(path, [&](std::ostream& out) {
        out.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
    });
}

}  // namespace clipscope
