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
    // Hands the mapped pages that lie wholly inside the entry's bytes back to the kernel, for
    // when nothing views them any more: a weight converted or repacked while loading (f16 to
    // f32, transformers' q, k and v packed into one matrix) then stops counting in the
    // process's memory beside its copy. Pages shared with a neighbouring entry are kept; a
    // later read of a released page maps it from the file again, so this never changes data.
    void release(const SafetensorsEntry& entry) const;

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

// A sharded checkpoint (NAME.safetensors.index.json beside NAME-0000i-of-0000n.safetensors,
// how large models are published): the index's weight_map says which shard holds each
// tensor. read_safetensors_index checks the index itself (JSON shape, shard names that are
// plain file names in the index's folder, every shard present); the loader then checks each
// shard against it (state_dict.cpp), so that a shard missing a tensor, holding one the index
// does not list or a total_size that does not add up is an error naming the file.
struct SafetensorsIndex {
    std::string path;
    std::map<std::string, std::string> shard_of;  // tensor name -> shard path
    std::vector<std::string> shards;              // paths, sorted
    int64_t total_size = -1;                      // metadata.total_size in bytes, -1 when absent
};
bool is_safetensors_index(const std::string& path);  // by name: *.safetensors.index.json
SafetensorsIndex read_safetensors_index(const std::string& path);

// The files a weights path stands for: itself, or an index followed by its shards. A model's
// fingerprint and "changed since loaded" check cover all of them.
std::vector<std::string> safetensors_files(const std::string& weights_path);

// Writes tensors as F32 or F16 (stored_as), sorted by name, header padded to 8 bytes.
void write_safetensors(const std::string& path, const std::map<std::string, FloatArray>& tensors,
                       DType stored_as = DType::F32, const std::map<std::string, std::string>& metadata = {});

}  // namespace clipscope
