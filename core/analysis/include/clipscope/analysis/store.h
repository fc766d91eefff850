#pragma once
// The representation store: per-image non-spatial decomposition terms of a whole
// image set, streamed to disk (docs/method.md §2.7). A folder with
//   manifest.json    model identity (format, architecture, weights fingerprint),
//                    preprocessing, dtype, batch size and the ordered image list
//   embedding.npy    [N, E]        unnormalised image embeddings
//   heads.npy        [N, L, H, E]  per (layer, head), summed over source tokens, / ||z||
//   mlps.npy         [N, L+1, E]   ln_pre + MLP terms, / ||z||
//   cls_attn.npy     [N, L, E]     class-token source cell summed over heads, / ||z||
//                    (class-token models), or
//   pooling.npy      [N, E]        the attention pooling head's MLP term, / ||z|| (attention-
//                    pooled models, SigLIP: docs/method.md §12.5; heads and mlps then come
//                    through the frozen pooling head, and heads + mlps + pooling = z / ||z||)
//   progress.json    how many images are complete
// The .npy files are allocated at full size when the store is created and filled
// in place, so numpy can memory-map them; rows past `done` are not yet valid.
// Writing is crash-safe: rows are flushed before progress.json is atomically
// replaced, so after kill -9 the same command resumes at the last complete batch
// and ends with files identical to an uninterrupted run.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "clipscope/io/dataset.h"
#include "clipscope/decompose/decomposition.h"
#include "clipscope/model/model_config.h"
#include "clipscope/base/ndarray.h"

namespace clipscope {

// An image of the set that could not be decoded when the store was made: not in the
// store's list, recorded in its manifest and in STORE/skipped.txt.
struct SkippedImage {
    std::string path, reason;
};

struct StoreInfo {
    std::string model_spec;
    std::string model_format;
    std::string architecture;
    std::string weights_fingerprint;
    // The model's config fields that were loaded unknown (ClipConfig::unknown_fields); written
    // only when there are any.
    std::vector<std::string> unknown_config_fields;
    PreprocessConfig preprocess;
    int64_t layers = 0, heads = 0, embed_dim = 0;
    int64_t batch = 8;                  // batch composition is part of bit-exact reproducibility
    std::string dtype = "f32";          // f32 or f16
    std::string shard;                  // "I/N" when this store holds one shard, else ""
    bool embedding_normalised = false;  // true for stores imported from the reference's layout (no ||z|| there)
    // How the image tower pools: an attention-pooled store's fourth array is pooling.npy, not
    // cls_attn.npy. Written to the manifest only when attention-pooled, so older manifests resume.
    VisionPooling pooling = VisionPooling::ClassToken;
    bool attention_pooled() const { return pooling == VisionPooling::AttentionPool; }
    std::vector<ImageEntry> images;
    std::vector<SkippedImage> skipped;  // written to the manifest only when there are any
};

// The arrays of a store and their per-image row shapes.
struct StoreArray {
    const char* name;  // what Store::read takes
    const char* file;
    Shape row;  // shape of one image's entry
};
std::vector<StoreArray> store_arrays(const StoreInfo& info);

class StoreWriter {
public:
    // Creates the store, or reopens one created with an identical StoreInfo to resume
    // it. A folder holding a different store is refused (nothing is overwritten).
    static StoreWriter open(const std::string& folder, const StoreInfo& info);
    ~StoreWriter();
    StoreWriter(StoreWriter&&) noexcept;
    StoreWriter& operator=(StoreWriter&&) noexcept;

    int64_t done() const;
    int64_t size() const;
    const StoreInfo& info() const;
    // Appends the next images (rows done..done+B-1) and records them as complete.
    void append(const Decomposition& batch);
    // The same from arrays: embedding [B, E], heads [B, L, H, E], mlps [B, L+1, E], and the
    // fourth array (store_arrays): cls_attn [B, L, E] or pooling [B, E].
    void append(const FloatArray& embedding, const FloatArray& heads, const FloatArray& mlps, const FloatArray& fourth);

private:
    StoreWriter();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

class Store {
public:
    static Store open(const std::string& folder);
    ~Store();
    Store(Store&&) noexcept;
    Store& operator=(Store&&) noexcept;

    const StoreInfo& info() const;
    const std::string& folder() const;
    int64_t size() const;  // images in the manifest
    int64_t done() const;  // images written so far
    bool complete() const { return done() == size(); }
    // Rows [first, first+count) of one array ("embedding", "heads", "mlps", and "cls_attn" or
    // "pooling": store_arrays) as float32.
    FloatArray read(const std::string& array, int64_t first, int64_t count) const;

private:
    Store();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

class ClipModel;
// The model-derived part of a store's manifest (identity, preprocessing, shapes).
StoreInfo store_info_for(const ClipModel& model);
// Whether the store was made by exactly these weights (text embeddings for its
// analyses must come from the same model).
bool store_made_by(const StoreInfo& info, const ClipModel& model);

// 64-bit FNV-1a of a byte string (cache keys and index identities).
uint64_t fnv1a64(const std::string& bytes);

}  // namespace clipscope
