#pragma once
// safetensors reader and writer (format: 8-byte little-endian header length, a
// JSON header, then packed tensor bytes). The reader validates the header the way
// the reference implementation does before any tensor is touched: offsets must
// tile the data buffer exactly, sizes must match shapes, and the file must not be
// truncated. The file is memory-mapped, so multi-GB checkpoints are not copied.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "clipscope/base/ndarray.h"

namespace clipscope {

enum class DType { F32, F16, BF16, F64, I64, I32, U8, Bool };

std::string dtype_name(DType dtype);
size_t dtype_size(DType dtype);

struct SafetensorsEntry {
    std::string name;
    DType dtype = DType::F32;
    Shape shape;
    uint64_t begin = 0;  // offsets relative to the data buffer
    uint64_t end = 0;
};

class SafetensorsFile {
public:
    static SafetensorsFile open(const std::string& path);
    ~SafetensorsFile();
    SafetensorsFile(SafetensorsFile&&) noexcept;
    SafetensorsFile& operator=(SafetensorsFile&&) noexcept;

    const std::string& path() const { return path_; }
    const std::vector<SafetensorsEntry>& entries() const { return entries_; }
    const std::map<std::string, std::string>& metadata() const { return metadata_; }
    const SafetensorsEntry* find(const std::string& name) const;
    bool contains(const std::string& name) const { return find(name) != nullptr; }
    // Raw little-endian bytes of one entry (valid while this object lives; may be unaligned).
    const unsigned char* data(const SafetensorsEntry& entry) const;
    // Entry converted to float32 (F32/F16/BF16/F64 only).
    FloatArray read_float(const SafetensorsEntry& entry) const;

private:
    SafetensorsFile() = default;
    std::string path_;
    std::vector<SafetensorsEntry> entries_;
    std::map<std::string, size_t> index_;
    std::map<std::string, std::string> metadata_;
    const unsigned char* map_ = nullptr;
    size_t map_size_ = 0;
    size_t data_start_ = 0;
};

// Writes tensors as F32 or F16 (stored_as), sorted by name, header padded to 8 bytes.
void write_safetensors(const std::string& path, const std::map<std::string, FloatArray>& tensors,
                       DType stored_as = DType::F32, const std::map<std::string, std::string>& metadata = {});

}  // namespace clipscope
