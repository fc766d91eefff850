#include "clipscope/atomic_file.h"

#include <filesystem>

#include "clipscope/error.h"
#include "test_support.h"

namespace clipscope {
namespace {

TEST(AtomicFile, FailedWriteLeavesTheOldFileIntactAndNoTemporaries) {
    test::TempDir dir;
    const std::string path = dir.path("result.json");
    write_text_atomically(path, "old content");
    EXPECT_THROW(write_file_atomically(path,
                                       [](std::ostream& out) {
                                           out << "partial";
                                           throw Error(ErrorKind::Internal, "writer failed midway");
                                       }),
                 Error);
    EXPECT_EQ(read_file_bytes(path, 1024), "old content");
    size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
        (void)e;
        ++files;
    }
    EXPECT_EQ(files, 1u);
}

TEST(AtomicFile, ReadRefusesFilesOverTheLimitAndFolders) {
    test::TempDir dir;
    write_text_atomically(dir.path("big"), std::string(100, 'x'));
    EXPECT_THROW(read_file_bytes(dir.path("big"), 10), Error);
    EXPECT_THROW(read_file_bytes(dir.path(), 10), Error);
    EXPECT_EQ(read_file_bytes(dir.path("big"), 100).size(), 100u);
}

TEST(AtomicFile, UnwritableFolderIsAClearError) {
    EXPECT_THROW(write_text_atomically("/nonexistent-folder-clipscope/x.txt", "x"), Error);
}

}  // namespace
}  // namespace clipscope
