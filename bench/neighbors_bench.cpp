// Per-head retrieval latency on a large random store (the benchmark: 100k
// images). Writes a store with ViT-B-16's shapes (12 layers x 12 heads x 512) filled
// with random terms, builds its neighbour index, then times queries by one head, one
// layer, a pair of heads and the embedding, each with the scan's answer checked on a
// sample. Usage: clipscope_neighbors_bench FOLDER [IMAGES=100000] [f16|f32]
// The folder needs about 35 GB for 100k images in f16 (store + index); it is kept,
// so a second run reuses it (delete it afterwards).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>

#include "clipscope/analysis/neighbor_index.h"
#include "clipscope/analysis/neighbors.h"
#include "clipscope/base/process_setup.h"
#include "clipscope/analysis/store.h"

using namespace clipscope;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void write_random_store(const std::string& folder, int64_t n, const std::string& dtype) {
    StoreInfo info;
    info.model_spec = "random store (benchmark)";
    info.model_format = "none";
    info.architecture = "ViT-B-16";
    info.weights_fingerprint = "none";
    info.layers = 12;
    info.heads = 12;
    info.embed_dim = 512;
    info.batch = 256;
    info.dtype = dtype;
    for (int64_t i = 0; i < n; ++i) info.images.push_back({"image_" + std::to_string(i) + ".jpg", ""});
    StoreWriter w = StoreWriter::open(folder, info);
    std::mt19937_64 rng(1);
    std::normal_distribution<float> normal(0.0f, 0.01f);
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t i0 = w.done(); i0 < n; i0 += info.batch) {
        const int64_t b = std::min(info.batch, n - i0);
        FloatArray emb({b, 512}), heads({b, 12, 12, 512}), mlps({b, 13, 512}), cls({b, 12, 512});
        for (auto* a : {&emb, &heads})
            for (auto& x : a->data) x = normal(rng);
        w.append(emb, heads, mlps, cls);
        if ((i0 / info.batch) % 40 == 0)
            std::fprintf(stderr, "writing store: %lld/%lld (%.0f s)\n", static_cast<long long>(i0 + b),
                         static_cast<long long>(n), seconds_since(t0));
    }
}

}  // namespace

int main(int argc, char** argv) {
    prepare_process(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s FOLDER [IMAGES=100000] [f16|f32]\n", argv[0]);
        return 2;
    }
    const std::string folder = argv[1];
    const int64_t n = argc > 2 ? std::stoll(argv[2]) : 100000;
    const std::string dtype = argc > 3 ? argv[3] : "f16";
    auto t0 = std::chrono::steady_clock::now();
    write_random_store(folder, n, dtype);
    const double write_s = seconds_since(t0);
    const Store store = Store::open(folder);
    t0 = std::chrono::steady_clock::now();
    if (!has_neighbor_index(store)) build_neighbor_index(store);
    const double index_s = seconds_since(t0);

    std::vector<NeighborQuery> queries(4);
    queries[0].by = NeighborQuery::By::Head;
    queries[0].layer = 11;
    queries[0].head = 4;
    queries[1].by = NeighborQuery::By::Layer;
    queries[1].layer = 10;
    queries[2].by = NeighborQuery::By::Heads;
    queries[2].heads = {{9, 8}, {11, 3}};
    queries[3].by = NeighborQuery::By::Embedding;
    std::printf(
        "{\n  \"images\": %lld, \"dtype\": \"%s\", \"store_write_s\": %.1f, \"index_build_s\": %.1f,\n  \"queries\": "
        "[\n",
        static_cast<long long>(n), dtype.c_str(), write_s, index_s);
    for (size_t k = 0; k < queries.size(); ++k) {
        const int64_t query_image = 12345 % n;
        const auto key =
            neighbor_key(store.read("heads", query_image, 1), store.read("embedding", query_image, 1), queries[k]);
        double first = 0, best = 1e9;
        std::vector<Neighbor> result;
        for (int rep = 0; rep < 4; ++rep) {
            const auto t = std::chrono::steady_clock::now();
            result = nearest_neighbors(store, key, queries[k], 15);
            const double s = seconds_since(t);
            if (rep == 0) first = s;
            best = std::min(best, s);
        }
        std::printf(
            "    {\"by\": \"%s\", \"first_s\": %.3f, \"warm_s\": %.3f, \"top1\": %lld, \"top1_score\": %.6f}%s\n",
            queries[k].describe().c_str(), first, best, static_cast<long long>(result[0].index), result[0].score,
            k + 1 < queries.size() ? "," : "");
    }
    std::printf("  ]\n}\n");
    return 0;
}
