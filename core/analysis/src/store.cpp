#include "clipscope/analysis/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "clipscope/base/atomic_file.h"
#include "clipscope/model/clip_model.h"
#include "clipscope/base/error.h"
#include "clipscope/io/npy.h"
#include "clipscope/base/half_float.h"
#include "clipscope/base/hex_text.h"

namespace clipscope {
namespace fs = std::filesystem;
namespace {

// Whether the manifest's JSON text brings the string back unchanged: the writer's own
// rule (strict UTF-8), since what it cannot encode it writes as U+FFFD.
bool survives_json(const std::string& s) {
    return nlohmann::json::parse(nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
               .get<std::string>() == s;
}

std::string from_hex(const std::string& hex, const std::string& key, const std::string& manifest) {
    const auto nibble = [&](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        throw_input(manifest, key + " \"" + hex.substr(0, 64) + "\" is not hexadecimal");
    };
    if (hex.size() % 2 != 0) throw_input(manifest, key + " has an odd number of digits");
    std::string out;
    for (size_t i = 0; i < hex.size(); i += 2) out += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
    return out;
}

// A file or folder name that is not UTF-8 (Linux allows any bytes) keeps its exact
// bytes in KEY_hex; KEY then shows it with U+FFFD for readers that only want text.
void put_exact(nlohmann::json& j, const char* key, const std::string& value) {
    j[key] = value;
    if (!survives_json(value))
        j[std::string(key) + "_hex"] =
            lowercase_hex(reinterpret_cast<const unsigned char*>(value.data()), value.size());
}

std::string get_exact(const nlohmann::json& j, const char* key, const std::string& manifest) {
    const std::string hex_key = std::string(key) + "_hex";
    if (j.contains(hex_key)) return from_hex(j.at(hex_key).get<std::string>(), hex_key, manifest);
    return j.value(key, std::string());
}

nlohmann::json image_to_json(const ImageEntry& e) {
    nlohmann::json j;
    put_exact(j, "path", e.path);
    if (!e.label.empty()) put_exact(j, "label", e.label);
    if (!e.display.empty() && e.display != e.path) put_exact(j, "display", e.display);
    return j;
}

ImageEntry image_from_json(const nlohmann::json& j, const std::string& manifest) {
    if (!j.contains("path") && !j.contains("path_hex")) throw_input(manifest, "an image entry has no path");
    return {get_exact(j, "path", manifest), get_exact(j, "label", manifest), get_exact(j, "display", manifest)};
}

// The manifest without the images' display forms: they name the same files for people
// (a store made before they were recorded, or from a list file that spells a path
// differently, resumes), so they take no part in deciding whether a store is this run's.
nlohmann::json without_display_names(nlohmann::json j) {
    if (j.is_object() && j.contains("images") && j.at("images").is_array())
        for (auto& e : j.at("images"))
            if (e.is_object()) {
                e.erase("display");
                e.erase("display_hex");
            }
    return j;
}

nlohmann::json info_to_json(const StoreInfo& s) {
    nlohmann::json images = nlohmann::json::array();
    for (const auto& e : s.images) images.push_back(image_to_json(e));
    nlohmann::json preprocess = {{"image_size", s.preprocess.image_size},
                                 {"mean", s.preprocess.mean},
                                 {"std", s.preprocess.std},
                                 {"crop_rounding", s.preprocess.crop_rounding}};
    // Written only when not the default, so that stores made before these existed keep
    // their manifest (and resume).
    const PreprocessConfig defaults;
    if (s.preprocess.resize_mode != defaults.resize_mode) preprocess["resize_mode"] = s.preprocess.resize_mode;
    if (s.preprocess.interpolation != defaults.interpolation) preprocess["interpolation"] = s.preprocess.interpolation;
    if (s.preprocess.fill != defaults.fill) preprocess["fill"] = s.preprocess.fill;
    if (s.preprocess.convert_rgb_first) preprocess["convert_rgb_first"] = true;
    nlohmann::json j = {
        {"format", "clipscope-store"},
        {"version", 1},
        {"model",
         {{"spec", s.model_spec},
          {"format", s.model_format},
          {"architecture", s.architecture},
          {"weights_fingerprint", s.weights_fingerprint}}},
        {"preprocess", preprocess},
        {"shape", {{"layers", s.layers}, {"heads", s.heads}, {"embed_dim", s.embed_dim}}},
        {"batch", s.batch},
        {"dtype", s.dtype},
        {"shard", s.shard},
        {"embedding_normalised", s.embedding_normalised},
        {"terms", s.attention_pooled()
                      ? "non-spatial decomposition terms through the attention pooling head (post_layernorm scales "
                        "and pooling attention frozen per image), divided by ||z||; pooling.npy is the pooling head's "
                        "MLP term"
                      : "non-spatial decomposition terms divided by ||z||, as the reference's compute_prs.py stores "
                        "them"},
        {"images", images}};
    if (s.attention_pooled()) j["pooling"] = pooling_name(s.pooling);
    if (!s.unknown_config_fields.empty()) j["model"]["unknown_config_fields"] = s.unknown_config_fields;
    if (!s.skipped.empty()) {
        nlohmann::json skipped = nlohmann::json::array();
        for (const auto& k : s.skipped) {
            nlohmann::json e;
            put_exact(e, "path", k.path);
            e["reason"] = k.reason;
            skipped.push_back(e);
        }
        j["skipped"] = skipped;
    }
    return j;
}

StoreInfo info_from_json(const nlohmann::json& j, const std::string& path) {
    try {
        if (j.at("format") != "clipscope-store") throw_input(path, "not a ClipScope store manifest");
        if (j.at("version") != 1)
            throw_input(path, "store version " +
                                  j.at("version").dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                                  " is not supported");
        StoreInfo s;
        s.model_spec = j.at("model").at("spec");
        s.model_format = j.at("model").at("format");
        s.architecture = j.at("model").at("architecture");
        s.weights_fingerprint = j.at("model").at("weights_fingerprint");
        if (j.at("model").contains("unknown_config_fields"))
            s.unknown_config_fields = j.at("model").at("unknown_config_fields").get<std::vector<std::string>>();
        const nlohmann::json& p = j.at("preprocess");
        s.preprocess.image_size = p.at("image_size");
        s.preprocess.mean = p.at("mean");
        s.preprocess.std = p.at("std");
        s.preprocess.crop_rounding = p.at("crop_rounding");
        s.preprocess.resize_mode = p.value("resize_mode", s.preprocess.resize_mode);
        s.preprocess.interpolation = p.value("interpolation", s.preprocess.interpolation);
        s.preprocess.fill = p.value("fill", s.preprocess.fill);
        s.preprocess.convert_rgb_first = p.value("convert_rgb_first", false);
        if (const std::string problem = preprocess_config_problem(s.preprocess); !problem.empty())
            throw_input(path, "preprocess: unsupported " + problem);
        s.layers = j.at("shape").at("layers");
        s.heads = j.at("shape").at("heads");
        s.embed_dim = j.at("shape").at("embed_dim");
        s.batch = j.at("batch");
        s.dtype = j.at("dtype");
        s.shard = j.at("shard");
        s.embedding_normalised = j.value("embedding_normalised", false);
        const std::string pooling = j.value("pooling", pooling_name(VisionPooling::ClassToken));
        if (pooling == pooling_name(VisionPooling::AttentionPool))
            s.pooling = VisionPooling::AttentionPool;
        else if (pooling != pooling_name(VisionPooling::ClassToken))
            throw_input(path,
                        "unknown pooling \"" + pooling + "\" (this ClipScope reads class_token and attention_pool)");
        for (const auto& e : j.at("images")) s.images.push_back(image_from_json(e, path));
        if (j.contains("skipped"))
            for (const auto& e : j.at("skipped"))
                s.skipped.push_back({get_exact(e, "path", path), e.value("reason", std::string())});
        if (s.dtype != "f32" && s.dtype != "f16") throw_input(path, "unknown dtype " + s.dtype);
        if (s.layers <= 0 || s.heads <= 0 || s.embed_dim <= 0 || s.layers > 256 || s.heads > 1024 ||
            s.embed_dim > 16384 || s.batch <= 0)
            throw_input(path, "absurd shape in the manifest");
        return s;
    } catch (const nlohmann::json::exception& e) {
        throw_input(path, std::string("malformed store manifest: ") + e.what());
    }
}

size_t element_bytes(const StoreInfo& s) { return s.dtype == "f16" ? 2 : 4; }

struct ArrayFile {
    std::string path;
    int fd = -1;
    size_t header = 0;
    size_t row_bytes = 0;
    int64_t row_elements = 0;
};

void close_all(std::vector<ArrayFile>& files) {
    for (auto& f : files)
        if (f.fd >= 0) ::close(f.fd);
    files.clear();
}

std::vector<ArrayFile> open_arrays(const std::string& folder, const StoreInfo& info, bool create, bool writable) {
    std::vector<ArrayFile> files;
    const int64_t N = static_cast<int64_t>(info.images.size());
    for (const auto& a : store_arrays(info)) {
        ArrayFile f;
        f.path = (fs::path(folder) / a.file).string();
        Shape full = a.row;
        full.insert(full.begin(), N);
        const std::string header = npy_header(full, info.dtype == "f16" ? "<f2" : "<f4");
        f.header = header.size();
        f.row_elements = element_count(a.row);
        f.row_bytes = static_cast<size_t>(f.row_elements) * element_bytes(info);
        const size_t total = f.header + static_cast<size_t>(N) * f.row_bytes;
        f.fd =
            ::open(f.path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0644);
        if (f.fd < 0) {
            const std::string why = std::strerror(errno);
            close_all(files);
            throw_input(f.path, "cannot open: " + why);
        }
        if (create) {
            if (::pwrite(f.fd, header.data(), header.size(), 0) != static_cast<ssize_t>(header.size()) ||
                ::ftruncate(f.fd, static_cast<off_t>(total)) != 0) {
                files.push_back(f);
                close_all(files);
                throw_input(f.path, "cannot allocate the array (disk full?)");
            }
        } else {
            struct stat st {};
            std::string on_disk(header.size(), '\0');
            if (::fstat(f.fd, &st) != 0 || static_cast<size_t>(st.st_size) != total ||
                ::pread(f.fd, on_disk.data(), on_disk.size(), 0) != static_cast<ssize_t>(on_disk.size()) ||
                on_disk != header) {
                files.push_back(f);
                close_all(files);
                throw_input(f.path, "does not match the store manifest (size or header); the store is damaged");
            }
        }
        files.push_back(f);
    }
    return files;
}

int64_t read_progress(const std::string& folder, int64_t size) {
    const std::string path = (fs::path(folder) / "progress.json").string();
    std::error_code ec;
    if (!fs::exists(path, ec)) return 0;
    try {
        const int64_t done = nlohmann::json::parse(read_file_bytes(path, 1 << 20)).at("done");
        if (done < 0 || done > size)
            throw_input(path, "progress " + std::to_string(done) + " is outside 0.." + std::to_string(size));
        return done;
    } catch (const nlohmann::json::exception& e) {
        throw_input(path, std::string("malformed: ") + e.what());
    }
}

}  // namespace

std::vector<StoreArray> store_arrays(const StoreInfo& s) {
    std::vector<StoreArray> arrays = {{"embedding", "embedding.npy", {s.embed_dim}},
                                      {"heads", "heads.npy", {s.layers, s.heads, s.embed_dim}},
                                      {"mlps", "mlps.npy", {s.layers + 1, s.embed_dim}}};
    if (s.attention_pooled())
        arrays.push_back({"pooling", "pooling.npy", {s.embed_dim}});
    else
        arrays.push_back({"cls_attn", "cls_attn.npy", {s.layers, s.embed_dim}});
    return arrays;
}

// ---------------------------------------------------------------- writer

struct StoreWriter::Impl {
    std::string folder;
    StoreInfo info;
    std::vector<ArrayFile> files;
    int64_t done = 0;
    ~Impl() { close_all(files); }
};

StoreWriter::StoreWriter() : impl_(std::make_unique<Impl>()) {}
StoreWriter::~StoreWriter() = default;
StoreWriter::StoreWriter(StoreWriter&&) noexcept = default;
StoreWriter& StoreWriter::operator=(StoreWriter&&) noexcept = default;

namespace {
std::string shown(const nlohmann::json& j) {
    std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return text.size() > 120 ? text.substr(0, 117) + "..." : text;
}

// Where an existing manifest first differs from this run's, e.g. `images[175].path: the
// store has "a/x.png", this run "a/y.png"`, so a refusal says which setting or file differs.
std::string first_difference(const nlohmann::json& had, const nlohmann::json& want, const std::string& where) {
    const std::string at = where.empty() ? "the manifest" : where;
    if (had.type() != want.type()) return at + ": the store has " + shown(had) + ", this run " + shown(want);
    if (had.is_object()) {
        for (const auto& [key, value] : want.items()) {
            const std::string path = where.empty() ? key : where + "." + key;
            if (!had.contains(key))
                return path + ": missing from the store's manifest (this run: " + shown(value) + ")";
            if (had.at(key) != value) return first_difference(had.at(key), value, path);
        }
        for (const auto& [key, value] : had.items())
            if (!want.contains(key))
                return (where.empty() ? key : where + "." + key) + ": only in the store's manifest";
        return {};
    }
    if (had.is_array()) {
        for (size_t i = 0; i < std::min(had.size(), want.size()); ++i)
            if (had[i] != want[i]) {
                std::string d = first_difference(had[i], want[i], at + "[" + std::to_string(i) + "]");
                if (had.size() != want.size())
                    d += " (the store lists " + std::to_string(had.size()) + ", this run " +
                         std::to_string(want.size()) + ")";
                return d;
            }
        return at + ": the store lists " + std::to_string(had.size()) + ", this run " + std::to_string(want.size()) +
               (had.size() > want.size() ? ", first missing now: " + shown(had[want.size()])
                                         : ", first new: " + shown(want[had.size()]));
    }
    return at + ": the store has " + shown(had) + ", this run " + shown(want);
}
}  // namespace

StoreWriter StoreWriter::open(const std::string& folder, const StoreInfo& info) {
    if (info.images.empty()) throw_usage("no images to index");
    StoreWriter w;
    w.impl_->folder = folder;
    w.impl_->info = info;
    const std::string manifest_path = (fs::path(folder) / "manifest.json").string();
    // Through text and back, so that a non-UTF-8 "path" compares as the U+FFFD form the
    // manifest holds (the exact bytes compare in "path_hex").
    const nlohmann::json wanted =
        nlohmann::json::parse(info_to_json(info).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    std::error_code ec;
    if (fs::exists(manifest_path, ec)) {
        nlohmann::json existing;
        try {
            existing = nlohmann::json::parse(read_file_bytes(manifest_path, size_t{1} << 30));
        } catch (const nlohmann::json::exception& e) {
            throw_input(manifest_path, std::string("malformed manifest: ") + e.what());
        }
        const nlohmann::json had = without_display_names(existing), want = without_display_names(wanted);
        if (had != want)
            throw_input(folder, "already holds a store made with other settings, model or images (" +
                                    first_difference(had, want, "") + "); choose another --out (nothing was changed)");
        remove_stale_temporaries(folder);  // a run killed mid-rename left its progress.json temporary
        w.impl_->files = open_arrays(folder, info, /*create=*/false, /*writable=*/true);
        w.impl_->done = read_progress(folder, static_cast<int64_t>(info.images.size()));
        return w;
    }
    if (fs::exists(folder, ec) && !fs::is_empty(folder, ec))
        throw_input(folder, "exists and is not an empty folder or a store; choose another --out (nothing was changed)");
    fs::create_directories(folder, ec);
    if (ec) throw_input(folder, "cannot create: " + ec.message());
    // Arrays first, manifest last: a folder with a manifest always has its arrays.
    w.impl_->files = open_arrays(folder, info, /*create=*/true, /*writable=*/true);
    if (!info.skipped.empty()) {  // for people: one bad image per line with why (the manifest has them too)
        std::string text;
        for (const auto& k : info.skipped) text += k.path + "\t" + k.reason + "\n";
        write_text_atomically((fs::path(folder) / "skipped.txt").string(), text);
    }
    write_text_atomically(manifest_path, wanted.dump(1, ' ', false, nlohmann::json::error_handler_t::replace));
    write_text_atomically((fs::path(folder) / "progress.json").string(), R"({"done": 0})");
    return w;
}

int64_t StoreWriter::done() const { return impl_->done; }
int64_t StoreWriter::size() const { return static_cast<int64_t>(impl_->info.images.size()); }
const StoreInfo& StoreWriter::info() const { return impl_->info; }

void StoreWriter::append(const Decomposition& d) {
    if (impl_->info.attention_pooled())
        throw Error(ErrorKind::Internal, "a class-token decomposition appended to an attention-pooled store");
    append(d.embedding, d.heads, d.mlps, d.cls_attn);
}

void StoreWriter::append(const FloatArray& embedding, const FloatArray& heads, const FloatArray& mlps,
                         const FloatArray& fourth) {
    const int64_t B = embedding.shape.at(0);
    if (impl_->done + B > size()) throw Error(ErrorKind::Internal, "store append past the image list");
    const FloatArray* sources[] = {&embedding, &heads, &mlps, &fourth};
    const bool half = impl_->info.dtype == "f16";
    for (size_t a = 0; a < impl_->files.size(); ++a) {
        const ArrayFile& f = impl_->files[a];
        const FloatArray& src = *sources[a];
        if (src.size() != B * f.row_elements)
            throw Error(ErrorKind::Internal, f.path + ": decomposition does not match the store's shapes");
        std::vector<char> bytes(static_cast<size_t>(B) * f.row_bytes);
        if (half) {
            for (int64_t i = 0; i < src.size(); ++i) {
                const uint16_t h = float_to_half(src.data[static_cast<size_t>(i)]);
                std::memcpy(bytes.data() + 2 * i, &h, 2);
            }
        } else {
            std::memcpy(bytes.data(), src.data.data(), bytes.size());
        }
        const off_t offset = static_cast<off_t>(f.header + static_cast<size_t>(impl_->done) * f.row_bytes);
        if (::pwrite(f.fd, bytes.data(), bytes.size(), offset) != static_cast<ssize_t>(bytes.size()))
            throw_input(f.path, "write failed (disk full?)");
    }
    // Rows reach the disk before the progress that vouches for them.
    for (const auto& f : impl_->files)
        if (::fdatasync(f.fd) != 0) throw_input(f.path, "flush failed");
    impl_->done += B;
    write_text_atomically((fs::path(impl_->folder) / "progress.json").string(),
                          "{\"done\": " + std::to_string(impl_->done) + "}");
}

// ---------------------------------------------------------------- reader

struct Store::Impl {
    std::string folder;
    StoreInfo info;
    std::vector<ArrayFile> files;
    int64_t done = 0;
    ~Impl() { close_all(files); }
};

Store::Store() : impl_(std::make_unique<Impl>()) {}
Store::~Store() = default;
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;

Store Store::open(const std::string& folder) {
    Store s;
    s.impl_->folder = folder;
    const std::string manifest_path = (fs::path(folder) / "manifest.json").string();
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(read_file_bytes(manifest_path, size_t{1} << 30));
    } catch (const nlohmann::json::exception& e) {
        throw_input(manifest_path, std::string("malformed manifest: ") + e.what());
    }
    s.impl_->info = info_from_json(j, manifest_path);
    s.impl_->files = open_arrays(folder, s.impl_->info, /*create=*/false, /*writable=*/false);
    s.impl_->done = read_progress(folder, static_cast<int64_t>(s.impl_->info.images.size()));
    return s;
}

const StoreInfo& Store::info() const { return impl_->info; }
const std::string& Store::folder() const { return impl_->folder; }
int64_t Store::size() const { return static_cast<int64_t>(impl_->info.images.size()); }
int64_t Store::done() const { return impl_->done; }

FloatArray Store::read(const std::string& array, int64_t first, int64_t count) const {
    const std::vector<StoreArray> arrays = store_arrays(impl_->info);
    size_t index = 0;
    while (index < arrays.size() && array != arrays[index].name) ++index;
    if (index == arrays.size()) {
        if (array == "cls_attn" || array == "pooling")
            throw_usage(impl_->folder + " is " +
                        (impl_->info.attention_pooled() ? "an attention-pooled" : "a class-token") +
                        " store: it has no " + array + " terms (" + arrays.back().file + " instead)");
        throw_usage("no store array named '" + array + "'");
    }
    if (first < 0 || count < 0 || first + count > impl_->done)
        throw_usage("rows " + std::to_string(first) + ".." + std::to_string(first + count) + " are outside the " +
                    std::to_string(impl_->done) + " complete images of " + impl_->folder);
    const ArrayFile& f = impl_->files[index];
    Shape shape = arrays[index].row;
    shape.insert(shape.begin(), count);
    FloatArray out = FloatArray::uninitialized(shape);
    std::vector<char> bytes(static_cast<size_t>(count) * f.row_bytes);
    const off_t offset = static_cast<off_t>(f.header + static_cast<size_t>(first) * f.row_bytes);
    if (::pread(f.fd, bytes.data(), bytes.size(), offset) != static_cast<ssize_t>(bytes.size()))
        throw_input(f.path, "short read: the store is damaged");
    if (impl_->info.dtype == "f16") {
        for (int64_t i = 0; i < out.size(); ++i) {
            uint16_t h;
            std::memcpy(&h, bytes.data() + 2 * i, 2);
            out.data[static_cast<size_t>(i)] = half_to_float(h);
        }
    } else {
        std::memcpy(out.data.data(), bytes.data(), bytes.size());
    }
    // A NaN decodes but is not a term: it would turn every score it meets into NaN (a
    // neighbour list of NaNs, a mean over the set that is NaN). Terms are divided by ||z||,
    // so they are small; an inf is damage too.
    const auto bad = std::find_if(out.data.begin(), out.data.end(), [](float v) { return !std::isfinite(v); });
    if (bad != out.data.end()) {
        const int64_t row = first + (bad - out.data.begin()) / f.row_elements;
        throw_input(f.path, "row " + std::to_string(row) + " (" +
                                shown_name(impl_->info.images[static_cast<size_t>(row)]) +
                                ") holds a non-finite value (NaN or inf): the store is damaged (index the images again "
                                "into a new store)");
    }
    return out;
}

uint64_t fnv1a64(const std::string& bytes) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
    return h;
}

StoreInfo store_info_for(const ClipModel& model) {
    const auto& c = model.config();
    StoreInfo info;
    info.model_spec = model.info().spec;
    info.model_format = model.info().format;
    info.architecture = c.name;
    info.unknown_config_fields = c.unknown_fields;
    info.weights_fingerprint = model.weights_fingerprint();
    info.preprocess = c.preprocess;
    info.layers = c.vision.layers;
    info.heads = c.vision.heads;
    info.embed_dim = c.embed_dim;
    info.pooling = c.vision.pooling;
    return info;
}

bool store_made_by(const StoreInfo& info, const ClipModel& model) {
    return model.weights_fingerprint() == info.weights_fingerprint;
}

}  // namespace clipscope
