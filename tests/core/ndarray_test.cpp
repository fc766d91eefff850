#include "clipscope/base/ndarray.h"

#include "clipscope/base/error.h"
#include "test_support.h"

namespace clipscope {
namespace {

// Large blocks are recycled through a cache; a normally constructed array must
// still start zeroed even when it reuses a block that held data.
TEST(NdArray, ReusedLargeBlocksStillStartZeroed) {
    const Shape big = {3, 1024, 1024};  // 12 MB: above the mmap threshold
    {
        FloatArray a(big);
        std::fill(a.data.begin(), a.data.end(), 7.0f);
    }
    const FloatArray b(big);
    for (size_t i = 0; i < b.data.size(); i += 4099) ASSERT_EQ(b.data[i], 0.0f) << i;
    EXPECT_EQ(b.data.back(), 0.0f);
    const FloatArray small(Shape{5});
    EXPECT_EQ(test::values(small), std::vector<float>(5, 0.0f));
}

TEST(NdArray, UninitializedHasTheShapeAndIsWritable) {
    FloatArray u = FloatArray::uninitialized({2, 3, 1024, 1024});
    EXPECT_EQ(u.size(), 2 * 3 * 1024 * 1024);
    u.data.back() = 1.5f;
    EXPECT_EQ(u.data.back(), 1.5f);
    // The guard is scoped: arrays made afterwards are zeroed again.
    const FloatArray z({2, 3, 1024, 1024});
    EXPECT_EQ(z.data.back(), 0.0f);
}

TEST(NdArray, ElementCountRefusesOverflowAndNegativeDims) {
    EXPECT_EQ(element_count({}), 1);
    EXPECT_EQ(element_count({0, 5}), 0);
    EXPECT_THROW(element_count({int64_t{1} << 40, int64_t{1} << 40}), Error);
    EXPECT_THROW(element_count({-1}), Error);
    EXPECT_EQ(shape_to_string({2, 3}), "[2, 3]");
}

}  // namespace
}  // namespace clipscope
