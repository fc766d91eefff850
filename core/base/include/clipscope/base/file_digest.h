#pragma once
// Checksums the hub uses as ETags: SHA-256 of LFS files, and git's blob SHA-1
// (over "blob <size>\0" + content) of regular files; and the weights fingerprint. Private to core.
#include <cstdint>
#include <functional>
#include <string>

namespace clipscope {

// keep_going (optional) is polled every MB; false stops with Error(Cancelled).
std::string sha256_file_hex(const std::string& path, const std::function<bool()>& keep_going = {});
std::string git_blob_sha1_file_hex(const std::string& path, const std::function<bool()>& keep_going = {});

// A fast fingerprint of a file's bytes, "fnv1a64:<16 hex>:<size>" (64-bit FNV-1a over
// 8-byte words of each 8 MiB block, then its tail bytes): how stores name the weights
// that made them. Errors name the file.
std::string fnv1a64_file_fingerprint(const std::string& path);
// The same hash over bytes held in memory, continuing from `hash` (start: kFnv1a64Offset).
constexpr uint64_t kFnv1a64Offset = 1469598103934665603ull;
uint64_t fnv1a64_words(const char* data, size_t size, uint64_t hash);
// "fnv1a64:<16 hex>:<bytes>", the fingerprint's text.
std::string fnv1a64_fingerprint_text(uint64_t hash, uint64_t bytes);

// A file as stat(2) describes it (device, inode, size, modification and status-change
// times in ns): to notice that a file read earlier has since been replaced or rewritten.
struct FileIdentity {
    uint64_t device = 0, inode = 0;
    int64_t size = -1;  // -1: it could not be stat'ed
    int64_t modified_ns = 0, changed_ns = 0;
    bool operator==(const FileIdentity& o) const {
        return device == o.device && inode == o.inode && size == o.size && modified_ns == o.modified_ns &&
               changed_ns == o.changed_ns;
    }
    bool operator!=(const FileIdentity& o) const { return !(*this == o); }
};
FileIdentity file_identity(const std::string& path);

}  // namespace clipscope
