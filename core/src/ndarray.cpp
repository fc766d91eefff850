#include "clipscope/ndarray.h"

#include "clipscope/error.h"

namespace clipscope {

int64_t element_count(const Shape& shape) {
    int64_t n = 1;
    for (int64_t d : shape) {
        if (d < 0) throw Error(ErrorKind::Internal, "negative dimension in shape " + shape_to_string(shape));
        // Guard against overflow from hostile headers before anything allocates.
        if (d != 0 && n > INT64_MAX / d) throw Error(ErrorKind::InputFile, "shape " + shape_to_string(shape) + " is too large");
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
        case ErrorKind::Usage: return 2;
        case ErrorKind::InputFile: return 3;
        case ErrorKind::Model: return 4;
        case ErrorKind::Unsupported: return 5;
        case ErrorKind::Cancelled: return 130;
        case ErrorKind::Internal: return 70;
    }
    return 1;
}

}  // namespace clipscope
