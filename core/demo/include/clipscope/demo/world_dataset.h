#pragma once
// Writes shapes-world datasets in the layouts the CLI reads: an ImageFolder (one
// sub-folder per class of an attribute family), images + masks for segmentation,
// and a Waterbirds-style metadata.csv whose training split carries a spurious
// shape-habitat correlation and whose test split is balanced over the four groups.
// Every layout also gets labels.csv with all attributes and the caption of each image.
#include <cstdint>
#include <string>

#include "clipscope/base/run_control.h"
#include "clipscope/demo/shapes_world.h"

namespace clipscope {

struct WorldDatasetOptions {
    std::string out;
    std::string layout = "imagefolder";  // imagefolder | segmentation | mat (gtsegs_ijcv.mat layout) | waterbirds
    std::string family = "shape";        // imagefolder: which attribute is the class
    int64_t count = 100;                 // images (waterbirds: per split; the test split rounds to a multiple of 4)
    uint64_t seed = 1000;
    int size = 64;
    double two_objects = 0.0;  // share of two-object scenes (imagefolder, segmentation)
    double bias = 0.95;        // waterbirds training split: P(circle on water), P(square on grass)
};

// Returns the number of images written. Existing files of the same name are replaced atomically.
int64_t write_world_dataset(const WorldDatasetOptions& options, const RunControl* control = nullptr);

}  // namespace clipscope
