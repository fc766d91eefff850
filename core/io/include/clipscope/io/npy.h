#pragma once
// NumPy .npy files (format 1.0/2.0 read, 1.0 written; little-endian, C order),
// so every array the tool writes loads with numpy.load and vice versa.
#include <cstdio>
#include <string>

#include "clipscope/base/ndarray.h"

namespace clipscope {

// The version-1.0 header (magic, length, dict padded to 64 bytes) for a C-order
// array of dtype descr ("<f4", "<f2", "<i8").
std::string npy_header(const Shape& shape, const std::string& descr);

void write_npy(const std::string& path, const FloatArray& array);
void write_npy(const std::string& path, const Int64Array& array);

// Writes a float32 array of known shape piece by piece (e.g. batch by batch), so
// outputs larger than memory can be produced. The file appears (atomically, by
// rename) only when finish() is called with every element written.
class NpyStreamWriter {
public:
    NpyStreamWriter(std::string path, Shape shape);
    ~NpyStreamWriter();  // discards an unfinished file
    NpyStreamWriter(const NpyStreamWriter&) = delete;
    NpyStreamWriter& operator=(const NpyStreamWriter&) = delete;
    void append(const float* data, size_t count);
    void finish();

private:
    std::string path_, temp_;
    Shape shape_;
    size_t written_ = 0, expected_ = 0;
    std::FILE* file_ = nullptr;
};

// Reads rows of a large float .npy file without loading it whole (stores made by
// the reference can be ~100 GB). Rows are slices along the first dimension.
class NpyRowReader {
public:
    explicit NpyRowReader(const std::string& path);
    ~NpyRowReader();
    NpyRowReader(const NpyRowReader&) = delete;
    NpyRowReader& operator=(const NpyRowReader&) = delete;
    const Shape& shape() const { return shape_; }
    FloatArray read_rows(int64_t first, int64_t count) const;

private:
    std::string path_, kind_;
    Shape shape_;
    size_t data_offset_ = 0, item_ = 0, row_elements_ = 0;
    int fd_ = -1;
};

// Reads float32 data; float64 and float16 files are converted. Anything else,
// Fortran order, a truncated file or a header that does not parse is a clear error.
FloatArray read_npy_float(const std::string& path);
// Reads integer data (int64, int32, uint8 ... converted to int64).
Int64Array read_npy_int(const std::string& path);

}  // namespace clipscope
