#include "clipscope/io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/base/half_float.h"

namespace clipscope {
namespace {

// The reference reader's MAX_HEADER_SIZE.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

DType parse_dtype(const std::string& file, const std::string& key, const std::string& s) {
    static const std::map<std::string, DType> kNames = {
        {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16}, {"F64", DType::F64},
        {"I64", DType::I64}, {"I32", DType::I32}, {"U8", DType::U8},     {"BOOL", DType::Bool}};
    auto it = kNames.find(s);
    if (it == kNames.end()) throw_input(file, "tensor '" + key + "' has unsupported dtype '" + s + "'");
    return it->second;
}

}  // namespace

std::string dtype_name(DType dtype) {
    switch (dtype) {
        case DType::F32:
            return "F32";
        case DType::F16:
            return "F16";
        case DType::BF16:
            return "BF16";
        case DType::F64:
            return "F64";
        case DType::I64:
            return "I64";
        case DType::I32:
            return "I32";
        case DType::U8:
            return "U8";
        case DType::Bool:
            return "BOOL";
    }
    return "?";
}

size_t dtype_size(DType dtype) {
    switch (dtype) {
        case DType::F64:
        case DType::I64:
            return 8;
        case DType::F32:
        case DType::I32:
            return 4;
        case DType::F16:
        case DType::BF16:
            return 2;
        case DType::U8:
        case DType::Bool:
            return 1;
    }
    return 0;
}

SafetensorsFile SafetensorsFile::open(const std::string& path) {
    SafetensorsFile f;
    f.path_ = path;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw_input(path, std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw_input(path, "not a regular file");
    }
    const auto file_size = static_cast<uint64_t>(st.st_size);
    if (file_size < 8) {
        ::close(fd);
        throw_input(path, "file is " + std::to_string(file_size) + " bytes, too short for a safetensors header");
    }
    // Private writable mapping: copy-on-write, so tensors may view it without copying and
    // nothing can ever write back to the file.
    void* map = ::mmap(nullptr, file_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (map == MAP_FAILED) throw_input(path, std::string("cannot map the file: ") + std::strerror(errno));
    f.map_ = static_cast<const unsigned char*>(map);
    f.map_size_ = file_size;

    uint64_t header_len = 0;
    for (int i = 0; i < 8; ++i) header_len |= static_cast<uint64_t>(f.map_[i]) << (8 * i);
    if (header_len > kMaxHeaderBytes)
        throw_input(path, "header length " + std::to_string(header_len) +
                              " exceeds the 100 MB limit (not a safetensors file?)");
    if (8 + header_len > file_size)
        throw_input(path, "header length " + std::to_string(header_len) + " runs past the end of the file (" +
                              std::to_string(file_size) + " bytes): truncated?");
    f.data_start_ = 8 + header_len;

    nlohmann::json header;
    try {
        header = nlohmann::json::parse(f.map_ + 8, f.map_ + 8 + header_len);
    } catch (const std::exception& e) {
        throw_input(path, std::string("header is not valid JSON: ") + e.what());
    }
    if (!header.is_object()) throw_input(path, "header is not a JSON object");

    for (auto it = header.begin(); it != header.end(); ++it) {
        const std::string& key = it.key();
        if (key == "__metadata__") {
            if (!it->is_object()) throw_input(path, "__metadata__ is not an object");
            for (auto m = it->begin(); m != it->end(); ++m) {
                if (!m->is_string()) throw_input(path, "__metadata__ value '" + m.key() + "' is not a string");
                f.metadata_[m.key()] = m->get<std::string>();
            }
            continue;
        }
        const auto& v = *it;
        if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets") ||
            !v["dtype"].is_string() || !v["shape"].is_array() || !v["data_offsets"].is_array() ||
            v["data_offsets"].size() != 2)
            throw_input(path, "tensor '" + key + "' has a malformed header entry");
        SafetensorsEntry e;
        e.name = key;
        e.dtype = parse_dtype(path, key, v["dtype"].get<std::string>());
        for (const auto& d : v["shape"]) {
            if (!d.is_number_unsigned())
                throw_input(path, "tensor '" + key + "' has a shape entry that is not a non-negative integer");
            const uint64_t dim = d.get<uint64_t>();
            if (dim > (uint64_t{1} << 48))
                throw_input(path, "tensor '" + key + "' has an absurd dimension " + std::to_string(dim));
            e.shape.push_back(static_cast<int64_t>(dim));
        }
        if (!v["data_offsets"][0].is_number_unsigned() || !v["data_offsets"][1].is_number_unsigned())
            throw_input(path, "tensor '" + key + "' has non-integer data_offsets");
        e.begin = v["data_offsets"][0].get<uint64_t>();
        e.end = v["data_offsets"][1].get<uint64_t>();
        if (e.end < e.begin) throw_input(path, "tensor '" + key + "' has data_offsets that end before they begin");
        int64_t count = 0;
        try {
            count = element_count(e.shape);
        } catch (const Error&) {
            throw_input(path, "tensor '" + key + "' has a shape whose element count overflows");
        }
        const auto bytes = static_cast<unsigned __int128>(count) * dtype_size(e.dtype);
        if (bytes != e.end - e.begin)
            throw_input(path, "tensor '" + key + "': shape " + shape_to_string(e.shape) + " of " + dtype_name(e.dtype) +
                                  " needs " + std::to_string(static_cast<uint64_t>(bytes)) +
                                  " bytes but data_offsets give " + std::to_string(e.end - e.begin));
        f.entries_.push_back(std::move(e));
    }

    // Offsets must tile the buffer with no holes or overlaps, and the buffer must reach the end of the file.
    std::vector<const SafetensorsEntry*> by_offset;
    for (const auto& e : f.entries_) by_offset.push_back(&e);
    std::sort(by_offset.begin(), by_offset.end(),
              [](auto* a, auto* b) { return a->begin != b->begin ? a->begin < b->begin : a->end < b->end; });
    uint64_t expected = 0;
    for (const auto* e : by_offset) {
        if (e->begin != expected)
            throw_input(path, "tensor '" + e->name + "' starts at byte " + std::to_string(e->begin) +
                                  " of the data buffer, expected " + std::to_string(expected) +
                                  " (overlapping or non-contiguous data_offsets)");
        expected = e->end;
    }
    if (f.data_start_ + expected != file_size)
        throw_input(path, "data buffer should end at byte " + std::to_string(f.data_start_ + expected) +
                              " but the file has " + std::to_string(file_size) + " bytes" +
                              (f.data_start_ + expected > file_size ? " (truncated file)" : " (trailing bytes)"));
    for (size_t i = 0; i < f.entries_.size(); ++i) f.index_[f.entries_[i].name] = i;
    return f;
}

void SafetensorsFile::release(const SafetensorsEntry& entry) const {
    if (!map_) return;
    const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto first = reinterpret_cast<uintptr_t>(data(entry));
    const uintptr_t begin = (first + page - 1) / page * page;
    const uintptr_t end = (first + (entry.end - entry.begin)) / page * page;
    // Advice only: if the kernel declines, the pages simply stay resident.
    if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

SafetensorsFile::~SafetensorsFile() {
    if (map_) ::munmap(const_cast<unsigned char*>(map_), map_size_);
}

SafetensorsFile::SafetensorsFile(SafetensorsFile&& o) noexcept { *this = std::move(o); }

SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&& o) noexcept {
    if (this != &o) {
        if (map_) ::munmap(const_cast<unsigned char*>(map_), map_size_);
        path_ = std::move(o.path_);
        entries_ = std::move(o.entries_);
        index_ = std::move(o.index_);
        metadata_ = std::move(o.metadata_);
        map_ = o.map_;
        map_size_ = o.map_size_;
        data_start_ = o.data_start_;
        o.map_ = nullptr;
        o.map_size_ = 0;
    }
    return *this;
}

const SafetensorsEntry* SafetensorsFile::find(const std::string& name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &entries_[it->second];
}

const unsigned char* SafetensorsFile::data(const SafetensorsEntry& entry) const {
    return map_ + data_start_ + entry.begin;
}

FloatArray SafetensorsFile::read_float(const SafetensorsEntry& entry) const {
    FloatArray out(entry.shape);
    const unsigned char* src = data(entry);
    const int64_t n = out.size();
    switch (entry.dtype) {
        case DType::F32:
            std::memcpy(out.data.data(), src, static_cast<size_t>(n) * 4);
            break;
        case DType::F16:
            for (int64_t i = 0; i < n; ++i) {
                uint16_t h;
                std::memcpy(&h, src + 2 * i, 2);
                out.data[i] = half_to_float(h);
            }
            break;
        case DType::BF16:
            for (int64_t i = 0; i < n; ++i) {
                uint16_t h;
                std::memcpy(&h, src + 2 * i, 2);
                out.data[i] = bfloat16_to_float(h);
            }
            break;
        case DType::F64:
            for (int64_t i = 0; i < n; ++i) {
                double d;
                std::memcpy(&d, src + 8 * i, 8);
                out.data[i] = static_cast<float>(d);
            }
            break;
        default:
            throw_input(path_, "tensor '" + entry.name + "' is " + dtype_name(entry.dtype) +
                                   ", expected a floating-point tensor");
    }
    return out;
}

void write_safetensors(const std::string& path, const std::map<std::string, FloatArray>& tensors, DType stored_as,
                       const std::map<std::string, std::string>& metadata) {
    if (stored_as != DType::F32 && stored_as != DType::F16)
        throw Error(ErrorKind::Internal, "write_safetensors supports F32 and F16");
    nlohmann::ordered_json header;
    if (!metadata.empty()) header["__metadata__"] = metadata;
    uint64_t offset = 0;
    for (const auto& [name, t] : tensors) {
        const uint64_t bytes = static_cast<uint64_t>(t.size()) * dtype_size(stored_as);
        header[name] = {
            {"dtype", dtype_name(stored_as)}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string json = header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    json.append((8 - json.size() % 8) % 8, ' ');
    write_file_atomically(path, [&](std::ostream& out) {
        const uint64_t n = json.size();
        for (int i = 0; i < 8; ++i) out.put(static_cast<char>((n >> (8 * i)) & 0xff));
        out.write(json.data(), static_cast<std::streamsize>(json.size()));
        for (const auto& [name, t] : tensors) {
            if (stored_as == DType::F32) {
                out.write(reinterpret_cast<const char*>(t.data.data()),
                          static_cast<std::streamsize>(t.data.size() * 4));
            } else {
                std::vector<uint16_t> halves(t.data.size());
                for (size_t i = 0; i < halves.size(); ++i) halves[i] = float_to_half(t.data[i]);
                out.write(reinterpret_cast<const char*>(halves.data()),
                          static_cast<std::streamsize>(halves.size() * 2));
            }
        }
    });
}

}  // namespace clipscope
