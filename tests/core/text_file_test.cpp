#include "clipscope/base/text_file.h"

#include "clipscope/base/error.h"
#include "clipscope/io/csv_table.h"
#include "clipscope/io/dataset.h"
#include "test_support.h"

namespace clipscope {
namespace {

std::string error_of(const std::string& path) {
    try {
        read_text_file(path, 1024);
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::InputFile);
        return e.what();
    }
    return "";
}

TEST(TextFile, AUtf8ByteOrderMarkAndWindowsLineEndsAreNotPartOfTheText) {
    test::TempDir dir;
    const std::string path = dir.path("labels.txt");
    test::write_bytes(path,
                      "\xEF\xBB\xBF"
                      "circle\r\n\r\nsquare\r\n");
    EXPECT_EQ(read_text_file(path, 1024), "circle\r\n\r\nsquare\r\n");
    EXPECT_EQ(read_text_lines(path, 1024), (std::vector<std::string>{"circle", "", "square"}));
    test::write_bytes(path, "no final line end");
    EXPECT_EQ(read_text_lines(path, 1024), (std::vector<std::string>{"no final line end"}));
    test::write_bytes(path, "");
    EXPECT_TRUE(read_text_lines(path, 1024).empty());
}

TEST(TextFile, Utf16TextIsRefusedNamingTheFile) {
    test::TempDir dir;
    const std::string le = dir.path("notepad_utf16.txt"), be = dir.path("be.txt"), bare = dir.path("bare.txt");
    test::write_bytes(le, std::string("\xFF\xFE"
                                      "c\0a\0t\0",
                                      8));
    test::write_bytes(be, std::string("\xFE\xFF"
                                      "\0c\0a\0t",
                                      8));
    test::write_bytes(bare, std::string("c\0a\0t\0", 6));
    EXPECT_NE(error_of(le).find("notepad_utf16.txt"), std::string::npos);
    EXPECT_NE(error_of(le).find("UTF-16"), std::string::npos);
    EXPECT_NE(error_of(be).find("byte-order mark"), std::string::npos);
    EXPECT_NE(error_of(bare).find("NUL bytes"), std::string::npos);
}

TEST(TextFile, ListsAndTablesWrittenByWindowsEditorsReadAsTheirText) {
    test::TempDir dir;
    const std::string list = dir.path("images.txt"), csv = dir.path("metadata.csv");
    test::write_bytes(list,
                      "\xEF\xBB\xBF"
                      "a.png\tcat\r\n");
    const auto entries = read_image_list(list);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].display, "a.png");
    EXPECT_EQ(entries[0].label, "cat");
    test::write_bytes(list, "a.png\n# a comment\n./a.png\n");  // one image twice: kept twice (and warned about)
    EXPECT_EQ(read_image_list(list).size(), 2u);
    test::write_bytes(csv,
                      "\xEF\xBB\xBF"
                      "img_filename,y\r\na.png,1\r\n");
    EXPECT_EQ(read_csv(csv).header.at(0), "img_filename");
}

}  // namespace
}  // namespace clipscope
