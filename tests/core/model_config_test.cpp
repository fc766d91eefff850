#include "clipscope/model/model_config.h"

#include "clipscope/base/error.h"
#include "test_support.h"

namespace clipscope {
namespace {

TEST(OpenClipConfig, HeadCountComesFromHeadWidthNotFromWidthOver64) {
    test::TempDir dir;
    // ViT-H-14's open_clip_config.json: head_width 80 -> 16 heads (OpenAI's width/64 rule would say 20).
    test::write_bytes(dir.path("c.json"), R"({"model_cfg": {"embed_dim": 1024,
        "vision_cfg": {"image_size": 224, "layers": 32, "width": 1280, "head_width": 80, "patch_size": 14},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 1024, "heads": 16, "layers": 24}},
        "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}})");
    const ClipConfig c = parse_open_clip_config(dir.path("c.json"));
    EXPECT_EQ(c.vision.heads, 16);
    EXPECT_EQ(c.vision.head_dim(), 80);
    EXPECT_EQ(c.vision.mlp_hidden, 5120);
    EXPECT_EQ(c.vision.activation, Activation::Gelu);
    EXPECT_EQ(c.text.activation, Activation::Gelu);
    EXPECT_EQ(c.preprocess.mean[0], 0.5f);
    EXPECT_EQ(c.name, "ViT-H-14");
}

TEST(OpenClipConfig, QuickGeluAndBareModelCfg) {
    test::TempDir dir;
    test::write_bytes(dir.path("c.json"), R"({"embed_dim": 512, "quick_gelu": true,
        "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "patch_size": 32},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 12}})");
    const ClipConfig c = parse_open_clip_config(dir.path("c.json"));
    EXPECT_EQ(c.vision.activation, Activation::QuickGelu);
    EXPECT_EQ(c.text.activation, Activation::QuickGelu);
    EXPECT_EQ(c.vision.heads, 12);
    EXPECT_EQ(c.name, "ViT-B-32");
    EXPECT_NEAR(c.preprocess.mean[0], 0.48145466f, 1e-7);
}

TEST(HfConfig, SparseConfigIsFilledWithClipConfigDefaults) {
    test::TempDir dir;
    // Newer transformers omit values equal to the defaults (vision patch_size default is 32!).
    test::write_bytes(
        dir.path("config.json"),
        R"({"model_type": "clip", "text_config": {"hidden_act": "gelu"}, "vision_config": {"hidden_act": "gelu"}})");
    const ClipConfig c = parse_hf_clip_config(dir.path("config.json"), "");
    EXPECT_EQ(c.vision.patch_size, 32);
    EXPECT_EQ(c.vision.width, 768);
    EXPECT_EQ(c.text.mlp_hidden, 2048);
    EXPECT_EQ(c.embed_dim, 512);
    EXPECT_EQ(c.vision.activation, Activation::Gelu);
    EXPECT_EQ(c.text.activation, Activation::Gelu);
    EXPECT_EQ(c.name, "ViT-B-32");
    EXPECT_EQ(c.preprocess.crop_rounding, "floor");
}

TEST(HfConfig, LegacyDictOverridesAndPreprocessorIsRead) {
    test::TempDir dir;
    test::write_bytes(dir.path("config.json"), R"({"projection_dim": 768,
        "text_config": {"hidden_size": 768, "num_attention_heads": 12, "intermediate_size": 3072},
        "vision_config": {"hidden_size": 1024}, "vision_config_dict": {"hidden_size": 1024, "num_hidden_layers": 24,
        "num_attention_heads": 16, "intermediate_size": 4096, "patch_size": 14}})");
    test::write_bytes(dir.path("pre.json"),
                      R"({"crop_size": {"height": 224, "width": 224}, "size": {"shortest_edge": 224},
        "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "resample": 3})");
    const ClipConfig c = parse_hf_clip_config(dir.path("config.json"), dir.path("pre.json"));
    EXPECT_EQ(c.vision.layers, 24);
    EXPECT_EQ(c.vision.patch_size, 14);
    EXPECT_EQ(c.vision.activation, Activation::QuickGelu);
    EXPECT_EQ(c.text.activation, Activation::QuickGelu);
    EXPECT_EQ(c.preprocess.std[2], 0.5f);
    EXPECT_EQ(c.name, "ViT-L-14");
}

TEST(ConfigErrors, AbsurdOrWrongTypedValuesAreRefusedNamingTheField) {
    test::TempDir dir;
    auto expect_error = [&](const std::string& json, const std::string& needle) {
        test::write_bytes(dir.path("bad.json"), json);
        try {
            parse_open_clip_config(dir.path("bad.json"));
            ADD_FAILURE() << "accepted: " << json;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos);
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    const std::string text = R"("text_cfg": {"width": 512, "heads": 8, "layers": 12})";
    expect_error(
        R"({"embed_dim": 512, "vision_cfg": {"layers": 1000000000, "width": 768, "patch_size": 32}, )" + text + "}",
        "layers");
    expect_error(
        R"({"embed_dim": 512, "vision_cfg": {"layers": "twelve", "width": 768, "patch_size": 32}, )" + text + "}",
        "layers");
    expect_error(R"({"embed_dim": 512, "vision_cfg": {"layers": 12, "width": 770, "patch_size": 32}, )" + text + "}",
                 "head_width");
    expect_error(R"({"embed_dim": 512, "vision_cfg": {"layers": 12, "width": 768, "patch_size": 30}, )" + text + "}",
                 "patch_size");
    expect_error(R"({"embed_dim": 512, "vision_cfg": {"timm_model_name": "vit", "width": 768}, )" + text + "}",
                 "timm_model_name");
    expect_error(R"({"embed_dim": 512})", "vision_cfg");
    expect_error("not json", "JSON");
    expect_error("", "JSON");
    EXPECT_THROW(parse_open_clip_config(dir.path("missing.json")), Error);
}

TEST(BuiltinArchitectures, MatchTheReferenceTable) {
    EXPECT_EQ(builtin_architecture("ViT-B-16").vision.tokens(), 197);
    EXPECT_EQ(builtin_architecture("ViT-H-14").vision.heads, 16);
    EXPECT_EQ(builtin_architecture("ViT-bigG-14").vision.mlp_hidden, 8192);
    EXPECT_EQ(builtin_architecture("ViT-L-14-336").vision.tokens(), 577);
    EXPECT_THROW(builtin_architecture("ViT-X-99"), Error);
}

}  // namespace
}  // namespace clipscope
