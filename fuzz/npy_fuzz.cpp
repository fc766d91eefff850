// libFuzzer target: .npy headers and payloads (float and int64 readers).
#include "clipscope/base/error.h"
#include "clipscope/io/npy.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = clipscope::fuzz::input_file(data, size, ".npy");
    try {
        (void)clipscope::read_npy_float(path);
    } catch (const clipscope::Error&) {
    }
    try {
        (void)clipscope::read_npy_int(path);
    } catch (const clipscope::Error&) {
    }
    return 0;
}
