// libFuzzer target: open_clip and transformers config parsers on arbitrary JSON
// (wrong types, absurd sizes such as 10^9 layers must be refused, not allocated).
#include "clipscope/base/error.h"
#include "clipscope/model/model_config.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = clipscope::fuzz::input_file(data, size, ".json");
    try {
        (void)clipscope::parse_open_clip_config(path);
    } catch (const clipscope::Error&) {
    }
    try {
        (void)clipscope::parse_hf_clip_config(path, "");
    } catch (const clipscope::Error&) {
    }
    return 0;
}
