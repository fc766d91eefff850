#pragma once
// Checksums the hub uses as ETags: SHA-256 of LFS files, and git's blob SHA-1
// (over "blob <size>\0" + content) of regular files. Private to core.
#include <string>

namespace clipscope {

std::string sha256_file_hex(const std::string& path);
std::string git_blob_sha1_file_hex(const std::string& path);

}  // namespace clipscope
