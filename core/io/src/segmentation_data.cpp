#include "clipscope/io/segmentation_data.h"

#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>

#include "clipscope/base/atomic_file.h"
#include "clipscope/io/dataset.h"
#include "clipscope/base/error.h"

namespace clipscope {
namespace fs = std::filesystem;
namespace {

constexpr int kMaxSide = 1 << 15;

// One HDF5 identifier, closed with the function that matches its kind.
class Handle {
public:
    Handle() = default;
    Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
    Handle& operator=(Handle&& o) noexcept {
        std::swap(id_, o.id_);
        std::swap(close_, o.close_);
        return *this;
    }
    ~Handle() {
        if (id_ >= 0 && close_) close_(id_);
    }
    hid_t get() const { return id_; }

private:
    hid_t id_ = -1;
    herr_t (*close_)(hid_t) = nullptr;
};

// libhdf5 is not thread-safe in Debian's serial build: every call goes through this lock.
std::mutex& hdf5_mutex() {
    static std::mutex m;
    return m;
}

void silence_hdf5_errors() {
    static const bool once = [] {
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // our errors name the file instead of HDF5's stack dump
        return true;
    }();
    (void)once;
}

std::vector<hsize_t> dataset_dims(hid_t dataset) {
    Handle space(H5Dget_space(dataset), H5Sclose);
    const int rank = space.get() < 0 ? -1 : H5Sget_simple_extent_ndims(space.get());
    if (rank < 0) return {};
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    return dims;
}

std::string dims_text(const std::vector<hsize_t>& dims) {
    std::string s = "[";
    for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + "]";
}

class ImagenetSegmentation final : public SegmentationDataset {
public:
    explicit ImagenetSegmentation(std::string path) : path_(std::move(path)) {
        silence_hdf5_errors();
        std::lock_guard lock(hdf5_mutex());
        if (!fs::is_regular_file(path_)) throw_input(path_, "no such file");
        if (H5Fis_hdf5(path_.c_str()) <= 0)
            throw_input(path_,
                        "not an HDF5 file (gtsegs_ijcv.mat is a MATLAB v7.3 file, which is HDF5; older .mat versions "
                        "are not supported)");
        file_ = Handle(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
        if (file_.get() < 0) throw_input(path_, "cannot open the HDF5 file (truncated or corrupt?)");
        img_refs_ = read_refs("/value/img");
        gt_refs_ = read_refs("/value/gt");
        if (img_refs_.size() != gt_refs_.size())
            throw_input(path_, "/value/img has " + std::to_string(img_refs_.size()) + " entries but /value/gt has " +
                                   std::to_string(gt_refs_.size()));
        if (img_refs_.empty()) throw_input(path_, "/value/img is empty");
    }

    int64_t size() const override { return static_cast<int64_t>(img_refs_.size()); }
    std::string name(int64_t i) const override { return path_ + "[" + std::to_string(i) + "]"; }

    SegmentationSample load(int64_t i) const override {
        if (i < 0 || i >= size()) throw_usage("entry " + std::to_string(i) + " is outside " + path_);
        std::lock_guard lock(hdf5_mutex());
        SegmentationSample s;
        s.name = name(i);
        // Image: uint8 [3, W, H] in HDF5's order (MATLAB's column-major [H, W, 3] seen from C).
        {
            Handle ds = dereference(img_refs_[static_cast<size_t>(i)], "image");
            const auto dims = dataset_dims(ds.get());
            if (dims.size() != 3 || dims[0] != 3 || dims[1] == 0 || dims[2] == 0 || dims[1] > kMaxSide ||
                dims[2] > kMaxSide)
                fail(i, "image has shape " + dims_text(dims) + ", expected [3, W, H] with sides 1.." +
                            std::to_string(kMaxSide));
            const int W = static_cast<int>(dims[1]), H = static_cast<int>(dims[2]);
            const std::vector<uint8_t> raw = read_u8(ds.get(), static_cast<size_t>(3) * W * H, i, "image");
            s.image.width = W;
            s.image.height = H;
            s.image.channels = 3;
            s.image.pixels.resize(raw.size());
            for (int c = 0; c < 3; ++c)
                for (int x = 0; x < W; ++x)
                    for (int y = 0; y < H; ++y)
                        s.image.pixels[(static_cast<size_t>(y) * W + x) * 3 + c] =
                            raw[(static_cast<size_t>(c) * W + x) * H + y];
        }
        // Mask: a [1, 1] array of references whose element points to [W, H].
        {
            Handle cell = dereference(gt_refs_[static_cast<size_t>(i)], "mask cell");
            const auto cell_dims = dataset_dims(cell.get());
            if (cell_dims.empty() || cell_dims[0] * (cell_dims.size() > 1 ? cell_dims[1] : 1) < 1)
                fail(i, "mask cell has shape " + dims_text(cell_dims) + ", expected [1, 1] object references");
            std::vector<hobj_ref_t> inner(
                static_cast<size_t>(cell_dims[0] * (cell_dims.size() > 1 ? cell_dims[1] : 1)));
            if (H5Dread(cell.get(), H5T_STD_REF_OBJ, H5S_ALL, H5S_ALL, H5P_DEFAULT, inner.data()) < 0)
                fail(i, "mask cell does not hold object references");
            Handle ds = dereference(inner[0], "mask");
            const auto dims = dataset_dims(ds.get());
            if (dims.size() != 2 || dims[0] == 0 || dims[1] == 0 || dims[0] > kMaxSide || dims[1] > kMaxSide)
                fail(i, "mask has shape " + dims_text(dims) + ", expected [W, H]");
            const int W = static_cast<int>(dims[0]), H = static_cast<int>(dims[1]);
            const std::vector<uint8_t> raw = read_u8(ds.get(), static_cast<size_t>(W) * H, i, "mask");
            s.mask.width = W;
            s.mask.height = H;
            s.mask.data.resize(raw.size());
            for (int x = 0; x < W; ++x)
                for (int y = 0; y < H; ++y)
                    s.mask.data[static_cast<size_t>(y) * W + x] = raw[static_cast<size_t>(x) * H + y] != 0;
        }
        return s;
    }

private:
    [[noreturn]] void fail(int64_t i, const std::string& problem) const {
        throw_input(path_, "entry " + std::to_string(i) + ": " + problem);
    }

    std::vector<hobj_ref_t> read_refs(const char* dataset) const {
        if (H5Lexists(file_.get(), "/value", H5P_DEFAULT) <= 0 || H5Lexists(file_.get(), dataset, H5P_DEFAULT) <= 0)
            throw_input(path_,
                        std::string("has no ") + dataset + " (not ImageNet-Segmentation's gtsegs_ijcv.mat layout)");
        Handle ds(H5Dopen2(file_.get(), dataset, H5P_DEFAULT), H5Dclose);
        if (ds.get() < 0) throw_input(path_, std::string("cannot open ") + dataset);
        const auto dims = dataset_dims(ds.get());
        hsize_t n = 1;
        for (auto d : dims) n *= d;
        if (dims.empty() || n > (1u << 24))
            throw_input(path_, std::string(dataset) + " has shape " + dims_text(dims) + ", expected [n, 1]");
        Handle type(H5Dget_type(ds.get()), H5Tclose);
        if (H5Tget_class(type.get()) != H5T_REFERENCE)
            throw_input(path_, std::string(dataset) + " does not hold object references");
        std::vector<hobj_ref_t> refs(static_cast<size_t>(n));
        if (n && H5Dread(ds.get(), H5T_STD_REF_OBJ, H5S_ALL, H5S_ALL, H5P_DEFAULT, refs.data()) < 0)
            throw_input(path_, std::string("cannot read ") + dataset + " (truncated or corrupt?)");
        return refs;
    }

    Handle dereference(const hobj_ref_t& ref, const char* what) const {
        hid_t id = H5Rdereference2(file_.get(), H5P_DEFAULT, H5R_OBJECT, &ref);
        if (id < 0) throw_input(path_, std::string("a ") + what + " reference points nowhere (corrupt file?)");
        if (H5Iget_type(id) != H5I_DATASET) {
            H5Oclose(id);
            throw_input(path_, std::string("a ") + what + " reference is not a dataset");
        }
        return Handle(id, H5Dclose);
    }

    std::vector<uint8_t> read_u8(hid_t ds, size_t count, int64_t i, const char* what) const {
        // Read as double whatever numeric type is stored (MATLAB may write double), then
        // required to be whole numbers in 0..255: HDF5's own conversion to uint8 would clip
        // 300 to 255 and truncate floats in 0..1 to a black image without a word.
        std::vector<double> values(count);
        if (H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
            fail(i, std::string("cannot read the ") + what + " (not numeric, truncated or corrupt?)");
        std::vector<uint8_t> out(count);
        for (size_t k = 0; k < count; ++k) {
            const double v = values[k];
            if (!(v >= 0 && v <= 255) || v != std::floor(v))
                fail(i, std::string("the ") + what + " holds " + std::to_string(v) +
                            ", not a whole number in 0..255 (floats in 0..1 should be scaled to 0..255)");
            out[k] = static_cast<uint8_t>(v);
        }
        return out;
    }

    std::string path_;
    Handle file_;
    std::vector<hobj_ref_t> img_refs_, gt_refs_;
};

// A mask file holds two values: black (0) background and one foreground value (1, 255
// or any colour). More values are refused rather than thresholded: a JPEG's
// compression noise, Pascal VOC's 255 "void" border, or class-indexed colours would
// each silently move pixels between foreground and background. A mask drawn only
// in its alpha channel is refused too, since its colour says nothing.
Mask binary_mask(const Image& m, const std::string& mask_path) {
    const size_t n = static_cast<size_t>(m.width) * m.height, step = static_cast<size_t>(m.channels);
    const auto colour = [&](size_t p) {  // any of R, G, B nonzero
        bool on = false;
        for (size_t c = 0; c < std::min<size_t>(step, 3); ++c) on = on || m.pixels[p * step + c] != 0;
        return on;
    };
    std::vector<size_t> first_of_each;  // the first pixel of each distinct value, alpha included
    for (size_t p = 0; p < n && first_of_each.size() <= 2; ++p) {
        const auto same = [&](size_t q) {
            return std::equal(m.pixels.begin() + p * step, m.pixels.begin() + (p + 1) * step,
                              m.pixels.begin() + q * step);
        };
        if (std::none_of(first_of_each.begin(), first_of_each.end(), same)) first_of_each.push_back(p);
    }
    if (first_of_each.size() > 2)
        throw_input(mask_path,
                    "holds more than two values, as a JPEG, an anti-aliased drawing, a mask with a 'void' border or "
                    "a class-coloured map would; a mask is black background and one foreground value (save a "
                    "black-and-white PNG)");
    if (first_of_each.size() == 2 && colour(first_of_each[0]) == colour(first_of_each[1]))
        throw_input(mask_path,
                    "holds two values but not black and a foreground value (two colours, or a shape drawn only in "
                    "the alpha channel); save a black-and-white PNG");
    Mask out;
    out.width = m.width;
    out.height = m.height;
    out.data.resize(n);
    for (size_t p = 0; p < n; ++p) out.data[p] = colour(p);
    return out;
}

class MaskFolder final : public SegmentationDataset {
public:
    MaskFolder(const std::string& images, const std::string& masks) {
        if (!fs::is_directory(masks)) throw_input(masks, "not a folder of masks");
        std::map<std::string, std::string> by_stem;  // relative path without extension -> mask file
        // list_image_folder gives absolute paths: relative to the folders' absolute forms.
        const fs::path mask_root = fs::absolute(masks).lexically_normal(),
                       image_root = fs::absolute(images).lexically_normal();
        for (const auto& e : list_image_folder(masks)) {
            fs::path rel = fs::path(e.path).lexically_relative(mask_root);
            if (rel.empty()) throw Error(ErrorKind::Internal, e.path + " is not under " + mask_root.string());
            by_stem.emplace(rel.replace_extension().generic_string(), e.path);
        }
        std::vector<std::string> unmatched;
        for (const auto& e : list_image_folder(images)) {
            fs::path rel = fs::path(e.path).lexically_relative(image_root);
            if (rel.empty()) throw Error(ErrorKind::Internal, e.path + " is not under " + image_root.string());
            auto it = by_stem.find(rel.replace_extension().generic_string());
            if (it == by_stem.end())
                unmatched.push_back(e.path);
            else
                pairs_.emplace_back(e.path, it->second);
        }
        if (!unmatched.empty())
            throw_input(unmatched.front(), "has no mask under " + masks + " with the same relative path and name (" +
                                               std::to_string(unmatched.size()) + " images unmatched)");
        if (pairs_.empty()) throw_input(images, "holds no images");
    }
    int64_t size() const override { return static_cast<int64_t>(pairs_.size()); }
    std::string name(int64_t i) const override { return pairs_.at(static_cast<size_t>(i)).first; }
    SegmentationSample load(int64_t i) const override {
        const auto& [image_path, mask_path] = pairs_.at(static_cast<size_t>(i));
        SegmentationSample s;
        s.name = image_path;
        s.image = load_image(image_path);
        const Image m = load_image(mask_path);
        if (m.width != s.image.width || m.height != s.image.height)
            throw_input(mask_path, "mask is " + std::to_string(m.width) + "x" + std::to_string(m.height) +
                                       " but its image " + image_path + " is " + std::to_string(s.image.width) + "x" +
                                       std::to_string(s.image.height));
        s.mask = binary_mask(m, mask_path);
        return s;
    }

private:
    std::vector<std::pair<std::string, std::string>> pairs_;
};

// Writes `count` object references to `name` as an [count, 1] dataset.
void write_refs(hid_t loc, const char* name, const std::vector<hobj_ref_t>& refs) {
    const hsize_t dims[2] = {refs.size(), 1};
    Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose);
    Handle ds(H5Dcreate2(loc, name, H5T_STD_REF_OBJ, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
    H5Dwrite(ds.get(), H5T_STD_REF_OBJ, H5S_ALL, H5S_ALL, H5P_DEFAULT, refs.data());
}

void write_u8(hid_t loc, const std::string& name, const std::vector<hsize_t>& dims, const std::vector<uint8_t>& data) {
    Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
    Handle ds(H5Dcreate2(loc, name.c_str(), H5T_STD_U8LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
              H5Dclose);
    if (ds.get() < 0 || H5Dwrite(ds.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0)
        throw_input(name, "HDF5 write failed");
}

}  // namespace

std::unique_ptr<SegmentationDataset> open_imagenet_segmentation(const std::string& mat_path) {
    return std::make_unique<ImagenetSegmentation>(mat_path);
}

std::unique_ptr<SegmentationDataset> open_mask_folder(const std::string& images, const std::string& masks) {
    return std::make_unique<MaskFolder>(images, masks);
}

void write_imagenet_segmentation(const std::string& mat_path, const std::vector<Image>& images,
                                 const std::vector<Mask>& masks) {
    if (images.size() != masks.size()) throw_usage("write_imagenet_segmentation: as many masks as images are needed");
    silence_hdf5_errors();
    std::lock_guard lock(hdf5_mutex());
    const std::string temp = mat_path + ".tmp";
    {
        Handle fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
        H5Pset_userblock(fcpl.get(), 512);  // MATLAB v7.3 files start with a 512-byte text header
        Handle file(H5Fcreate(temp.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT), H5Fclose);
        if (file.get() < 0) throw_input(temp, "cannot create the HDF5 file");
        Handle value(H5Gcreate2(file.get(), "/value", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
        Handle refs(H5Gcreate2(file.get(), "/#refs#", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
        std::vector<hobj_ref_t> img_refs, gt_refs;
        for (size_t i = 0; i < images.size(); ++i) {
            const Image& im = images[i];
            const Mask& m = masks[i];
            if (im.channels != 3 || im.pixels.size() != static_cast<size_t>(im.width) * im.height * 3 ||
                m.data.size() != static_cast<size_t>(m.width) * m.height)
                throw_usage("write_imagenet_segmentation: entry " + std::to_string(i) + " is malformed");
            std::vector<uint8_t> planar(im.pixels.size());
            for (int c = 0; c < 3; ++c)
                for (int x = 0; x < im.width; ++x)
                    for (int y = 0; y < im.height; ++y)
                        planar[(static_cast<size_t>(c) * im.width + x) * im.height + y] =
                            im.pixels[(static_cast<size_t>(y) * im.width + x) * 3 + c];
            const std::string img_name = "/#refs#/img" + std::to_string(i),
                              mask_name = "/#refs#/mask" + std::to_string(i);
            write_u8(file.get(), img_name, {3, static_cast<hsize_t>(im.width), static_cast<hsize_t>(im.height)},
                     planar);
            std::vector<uint8_t> column(m.data.size());
            for (int x = 0; x < m.width; ++x)
                for (int y = 0; y < m.height; ++y)
                    column[static_cast<size_t>(x) * m.height + y] = m.data[static_cast<size_t>(y) * m.width + x];
            write_u8(file.get(), mask_name, {static_cast<hsize_t>(m.width), static_cast<hsize_t>(m.height)}, column);
            hobj_ref_t r;
            H5Rcreate(&r, file.get(), img_name.c_str(), H5R_OBJECT, -1);
            img_refs.push_back(r);
            H5Rcreate(&r, file.get(), mask_name.c_str(), H5R_OBJECT, -1);
            const std::string cell_name = "/#refs#/cell" + std::to_string(i);
            write_refs(file.get(), cell_name.c_str(), {r});
            H5Rcreate(&r, file.get(), cell_name.c_str(), H5R_OBJECT, -1);
            gt_refs.push_back(r);
        }
        write_refs(value.get(), "img", img_refs);
        write_refs(value.get(), "gt", gt_refs);
    }
    std::error_code ec;
    fs::rename(temp, mat_path, ec);
    if (ec) throw_input(mat_path, "cannot move the written file into place: " + ec.message());
}

std::vector<uint8_t> align_mask(const Mask& mask, const PreprocessConfig& preprocess, MaskAlignment alignment) {
    if (mask.width <= 0 || mask.height <= 0 || mask.data.size() != static_cast<size_t>(mask.width) * mask.height)
        throw_usage("malformed mask");
    const int S = static_cast<int>(preprocess.image_size);
    // As a palette-flagged 3-channel image, the image code resizes it with nearest-neighbour.
    Image as_image{mask.width, mask.height, 3, true, std::vector<uint8_t>(mask.data.size() * 3), {}};
    for (size_t p = 0; p < mask.data.size(); ++p) as_image.pixels[p * 3] = mask.data[p];
    const Image out = alignment == MaskAlignment::Crop ? resize_and_crop(as_image, preprocess)
                                                       : resize_nearest_pillow(as_image, S, S);
    std::vector<uint8_t> aligned(static_cast<size_t>(S) * S);
    for (size_t p = 0; p < aligned.size(); ++p) aligned[p] = out.pixels[p * static_cast<size_t>(out.channels)] != 0;
    return aligned;
}

}  // namespace clipscope
