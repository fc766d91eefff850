#include "clipscope/base/atomic_file.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "clipscope/base/error.h"
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

TEST(AtomicFile, StaleTemporariesOfDeadWritersAreRemovedOthersKept) {
    test::TempDir dir;
    const pid_t child = ::fork();  // a process id that is certainly gone afterwards
    if (child == 0) ::_exit(0);
    ::waitpid(child, nullptr, 0);
    const std::string dead = dir.path(".progress.json.tmp-" + std::to_string(child) + "-42");
    const std::string mine = dir.path(".manifest.json.tmp-" + std::to_string(::getpid()) + "-7");
    const std::string live = dir.path(".other.json.tmp-1-9");  // pid 1 is always running
    const std::string data = dir.path("progress.json");
    for (const auto& p : {dead, mine, live, data}) test::write_bytes(p, "x");
    remove_stale_temporaries(dir.path());
    EXPECT_FALSE(std::filesystem::exists(dead));
    EXPECT_TRUE(std::filesystem::exists(mine));
    EXPECT_TRUE(std::filesystem::exists(live));
    EXPECT_TRUE(std::filesystem::exists(data));
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
