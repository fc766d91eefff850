#pragma once
// A plain n-dimensional array (shape + contiguous row-major buffer). It is how
// tensors cross the core's public boundary, so front ends never need torch.
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace clipscope {

using Shape = std::vector<int64_t>;

// Memory for array data. Large blocks (decompositions reach hundreds of MB) come
// straight from mmap, 2 MB-aligned and advised for transparent huge pages: a fresh
// 58 MB ViT-B-16 decomposition then takes ~30 page faults instead of ~15,000,
// which on our 2-core VM measured ~120 ms per call. Small blocks use operator new.
// Blocks come back zero-filled (mmap pages already are), so value-initialising
// constructors need not write every element again.
void* allocate_buffer(size_t bytes);
void free_buffer(void* pointer, size_t bytes) noexcept;

// While one of these lives, allocate_buffer on this thread may return memory that
// is not zeroed (for outputs that are about to be overwritten entirely: zeroing a
// reused 464 MB batch-8 decomposition buffer cost ~5 ms per image).
class SkipZeroFill {
public:
    SkipZeroFill();
    ~SkipZeroFill();
    SkipZeroFill(const SkipZeroFill&) = delete;
    SkipZeroFill& operator=(const SkipZeroFill&) = delete;

private:
    bool previous_;
};

template <typename T>
struct BufferAllocator {
    using value_type = T;
    BufferAllocator() = default;
    template <typename U>
    BufferAllocator(const BufferAllocator<U>&) {}
    T* allocate(size_t n) { return static_cast<T*>(allocate_buffer(n * sizeof(T))); }
    void deallocate(T* p, size_t n) noexcept { free_buffer(p, n * sizeof(T)); }
    // Value-initialisation is a no-op: allocate_buffer already returned zeros.
    template <typename U>
    void construct(U* p) noexcept {
        static_assert(std::is_trivially_default_constructible_v<U>, "Buffer holds plain numbers");
        (void)p;
    }
    template <typename U, typename... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
    template <typename U>
    bool operator==(const BufferAllocator<U>&) const {
        return true;
    }
    template <typename U>
    bool operator!=(const BufferAllocator<U>&) const {
        return false;
    }
};

template <typename T>
using Buffer = std::vector<T, BufferAllocator<T>>;

int64_t element_count(const Shape& shape);
std::string shape_to_string(const Shape& shape);

template <typename T>
struct NdArray {
    Shape shape;
    Buffer<T> data;  // zero-initialised by the sized constructor

    NdArray() = default;
    explicit NdArray(Shape s) : shape(std::move(s)), data(static_cast<size_t>(element_count(shape))) {}
    NdArray(Shape s, Buffer<T> d) : shape(std::move(s)), data(std::move(d)) {}
    NdArray(Shape s, const std::vector<T>& d) : shape(std::move(s)), data(d.begin(), d.end()) {}
    NdArray(Shape s, std::initializer_list<T> d) : shape(std::move(s)), data(d) {}

    // An array whose every element the caller will write: contents start undefined.
    static NdArray uninitialized(Shape s) {
        const SkipZeroFill no_zeroing;
        return NdArray(std::move(s));
    }

    int64_t size() const { return static_cast<int64_t>(data.size()); }
    int64_t dim(size_t i) const { return shape.at(i); }
    size_t rank() const { return shape.size(); }
};

using FloatArray = NdArray<float>;
using Int64Array = NdArray<int64_t>;

}  // namespace clipscope
