#include "clipscope/analysis/neighbor_index.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/base/file_digest.h"
#include "clipscope/base/resources.h"
#include "clipscope/io/npy.h"
#include "clipscope/base/half_float.h"

namespace clipscope {
namespace fs = std::filesystem;
namespace {

constexpr int64_t kChunk = 64;

uint64_t manifest_hash(const Store& store) {
    return fnv1a64(read_file_bytes((fs::path(store.folder()) / "manifest.json").string(), size_t{1} << 30));
}

// The two places an index may be: inside the store, or (read-only stores) in the user's
// cache under a key of the store's absolute folder and manifest.
fs::path store_index_dir(const Store& store) { return fs::path(store.folder()) / "neighbors"; }
fs::path cache_index_dir(const Store& store) {
    const std::string where = fs::absolute(store.folder()).lexically_normal().string();
    char key[32];
    std::snprintf(key, sizeof key, "%016llx",
                  static_cast<unsigned long long>(fnv1a64(where + "|" + std::to_string(manifest_hash(store)))));
    return fs::path(user_cache_directory()) / "neighbor_index" / key;
}

// What the index must agree with: the store's manifest bytes (model, images, dtype) and size.
nlohmann::json identity(const Store& store) {
    return {{"manifest_fnv1a", std::to_string(manifest_hash(store))},
            {"images", store.size()},
            {"dtype", store.info().dtype},
            {"version", 1}};
}

// An array's size and modification time, as recorded when the index was finished.
nlohmann::json stamp(const fs::path& file) {
    const FileIdentity id = file_identity(file.string());
    return {{"bytes", id.size}, {"modified_ns", id.modified_ns}};
}

// "" when `dir` holds a complete index of this store whose arrays are as they were built.
std::string index_problem(const fs::path& dir, const Store& store) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(read_file_bytes((dir / "index.json").string(), 1 << 20));
    } catch (const std::exception& e) {
        return std::string("its index.json cannot be read: ") + e.what();
    }
    if (!j.is_object() || !j.contains("identity") || j["identity"] != identity(store))
        return "it was built for another version of the store (the manifest differs)";
    for (const char* name : {"heads.npy", "layers.npy"})
        if (!j.contains("files") || !j["files"].contains(name) || j["files"][name] != stamp(dir / name))
            return std::string(name) + " has changed since the index was built";
    return "";
}

bool writable_folder(const fs::path& dir) { return ::access(dir.c_str(), W_OK) == 0; }

class RawFile {
public:
    RawFile(const std::string& path, int flags) : path_(path), fd_(::open(path.c_str(), flags | O_CLOEXEC, 0644)) {
        if (fd_ < 0) throw_input(path, std::string("cannot open: ") + std::strerror(errno));
    }
    ~RawFile() {
        if (fd_ >= 0) ::close(fd_);
    }
    RawFile(const RawFile&) = delete;
    RawFile& operator=(const RawFile&) = delete;
    void write_at(const void* data, size_t bytes, size_t offset) const {
        const char* p = static_cast<const char*>(data);
        while (bytes) {
            const ssize_t n = ::pwrite(fd_, p, bytes, static_cast<off_t>(offset));
            if (n <= 0) throw_input(path_, std::string("write failed: ") + std::strerror(errno));
            p += n;
            bytes -= static_cast<size_t>(n);
            offset += static_cast<size_t>(n);
        }
    }
    int fd() const { return fd_; }

private:
    std::string path_;
    int fd_;
};

// A read-only mapping of one file.
class Mapping {
public:
    explicit Mapping(const std::string& path) {
        RawFile f(path, O_RDONLY);
        struct stat st {};
        if (::fstat(f.fd(), &st) != 0) throw_input(path, "cannot stat");
        size_ = static_cast<size_t>(st.st_size);
        data_ = size_ ? ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, f.fd(), 0) : nullptr;
        if (data_ == MAP_FAILED) throw_input(path, std::string("cannot map: ") + std::strerror(errno));
    }
    ~Mapping() {
        if (data_ && data_ != MAP_FAILED) ::munmap(data_, size_);
    }
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    const char* bytes() const { return static_cast<const char*>(data_); }
    size_t size() const { return size_; }
    void advise_sequential(size_t offset, size_t length) const {
        const size_t page = 4096, start = offset / page * page;
        ::madvise(const_cast<char*>(bytes()) + start, std::min(size_ - start, length + (offset - start)),
                  MADV_SEQUENTIAL | MADV_WILLNEED);
    }

private:
    void* data_ = nullptr;
    size_t size_ = 0;
};

const std::array<float, 65536>& half_table() {
    static const auto table = [] {
        std::array<float, 65536> t{};
        for (uint32_t i = 0; i < 65536; ++i) t[i] = half_to_float(static_cast<uint16_t>(i));
        return t;
    }();
    return table;
}

}  // namespace

std::string build_neighbor_index(const Store& store, const RunControl* control) {
    const StoreInfo& s = store.info();
    if (!store.complete()) throw_input(store.folder(), "is incomplete; finish indexing first");
    const int64_t N = store.size(), L = s.layers, H = s.heads, E = s.embed_dim;
    const bool half = s.dtype == "f16";
    const size_t item = half ? 2 : 4;
    // Inside the store when it may be written (the index then travels with it), else in the cache.
    const fs::path inside = store_index_dir(store);
    std::error_code ec;
    const bool in_store = fs::exists(inside, ec) ? writable_folder(inside) : writable_folder(store.folder());
    const fs::path dir = in_store ? inside : cache_index_dir(store);
    fs::create_directories(dir);
    fs::remove(dir / "index.json");  // invalid until rebuilt
    const std::string heads_tmp = (dir / "heads.npy.partial").string(),
                      layers_tmp = (dir / "layers.npy.partial").string();
    const std::string heads_header = npy_header({L * H, N, E}, half ? "<f2" : "<f4"),
                      layers_header = npy_header({L, N, E}, "<f8");
    {
        RawFile heads(heads_tmp, O_RDWR | O_CREAT | O_TRUNC), layers(layers_tmp, O_RDWR | O_CREAT | O_TRUNC);
        heads.write_at(heads_header.data(), heads_header.size(), 0);
        layers.write_at(layers_header.data(), layers_header.size(), 0);
        std::vector<uint16_t> half_rows;
        std::vector<double> layer_rows(static_cast<size_t>(kChunk * E));
        for (int64_t i0 = 0; i0 < N; i0 += kChunk) {
            if (control) control->check();
            const int64_t c = std::min(kChunk, N - i0);
            const FloatArray rows = store.read("heads", i0, c);  // [c, L, H, E] float32 (exact for f16 stores too)
            for (int64_t l = 0; l < L; ++l) {
                std::fill(layer_rows.begin(), layer_rows.end(), 0.0);
                for (int64_t h = 0; h < H; ++h) {
                    const int64_t cell = l * H + h;
                    std::vector<float> block(static_cast<size_t>(c * E));
                    for (int64_t r = 0; r < c; ++r) {
                        const float* src = rows.data.data() + ((r * L + l) * H + h) * E;
                        std::copy(src, src + E, block.begin() + r * E);
                        for (int64_t e = 0; e < E; ++e) layer_rows[static_cast<size_t>(r * E + e)] += src[e];
                    }
                    const size_t offset =
                        heads_header.size() + (static_cast<size_t>(cell) * N + static_cast<size_t>(i0)) * E * item;
                    if (half) {
                        half_rows.resize(block.size());
                        for (size_t k = 0; k < block.size(); ++k)
                            half_rows[k] = float_to_half(block[k]);  // exact: the values came from halves
                        heads.write_at(half_rows.data(), half_rows.size() * 2, offset);
                    } else {
                        heads.write_at(block.data(), block.size() * 4, offset);
                    }
                }
                layers.write_at(layer_rows.data(), static_cast<size_t>(c * E) * 8,
                                layers_header.size() + (static_cast<size_t>(l) * N + static_cast<size_t>(i0)) * E * 8);
            }
            if (control) control->report(i0 + c, N, "building the neighbour index");
        }
        if (::fsync(heads.fd()) != 0 || ::fsync(layers.fd()) != 0) throw_input(dir.string(), "fsync failed");
    }
    fs::rename(heads_tmp, dir / "heads.npy");
    fs::rename(layers_tmp, dir / "layers.npy");
    const nlohmann::json record = {
        {"identity", identity(store)},
        {"files", {{"heads.npy", stamp(dir / "heads.npy")}, {"layers.npy", stamp(dir / "layers.npy")}}}};
    write_text_atomically((dir / "index.json").string(),
                          record.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    return dir.string();
}

NeighborIndexStatus neighbor_index_status(const Store& store) {
    NeighborIndexStatus status;
    std::error_code ec;
    for (const fs::path& dir : {store_index_dir(store), cache_index_dir(store)}) {
        if (!fs::exists(dir / "index.json", ec)) continue;
        const std::string problem = index_problem(dir, store);
        if (problem.empty()) return {dir.string(), true, ""};
        if (status.folder.empty()) status = {dir.string(), false, problem};
    }
    return status;
}

bool has_neighbor_index(const Store& store) { return neighbor_index_status(store).usable; }

std::vector<double> neighbor_index_scores(const Store& store, const std::string& index_folder, int64_t layer,
                                          int64_t head, const std::vector<float>& key) {
    const StoreInfo& s = store.info();
    const int64_t N = store.size(), L = s.layers, H = s.heads, E = s.embed_dim;
    if (layer < 0 || layer >= L || head < -1 || head >= H) throw_usage("no such head or layer in the neighbour index");
    if (static_cast<int64_t>(key.size()) != E) throw_usage("query key has the wrong width");
    const bool whole_layer = head < 0;
    const std::string path = (fs::path(index_folder) / (whole_layer ? "layers.npy" : "heads.npy")).string();
    const bool half = !whole_layer && s.dtype == "f16";
    const size_t item = whole_layer ? 8 : half ? 2 : 4;
    const Shape shape = whole_layer ? Shape{L, N, E} : Shape{L * H, N, E};
    const size_t header = npy_header(shape, whole_layer ? "<f8" : half ? "<f2" : "<f4").size();
    const Mapping map(path);
    const size_t slab = static_cast<size_t>(N * E) * item,
                 cell = static_cast<size_t>(whole_layer ? layer : layer * H + head);
    if (map.size() != header + slab * static_cast<size_t>(whole_layer ? L : L * H))
        throw_input(path, "has the wrong size: rebuild the neighbour index");
    map.advise_sequential(header + cell * slab, slab);
    std::vector<double> scores(static_cast<size_t>(N));
    if (whole_layer) {
        const auto* v = reinterpret_cast<const double*>(map.bytes() + header + cell * slab);
        for (int64_t i = 0; i < N; ++i, v += E) {
            double dot = 0;
            for (int64_t e = 0; e < E; ++e) dot += v[e] * key[static_cast<size_t>(e)];
            scores[static_cast<size_t>(i)] = dot;
        }
    } else if (half) {
        const auto& table = half_table();
        const auto* v = reinterpret_cast<const uint16_t*>(map.bytes() + header + cell * slab);
        for (int64_t i = 0; i < N; ++i, v += E) {
            double dot = 0;
            for (int64_t e = 0; e < E; ++e) dot += static_cast<double>(table[v[e]]) * key[static_cast<size_t>(e)];
            scores[static_cast<size_t>(i)] = dot;
        }
    } else {
        const auto* v = reinterpret_cast<const float*>(map.bytes() + header + cell * slab);
        for (int64_t i = 0; i < N; ++i, v += E) {
            double dot = 0;
            for (int64_t e = 0; e < E; ++e) dot += static_cast<double>(v[e]) * key[static_cast<size_t>(e)];
            scores[static_cast<size_t>(i)] = dot;
        }
    }
    return scores;
}

}  // namespace clipscope
