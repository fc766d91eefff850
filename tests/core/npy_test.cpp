#include "clipscope/io/npy.h"

#include <fstream>
#include <limits>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "test_support.h"

namespace clipscope {
namespace {

TEST(Npy, FloatRoundTripKeepsShapeAndValues) {
    test::TempDir dir;
    FloatArray a({2, 3, 4});
    for (size_t i = 0; i < a.data.size(); ++i) a.data[i] = static_cast<float>(i) * 0.5f - 3.0f;
    write_npy(dir.path("a.npy"), a);
    const FloatArray b = read_npy_float(dir.path("a.npy"));
    EXPECT_EQ(b.shape, a.shape);
    EXPECT_EQ(b.data, a.data);
}

// A NaN or inf decodes but is not data: refused by every float reader, naming the element.
TEST(Npy, NonFiniteValuesAreRefusedNamingTheFirstOne) {
    test::TempDir dir;
    FloatArray a({3, 2}, {1, 2, 3, 4, 5, 6});
    a.data[3] = std::numeric_limits<float>::quiet_NaN();
    a.data[5] = -std::numeric_limits<float>::infinity();
    write_npy(dir.path("nan.npy"), a);
    try {
        read_npy_float(dir.path("nan.npy"));
        ADD_FAILURE() << "a NaN was read";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::InputFile);
        const std::string m = e.what();
        EXPECT_NE(m.find("nan.npy"), std::string::npos) << m;
        EXPECT_NE(m.find("2 non-finite values"), std::string::npos) << m;
        EXPECT_NE(m.find("[1, 1]"), std::string::npos) << m;
    }
    const NpyRowReader rows(dir.path("nan.npy"));
    EXPECT_EQ(test::values(rows.read_rows(0, 1)), (std::vector<float>{1, 2}));  // a clean row reads
    try {
        rows.read_rows(2, 1);
        ADD_FAILURE() << "an inf was read";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("[2, 1]"), std::string::npos) << e.what();  // the file's row
    }
}

TEST(Npy, HeaderIsNumpyVersion1AlignedTo64) {
    test::TempDir dir;
    write_npy(dir.path("v.npy"), FloatArray({5}));
    const std::string bytes = read_file_bytes(dir.path("v.npy"), 1 << 20);
    EXPECT_EQ(bytes.substr(0, 6), std::string("\x93NUMPY"));
    EXPECT_EQ(bytes[6], 1);
    const size_t header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    EXPECT_EQ((10 + header_len) % 64, 0u);
    EXPECT_NE(bytes.find("'shape': (5,)"), std::string::npos);
    EXPECT_EQ(bytes[10 + header_len - 1], '\n');
    EXPECT_EQ(bytes.size(), 10 + header_len + 5 * 4);
}

TEST(Npy, ScalarAndEmptyShapes) {
    test::TempDir dir;
    write_npy(dir.path("s.npy"), FloatArray(Shape{}, {7.0f}));
    EXPECT_EQ(test::values(read_npy_float(dir.path("s.npy"))), std::vector<float>{7.0f});
    write_npy(dir.path("e.npy"), FloatArray({0, 3}));
    EXPECT_EQ(read_npy_float(dir.path("e.npy")).shape, (Shape{0, 3}));
}

TEST(Npy, Int64RoundTrip) {
    test::TempDir dir;
    Int64Array a({2, 2}, {1, -2, 3, 1LL << 40});
    write_npy(dir.path("i.npy"), a);
    EXPECT_EQ(read_npy_int(dir.path("i.npy")).data, a.data);
}

TEST(Npy, StreamWriterMatchesWholeWriteAndOnlyAppearsWhenFinished) {
    test::TempDir dir;
    FloatArray a({3, 2}, {1, 2, 3, 4, 5, 6});
    {
        NpyStreamWriter w(dir.path("s.npy"), a.shape);
        w.append(a.data.data(), 4);
        EXPECT_FALSE(std::filesystem::exists(dir.path("s.npy")));
        w.append(a.data.data() + 4, 2);
        w.finish();
    }
    write_npy(dir.path("w.npy"), a);
    EXPECT_EQ(read_file_bytes(dir.path("s.npy"), 1 << 20), read_file_bytes(dir.path("w.npy"), 1 << 20));
    {
        NpyStreamWriter unfinished(dir.path("u.npy"), a.shape);
        unfinished.append(a.data.data(), 2);
    }
    EXPECT_FALSE(std::filesystem::exists(dir.path("u.npy")));
    EXPECT_FALSE(std::filesystem::exists(dir.path("u.npy.partial")));
}

TEST(Npy, BadFilesGiveClearErrors) {
    test::TempDir dir;
    auto expect_error = [&](const std::string& name, const std::string& bytes, const std::string& needle) {
        test::write_bytes(dir.path(name), bytes);
        try {
            read_npy_float(dir.path(name));
            ADD_FAILURE() << name << " accepted";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::InputFile);
            EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    expect_error("empty.npy", "", "empty");
    expect_error("magic.npy", "hello world, not numpy", "magic");
    write_npy(dir.path("good.npy"), FloatArray({4, 4}));
    const std::string good = read_file_bytes(dir.path("good.npy"), 1 << 20);
    expect_error("truncated.npy", good.substr(0, good.size() - 5), "truncated");
    std::string wrong_dtype = good;
    wrong_dtype.replace(wrong_dtype.find("<f4"), 3, "<i8");
    expect_error("dtype.npy", wrong_dtype, "dtype");
    std::string fortran = good;
    fortran.replace(fortran.find("False"), 5, "True ");
    expect_error("fortran.npy", fortran, "Fortran");
    EXPECT_THROW(read_npy_float(dir.path("missing.npy")), Error);
}

}  // namespace
}  // namespace clipscope

namespace clipscope {
namespace {

TEST(NpyRowReader, ReadsRowSlicesAndRefusesTruncatedFiles) {
    test::TempDir dir;
    FloatArray a({5, 2, 3});
    for (size_t i = 0; i < a.data.size(); ++i) a.data[i] = static_cast<float>(i);
    write_npy(dir.path("a.npy"), a);
    const NpyRowReader r(dir.path("a.npy"));
    EXPECT_EQ(r.shape(), (Shape{5, 2, 3}));
    const FloatArray rows = r.read_rows(1, 3);
    EXPECT_EQ(rows.shape, (Shape{3, 2, 3}));
    EXPECT_EQ(rows.data.front(), 6.0f);
    EXPECT_EQ(rows.data.back(), 23.0f);
    EXPECT_THROW(r.read_rows(4, 2), Error);
    const std::string bytes = read_file_bytes(dir.path("a.npy"), 1 << 20);
    test::write_bytes(dir.path("t.npy"), bytes.substr(0, bytes.size() - 4));
    EXPECT_THROW(NpyRowReader(dir.path("t.npy")), Error);
}

}  // namespace
}  // namespace clipscope
