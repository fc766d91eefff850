// The hub downloader against tests/hub/fake_hub.py, a loopback server with the
// hub's URL layout and headers that can also misbehave (broken connection, wrong
// checksum, missing token, server ignoring Range, renamed repo).
#include "clipscope/hub/hf_download.h"
#include "clipscope/model/cached_models.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "clipscope/model/clip_model.h"
#include "clipscope/base/error.h"
#include "clipscope/hub/hf_cache.h"
#include "fake_hub_process.h"
#include "test_support.h"

namespace clipscope {
namespace {
namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class HubDownload : public ::testing::Test {
protected:
    void SetUp() override {
        // The repo the hub serves: a tiny open_clip model plus files that must not be fetched.
        const fs::path repo = dir_.path("server/repos/acme/tiny-clip");
        fs::create_directories(repo);
        const ClipConfig config = builtin_architecture("tiny");
        write_checkpoint(repo.string(), ModelFormat::OpenClipSafetensors, config, random_state_dict(config, 5));
        test::write_bytes((repo / "tokenizer_config.json").string(), R"({"model_max_length": 77})");
        test::write_bytes((repo / "pytorch_model.bin").string(), std::string(4096, 'p'));
        test::write_bytes((repo / "README.md").string(), "# tiny\n");
        hub_ = std::make_unique<test::FakeHub>(dir_.path("server"));
        if (!hub_->running()) GTEST_SKIP() << "python3 is needed to run tests/hub/fake_hub.py";
        hub_->set_control(nlohmann::json::object());
        settings_.endpoint = hub_->endpoint();
        settings_.cache_dir = dir_.path("cache");
        settings_.timeout_seconds = 5;
    }
    fs::path repo_folder() const { return fs::path(settings_.cache_dir) / "models--acme--tiny-clip"; }
    DownloadResult download(const std::string& repo = "acme/tiny-clip", const std::string& revision = "main") {
        RunControl control;
        return download_model({repo, revision, {}}, settings_, control);
    }

    test::TempDir dir_;
    std::unique_ptr<test::FakeHub> hub_;
    HubSettings settings_;
};

TEST_F(HubDownload, FetchesOnlyNeededFilesIntoThePythonCacheLayout) {
    const DownloadResult r = download();
    std::vector<std::string> names;
    for (const auto& f : r.files) names.push_back(f.filename);
    EXPECT_EQ(names, (std::vector<std::string>{"open_clip_model.safetensors", "open_clip_config.json",
                                               "tokenizer_config.json"}));
    ASSERT_EQ(r.commit.size(), 40u);
    EXPECT_EQ(r.files[0].checksum, "sha256");
    EXPECT_EQ(r.files[1].checksum, "git-sha1");
    EXPECT_EQ(r.files[0].status, "downloaded");

    // blobs named by ETag, snapshot entries as relative links, refs/main without newline.
    const fs::path link = repo_folder() / "snapshots" / r.commit / "open_clip_model.safetensors";
    ASSERT_TRUE(fs::is_symlink(link));
    EXPECT_EQ(fs::read_symlink(link).string(), "../../blobs/" + r.files[0].etag);
    EXPECT_EQ(r.files[0].etag.size(), 64u);
    EXPECT_EQ(read_all(repo_folder() / "refs" / "main"), r.commit);
    EXPECT_TRUE(fs::exists(fs::path(settings_.cache_dir) / "CACHEDIR.TAG"));
    EXPECT_FALSE(fs::exists(repo_folder() / "snapshots" / r.commit / "pytorch_model.bin"));
    for (const auto& blob : fs::directory_iterator(repo_folder() / "blobs"))
        EXPECT_NE(blob.path().extension(), ".incomplete");
    EXPECT_EQ(read_all(link), read_all(dir_.path("server/repos/acme/tiny-clip/open_clip_model.safetensors")));

    // What Python would find offline is what ClipScope lists and loads.
    EXPECT_EQ(resolve_hf_snapshot_in(settings_.cache_dir, "acme/tiny-clip", "main"), r.snapshot_folder);
    const auto listed = list_cached_models(settings_.cache_dir);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].repo_id, "acme/tiny-clip");
    ASSERT_EQ(listed[0].revisions.size(), 1u);
    EXPECT_TRUE(listed[0].revisions[0].loadable) << listed[0].revisions[0].problem;
    EXPECT_EQ(listed[0].revisions[0].refs, std::vector<std::string>{"main"});
    EXPECT_EQ(
        listed[0].revisions[0].files,
        (std::vector<std::string>{"open_clip_config.json", "open_clip_model.safetensors", "tokenizer_config.json"}));
    EXPECT_NO_THROW(ClipModel::load(r.snapshot_folder));
}

TEST_F(HubDownload, WithoutSymlinksTheSnapshotHoldsTheFiles) {
    settings_.disable_symlinks = true;
    const DownloadResult r = download();
    const fs::path file = repo_folder() / "snapshots" / r.commit / "open_clip_model.safetensors";
    ASSERT_TRUE(fs::is_regular_file(file));
    EXPECT_FALSE(fs::is_symlink(file));
    EXPECT_EQ(read_all(file), read_all(dir_.path("server/repos/acme/tiny-clip/open_clip_model.safetensors")));
    EXPECT_FALSE(fs::exists(repo_folder() / "blobs" / r.files[0].etag));  // moved, as huggingface_hub does
    EXPECT_EQ(download().bytes_transferred, 0u);                          // and found again as cached
    EXPECT_NO_THROW(ClipModel::load(r.snapshot_folder));
}

TEST_F(HubDownload, SecondRunTransfersNothing) {
    download();
    const DownloadResult again = download();
    EXPECT_EQ(again.bytes_transferred, 0u);
    for (const auto& f : again.files) EXPECT_EQ(f.status, "cached") << f.filename;
}

TEST_F(HubDownload, ResumesABrokenConnectionWithARangeRequest) {
    hub_->set_control({{"break_after", {{"file", "open_clip_model.safetensors"}, {"bytes", 3000}, {"times", 1}}}});
    try {
        download();
        FAIL() << "a connection broken mid-file must fail the download";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Network);
        EXPECT_NE(std::string(e.what()).find("resume"), std::string::npos) << e.what();
    }
    bool found_partial = false;
    for (const auto& blob : fs::directory_iterator(repo_folder() / "blobs"))
        if (blob.path().extension() == ".incomplete") {
            found_partial = true;
            EXPECT_EQ(fs::file_size(blob.path()), 3000u);
        }
    EXPECT_TRUE(found_partial);
    EXPECT_FALSE(fs::exists(repo_folder() / "refs" / "main"))
        << "a failed download must not point refs/main at a partial snapshot";

    const DownloadResult r = download();
    EXPECT_EQ(r.files[0].status, "resumed");
    EXPECT_EQ(r.files[0].checksum, "sha256");
    bool ranged = false;
    for (const auto& entry : hub_->log())
        if (entry["range"].is_string() && entry["range"] == "bytes=3000-") ranged = true;
    EXPECT_TRUE(ranged);
    EXPECT_NO_THROW(ClipModel::load(r.snapshot_folder));
}

TEST_F(HubDownload, ServerIgnoringRangeRestartsTheFile) {
    hub_->set_control({{"break_after", {{"file", "open_clip_model.safetensors"}, {"bytes", 2048}, {"times", 1}}},
                       {"ignore_range", true}});
    EXPECT_THROW(download(), Error);
    const DownloadResult r = download();
    EXPECT_EQ(r.files[0].status, "downloaded");
    EXPECT_NO_THROW(ClipModel::load(r.snapshot_folder));
}

TEST_F(HubDownload, WrongChecksumIsDiscardedNotCached) {
    hub_->set_control({{"corrupt", {"open_clip_model.safetensors"}}});
    try {
        download();
        FAIL() << "a corrupt blob must be refused";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Network);
        EXPECT_NE(std::string(e.what()).find("checksum mismatch"), std::string::npos) << e.what();
    }
    for (const auto& blob : fs::directory_iterator(repo_folder() / "blobs"))
        EXPECT_EQ(blob.path().filename().string().size() == 64, false) << blob.path();
    std::error_code ec;
    EXPECT_FALSE(fs::exists(repo_folder() / "snapshots", ec) && fs::exists(repo_folder() / "refs" / "main"));
    hub_->set_control({});
    EXPECT_EQ(download().files[0].status, "downloaded");
}

TEST_F(HubDownload, TokenGoesToTheHubButNeverToTheCdn) {
    hub_->set_control({{"require_token", "secret"}});
    try {
        download();
        FAIL() << "a private repo without token must fail";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("HF_TOKEN"), std::string::npos) << e.what();
    }
    settings_.token = "secret";
    settings_.token_source = "HF_TOKEN";
    EXPECT_NO_THROW(download());
    int cdn = 0;
    for (const auto& entry : hub_->log()) {
        const std::string path = entry["path"];
        if (path.rfind("/cdn/", 0) == 0 && entry["method"] == "GET") {
            ++cdn;
            EXPECT_TRUE(entry["authorization"].is_null());
        }
    }
    EXPECT_GT(cdn, 0);
}

TEST_F(HubDownload, FollowsRelativeRedirectOfARenamedRepo) {
    hub_->set_control({{"renamed", {{"old-acme/tiny-clip", "acme/tiny-clip"}}}});
    RunControl control;
    const DownloadResult r = download_model(
        {"old-acme/tiny-clip", "main", {"open_clip_model.safetensors", "open_clip_config.json"}}, settings_, control);
    EXPECT_TRUE(fs::exists(fs::path(settings_.cache_dir) / "models--old-acme--tiny-clip" / "snapshots" / r.commit /
                           "open_clip_model.safetensors"));
}

TEST_F(HubDownload, TagRevisionWritesItsRef) {
    const std::string commit = download().commit;
    hub_->set_control({{"tags", {{"v1", commit}}}});
    const DownloadResult r = download("acme/tiny-clip", "v1");
    EXPECT_EQ(read_all(repo_folder() / "refs" / "v1"), commit);
    EXPECT_EQ(r.files[0].status, "cached");
}

TEST_F(HubDownload, OfflineServesTheCacheAndRefusesTheRest) {
    const std::string snapshot = download().snapshot_folder;
    settings_.offline = true;
    settings_.endpoint = "http://127.0.0.1:1";  // nothing listens: any request would fail
    const DownloadResult r = download();
    EXPECT_TRUE(r.offline);
    EXPECT_EQ(r.snapshot_folder, snapshot);
    try {
        download("acme/other");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("HF_HUB_OFFLINE"), std::string::npos) << e.what();
    }
}

TEST_F(HubDownload, CancelKeepsThePartialForResume) {
    hub_->set_control({{"chunk_delay", 0.01}});
    RunControl control;
    control.set_progress_callback([&](int64_t done, int64_t, const std::string&) {
        if (done > 4000) control.request_cancel();
    });
    try {
        download_model({"acme/tiny-clip", "main", {}}, settings_, control);
        FAIL() << "cancel must stop the download";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Cancelled);
    }
    hub_->set_control({});
    EXPECT_EQ(download().files[0].status, "resumed");
}

TEST_F(HubDownload, ServerThatIsNotAHubIsNamed) {
    hub_->set_control({{"no_commit_header", true}});
    try {
        download();
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("X-Repo-Commit"), std::string::npos) << e.what();
    }
}

TEST_F(HubDownload, MissingRepoSaysNotFound) {
    try {
        download("acme/absent");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Network);
        EXPECT_NE(std::string(e.what()).find("404"), std::string::npos) << e.what();
    }
}

TEST_F(HubDownload, FilesInSubfoldersLinkWithTheirDepthAndNestedRefsAreWritten) {
    const fs::path repo = dir_.path("server/repos/acme/tiny-clip");
    fs::create_directories(repo / "extra" / "deep");
    test::write_bytes((repo / "extra" / "deep" / "notes.txt").string(), "notes\n");
    const std::string commit = download().commit;
    hub_->set_control({{"tags", {{"refs/pr/1", commit}}}});
    RunControl control;
    const DownloadResult r = download_model(
        {"acme/tiny-clip", "refs/pr/1", {"open_clip_config.json", "extra/deep/notes.txt"}}, settings_, control);
    const fs::path link = repo_folder() / "snapshots" / commit / "extra" / "deep" / "notes.txt";
    ASSERT_TRUE(fs::is_symlink(link));
    EXPECT_EQ(fs::read_symlink(link).string(), "../../../../blobs/" + r.files[1].etag);
    EXPECT_EQ(read_all(link), "notes\n");
    EXPECT_EQ(read_all(repo_folder() / "refs" / "refs" / "pr" / "1"), commit);
    EXPECT_EQ(resolve_hf_snapshot_in(settings_.cache_dir, "acme/tiny-clip", "refs/pr/1"), r.snapshot_folder);
    // Offline, the result names the snapshot's files, not the blobs they link to.
    settings_.offline = true;
    const DownloadResult offline = download();
    std::vector<std::string> names;
    for (const auto& f : offline.files) names.push_back(f.filename);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"extra/deep/notes.txt", "open_clip_config.json",
                                               "open_clip_model.safetensors", "tokenizer_config.json"}));
}

TEST_F(HubDownload, UnsafeRevisionsAndFileNamesAreRefusedBeforeAnyRequest) {
    RunControl control;
    for (const std::string rev : {"/etc/passwd", "../main", "a//b", ".", "main/", "x\ny"}) {
        try {
            download_model({"acme/tiny-clip", rev, {}}, settings_, control);
            ADD_FAILURE() << "revision '" << rev << "' was accepted";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Usage) << rev << ": " << e.what();
        }
    }
    for (const std::string file : {"/abs", "../x", "./open_clip_config.json", "a//b", ""}) {
        try {
            download_model({"acme/tiny-clip", "main", {file}}, settings_, control);
            ADD_FAILURE() << "file '" << file << "' was accepted";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Usage) << file << ": " << e.what();
        }
    }
    EXPECT_THROW(resolve_hf_snapshot_in(settings_.cache_dir, "acme/tiny-clip", "/etc"), Error);
    EXPECT_FALSE(fs::exists(fs::path(settings_.cache_dir) / "models--acme--tiny-clip" / "refs"));
}

TEST_F(HubDownload, UnknownSizeCompletePartialIsAcceptedOn416) {
    // Without X-Linked-Size the size is unknown; a partial that is already whole gets 416 with bytes */N.
    hub_->set_control({{"no_linked_size", true}});
    const std::string bytes = read_all(dir_.path("server/repos/acme/tiny-clip/open_clip_model.safetensors"));
    const HubRepoListing listing = fetch_hub_listing(settings_, "acme/tiny-clip", "main");
    std::string sha;
    for (const auto& f : listing.files)
        if (f.filename == "open_clip_model.safetensors") sha = f.sha256;
    ASSERT_EQ(sha.size(), 64u);
    fs::create_directories(repo_folder() / "blobs");
    test::write_bytes((repo_folder() / "blobs" / (sha + ".incomplete")).string(), bytes);
    const DownloadResult r = download();
    EXPECT_EQ(r.files[0].status, "resumed");
    EXPECT_EQ(r.files[0].checksum, "sha256");
    EXPECT_EQ(r.files[0].size, 0u);  // unknown: the redirect's Content-Length is not the file's
    EXPECT_EQ(read_all(repo_folder() / "snapshots" / r.commit / "open_clip_model.safetensors"), bytes);
}

TEST_F(HubDownload, WrongRangeAnswerDiscardsThePartial) {
    hub_->set_control({{"break_after", {{"file", "open_clip_model.safetensors"}, {"bytes", 3000}, {"times", 1}}}});
    EXPECT_THROW(download(), Error);
    hub_->set_control({{"wrong_range", true}});
    try {
        download();
        FAIL() << "bytes from another offset must not be appended";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("another range"), std::string::npos) << e.what();
    }
    for (const auto& blob : fs::directory_iterator(repo_folder() / "blobs"))
        EXPECT_NE(blob.path().extension(), ".incomplete");
    hub_->set_control(nlohmann::json::object());
    EXPECT_EQ(download().files[0].status, "downloaded");
}

TEST_F(HubDownload, CorruptResumedPartialIsFetchedAgainFromTheStart) {
    hub_->set_control({{"break_after", {{"file", "open_clip_model.safetensors"}, {"bytes", 3000}, {"times", 1}}}});
    EXPECT_THROW(download(), Error);
    for (const auto& blob : fs::directory_iterator(repo_folder() / "blobs"))
        if (blob.path().extension() == ".incomplete") {
            std::fstream f(blob.path(), std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(100);
            f.put('\x7f');  // the kept part went bad on disk
        }
    hub_->set_control(nlohmann::json::object());
    const DownloadResult r = download();
    EXPECT_EQ(r.files[0].status, "downloaded");
    EXPECT_NO_THROW(ClipModel::load(r.snapshot_folder));
}

TEST(HubFiles, ChoosesSafetensorsAndRefusesPickleOnlyRepos) {
    EXPECT_EQ(choose_model_files("a/b", {"open_clip_pytorch_model.bin", "open_clip_model.safetensors",
                                         "open_clip_config.json", "model.safetensors", "config.json", "vocab.json",
                                         "merges.txt", "tokenizer.json", "README.md"}),
              (std::vector<std::string>{"open_clip_model.safetensors", "open_clip_config.json", "vocab.json",
                                        "merges.txt", "config.json"}));
    EXPECT_EQ(choose_model_files("a/b", {"model.safetensors", "config.json", "preprocessor_config.json"}),
              (std::vector<std::string>{"model.safetensors", "config.json", "preprocessor_config.json"}));
    try {
        choose_model_files("laion/x", {"open_clip_pytorch_model.bin", "open_clip_config.json"});
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
        EXPECT_NE(std::string(e.what()).find("open_clip_pytorch_model.bin"), std::string::npos);
    }
    EXPECT_THROW(choose_model_files("a/b", {"open_clip_model.safetensors"}), Error);
    // Sharded: the index, the config and every shard named after the index.
    EXPECT_EQ(choose_model_files("a/b", {"model-00002-of-00002.safetensors", "model.safetensors.index.json",
                                         "config.json", "model-00001-of-00002.safetensors", "other.safetensors"}),
              (std::vector<std::string>{"model.safetensors.index.json", "config.json",
                                        "model-00002-of-00002.safetensors", "model-00001-of-00002.safetensors"}));
    EXPECT_THROW(choose_model_files("a/b", {"model.safetensors.index.json", "config.json"}), Error);  // no shard
}

TEST(HubSettings, ReadsTheHuggingFaceEnvironment) {
    test::TempDir dir;
    ::setenv("HF_HOME", dir.path().c_str(), 1);
    ::setenv("HF_ENDPOINT", "http://mirror.example/", 1);
    ::setenv("HF_HUB_OFFLINE", "yes", 1);
    ::setenv("HF_HUB_DISABLE_SYMLINKS", "ON", 1);
    ::unsetenv("HF_TOKEN");
    ::unsetenv("HUGGING_FACE_HUB_TOKEN");
    ::unsetenv("HF_TOKEN_PATH");
    ::unsetenv("HF_HUB_CACHE");
    ::unsetenv("HUGGINGFACE_HUB_CACHE");
    test::write_bytes(dir.path("token"), "  hf_filetoken\r\n");
    HubSettings s = hub_settings_from_environment();
    EXPECT_EQ(s.endpoint, "http://mirror.example");
    EXPECT_TRUE(s.offline);
    EXPECT_TRUE(s.disable_symlinks);
    EXPECT_EQ(s.token, "hf_filetoken");
    EXPECT_EQ(s.cache_dir, dir.path("hub"));
    ::setenv("HF_TOKEN", "hf_envtoken", 1);
    s = hub_settings_from_environment();
    EXPECT_EQ(s.token, "hf_envtoken");
    EXPECT_EQ(s.token_source, "HF_TOKEN");
    for (const char* v : {"HF_HOME", "HF_ENDPOINT", "HF_HUB_OFFLINE", "HF_TOKEN", "HF_HUB_DISABLE_SYMLINKS"})
        ::unsetenv(v);
}

TEST(HubCache, ListsPythonWrittenEntriesAndExplainsBrokenOnes) {
    test::TempDir dir;
    const fs::path repo = fs::path(dir.path("hub")) / "models--acme--broken";
    const std::string commit(40, 'b');
    fs::create_directories(repo / "snapshots" / commit);
    fs::create_directories(repo / "refs");
    fs::create_directories(repo / "blobs");
    fs::create_symlink("../../blobs/gone", repo / "snapshots" / commit / "open_clip_model.safetensors");
    test::write_bytes((repo / "refs" / "main").string(), commit + "\n");  // hand-edited, with newline
    test::write_bytes((repo / "blobs" / "abc.incomplete").string(), "xx");
    fs::create_directories(fs::path(dir.path("hub")) / "datasets--acme--data");
    const auto repos = list_cached_models(dir.path("hub"));
    ASSERT_EQ(repos.size(), 1u);
    EXPECT_EQ(repos[0].incomplete_downloads, 1);
    ASSERT_EQ(repos[0].revisions.size(), 1u);
    const auto& rev = repos[0].revisions[0];
    EXPECT_FALSE(rev.loadable);
    EXPECT_NE(rev.problem.find("deleted blobs"), std::string::npos) << rev.problem;
    EXPECT_EQ(rev.missing_files, std::vector<std::string>{"open_clip_model.safetensors"});
    EXPECT_EQ(rev.refs, std::vector<std::string>{"main"});
    EXPECT_TRUE(list_hf_cache(dir.path("absent")).empty());
}

}  // namespace
}  // namespace clipscope
