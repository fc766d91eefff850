#include "clipscope/base/file_digest.h"

#include <openssl/evp.h>

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

}  // namespace clipscope
