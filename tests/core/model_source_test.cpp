#include "clipscope/model/model_source.h"

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "clipscope/model/clip_model.h"
#include "clipscope/base/error.h"
#include "test_support.h"

namespace clipscope {
namespace {
namespace fs = std::filesystem;

// Sets an environment variable for the scope of a test.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};

// Lays out a cache entry exactly as huggingface_hub does: blobs named by hash,
// snapshot files as relative symlinks, refs/main without a trailing newline.
std::string make_hub_entry(const std::string& cache, const std::string& commit) {
    const fs::path repo = fs::path(cache) / "models--acme--tiny-clip";
    fs::create_directories(repo / "blobs");
    fs::create_directories(repo / "refs");
    fs::create_directories(repo / "snapshots" / commit);
    test::TempDir staging;
    const ClipConfig config = builtin_architecture("tiny");
    write_checkpoint(staging.path(), ModelFormat::OpenClipSafetensors, config, random_state_dict(config, 3));
    int n = 0;
    for (const char* name : {"open_clip_config.json", "open_clip_model.safetensors"}) {
        const std::string blob = "blob" + std::to_string(n++);
        fs::copy_file(staging.path(name), repo / "blobs" / blob);
        fs::create_symlink(fs::path("../../blobs") / blob, repo / "snapshots" / commit / name);
    }
    test::write_bytes((repo / "refs" / "main").string(), commit);
    return (repo / "snapshots" / commit).string();
}

TEST(HfHub, ResolvesMainAndCommitOfflineThroughSymlinks) {
    test::TempDir dir;
    const std::string commit(40, 'a');
    const std::string snapshot = make_hub_entry(dir.path("hub"), commit);
    ScopedEnv cache("HF_HUB_CACHE", dir.path("hub"));
    EXPECT_EQ(resolve_hf_snapshot("acme/tiny-clip", "main"), snapshot);
    EXPECT_EQ(resolve_hf_snapshot("acme/tiny-clip", commit), snapshot);
    const ModelLocation loc = resolve_model("hf-hub:acme/tiny-clip");
    EXPECT_EQ(loc.format, ModelFormat::OpenClipSafetensors);
    const ClipModel model = ClipModel::load("hf-hub:acme/tiny-clip@" + commit);
    EXPECT_EQ(model.config().vision.layers, 3);
}

TEST(HfHub, CacheFolderFollowsTheEnvironmentPrecedence) {
    ScopedEnv home("HF_HOME", "/x/hfhome");
    ScopedEnv legacy("HUGGINGFACE_HUB_CACHE", "");
    ScopedEnv hub("HF_HUB_CACHE", "");
    ::unsetenv("HF_HUB_CACHE");
    ::unsetenv("HUGGINGFACE_HUB_CACHE");
    EXPECT_EQ(hf_hub_cache_dir(), "/x/hfhome/hub");
    ::setenv("HF_HUB_CACHE", "/y/cache", 1);
    EXPECT_EQ(hf_hub_cache_dir(), "/y/cache");
}

TEST(HfHub, MissingRepoRevisionOrSnapshotAreClearErrors) {
    test::TempDir dir;
    make_hub_entry(dir.path("hub"), std::string(40, 'b'));
    ScopedEnv cache("HF_HUB_CACHE", dir.path("hub"));
    EXPECT_THROW(resolve_model("hf-hub:acme/absent"), Error);
    EXPECT_THROW(resolve_model("hf-hub:acme/tiny-clip@v9"), Error);
    EXPECT_THROW(resolve_model("hf-hub:acme/tiny-clip@" + std::string(40, 'c')), Error);
    EXPECT_THROW(resolve_model("hf-hub:not a repo"), Error);
}

TEST(VocabularySearch, PrefersOpenAiReposInTheCacheThenPythonPackages) {
    test::TempDir dir;
    for (const char* repo : {"models--laion--CLIP-ViT-B-32-laion2B-s34B-b79K", "models--openai--clip-vit-base-patch32",
                             "models--acme--not-a-vit"}) {
        const fs::path snap = fs::path(dir.path("hub")) / repo / "snapshots" / std::string(40, 'a');
        fs::create_directories(snap);
        test::write_bytes((snap / "vocab.json").string(), "{}");
        test::write_bytes((snap / "merges.txt").string(), "#version: 0.2\n");
    }
    const VocabularySearch in_cache = find_clip_vocabulary_elsewhere(dir.path("hub"));
    EXPECT_NE(in_cache.path.find("models--openai--clip-vit-base-patch32"), std::string::npos) << in_cache.path;

    // No CLIP repo in the cache: an open_clip package in the active virtual environment.
    const fs::path package = fs::path(dir.path("venv")) / "lib" / "python3.11" / "site-packages" / "open_clip";
    fs::create_directories(package);
    test::write_bytes((package / "bpe_simple_vocab_16e6.txt.gz").string(), "x");
    ScopedEnv venv("VIRTUAL_ENV", dir.path("venv"));
    const VocabularySearch in_package = find_clip_vocabulary_elsewhere(dir.path("empty-hub"));
    EXPECT_EQ(in_package.path, (package / "bpe_simple_vocab_16e6.txt.gz").string());
    EXPECT_FALSE(in_package.searched.empty());
}

TEST(VocabularySearch, ModelWithoutTokenizerFilesBorrowsTheStandardVocabulary) {
    CLIPSCOPE_REQUIRE_SHARED();
    test::TempDir dir;
    const ClipConfig config = builtin_architecture("tiny");  // 49,408-token text tower, like every CLIP
    write_checkpoint(dir.path("model"), ModelFormat::OpenClipSafetensors, config, random_state_dict(config, 2));
    const fs::path package = fs::path(dir.path("venv")) / "lib" / "python3.11" / "site-packages" / "open_clip";
    fs::create_directories(package);
    fs::copy_file(test::vocab_path(), package / "bpe_simple_vocab_16e6.txt.gz");
    ScopedEnv venv("VIRTUAL_ENV", dir.path("venv"));
    ScopedEnv cache("HF_HUB_CACHE", dir.path("empty-hub"));
    const ClipModel model = ClipModel::load(dir.path("model"));
    ASSERT_TRUE(model.has_tokenizer());
    EXPECT_EQ(model.info().vocab_path, (package / "bpe_simple_vocab_16e6.txt.gz").string());
    EXPECT_EQ(model.tokenizer().sot_id(), 49406);
    EXPECT_EQ(model.tokenizer().encode("a photo of a cat").size(), 5u);
}

TEST(ModelSource, FoldersAndFilesAreClassifiedByContent) {
    test::TempDir dir;
    const ClipConfig config = builtin_architecture("tiny");
    const auto sd = random_state_dict(config, 1);
    write_checkpoint(dir.path("oc"), ModelFormat::OpenClipSafetensors, config, sd);
    write_checkpoint(dir.path("hf"), ModelFormat::HfTransformers, config, sd);
    EXPECT_EQ(resolve_model(dir.path("oc")).format, ModelFormat::OpenClipSafetensors);
    EXPECT_EQ(resolve_model(dir.path("hf")).format, ModelFormat::HfTransformers);
    EXPECT_EQ(resolve_model(dir.path("hf") + "/model.safetensors").format, ModelFormat::HfTransformers);
    EXPECT_EQ(resolve_model("random:ViT-B-16@7").random_seed, 7u);
}

TEST(ModelSource, MissingFilesAndPicklesAreRefusedWithAdvice) {
    test::TempDir dir;
    fs::create_directories(dir.path("empty"));
    EXPECT_THROW(resolve_model(dir.path("empty")), Error);
    EXPECT_THROW(resolve_model(dir.path("nope")), Error);
    // Weights without the config that names head count and activation.
    const ClipConfig config = builtin_architecture("tiny");
    write_checkpoint(dir.path("oc"), ModelFormat::OpenClipSafetensors, config, random_state_dict(config, 1));
    fs::remove(dir.path("oc/open_clip_config.json"));
    try {
        resolve_model(dir.path("oc"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("open_clip_config.json"), std::string::npos);
    }
    fs::create_directories(dir.path("bin"));
    test::write_bytes(dir.path("bin/open_clip_pytorch_model.bin"), "PK");
    try {
        resolve_model(dir.path("bin"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
        EXPECT_NE(std::string(e.what()).find("safetensors"), std::string::npos);
    }
}

}  // namespace
}  // namespace clipscope
