#pragma once
// Checksums the hub uses as ETags: SHA-256 of LFS files, and git's blob SHA-1
// (over "blob <size>\0" + content) of regular files. Private to core.
#include <functional>
#include <string>

namespace clipscope {

// keep_going (optional) is polled every MB; false stops with Error(Cancelled).
std::string sha256_file_hex(const std::string& path, const std::function<bool()>& keep_going = {});
std::string git_blob_sha1_file_hex(const std::string& path, const std::function<bool()>& keep_going = {});

}  // namespace clipscope
