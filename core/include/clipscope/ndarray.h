#pragma once
// A plain n-dimensional array (shape + contiguous row-major buffer). It is how
// tensors cross the core's public boundary, so front ends never need torch.
#include <cstdint>
#include <string>
#include <vector>

namespace clipscope {

using Shape = std::vector<int64_t>;

int64_t element_count(const Shape& shape);
std::string shape_to_string(const Shape& shape);

template <typename T>
struct NdArray {
    Shape shape;
    std::vector<T> data;

    NdArray() = default;
    explicit NdArray(Shape s) : shape(std::move(s)), data(static_cast<size_t>(element_count(shape))) {}
    NdArray(Shape s, std::vector<T> d) : shape(std::move(s)), data(std::move(d)) {}

    int64_t size() const { return static_cast<int64_t>(data.size()); }
    int64_t dim(size_t i) const { return shape.at(i); }
    size_t rank() const { return shape.size(); }
};

using FloatArray = NdArray<float>;
using Int64Array = NdArray<int64_t>;

}  // namespace clipscope
