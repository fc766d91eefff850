// libFuzzer target: the safetensors reader must refuse any malformed file with
// clipscope::Error (never crash, read out of bounds or allocate without bound), and
// every tensor of a file it accepts must convert.
#include "clipscope/base/error.h"
#include "clipscope/io/safetensors.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = clipscope::fuzz::input_file(data, size, ".safetensors");
    try {
        const auto file = clipscope::SafetensorsFile::open(path);
        for (const auto& e : file.entries()) {
            try {
                (void)file.read_float(e);
            } catch (const clipscope::Error&) {
            }  // integer dtypes are refused by read_float: fine
        }
    } catch (const clipscope::Error&) {
    }
    return 0;
}
