#include "test_support.h"

#include <algorithm>
#include <fstream>
#include <random>

namespace clipscope::test {
namespace fs = std::filesystem;

std::string shared_dir() {
    const fs::path p(CLIPSCOPE_SHARED_DIR);
    std::error_code ec;
    return fs::is_directory(p / "fixtures", ec) ? p.string() : "";
}

std::string fixture(const std::string& relative) { return (fs::path(shared_dir()) / "fixtures" / relative).string(); }
std::string vocab_path() { return (fs::path(shared_dir()) / "data" / "bpe_simple_vocab_16e6.txt.gz").string(); }

TempDir::TempDir() {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("clipscope-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir_);
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

std::string TempDir::path(const std::string& name) const {
    return name.empty() ? dir_.string() : (dir_ / name).string();
}

FloatArray random_pixels(int64_t B, int64_t S, unsigned seed) {
    FloatArray p({B, 3, S, S});
    std::mt19937 rng(seed);
    std::normal_distribution<float> d;
    for (auto& x : p.data) x = d(rng);
    return p;
}

FloatArray image_batch(int64_t first, int64_t count, int64_t S, unsigned seed_base) {
    FloatArray batch({count, 3, S, S});
    for (int64_t i = 0; i < count; ++i) {
        const FloatArray one = random_pixels(1, S, seed_base + static_cast<unsigned>(first + i));
        std::copy(one.data.begin(), one.data.end(), batch.data.begin() + i * one.size());
    }
    return batch;
}

double max_abs_diff(const FloatArray& a, const FloatArray& b) {
    EXPECT_EQ(a.shape, b.shape);
    if (a.shape != b.shape) return INFINITY;
    double m = 0;
    for (size_t i = 0; i < a.data.size(); ++i) m = std::max(m, std::abs(double(a.data[i]) - b.data[i]));
    return m;
}

StoreInfo store_info(int64_t layers, int64_t heads, int64_t embed_dim, int64_t batch, int64_t images) {
    StoreInfo s;
    s.model_spec = s.model_format = s.architecture = s.weights_fingerprint = "test";
    s.layers = layers;
    s.heads = heads;
    s.embed_dim = embed_dim;
    s.batch = batch;
    for (int64_t i = 0; i < images; ++i) s.images.push_back({"img" + std::to_string(i), ""});
    return s;
}

Decomposition zero_batch(const StoreInfo& s, int64_t count) {
    Decomposition d;
    d.embedding = FloatArray({count, s.embed_dim});
    d.heads = FloatArray({count, s.layers, s.heads, s.embed_dim});
    d.mlps = FloatArray({count, s.layers + 1, s.embed_dim});
    d.cls_attn = FloatArray({count, s.layers, s.embed_dim});
    return d;
}

void make_store(const std::string& path, const StoreInfo& info,
                const std::function<void(Decomposition&, int64_t)>& fill) {
    StoreWriter w = StoreWriter::open(path, info);
    while (w.done() < w.size()) {
        const int64_t first = w.done();
        Decomposition d = zero_batch(info, std::min(info.batch, w.size() - first));
        fill(d, first);
        w.append(d);
    }
}

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace clipscope::test
