#include "clipscope/base/file_digest.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "clipscope/base/error.h"
#include "clipscope/base/hex_text.h"

namespace clipscope {
namespace {

std::string digest_file(const std::string& path, const EVP_MD* md, const std::string& prefix,
                        const std::function<bool()>& keep_going) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw_input(path, "cannot be opened to compute its checksum");
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1)
        throw Error(ErrorKind::Internal, "OpenSSL digest initialisation failed");
    EVP_DigestUpdate(ctx.get(), prefix.data(), prefix.size());
    std::vector<char> buffer(1 << 20);
    while (in) {
        if (keep_going && !keep_going()) throw Error(ErrorKind::Cancelled, path + ": checksum cancelled");
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(in.gcount()));
    }
    if (in.bad()) throw_input(path, "read error while computing its checksum");
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx.get(), out, &n);
    return lowercase_hex(out, n);
}

}  // namespace

std::string sha256_file_hex(const std::string& path, const std::function<bool()>& keep_going) {
    return digest_file(path, EVP_sha256(), "", keep_going);
}

std::string git_blob_sha1_file_hex(const std::string& path, const std::function<bool()>& keep_going) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) throw_input(path, "cannot be read to compute its checksum");
    std::string prefix = "blob " + std::to_string(size);
    prefix.push_back('\0');
    return digest_file(path, EVP_sha1(), prefix, keep_going);
}

uint64_t fnv1a64_words(const char* data, size_t size, uint64_t hash) {
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        uint64_t word;
        std::memcpy(&word, data + i, 8);
        hash = (hash ^ word) * 1099511628211ull;
    }
    for (; i < size; ++i) hash = (hash ^ static_cast<unsigned char>(data[i])) * 1099511628211ull;
    return hash;
}

FileIdentity file_identity(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return {};
    const auto ns = [](const timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; };
    return FileIdentity{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                        static_cast<int64_t>(st.st_size), ns(st.st_mtim), ns(st.st_ctim)};
}

std::string fnv1a64_file_fingerprint(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw_input(path, std::string("cannot open: ") + std::strerror(errno));
    uint64_t hash = kFnv1a64Offset;
    std::vector<char> buffer(size_t{8} << 20);
    uint64_t total = 0;
    bool at_end = false;
    while (!at_end) {
        // Whole 8 MiB blocks (the hash's words restart at each block), whatever read() returns.
        size_t filled = 0;
        while (filled < buffer.size()) {
            const ssize_t n = ::read(fd, buffer.data() + filled, buffer.size() - filled);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                const std::string why = std::strerror(errno);
                ::close(fd);
                throw_input(path, "read failed: " + why);
            }
            if (n == 0) {
                at_end = true;
                break;
            }
            filled += static_cast<size_t>(n);
        }
        total += filled;
        hash = fnv1a64_words(buffer.data(), filled, hash);
    }
    ::close(fd);
    return fnv1a64_fingerprint_text(hash, total);
}

std::string fnv1a64_fingerprint_text(uint64_t hash, uint64_t bytes) {
    char hex[48];
    std::snprintf(hex, sizeof(hex), "fnv1a64:%016llx:%llu", static_cast<unsigned long long>(hash),
                  static_cast<unsigned long long>(bytes));
    return hex;
}

}  // namespace clipscope
