#pragma once
// Zero-shot segmentation over a whole dataset (docs/method.md §6), resumable: each
// image's rows go to a journal (PREFIX.csv.partial) as they are computed; a run with the
// same settings line picks up from the journal's complete rows, and the finished
// per-image table is PREFIX.csv, in dataset order whichever run computed the rows.
#include <cstdint>
#include <string>
#include <vector>

#include "clipscope/analysis/segmentation.h"
#include "clipscope/analysis/segmentation_maps.h"
#include "clipscope/base/ndarray.h"
#include "clipscope/base/run_control.h"
#include "clipscope/io/segmentation_data.h"
#include "clipscope/model/clip_model.h"

namespace clipscope {

struct SegmentationRunOptions {
    std::vector<SegmentationMethod> methods;
    MaskAlignment alignment = MaskAlignment::Crop;
    int64_t count = 0;          // the first `count` images of the dataset
    std::string out_prefix;     // PREFIX.csv (and PREFIX.csv.partial while running)
    std::string settings_line;  // identifies the settings in the journal: a journal with another line starts over
    bool strict = false;        // the first image or mask that cannot be read is the error (default: skip it)
};

struct SegmentationSkipped {
    int64_t index = 0;
    std::string name, reason;
};

struct SegmentationRunResult {
    std::vector<SegmentationTotals> totals;    // per method, in options.methods order
    double worst_self_check = 0;               // max |sum of parts - z/||z||| over the decompositions
    int64_t resumed_rows = 0;                  // rows taken from a previous run's journal
    std::vector<SegmentationSkipped> skipped;  // images left out: unreadable, or a mask of another size
};

// classifier: [E, C] unit columns (zero_shot.h). Polls `control` before each image and
// reports (done, count, "segmenting").
SegmentationRunResult run_segmentation(const ClipModel& model, const SegmentationDataset& dataset,
                                       const FloatArray& classifier, const SegmentationRunOptions& options,
                                       RunControl* control = nullptr);

}  // namespace clipscope
