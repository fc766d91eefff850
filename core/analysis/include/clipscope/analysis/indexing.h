#pragma once
// Filling a store: every image of the store's list decomposed (non-spatial terms) and
// appended in order, resuming after what the store already holds. The next batches
// are decoded and preprocessed on a background thread while the model decomposes the
// current one. One implementation for `clipscope-cli index`, the demo report and the
// app's image sets.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "clipscope/analysis/store.h"
#include "clipscope/base/ndarray.h"
#include "clipscope/base/run_control.h"
#include "clipscope/model/clip_model.h"

namespace clipscope {

// pixels(first, count): the [count, 3, S, S] batch of images [first, first + count) of
// the store's list. Called on the prefetching thread.
using BatchPixels = std::function<FloatArray(int64_t first, int64_t count)>;

struct IndexReport {
    int64_t indexed = 0;  // images decomposed by this call (0 when the store was complete)
    double seconds = 0;
    double max_sum_error = 0;  // the self-check over those images: max |sum of parts - z/||z|||
};

// The images a store will hold: `entries` less those that cannot be decoded, each skipped
// image recorded with the decoder's reason, so one corrupt file does not stop a long job.
// Every image is decoded once here, before the store is created. A store already in
// `folder` keeps the skipped list it was made with (a resume decodes nothing twice; it goes
// on if the set is unchanged, and StoreWriter::open names the first difference if not).
// strict: the first image that cannot be decoded is the error.
struct IndexList {
    std::vector<ImageEntry> images;
    std::vector<SkippedImage> skipped;
};
IndexList images_to_index(const std::vector<ImageEntry>& entries, const std::string& folder, bool strict,
                          RunControl* control = nullptr);

// Decodes the store's image files with the model's preprocessing.
BatchPixels image_files_of(const StoreWriter& writer, const ClipModel& model);

// What a store holds of a batch of images ([B, 3, S, S] pixels), however the model pools:
// embedding [B, E], heads [B, L, H, E], mlps [B, L+1, E] and the fourth array of
// store_arrays (cls_attn [B, L, E], or an attention-pooled model's pooling [B, E]).
struct StoreTerms {
    FloatArray embedding, heads, mlps, fourth;
    double max_sum_error = 0;  // max |sum of parts - z/||z||| over the batch
};
StoreTerms store_terms_of(const ClipModel& model, const FloatArray& pixels);

// Appends batches of writer.info().batch images until the store is complete. Polls
// `control` before each batch (a cancel leaves a valid, resumable store) and reports
// progress through it as (done, total, "indexing").
IndexReport index_into_store(const ClipModel& model, StoreWriter& writer, const BatchPixels& pixels,
                             RunControl* control = nullptr);

}  // namespace clipscope
