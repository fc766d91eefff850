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
    std::string resize_mode = "shortest";     // shortest side to image_size, then centre crop
    std::string crop_rounding = "half_even";  // torchvision's; transformers floors
};

}  // namespace clipscope
