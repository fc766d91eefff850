#pragma once
// How an image becomes the model's input: the crop size, the resize rule and the
// per-channel normalisation. It belongs to the model's configuration, but image
// decoding needs it without knowing anything else about the model.
#include <array>
#include <cstdint>
#include <string>

namespace clipscope {

struct PreprocessConfig {
    int64_t image_size = 224;
    std::array<float, 3> mean{0.48145466f, 0.4578275f, 0.40821073f};
    std::array<float, 3> std{0.26862954f, 0.26130258f, 0.27577711f};
    // How the image becomes S x S (open_clip's names; docs/method.md, "Preprocessing"):
    //   "shortest": shortest side to S (longer side truncated), then a centre crop;
    //   "squash":   the whole image resized to S x S, aspect ratio not kept;
    //   "longest":  longest side to S (sides rounded half to even), then padded to
    //               S x S with `fill` in every channel, centred (odd excess on the right/bottom).
    std::string resize_mode = "shortest";
    std::string interpolation = "bicubic";    // Pillow's filters: "bicubic", "bilinear", "nearest"
    int fill = 0;                             // "longest"'s padding value, 0..255
    std::string crop_rounding = "half_even";  // torchvision's; transformers floors
    // transformers converts to RGB before resizing (palette images are then resized with
    // the filter, not NEAREST; alpha is dropped, not premultiplied; 16-bit grey is clipped
    // first); open_clip and OpenAI convert after the crop.
    bool convert_rgb_first = false;
};

inline bool same_preprocessing(const PreprocessConfig& a, const PreprocessConfig& b) {
    return a.image_size == b.image_size && a.mean == b.mean && a.std == b.std && a.resize_mode == b.resize_mode &&
           a.interpolation == b.interpolation && a.fill == b.fill && a.crop_rounding == b.crop_rounding &&
           a.convert_rgb_first == b.convert_rgb_first;
}

// "shortest side, Pillow bicubic, centre crop (half to even)", for info and metadata.
std::string describe_preprocessing(const PreprocessConfig& config);

// Whether each field holds a value resize_and_crop implements; a problem names the field
// and its value ("" when all are valid), so that a config parser can refuse it.
std::string preprocess_config_problem(const PreprocessConfig& config);

}  // namespace clipscope
