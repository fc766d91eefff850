// The one check of what a command may write (output_guard.h): an output that is an input by
// any path, or lies inside a folder that is read, is refused unless forced; an output whose
// folder cannot be made is refused always; a generator's folder refuses foreign contents,
// replaces its own earlier output and is removed again when the run does not finish.
#include <gtest/gtest.h>

#include <filesystem>

#include "clipscope/base/error.h"
#include "clipscope/base/output_guard.h"
#include "test_support.h"

namespace clipscope {
namespace {
namespace fs = std::filesystem;

ErrorKind kind_of(const OutputPlan& plan, bool force = false) {
    try {
        check_output_plan(plan, force);
    } catch (const Error& e) {
        return e.kind();
    }
    return ErrorKind::Internal;  // "accepted"
}

TEST(OutputGuard, AnOutputThatIsAnInputOrLiesInsideAReadFolderIsRefusedUnlessForced) {
    test::TempDir dir;
    test::write_bytes(dir.path("img.png"), "pixels");
    fs::create_directories(dir.path("store"));
    test::write_bytes(dir.path("store/manifest.json"), "{}");
    constexpr ErrorKind accepted = ErrorKind::Internal;
    EXPECT_EQ(kind_of({{dir.path("img.png")}, {}, {dir.path("out.png")}}), accepted);
    EXPECT_EQ(kind_of({{dir.path("img.png")}, {}, {dir.path("img.png")}}), ErrorKind::Usage);
    EXPECT_EQ(kind_of({{dir.path("img.png")}, {}, {dir.path("./sub/../img.png")}}),
              ErrorKind::Usage);  // another spelling
    fs::create_hard_link(dir.path("img.png"), dir.path("link.png"));
    EXPECT_EQ(kind_of({{dir.path("img.png")}, {}, {dir.path("link.png")}}), ErrorKind::Usage);  // the same inode
    EXPECT_EQ(kind_of({{}, {dir.path("store")}, {dir.path("store/manifest.json")}}), ErrorKind::Usage);
    EXPECT_EQ(kind_of({{}, {dir.path("store")}, {dir.path("store")}}), ErrorKind::Usage);
    EXPECT_EQ(kind_of({{}, {dir.path("store")}, {dir.path("store-2/x.csv")}}), accepted);  // a prefix is not inside
    EXPECT_EQ(kind_of({{dir.path("img.png")}, {dir.path("store")}, {dir.path("img.png")}}, /*force=*/true), accepted);
    try {
        check_output_plan({{dir.path("img.png")}, {}, {dir.path("img.png")}}, false);
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("img.png is an input"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("--force"), std::string::npos) << e.what();
    }
    // A folder that cannot exist: refused even when forced, naming the file in the way.
    EXPECT_EQ(kind_of({{}, {}, {dir.path("img.png/out.csv")}}, /*force=*/true), ErrorKind::InputFile);
    EXPECT_EQ(kind_of({{}, {}, {dir.path("new/deeper/out.csv")}}), accepted);  // made on the way
}

TEST(GeneratedFolder, RefusesForeignContentsReplacesItsOwnAndCleansUpAnUnfinishedRun) {
    test::TempDir dir;
    fs::create_directories(dir.path("user"));
    test::write_bytes(dir.path("user/notes.txt"), "keep");
    EXPECT_THROW(GeneratedFolder(dir.path("user"), {"labels.csv"}, "make-world", true), Error);
    EXPECT_TRUE(fs::exists(dir.path("user/notes.txt")));
    EXPECT_THROW(GeneratedFolder(dir.path("user/notes.txt"), {"labels.csv"}, "make-world", true), Error);

    {  // finished: stays
        GeneratedFolder out(dir.path("world"), {"labels.csv"}, "make-world", true);
        test::write_bytes(dir.path("world/a.png"), "1");
        test::write_bytes(dir.path("world/labels.csv"), "file\na.png\n");
        out.done();
    }
    EXPECT_TRUE(fs::exists(dir.path("world/a.png")));
    {  // a rerun replaces the earlier output whole, then fails: nothing of either is left
        GeneratedFolder out(dir.path("world"), {"labels.csv"}, "make-world", true);
        EXPECT_FALSE(fs::exists(dir.path("world/a.png")));
        test::write_bytes(dir.path("world/b.png"), "2");
    }
    EXPECT_TRUE(fs::is_directory(dir.path("world")));
    EXPECT_TRUE(fs::is_empty(dir.path("world")));
    {  // a folder it made, not finished: removed
        GeneratedFolder out(dir.path("fresh/report"), {"report.md"}, "demo-report", true);
        test::write_bytes(dir.path("fresh/report/half.png"), "x");
    }
    EXPECT_FALSE(fs::exists(dir.path("fresh/report")));
    // Without own files to recognise (make-random-model), any non-empty folder is refused.
    EXPECT_THROW(GeneratedFolder(dir.path("user"), {}, "make-random-model", false), Error);
}

}  // namespace
}  // namespace clipscope
