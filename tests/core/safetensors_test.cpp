#include "clipscope/io/safetensors.h"

#include "clipscope/base/error.h"
#include "test_support.h"

namespace clipscope {
namespace {

std::string le64(uint64_t n) {
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) s[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
    return s;
}

std::string file_with(const std::string& header, const std::string& data) {
    return le64(header.size()) + header + data;
}

TEST(Safetensors, RoundTripF32AndF16) {
    test::TempDir dir;
    std::map<std::string, FloatArray> tensors;
    tensors["b.weight"] = FloatArray({2, 3}, {1, -2, 3.5f, 0.25f, -0.125f, 1024});
    tensors["a.scalar"] = FloatArray(Shape{}, {4.0f});
    write_safetensors(dir.path("f32.safetensors"), tensors, DType::F32, {{"format", "pt"}});
    write_safetensors(dir.path("f16.safetensors"), tensors, DType::F16);
    for (const char* name : {"f32.safetensors", "f16.safetensors"}) {
        const auto f = SafetensorsFile::open(dir.path(name));
        ASSERT_EQ(f.entries().size(), 2u);
        for (const auto& [key, t] : tensors) {
            const auto* e = f.find(key);
            ASSERT_NE(e, nullptr) << key;
            const FloatArray back = f.read_float(*e);
            EXPECT_EQ(back.shape, t.shape);
            EXPECT_EQ(back.data, t.data) << name << " " << key;  // all values are exact in F16
        }
    }
    EXPECT_EQ(SafetensorsFile::open(dir.path("f32.safetensors")).metadata().at("format"), "pt");
}

TEST(Safetensors, Bf16AndUnalignedDataAreRead) {
    test::TempDir dir;
    // Header of odd length so the data starts unaligned; BF16 1.0 = 0x3f80, -2.0 = 0xc000.
    const std::string header = R"({"x":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})";
    test::write_bytes(dir.path("bf16.safetensors"), file_with(header, std::string("\x80\x3f\x00\xc0", 4)));
    const auto f = SafetensorsFile::open(dir.path("bf16.safetensors"));
    EXPECT_EQ(test::values(f.read_float(*f.find("x"))), (std::vector<float>{1.0f, -2.0f}));
}

TEST(Safetensors, ReleasedEntriesReadBackUnchanged) {
    // release() hands an entry's pages back to the kernel; a later read maps them from the file
    // again, and the neighbours sharing its first and last pages keep their data.
    test::TempDir dir;
    std::map<std::string, FloatArray> tensors;
    for (const auto& [name, n] : std::vector<std::pair<std::string, size_t>>{{"a", 1001}, {"b", 20000}, {"c", 777}}) {
        std::vector<float> v(n);
        for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i % 97) - 0.5f * static_cast<float>(name[0]);
        tensors[name] = FloatArray({static_cast<int64_t>(n)}, v);
    }
    write_safetensors(dir.path("pages.safetensors"), tensors, DType::F32);
    const auto f = SafetensorsFile::open(dir.path("pages.safetensors"));
    for (const char* key : {"b", "a", "c", "b"}) {
        f.release(*f.find(key));
        for (const auto& [name, t] : tensors) EXPECT_EQ(f.read_float(*f.find(name)).data, t.data) << key << " " << name;
    }
}

struct BadCase {
    const char* name;
    std::string bytes;
    const char* needle;
};

TEST(Safetensors, CorruptFilesAreRefusedWithTheProblemNamed) {
    test::TempDir dir;
    const std::string ok_header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    const std::string data8(8, '\0');
    const std::vector<BadCase> cases = {
        {"short", "abc", "too short"},
        {"huge_header", le64(uint64_t{1} << 40) + "{}", "exceeds"},
        {"past_end", le64(1000) + "{}", "past the end"},
        {"not_json", file_with("{not json", ""), "not valid JSON"},
        {"not_object", file_with("[1,2]", ""), "not a JSON object"},
        {"unknown_dtype", file_with(R"({"w":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", data8),
         "unsupported dtype"},
        {"size_mismatch", file_with(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data8),
         "needs 12 bytes"},
        {"overlap",
         file_with(
             R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
             data8),
         "overlapping"},
        {"out_of_range", file_with(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", data8), "truncated"},
        {"trailing", file_with(ok_header, data8 + "xx"), "trailing"},
        {"giant_shape",
         file_with(R"({"w":{"dtype":"F32","shape":[9223372036854775807,4],"data_offsets":[0,8]}})", data8), "absurd"},
        {"overflow_shape",
         file_with(R"({"w":{"dtype":"F32","shape":[281474976710656,281474976710656],"data_offsets":[0,8]}})", data8),
         "overflow"},
        {"negative_dim", file_with(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data8),
         "non-negative"},
        {"reversed", file_with(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", data8), "end before"},
        {"bad_metadata", file_with(R"({"__metadata__":{"k":1}})", ""), "not a string"},
    };
    for (const auto& c : cases) {
        const std::string path = dir.path(std::string(c.name) + ".safetensors");
        test::write_bytes(path, c.bytes);
        try {
            SafetensorsFile::open(path);
            ADD_FAILURE() << c.name << " accepted";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::InputFile) << c.name;
            EXPECT_NE(std::string(e.what()).find(c.name), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(c.needle), std::string::npos) << c.name << ": " << e.what();
        }
    }
}

TEST(Safetensors, WhitespacePaddedHeaderIsAccepted) {
    test::TempDir dir;
    const std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})" + std::string(5, ' ');
    test::write_bytes(dir.path("p.safetensors"), file_with(header, std::string(4, '\0')));
    EXPECT_NO_THROW(SafetensorsFile::open(dir.path("p.safetensors")));
}

}  // namespace
}  // namespace clipscope
