// Every supported checkpoint format, written by the test from the same random
// weights, must load to the same model and give the same outputs.
#include <cmath>
#include <filesystem>
#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "clipscope/decompose/decompose.h"
#include "clipscope/model/clip_model.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/base/file_digest.h"
#include "clipscope/io/safetensors.h"
#include "test_support.h"

namespace clipscope {
namespace {
namespace fs = std::filesystem;

// Heads of width 64, so OpenAI's shape-inference rule (heads = width / 64) holds.
ClipConfig small_config(Activation act) {
    ClipConfig c;
    c.embed_dim = 48;
    c.vision.image_size = 32;
    c.vision.patch_size = 8;
    c.vision.width = 128;
    c.vision.layers = 2;
    c.vision.heads = 2;
    c.vision.mlp_hidden = 512;
    c.text.width = 128;
    c.text.layers = 2;
    c.text.heads = 2;
    c.text.mlp_hidden = 512;
    c.text.vocab_size = 1000;
    c.text.context_length = 16;
    c.vision.activation = c.text.activation = act;
    c.preprocess.image_size = 32;
    return c;
}

using test::random_pixels;

Int64Array some_ids(int64_t C) {
    Int64Array ids({2, C});
    for (int64_t i = 0; i < C; ++i) {
        ids.data[static_cast<size_t>(i)] = i < 5 ? 3 + i * 7 : 0;
        ids.data[static_cast<size_t>(C + i)] = i < 9 ? 100 + i : 0;
    }
    ids.data[5] = 999;  // "EOT": the largest id
    ids.data[static_cast<size_t>(C + 9)] = 999;
    return ids;
}

struct Outputs {
    FloatArray image, text, attentions;
};

Outputs run(const ClipModel& m) {
    const int64_t S = m.config().vision.image_size;
    return {m.encode_image(random_pixels(2, S, 5)), m.encode_text(some_ids(m.config().text.context_length)),
            decompose(m, random_pixels(2, S, 5)).attentions};
}

TEST(CheckpointFormats, AllFormatsGiveTheSameOutputs) {
    test::TempDir dir;
    const ClipConfig config = small_config(Activation::QuickGelu);
    const auto sd = random_state_dict(config, 42);
    write_checkpoint(dir.path("open_clip"), ModelFormat::OpenClipSafetensors, config, sd);
    write_checkpoint(dir.path("hf"), ModelFormat::HfTransformers, config, sd);
    write_checkpoint(dir.path("openai"), ModelFormat::OpenAiTorchScript, config, sd);
    // open_clip_pytorch_model.safetensors is the name Hub conversions use.
    fs::create_directories(dir.path("renamed"));
    fs::copy_file(dir.path("open_clip/open_clip_config.json"), dir.path("renamed/open_clip_config.json"));
    fs::copy_file(dir.path("open_clip/open_clip_model.safetensors"),
                  dir.path("renamed/open_clip_pytorch_model.safetensors"));

    const ClipModel reference = ClipModel::load(dir.path("open_clip"));
    EXPECT_EQ(reference.info().format, "open_clip-safetensors");
    const Outputs want = run(reference);
    for (const std::string& spec : {dir.path("hf"), dir.path("openai/model.pt"), dir.path("renamed")}) {
        const ClipModel m = ClipModel::load(spec);
        EXPECT_EQ(m.config().vision.heads, 2) << spec;
        EXPECT_EQ(m.config().vision.activation, Activation::QuickGelu) << spec;
        const Outputs got = run(m);
        EXPECT_LT(test::max_abs_diff(got.image, want.image), 1e-5) << spec;
        EXPECT_LT(test::max_abs_diff(got.text, want.text), 1e-5) << spec;
        EXPECT_LT(test::max_abs_diff(got.attentions, want.attentions), 1e-6) << spec;
    }
    EXPECT_EQ(ClipModel::load(dir.path("openai/model.pt")).info().format, "openai-torchscript");
    EXPECT_EQ(ClipModel::load(dir.path("hf")).config().preprocess.crop_rounding, "floor");
}

TEST(CheckpointFormats, HalfPrecisionWeightsAreUpcast) {
    test::TempDir dir;
    const ClipConfig config = small_config(Activation::Gelu);
    const auto sd = random_state_dict(config, 7);
    write_checkpoint(dir.path("f32"), ModelFormat::OpenClipSafetensors, config, sd);
    write_checkpoint(dir.path("f16"), ModelFormat::OpenClipSafetensors, config, sd, DType::F16);
    const ClipModel a = ClipModel::load(dir.path("f32")), b = ClipModel::load(dir.path("f16"));
    EXPECT_EQ(b.info().weights_dtype, "F16");
    const FloatArray ea = a.encode_image(random_pixels(1, 32, 1)), eb = b.encode_image(random_pixels(1, 32, 1));
    EXPECT_LT(test::max_abs_diff(ea, eb), 0.05);  // F16 rounding of the weights only
    EXPECT_GT(test::max_abs_diff(ea, eb), 0.0);
}

TEST(CheckpointFormats, StateDictRoundTripsThroughTheModel) {
    const ClipConfig config = small_config(Activation::Gelu);
    const auto sd = random_state_dict(config, 9);
    test::TempDir dir;
    write_checkpoint(dir.path("m"), ModelFormat::OpenClipSafetensors, config, sd);
    const auto back = ClipModel::load(dir.path("m")).state_dict();
    ASSERT_EQ(back.size(), sd.size());
    for (const auto& [k, v] : sd) EXPECT_EQ(back.at(k).data, v.data) << k;
}

// The model names its weights once: the file's fingerprint (as stores record it), computed
// on first use; a file rewritten after loading is refused rather than fingerprinted as if it
// were what was loaded; random and in-memory models name theirs without a file.
TEST(CheckpointFormats, AModelFingerprintsTheWeightsItLoaded) {
    const ClipConfig config = small_config(Activation::Gelu);
    const auto sd = random_state_dict(config, 9);
    test::TempDir dir;
    write_checkpoint(dir.path("m"), ModelFormat::OpenClipSafetensors, config, sd);
    const ClipModel model = ClipModel::load(dir.path("m"));
    const std::string file = model.info().weights_path;
    const std::string fingerprint = model.weights_fingerprint();
    EXPECT_EQ(fingerprint, fnv1a64_file_fingerprint(file));
    EXPECT_EQ(fingerprint.rfind("fnv1a64:", 0), 0u) << fingerprint;
    EXPECT_EQ(&model.weights_fingerprint(), &model.weights_fingerprint());  // computed once

    const ClipModel stale = ClipModel::load(dir.path("m"));
    auto changed = sd;
    changed.begin()->second.data[0] += 1.0f;
    write_checkpoint(dir.path("m"), ModelFormat::OpenClipSafetensors, config, changed);
    try {
        (void)stale.weights_fingerprint();
        ADD_FAILURE() << "fingerprinted a file rewritten after loading";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("changed since the model was loaded"), std::string::npos) << e.what();
    }
    EXPECT_EQ(model.weights_fingerprint(), fingerprint);  // what was loaded keeps its name
    EXPECT_NE(ClipModel::load(dir.path("m")).weights_fingerprint(), fingerprint);

    EXPECT_EQ(ClipModel::load("random:tiny").weights_fingerprint(), "random:tiny");
    const std::string memory = ClipModel::create(config, sd).weights_fingerprint();
    EXPECT_EQ(memory, ClipModel::create(config, sd).weights_fingerprint());
    EXPECT_NE(memory, ClipModel::create(config, changed).weights_fingerprint());
}

// A transformers folder split the way the hub publishes large models: NAME.safetensors.index.json
// (weight_map, metadata.total_size) beside NAME-0000i-of-0000n.safetensors.
void shard_checkpoint(const std::string& folder, const std::string& stem, int shards) {
    const std::string single = folder + "/" + stem + ".safetensors";
    std::vector<std::map<std::string, FloatArray>> parts(static_cast<size_t>(shards));
    nlohmann::json weight_map = nlohmann::json::object();
    int64_t total = 0;
    {
        const SafetensorsFile file = SafetensorsFile::open(single);
        size_t i = 0;
        for (const auto& e : file.entries()) {
            const size_t part = i++ % static_cast<size_t>(shards);
            parts[part][e.name] = file.read_float(e);
            char name[64];
            std::snprintf(name, sizeof name, "%s-%05zu-of-%05d.safetensors", stem.c_str(), part + 1, shards);
            weight_map[e.name] = name;
            total += static_cast<int64_t>(e.end - e.begin);
        }
    }
    for (size_t part = 0; part < parts.size(); ++part) {
        char name[64];
        std::snprintf(name, sizeof name, "%s-%05zu-of-%05d.safetensors", stem.c_str(), part + 1, shards);
        write_safetensors(folder + "/" + name, parts[part]);
    }
    fs::remove(single);
    test::write_bytes(folder + "/" + stem + ".safetensors.index.json",
                      nlohmann::json{{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}}.dump());
}

TEST(CheckpointFormats, ShardedSafetensorsLoadAsTheSingleFileAndInconsistentSetsAreRefused) {
    test::TempDir dir;
    const ClipConfig config = small_config(Activation::QuickGelu);
    const auto sd = random_state_dict(config, 42);
    write_checkpoint(dir.path("single"), ModelFormat::HfTransformers, config, sd);
    write_checkpoint(dir.path("hf"), ModelFormat::HfTransformers, config, sd);
    shard_checkpoint(dir.path("hf"), "model", 3);
    write_checkpoint(dir.path("oc"), ModelFormat::OpenClipSafetensors, config, sd);
    shard_checkpoint(dir.path("oc"), "open_clip_model", 2);
    const Outputs want = run(ClipModel::load(dir.path("single")));
    for (const std::string& spec : {dir.path("hf"), dir.path("oc"), dir.path("hf/model.safetensors.index.json")}) {
        const ClipModel m = ClipModel::load(spec);
        const Outputs got = run(m);
        EXPECT_EQ(test::max_abs_diff(got.image, want.image), 0.0) << spec;
        EXPECT_EQ(test::max_abs_diff(got.attentions, want.attentions), 0.0) << spec;
        EXPECT_NE(m.weights_fingerprint().find("-files"), std::string::npos) << m.weights_fingerprint();
    }
    const std::string fingerprint = ClipModel::load(dir.path("hf")).weights_fingerprint();

    const std::string index = dir.path("hf/model.safetensors.index.json");
    const std::string good = read_file_bytes(index, 1 << 20);
    const auto expect_refused = [&](const std::string& needle) {
        try {
            ClipModel::load(dir.path("hf"));
            ADD_FAILURE() << "loaded; expected an error with " << needle;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    nlohmann::json j = nlohmann::json::parse(good);
    j["metadata"]["total_size"] = j["metadata"]["total_size"].get<int64_t>() + 4;
    test::write_bytes(index, j.dump());
    expect_refused("total_size");
    j = nlohmann::json::parse(good);
    const std::string moved = j["weight_map"].begin().key();
    j["weight_map"][moved] = "model-00002-of-00003.safetensors";  // the index says another shard
    test::write_bytes(index, j.dump());
    expect_refused(moved);
    j = nlohmann::json::parse(good);
    j["weight_map"].erase(moved);
    test::write_bytes(index, j.dump());
    expect_refused("does not list");
    j = nlohmann::json::parse(good);
    j["weight_map"][moved] = "../single/model.safetensors";
    test::write_bytes(index, j.dump());
    expect_refused("beside the index");
    test::write_bytes(index, good);
    fs::rename(dir.path("hf/model-00003-of-00003.safetensors"), dir.path("hf/aside"));
    expect_refused("model-00003-of-00003.safetensors, which is missing");
    fs::rename(dir.path("hf/aside"), dir.path("hf/model-00003-of-00003.safetensors"));
    EXPECT_EQ(ClipModel::load(dir.path("hf")).weights_fingerprint(), fingerprint);
    // A shard rewritten after loading: the model does not name weights it no longer has.
    const ClipModel stale = ClipModel::load(dir.path("hf"));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::string shard = dir.path("hf/model-00001-of-00003.safetensors");
    const std::string bytes = read_file_bytes(shard, 1 << 26);
    test::write_bytes(shard, bytes);
    EXPECT_THROW((void)stale.weights_fingerprint(), Error);
}

// Writes a checkpoint with one tensor changed (or removed / added) and expects
// a Model error naming the file and the key.
void expect_load_error(const std::map<std::string, FloatArray>& sd, const ClipConfig& config, const std::string& key,
                       const char* needle) {
    test::TempDir dir;
    write_checkpoint(dir.path("m"), ModelFormat::OpenClipSafetensors, config, sd);
    try {
        ClipModel::load(dir.path("m"));
        ADD_FAILURE() << "loaded despite " << needle << " " << key;
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Model) << e.what();
        EXPECT_NE(std::string(e.what()).find("open_clip_model.safetensors"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
}

TEST(CheckpointErrors, MissingUnexpectedAndMisshapenTensorsAreNamed) {
    const ClipConfig config = small_config(Activation::Gelu);
    const auto sd = random_state_dict(config, 1);
    auto missing = sd;
    missing.erase("visual.transformer.resblocks.1.attn.out_proj.bias");
    expect_load_error(missing, config, "visual.transformer.resblocks.1.attn.out_proj.bias", "missing");
    auto extra = sd;
    extra["visual.transformer.resblocks.7.ln_1.weight"] = FloatArray({128});
    expect_load_error(extra, config, "visual.transformer.resblocks.7.ln_1.weight", "unexpected");
    auto misshapen = sd;
    misshapen["visual.proj"] = FloatArray({128, 47});
    expect_load_error(misshapen, config, "visual.proj", "shape");
    auto nan = sd;
    nan["ln_final.bias"].data[3] = NAN;
    expect_load_error(nan, config, "ln_final.bias", "NaN");
}

TEST(CheckpointErrors, TruncatedWeightsAndNonTorchScriptFilesFailCleanly) {
    test::TempDir dir;
    const ClipConfig config = small_config(Activation::Gelu);
    write_checkpoint(dir.path("m"), ModelFormat::OpenClipSafetensors, config, random_state_dict(config, 1));
    const std::string weights = dir.path("m/open_clip_model.safetensors");
    fs::resize_file(weights, fs::file_size(weights) - 100);
    try {
        ClipModel::load(dir.path("m"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
    }
    test::write_bytes(dir.path("fake.pt"), "this is not a zip archive");
    try {
        ClipModel::load(dir.path("fake.pt"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Model);
        EXPECT_NE(std::string(e.what()).find("fake.pt"), std::string::npos);
    }
}

TEST(Devices, CudaOnACpuOnlyBuildIsAClearError) {
    LoadOptions options;
    options.device = "cuda:0";
    try {
        ClipModel::load("random:tiny", options);
        SUCCEED() << "this LibTorch has CUDA";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
        EXPECT_NE(std::string(e.what()).find("CUDA"), std::string::npos);
    }
    options.device = "tpu";
    EXPECT_THROW(ClipModel::load("random:tiny", options), Error);
}

}  // namespace
}  // namespace clipscope
