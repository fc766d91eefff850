// Runs the decomposition of the reference fixture on cuda:0 and on the CPU and
// compares both with the reference's outputs; then times ViT-B-16 on the GPU.
#include <cmath>
#include <cstdio>
#include <string>

#include "clipscope/decompose/decompose.h"
#include "clipscope/decompose/benchmark.h"
#include "clipscope/model/clip_model.h"
#include "clipscope/io/npy.h"

using namespace clipscope;

static double max_diff(const FloatArray& a, const FloatArray& b) {
    if (a.shape != b.shape) return INFINITY;
    double m = 0;
    for (size_t i = 0; i < a.data.size(); ++i) m = std::max(m, std::abs(double(a.data[i]) - b.data[i]));
    return m;
}

int main(int argc, char** argv) {
    const std::string fixtures = argc > 1 ? argv[1] : "fixtures";
    configure_threads(0);
    int failures = 0;
    for (const char* device : {"cpu", "cuda:0"}) {
        LoadOptions o;
        o.device = device;
        const ClipModel model = ClipModel::load(fixtures + "/tiny", o);
        const FloatArray input = read_npy_float(fixtures + "/tiny/input.npy");
        const Decomposition d = decompose(model, input);
        const double e_attn = max_diff(d.attentions, read_npy_float(fixtures + "/tiny/prs_attentions.npy"));
        const double e_mlp = max_diff(d.mlps, read_npy_float(fixtures + "/tiny/prs_mlps.npy"));
        const double e_emb =
            max_diff(model.encode_image(input), read_npy_float(fixtures + "/tiny/image_embedding.npy"));
        DecomposeOptions last1;
        last1.spatial_last_layers = 1;
        const double e_last = decompose(model, input, last1).max_sum_error();
        const bool ok = e_attn < 1e-5 && e_mlp < 1e-5 && e_emb < 1e-5 && d.max_sum_error() < 1e-5 && e_last < 1e-5;
        failures += !ok;
        std::printf("%s %s: attentions %.2e, mlps %.2e, embedding %.2e, self-check %.2e, last:1 self-check %.2e\n",
                    ok ? "PASS" : "FAIL", device, e_attn, e_mlp, e_emb, d.max_sum_error(), e_last);
    }
    LoadOptions gpu;
    gpu.device = "cuda:0";
    const ClipModel b16 = ClipModel::load("random:ViT-B-16", gpu);
    for (int64_t batch : {1, 8, 32}) {
        const BenchResult r = run_benchmark(b16, batch, 10);
        std::printf(
            "ViT-B-16 cuda:0 batch %lld: plain %.2f ms, spatial %.2f ms (%.3fx), non-spatial %.2f ms (%.3fx), "
            "self-check %.2e\n",
            static_cast<long long>(batch), r.plain_ms, r.spatial_ms, r.spatial_ratio(), r.nonspatial_ms,
            r.nonspatial_ratio(), r.max_sum_error);
    }
    std::printf("%d passed, %d failed\n", 2 - failures, failures);
    return failures ? 1 : 0;
}
