#pragma once
// The readers under test take paths (they mmap or stream files), so each fuzz input
// is written to one file in memory-backed /dev/shm (or $TMPDIR) and read from there.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

namespace clipscope::fuzz {

inline std::string input_file(const uint8_t* data, size_t size, const char* suffix) {
    static const std::string dir =
        access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    const std::string path = dir + "/clipscope-fuzz-" + std::to_string(getpid()) + suffix;
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    return path;
}

}  // namespace clipscope::fuzz
