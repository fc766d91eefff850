#include "clipscope/base/ndarray.h"

#include <sys/mman.h>

#include <cstring>
#include <mutex>
#include <new>
#include <vector>

#include "clipscope/base/error.h"

namespace clipscope {

namespace {
constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kMmapThreshold = size_t{4} << 20;
size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

// Freed large blocks kept for the next request of the same size: repeated
// decompositions (batches, indexing, the GUI) then reuse memory whose pages are
// already mapped instead of faulting them in again. Bounded in count and bytes.
class BlockCache {
public:
    void* take(size_t bytes) {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto it = blocks_.begin(); it != blocks_.end(); ++it) {
            if (it->second != bytes) continue;
            void* p = it->first;
            held_ -= bytes;
            blocks_.erase(it);
            return p;
        }
        return nullptr;
    }
    // Keeps the block, unmapping the oldest ones when over the bounds (the most
    // recently freed sizes are the likeliest to be asked for again).
    void give(void* p, size_t bytes) {
        std::vector<std::pair<void*, size_t>> evicted;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (bytes > kMaxBytes) {
                evicted.emplace_back(p, bytes);
            } else {
                blocks_.emplace_back(p, bytes);
                held_ += bytes;
                while (blocks_.size() > kMaxBlocks || held_ > kMaxBytes) {
                    evicted.push_back(blocks_.front());
                    held_ -= blocks_.front().second;
                    blocks_.erase(blocks_.begin());
                }
            }
        }
        for (const auto& [q, n] : evicted) ::munmap(q, n);
    }

private:
    static constexpr size_t kMaxBlocks = 4;
    static constexpr size_t kMaxBytes = size_t{2} << 30;
    std::mutex mutex_;
    std::vector<std::pair<void*, size_t>> blocks_;
    size_t held_ = 0;
};

thread_local bool t_skip_zero_fill = false;

BlockCache& block_cache() {
    static BlockCache* cache = new BlockCache();  // never destroyed: buffers may be freed during exit
    return *cache;
}
}  // namespace

void* allocate_buffer(size_t bytes) {
    if (bytes < kMmapThreshold) {
        void* p = ::operator new(bytes);
        if (!t_skip_zero_fill) std::memset(p, 0, bytes);
        return p;
    }
    if (void* cached = block_cache().take(round_up(bytes, kHugePage))) {
        if (!t_skip_zero_fill) std::memset(cached, 0, bytes);
        return cached;
    }
    // Over-allocate by one huge page so the block can start on a 2 MB boundary.
    const size_t mapped = round_up(bytes, kHugePage) + kHugePage;
    void* raw = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    const auto base = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t aligned = round_up(base, kHugePage);
    // Return the unused head and tail to the kernel; keep [aligned, aligned + round_up(bytes)).
    if (aligned > base) ::munmap(raw, aligned - base);
    const size_t kept = round_up(bytes, kHugePage);
    const uintptr_t end = base + mapped;
    if (end > aligned + kept) ::munmap(reinterpret_cast<void*>(aligned + kept), end - aligned - kept);
    ::madvise(reinterpret_cast<void*>(aligned), kept, MADV_HUGEPAGE);  // a hint; fine if THP is off
    return reinterpret_cast<void*>(aligned);
}

SkipZeroFill::SkipZeroFill() : previous_(t_skip_zero_fill) { t_skip_zero_fill = true; }
SkipZeroFill::~SkipZeroFill() { t_skip_zero_fill = previous_; }

void free_buffer(void* pointer, size_t bytes) noexcept {
    if (!pointer) return;
    if (bytes < kMmapThreshold) {
        ::operator delete(pointer);
        return;
    }
    block_cache().give(pointer, round_up(bytes, kHugePage));
}

int64_t element_count(const Shape& shape) {
    int64_t n = 1;
    for (int64_t d : shape) {
        if (d < 0) throw Error(ErrorKind::Internal, "negative dimension in shape " + shape_to_string(shape));
        // Guard against overflow from hostile headers before anything allocates.
        if (d != 0 && n > INT64_MAX / d)
            throw Error(ErrorKind::InputFile, "shape " + shape_to_string(shape) + " is too large");
        n *= d;
    }
    return n;
}

std::string shape_to_string(const Shape& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

int exit_code_for(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Usage:
            return 2;
        case ErrorKind::InputFile:
            return 3;
        case ErrorKind::Model:
            return 4;
        case ErrorKind::Unsupported:
            return 5;
        case ErrorKind::Network:
            return 6;
        case ErrorKind::Cancelled:
            return 130;
        case ErrorKind::Internal:
            return 70;
    }
    return 1;
}

}  // namespace clipscope
