#pragma once
// Datasets of images with binary foreground masks for zero-shot segmentation:
// ImageNet-Segmentation's gtsegs_ijcv.mat (MATLAB v7.3 = HDF5, docs/method.md §6.4)
// and a plain folder of images beside a folder of masks.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "clipscope/io/image.h"
#include "clipscope/io/preprocess_config.h"

namespace clipscope {

// 0 = background, 1 = foreground, row-major.
struct Mask {
    int width = 0;
    int height = 0;
    std::vector<uint8_t> data;
};

struct SegmentationSample {
    std::string name;  // "gtsegs_ijcv.mat[17]" or the image path
    Image image;
    Mask mask;
};

class SegmentationDataset {
public:
    virtual ~SegmentationDataset() = default;
    virtual int64_t size() const = 0;
    virtual std::string name(int64_t index) const = 0;
    // Errors name the file and the entry.
    virtual SegmentationSample load(int64_t index) const = 0;
};

// gtsegs_ijcv.mat: /value/img[i,0] -> uint8 [3, W, H]; /value/gt[i,0] -> [1,1] refs -> [W, H] mask.
std::unique_ptr<SegmentationDataset> open_imagenet_segmentation(const std::string& mat_path);

// Every image under `images` (recursive, sorted) paired with the mask of the same
// relative path and stem under `masks` (any image extension). Mask pixels: 0 is
// background, anything else foreground (any channel).
std::unique_ptr<SegmentationDataset> open_mask_folder(const std::string& images, const std::string& masks);

// Writes a gtsegs_ijcv.mat-layout file (with MATLAB's 512-byte user block): tests and small benchmarks.
void write_imagenet_segmentation(const std::string& mat_path, const std::vector<Image>& images,
                                 const std::vector<Mask>& masks);

// How the mask meets the model's input.
enum class MaskAlignment {
    Crop,       // the same resize + centre crop as the image (nearest-neighbour): mask and pixels agree
    Reference,  // the reference's: squash the mask to S x S with nearest-neighbour (misaligned for non-square images)
};

// The mask on the model's S x S crop, [S*S] of 0/1.
std::vector<uint8_t> align_mask(const Mask& mask, const PreprocessConfig& preprocess, MaskAlignment alignment);

}  // namespace clipscope
