// The one check of what a command may write (output_guard.h): an output that is an input by
// any path, or lies inside a folder that is read, is refused unless forced; an output whose
// folder cannot be made is refused always; an existing file is replaced only when ClipScope
// wrote it and it is unchanged; a generator's folder refuses foreign contents, replaces its
// own earlier output and leaves nothing half-written when the run does not finish.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <thread>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/base/output_guard.h"
#include "clipscope/base/output_ledger.h"
#include "clipscope/base/resources.h"
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

// The ledger (output_ledger.h) lives in the user's cache directory: a fresh one per test.
class CacheHome {
public:
    CacheHome() : old_(std::getenv("XDG_CACHE_HOME") ? std::getenv("XDG_CACHE_HOME") : "") {
        ::setenv("XDG_CACHE_HOME", dir_.path("cache").c_str(), 1);
    }
    ~CacheHome() {
        if (old_.empty())
            ::unsetenv("XDG_CACHE_HOME");
        else
            ::setenv("XDG_CACHE_HOME", old_.c_str(), 1);
    }

private:
    test::TempDir dir_;
    std::string old_;
};

TEST(OutputGuard, AnExistingFileIsReplacedOnlyWhenClipScopeWroteItAndNothingChangedItSince) {
    CacheHome cache;
    test::TempDir dir;
    constexpr ErrorKind accepted = ErrorKind::Internal;
    test::write_bytes(dir.path("notes.csv"), "the user's notes");
    EXPECT_EQ(kind_of({{}, {}, {dir.path("notes.csv")}}), ErrorKind::Usage);
    EXPECT_EQ(kind_of({{}, {}, {dir.path("notes.csv")}}, /*force=*/true), accepted);
    OutputPlan confirmed{{}, {}, {dir.path("notes.csv")}};
    confirmed.replace_confirmed = true;  // a save dialog asked
    EXPECT_EQ(kind_of(confirmed), accepted);
    try {
        check_output_plan({{}, {}, {dir.path("notes.csv")}}, false);
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("notes.csv already exists"), std::string::npos) << e.what();
    }

    // Written after its plan was checked: a rerun may replace it, by any spelling of the path.
    EXPECT_EQ(kind_of({{}, {}, {dir.path("scores.csv")}}), accepted);
    write_text_atomically(dir.path("scores.csv"), "a,b\n");
    EXPECT_TRUE(written_by_clipscope(dir.path("scores.csv")));
    EXPECT_EQ(kind_of({{}, {}, {dir.path("./sub/../scores.csv")}}), accepted);
    // A store's own bookkeeping is not recorded: only files a plan named.
    write_text_atomically(dir.path("progress.json"), "{}");
    EXPECT_FALSE(written_by_clipscope(dir.path("progress.json")));

    // Edited by the user since (even to the same size; a while later, as file times are kept
    // to the kernel's tick): the user's now.
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    test::write_bytes(dir.path("scores.csv"), "c,d\n");
    EXPECT_FALSE(written_by_clipscope(dir.path("scores.csv")));
    EXPECT_EQ(kind_of({{}, {}, {dir.path("scores.csv")}}), ErrorKind::Usage);
    // Replaced by another file under the same name: refused too.
    write_text_atomically(dir.path("scores.csv"), "a,b\n");  // recorded again (the plan above expected it)
    EXPECT_TRUE(written_by_clipscope(dir.path("scores.csv")));
    fs::rename(dir.path("notes.csv"), dir.path("scores.csv"));
    EXPECT_EQ(kind_of({{}, {}, {dir.path("scores.csv")}}), ErrorKind::Usage);

    // A device or pipe at an output path is never replaced, forced or not (rename would replace it).
    EXPECT_EQ(kind_of({{}, {}, {"/dev/null"}}, /*force=*/true), ErrorKind::InputFile);
    // A folder output (a store) is the store's business: not refused here.
    fs::create_directories(dir.path("store"));
    EXPECT_EQ(kind_of({{}, {}, {dir.path("store")}}), accepted);
}

TEST(OutputGuard, PruningTheLedgerDropsOnlyEntriesThatNoLongerVouchForTheirFile) {
    CacheHome cache;
    test::TempDir dir;
    expect_outputs({dir.path("kept.csv"), dir.path("gone.csv"), dir.path("edited.csv")});
    for (const char* name : {"kept.csv", "gone.csv", "edited.csv"}) write_text_atomically(dir.path(name), "a\n");
    const std::string ledger = (fs::path(user_cache_directory()) / "output-ledger").string();
    const auto entries = [&] {
        int64_t n = 0;
        for (const auto& e : fs::directory_iterator(ledger)) n += e.path().filename().string().front() != '.';
        return n;
    };
    EXPECT_EQ(entries(), 3);
    EXPECT_EQ(prune_output_ledger(), 0);  // all three still hold their file
    fs::remove(dir.path("gone.csv"));
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    test::write_bytes(dir.path("edited.csv"), "b\n");
    test::write_bytes((fs::path(ledger) / "0000000000000000").string(), "not an entry");
    EXPECT_EQ(prune_output_ledger(), 3);
    EXPECT_EQ(entries(), 1);
    EXPECT_TRUE(written_by_clipscope(dir.path("kept.csv")));  // untouched by the prune
    EXPECT_FALSE(written_by_clipscope(dir.path("edited.csv")));
}

using Staging = GeneratedFolder::Staging;

TEST(GeneratedFolder, RefusesForeignContentsReplacesItsOwnAndCleansUpAnUnfinishedRun) {
    test::TempDir dir;
    fs::create_directories(dir.path("user"));
    test::write_bytes(dir.path("user/notes.txt"), "keep");
    for (Staging staging : {Staging::InPlace, Staging::TemporarySibling}) {
        EXPECT_THROW(GeneratedFolder(dir.path("user"), {"labels.csv"}, "make-world", true, staging), Error);
        EXPECT_TRUE(fs::exists(dir.path("user/notes.txt")));
        EXPECT_THROW(GeneratedFolder(dir.path("user/notes.txt"), {"labels.csv"}, "make-world", true, staging), Error);
        // Without own files to recognise (make-random-model), any non-empty folder is refused.
        EXPECT_THROW(GeneratedFolder(dir.path("user"), {}, "make-random-model", false, staging), Error);
    }
    EXPECT_NO_THROW(refuse_foreign_folder(dir.path("nothing-yet"), {"training.json"}, "train-demo"));
    EXPECT_THROW(refuse_foreign_folder(dir.path("user"), {"training.json"}, "train-demo"), Error);

    {  // finished: stays
        GeneratedFolder out(dir.path("report"), {"report.md"}, "demo-report", true, Staging::InPlace);
        EXPECT_EQ(out.path(), dir.path("report"));
        test::write_bytes(dir.path("report/a.png"), "1");
        test::write_bytes(dir.path("report/report.md"), "# report\n");
        out.done();
    }
    EXPECT_TRUE(fs::exists(dir.path("report/a.png")));
    EXPECT_FALSE(fs::exists(dir.path("report/.clipscope-partial")));
    {  // a rerun replaces the earlier output whole, then fails: nothing of either is left
        GeneratedFolder out(dir.path("report"), {"report.md"}, "demo-report", true, Staging::InPlace);
        EXPECT_FALSE(fs::exists(dir.path("report/a.png")));
        test::write_bytes(dir.path("report/b.png"), "2");
    }
    EXPECT_TRUE(fs::is_directory(dir.path("report")));
    EXPECT_TRUE(fs::is_empty(dir.path("report")));
    {  // a folder it made, not finished: removed
        GeneratedFolder out(dir.path("fresh/report"), {"report.md"}, "demo-report", true, Staging::InPlace);
        test::write_bytes(dir.path("fresh/report/half.png"), "x");
    }
    EXPECT_FALSE(fs::exists(dir.path("fresh/report")));
    // A run killed outright leaves its marker, which makes the folder its own for the rerun.
    fs::create_directories(dir.path("killed"));
    test::write_bytes(dir.path("killed/half.png"), "x");
    test::write_bytes(dir.path("killed/.clipscope-partial"), "demo-report has not finished writing here\n");
    {
        GeneratedFolder out(dir.path("killed"), {"report.md"}, "demo-report", true, Staging::InPlace);
        EXPECT_FALSE(fs::exists(dir.path("killed/half.png")));
    }
}

TEST(GeneratedFolder, AStagedOutputAppearsWholeAndAnEarlierOneStaysUntilThen) {
    test::TempDir dir;
    const std::string world = dir.path("world");
    {
        GeneratedFolder out(world, {"labels.csv"}, "make-world", true, Staging::TemporarySibling);
        EXPECT_NE(out.path(), world);
        EXPECT_FALSE(fs::exists(world));  // nothing where the output was asked for until it is complete
        test::write_bytes(out.path() + "/a.png", "1");
        test::write_bytes(out.path() + "/labels.csv", "file\na.png\n");
        out.done();
    }
    EXPECT_TRUE(fs::exists(world + "/a.png"));
    {  // a rerun that fails: the earlier world is untouched, the staging is gone
        GeneratedFolder out(world, {"labels.csv"}, "make-world", true, Staging::TemporarySibling);
        test::write_bytes(out.path() + "/b.png", "2");
        EXPECT_TRUE(fs::exists(world + "/a.png"));
    }
    EXPECT_TRUE(fs::exists(world + "/a.png"));
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
    {  // a rerun that finishes replaces it whole
        GeneratedFolder out(world, {"labels.csv"}, "make-world", true, Staging::TemporarySibling);
        test::write_bytes(out.path() + "/b.png", "2");
        test::write_bytes(out.path() + "/labels.csv", "file\nb.png\n");
        out.done();
    }
    EXPECT_FALSE(fs::exists(world + "/a.png"));
    EXPECT_TRUE(fs::exists(world + "/b.png"));
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
    // A SIGKILLed run's staging (its process is gone) is removed by the next run; pid 2^22+1
    // is above Linux's pid_max, so no process has it.
    fs::create_directories(dir.path(".world.partial-4194305/images"));
    fs::create_directories(dir.path(".world.partial-4194305-replaced"));
    fs::create_directories(dir.path(".worldly.partial-4194305"));  // another folder's: left alone
    { GeneratedFolder out(world, {"labels.csv"}, "make-world", true, Staging::TemporarySibling); }
    EXPECT_FALSE(fs::exists(dir.path(".world.partial-4194305")));
    EXPECT_FALSE(fs::exists(dir.path(".world.partial-4194305-replaced")));
    EXPECT_TRUE(fs::exists(dir.path(".worldly.partial-4194305")));
    EXPECT_TRUE(fs::exists(world + "/b.png"));
}

}  // namespace
}  // namespace clipscope
