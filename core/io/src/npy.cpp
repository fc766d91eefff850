#include "clipscope/io/npy.h"

#include <algorithm>
#include <cctype>
#include <climits>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <regex>
#include <sstream>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/base/half_float.h"
#include "clipscope/base/output_ledger.h"

namespace clipscope {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
// Arrays the tool reads are model inputs and fixtures; 16 GiB is far above any of them
// and stops a corrupt header from asking for absurd allocations.
constexpr size_t kMaxNpyBytes = size_t{16} << 30;

}  // namespace

std::string npy_header(const Shape& shape, const std::string& descr) {
    std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (";
    for (size_t i = 0; i < shape.size(); ++i) {
        dict += std::to_string(shape[i]);
        if (shape.size() == 1)
            dict += ",";  // a Python 1-tuple needs its trailing comma
        else if (i + 1 < shape.size())
            dict += ", ";
    }
    dict += "), }";
    // Total header (magic 6 + version 2 + length 2 + dict + '\n') padded to a multiple of 64.
    const size_t unpadded = 10 + dict.size() + 1;
    dict.append((64 - unpadded % 64) % 64, ' ');
    dict += '\n';
    const uint16_t len = static_cast<uint16_t>(dict.size());
    std::string header(kMagic, 6);
    header += static_cast<char>(1);
    header += static_cast<char>(0);
    header += static_cast<char>(len & 0xff);
    header += static_cast<char>(len >> 8);
    return header + dict;
}

namespace {

template <typename T>
void write_npy_impl(const std::string& path, const NdArray<T>& array, const char* descr) {
    if (element_count(array.shape) != array.size())
        throw Error(ErrorKind::Internal, "write_npy " + path + ": shape " + shape_to_string(array.shape) +
                                             " does not match " + std::to_string(array.size()) + " elements");
    const std::string header = npy_header(array.shape, descr);
    write_file_atomically(path, [&](std::ostream& out) {
        out.write(header.data(), static_cast<std::streamsize>(header.size()));
        out.write(reinterpret_cast<const char*>(array.data.data()),
                  static_cast<std::streamsize>(array.data.size() * sizeof(T)));
    });
}

struct NpyHeader {
    std::string descr;
    Shape shape;
    size_t data_offset = 0;
};

NpyHeader parse_header(const std::string& path, const std::string& bytes) {
    if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0)
        throw_input(path, "not a .npy file (bad magic bytes)");
    const int major = static_cast<unsigned char>(bytes[6]);
    size_t header_len = 0, offset = 0;
    if (major == 1) {
        header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
        offset = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) throw_input(path, "truncated .npy header");
        header_len = 0;
        for (int i = 0; i < 4; ++i)
            header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
        offset = 12;
    } else {
        throw_input(path, "unsupported .npy format version " + std::to_string(major));
    }
    if (offset + header_len > bytes.size()) throw_input(path, "truncated .npy header");
    const std::string dict = bytes.substr(offset, header_len);
    NpyHeader h;
    h.data_offset = offset + header_len;
    std::smatch m;
    if (!std::regex_search(dict, m, std::regex(R"('descr'\s*:\s*'([^']*)')")))
        throw_input(path, ".npy header has no 'descr'");
    h.descr = m[1];
    if (!std::regex_search(dict, m, std::regex(R"('fortran_order'\s*:\s*(True|False))")))
        throw_input(path, ".npy header has no 'fortran_order'");
    if (m[1] == "True")
        throw_input(path, "Fortran-ordered .npy arrays are not supported; save with np.ascontiguousarray");
    if (!std::regex_search(dict, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))")))
        throw_input(path, ".npy header has no 'shape'");
    std::stringstream dims(m[1].str());
    std::string item;
    while (std::getline(dims, item, ',')) {
        const auto first = item.find_first_not_of(" ");
        if (first == std::string::npos) continue;
        try {
            size_t used = 0;
            const long long d = std::stoll(item.substr(first), &used);
            if (d < 0) throw std::invalid_argument("negative");
            h.shape.push_back(d);
        } catch (const std::exception&) {
            throw_input(path, ".npy shape entry '" + item + "' is not a non-negative integer");
        }
    }
    return h;
}

size_t descr_item_size(const std::string& path, const std::string& descr) {
    if (descr.size() < 3 || descr.size() > 4) throw_input(path, "unsupported .npy dtype '" + descr + "'");
    if (descr[0] == '>') throw_input(path, "big-endian .npy data is not supported (dtype '" + descr + "')");
    size_t item = 0;
    for (size_t i = 2; i < descr.size(); ++i) {
        if (!std::isdigit(static_cast<unsigned char>(descr[i])))
            throw_input(path, "unsupported .npy dtype '" + descr + "'");
        item = item * 10 + static_cast<size_t>(descr[i] - '0');
    }
    if (item == 0 || item > 16) throw_input(path, "unsupported .npy dtype '" + descr + "'");
    return item;
}

// Element count of a header's shape, refusing shapes whose size overflows (a hostile header).
int64_t checked_count(const std::string& path, const Shape& shape, size_t item) {
    int64_t count = 0;
    try {
        count = element_count(shape);
    } catch (const Error& e) {
        throw_input(path, std::string(".npy ") + e.what());
    }
    if (item != 0 && static_cast<uint64_t>(count) > static_cast<uint64_t>(INT64_MAX) / item)
        throw_input(path, ".npy shape " + shape_to_string(shape) + " is too large");
    return count;
}

template <typename Out, typename Convert>
NdArray<Out> convert_data(const std::string& path, const std::string& bytes, const NpyHeader& h, Convert convert) {
    const std::string kind = h.descr.substr(1);
    const size_t item = descr_item_size(path, h.descr);
    const int64_t count = checked_count(path, h.shape, item);
    const size_t needed = static_cast<size_t>(count) * item;
    if (bytes.size() - h.data_offset < needed)
        throw_input(path, "truncated .npy data: shape " + shape_to_string(h.shape) + " needs " +
                              std::to_string(needed) + " bytes, file has " +
                              std::to_string(bytes.size() - h.data_offset));
    NdArray<Out> out(h.shape);
    const char* src = bytes.data() + h.data_offset;
    for (int64_t i = 0; i < count; ++i) out.data[i] = convert(kind, src + i * item);
    return out;
}

// Non-finite values decode but are not data: a NaN pushes through every sum it meets, so
// one in a tensor, a text matrix or a classifier would turn the whole result into NaN
// (and an out-of-range float64 becomes inf here). The error names the first such element.
void refuse_non_finite(const std::string& path, const FloatArray& a, const Shape& file_shape, int64_t first_row) {
    const auto bad = std::find_if(a.data.begin(), a.data.end(), [](float v) { return !std::isfinite(v); });
    if (bad == a.data.end()) return;
    int64_t flat = bad - a.data.begin();
    std::vector<int64_t> index(a.shape.size());
    for (size_t d = a.shape.size(); d-- > 0;) {
        index[d] = a.shape[d] ? flat % a.shape[d] : 0;
        flat = a.shape[d] ? flat / a.shape[d] : 0;
    }
    if (!index.empty()) index[0] += first_row;
    std::string at;
    for (const int64_t i : index) at += (at.empty() ? "" : ", ") + std::to_string(i);
    const int64_t count = std::count_if(a.data.begin(), a.data.end(), [](float v) { return !std::isfinite(v); });
    throw_input(path, "holds " + std::to_string(count) + " non-finite value" + (count == 1 ? "" : "s") +
                          (first_row > 0 || a.shape != file_shape ? " in the rows read" : "") +
                          " (NaN or inf; first at [" + at + "]: " + std::to_string(*bad) + "); not usable data");
}

}  // namespace

void write_npy(const std::string& path, const FloatArray& array) { write_npy_impl(path, array, "<f4"); }
void write_npy(const std::string& path, const Int64Array& array) { write_npy_impl(path, array, "<i8"); }

FloatArray read_npy_float(const std::string& path) {
    const std::string bytes = read_file_bytes(path, kMaxNpyBytes);
    const NpyHeader h = parse_header(path, bytes);
    const std::string kind = h.descr.substr(h.descr.empty() ? 0 : 1);
    if (kind != "f4" && kind != "f8" && kind != "f2")
        throw_input(path, "expected a float32 .npy array, found dtype '" + h.descr + "'");
    FloatArray out = convert_data<float>(path, bytes, h, [](const std::string& k, const char* p) -> float {
        if (k == "f4") {
            float v;
            std::memcpy(&v, p, 4);
            return v;
        }
        if (k == "f8") {
            double v;
            std::memcpy(&v, p, 8);
            return static_cast<float>(v);
        }
        uint16_t v;
        std::memcpy(&v, p, 2);
        return half_to_float(v);
    });
    refuse_non_finite(path, out, h.shape, 0);
    return out;
}

NpyStreamWriter::NpyStreamWriter(std::string path, Shape shape) : path_(std::move(path)), shape_(std::move(shape)) {
    expected_ = static_cast<size_t>(element_count(shape_));
    temp_ = path_ + ".partial";
    file_ = std::fopen(temp_.c_str(), "wb");
    if (!file_) throw_input(path_, "cannot create " + temp_);
    const std::string header = npy_header(shape_, "<f4");
    if (std::fwrite(header.data(), 1, header.size(), file_) != header.size()) throw_input(path_, "write failed");
}

NpyStreamWriter::~NpyStreamWriter() {
    if (file_) {
        std::fclose(file_);
        std::remove(temp_.c_str());
    }
}

void NpyStreamWriter::append(const float* data, size_t count) {
    if (!file_) throw Error(ErrorKind::Internal, path_ + ": append after finish");
    if (written_ + count > expected_)
        throw Error(ErrorKind::Internal, path_ + ": more data than the declared shape " + shape_to_string(shape_));
    if (std::fwrite(data, sizeof(float), count, file_) != count) throw_input(path_, "write failed (disk full?)");
    written_ += count;
}

void NpyStreamWriter::finish() {
    if (written_ != expected_)
        throw Error(ErrorKind::Internal,
                    path_ + ": " + std::to_string(written_) + " of " + std::to_string(expected_) + " elements written");
    const bool ok = std::fflush(file_) == 0;
    std::fclose(file_);
    file_ = nullptr;
    if (!ok || std::rename(temp_.c_str(), path_.c_str()) != 0) {
        std::remove(temp_.c_str());
        throw_input(path_, "cannot complete the file");
    }
    note_file_written(path_);
}

NpyRowReader::NpyRowReader(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw_input(path, std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    ::fstat(fd_, &st);
    // The header is small: read at most 64 KiB of it.
    std::string head(static_cast<size_t>(std::min<off_t>(st.st_size, 65536)), '\0');
    if (::pread(fd_, head.data(), head.size(), 0) != static_cast<ssize_t>(head.size()))
        throw_input(path, "cannot read the header");
    const NpyHeader h = parse_header(path, head);
    kind_ = h.descr.substr(1);
    if (kind_ != "f4" && kind_ != "f8" && kind_ != "f2")
        throw_input(path, "expected a float .npy array, found dtype '" + h.descr + "'");
    if (h.shape.empty()) throw_input(path, "is a scalar, expected rows");
    item_ = descr_item_size(path, h.descr);
    shape_ = h.shape;
    checked_count(path, shape_, item_);  // the whole array's byte size fits in 63 bits
    row_elements_ = static_cast<size_t>(element_count(Shape(shape_.begin() + 1, shape_.end())));
    data_offset_ = h.data_offset;
    const auto needed = data_offset_ + static_cast<size_t>(shape_[0]) * row_elements_ * item_;
    if (static_cast<size_t>(st.st_size) < needed)
        throw_input(path, "truncated .npy data: shape " + shape_to_string(shape_) + " needs " + std::to_string(needed) +
                              " bytes, file has " + std::to_string(st.st_size));
}

NpyRowReader::~NpyRowReader() {
    if (fd_ >= 0) ::close(fd_);
}

FloatArray NpyRowReader::read_rows(int64_t first, int64_t count) const {
    if (first < 0 || count < 0 || first + count > shape_[0])
        throw_usage(path_ + ": rows " + std::to_string(first) + "+" + std::to_string(count) + " out of range");
    Shape shape = shape_;
    shape[0] = count;
    FloatArray out = FloatArray::uninitialized(shape);
    std::string bytes(static_cast<size_t>(count) * row_elements_ * item_, '\0');
    if (::pread(fd_, bytes.data(), bytes.size(),
                static_cast<off_t>(data_offset_ + static_cast<size_t>(first) * row_elements_ * item_)) !=
        static_cast<ssize_t>(bytes.size()))
        throw_input(path_, "short read");
    for (size_t i = 0; i < out.data.size(); ++i) {
        const char* p = bytes.data() + i * item_;
        if (kind_ == "f4")
            std::memcpy(&out.data[i], p, 4);
        else if (kind_ == "f8") {
            double v;
            std::memcpy(&v, p, 8);
            out.data[i] = static_cast<float>(v);
        } else {
            uint16_t v;
            std::memcpy(&v, p, 2);
            out.data[i] = half_to_float(v);
        }
    }
    refuse_non_finite(path_, out, shape_, first);
    return out;
}

Int64Array read_npy_int(const std::string& path) {
    const std::string bytes = read_file_bytes(path, kMaxNpyBytes);
    const NpyHeader h = parse_header(path, bytes);
    const std::string kind = h.descr.substr(h.descr.empty() ? 0 : 1);
    if (kind != "i8" && kind != "i4" && kind != "u1" && kind != "i2" && kind != "u2" && kind != "i1" && kind != "u4")
        throw_input(path, "expected an integer .npy array, found dtype '" + h.descr + "'");
    return convert_data<int64_t>(path, bytes, h, [](const std::string& k, const char* p) -> int64_t {
        if (k == "i8") {
            int64_t v;
            std::memcpy(&v, p, 8);
            return v;
        }
        if (k == "i4") {
            int32_t v;
            std::memcpy(&v, p, 4);
            return v;
        }
        if (k == "u4") {
            uint32_t v;
            std::memcpy(&v, p, 4);
            return v;
        }
        if (k == "i2") {
            int16_t v;
            std::memcpy(&v, p, 2);
            return v;
        }
        if (k == "u2") {
            uint16_t v;
            std::memcpy(&v, p, 2);
            return v;
        }
        if (k == "i1") return static_cast<int8_t>(*p);
        return static_cast<unsigned char>(*p);
    });
}

}  // namespace clipscope
