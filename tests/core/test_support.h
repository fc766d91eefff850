#pragma once
// Helpers shared by the core tests: fixture paths, temporary folders, comparisons.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "clipscope/analysis/store.h"
#include "clipscope/base/ndarray.h"
#include "clipscope/decompose/decomposition.h"

namespace clipscope::test {

// ../shared (fixtures + data); "" if absent.
std::string shared_dir();
// Skips the current test with a message when ../shared is missing.
#define CLIPSCOPE_REQUIRE_SHARED()                                                          \
    do {                                                                                    \
        if (::clipscope::test::shared_dir().empty()) GTEST_SKIP() << "../shared is absent"; \
    } while (0)

std::string fixture(const std::string& relative);  // shared_dir()/fixtures/relative
std::string vocab_path();                          // shared_dir()/data/bpe_simple_vocab_16e6.txt.gz

// A fresh folder under the system temp dir, removed when the object dies.
class TempDir {
public:
    TempDir();
    ~TempDir();
    std::string path(const std::string& name = "") const;

private:
    std::filesystem::path dir_;
};

// Array data as a plain vector, for comparisons with literals.
template <typename T>
std::vector<T> values(const NdArray<T>& a) {
    return std::vector<T>(a.data.begin(), a.data.end());
}

// [B, 3, S, S] standard-normal pixels (a "preprocessed" batch), reproducible by seed.
FloatArray random_pixels(int64_t B, int64_t S, unsigned seed);
// [count, 3, S, S] where image i (of a whole set) is random_pixels(1, S, seed_base + i):
// the same pixels whichever batch, shard or resumed run an image falls in.
FloatArray image_batch(int64_t first, int64_t count, int64_t S, unsigned seed_base);

double max_abs_diff(const FloatArray& a, const FloatArray& b);

// The manifest of a small store written by a test: model identity "test", images
// img0 .. img{images-1} without labels.
StoreInfo store_info(int64_t layers, int64_t heads, int64_t embed_dim, int64_t batch, int64_t images);
// A decomposition-shaped batch of `count` images in the store's shapes, all zeros.
Decomposition zero_batch(const StoreInfo& info, int64_t count);
// Writes the store at `path` batch by batch: fill(batch, first image of the batch) sets
// the values of each zero batch before it is appended.
void make_store(const std::string& path, const StoreInfo& info,
                const std::function<void(Decomposition&, int64_t)>& fill);
void write_bytes(const std::string& path, const std::string& bytes);

}  // namespace clipscope::test
