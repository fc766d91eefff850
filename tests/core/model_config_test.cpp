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

// The preprocessing a config states is the one computed, or the config is refused by name.
TEST(PreprocessingConfig, OpenClipModesAndFiltersAreReadAndOthersRefusedByName) {
    test::TempDir dir;
    const auto parse = [&](const std::string& pre) {
        test::write_bytes(dir.path("c.json"), R"({"model_cfg": {"embed_dim": 32,
            "vision_cfg": {"image_size": 48, "layers": 2, "width": 64, "head_width": 16, "patch_size": 8},
            "text_cfg": {"width": 32, "heads": 2, "layers": 2}}, "preprocess_cfg": )" +
                                                  pre + "}");
        return parse_open_clip_config(dir.path("c.json"));
    };
    PreprocessConfig p = parse(R"({"resize_mode": "squash", "interpolation": "bilinear"})").preprocess;
    EXPECT_EQ(p.resize_mode, "squash");
    EXPECT_EQ(p.interpolation, "bilinear");
    p = parse(R"({"resize_mode": "longest", "fill_color": 114, "interpolation": "random", "size": 48})").preprocess;
    EXPECT_EQ(p.resize_mode, "longest");
    EXPECT_EQ(p.fill, 114);
    EXPECT_EQ(p.interpolation, "bicubic");  // open_clip evaluates "random" with BICUBIC
    EXPECT_EQ(parse("{}").preprocess.resize_mode, "shortest");
    for (const auto& [pre, needle] : std::vector<std::pair<std::string, std::string>>{
             {R"({"resize_mode": "crop"})", "resize_mode \"crop\""},
             {R"({"interpolation": "lanczos"})", "interpolation \"lanczos\""},
             {R"({"fill_color": 300})", "fill_color 300"},
             {R"({"mode": "L"})", "mode = \"L\" is not supported"},
             {R"({"size": 64})", "size 64"},
             {R"({"resize_mode": 3})", "resize_mode must be a string"}}) {
        try {
            parse(pre);
            ADD_FAILURE() << "accepted " << pre;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("c.json"), std::string::npos) << e.what();
        }
    }
}

TEST(PreprocessingConfig, TransformersProcessorFormsMapOntoTheModesAndTheRestIsRefused) {
    test::TempDir dir;
    test::write_bytes(dir.path("config.json"), R"({"vision_config": {"image_size": 224}})");
    const auto parse = [&](const std::string& pre) {
        test::write_bytes(dir.path("pre.json"), pre);
        return parse_hf_clip_config(dir.path("config.json"), dir.path("pre.json")).preprocess;
    };
    PreprocessConfig p = parse(R"({"size": {"shortest_edge": 224}, "crop_size": 224})");
    EXPECT_EQ(p.resize_mode, "shortest");
    EXPECT_EQ(p.interpolation, "bicubic");
    EXPECT_TRUE(p.convert_rgb_first);
    EXPECT_EQ(p.crop_rounding, "floor");
    p = parse(R"({"size": {"height": 224, "width": 224}, "do_center_crop": false, "resample": 2})");
    EXPECT_EQ(p.resize_mode, "squash");
    EXPECT_EQ(p.interpolation, "bilinear");
    EXPECT_EQ(parse(R"({"resample": 0})").interpolation, "nearest");
    for (const auto& [pre, needle] : std::vector<std::pair<std::string, std::string>>{
             {R"({"resample": 1})", "resample 1"},
             {R"({"size": {"shortest_edge": 256}, "crop_size": 224})", "shortest_edge"},
             {R"({"size": {"shortest_edge": 224}, "do_center_crop": false})", "do_center_crop false"},
             {R"({"do_normalize": false})", "do_normalize"},
             {R"({"do_convert_rgb": false})", "do_convert_rgb"},
             {R"({"rescale_factor": 1.0})", "rescale_factor"}}) {
        try {
            parse(pre);
            ADD_FAILURE() << "accepted " << pre;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("pre.json"), std::string::npos) << e.what();
        }
    }
}

TEST(BuiltinArchitectures, MatchTheReferenceTable) {
    EXPECT_EQ(builtin_architecture("ViT-B-16").vision.tokens(), 197);
    EXPECT_EQ(builtin_architecture("ViT-H-14").vision.heads, 16);
    EXPECT_EQ(builtin_architecture("ViT-bigG-14").vision.mlp_hidden, 8192);
    EXPECT_EQ(builtin_architecture("ViT-L-14-336").vision.tokens(), 577);
    EXPECT_THROW(builtin_architecture("ViT-X-99"), Error);
    EXPECT_THROW(builtin_architecture("ViT-X-99-quickgelu"), Error);
    EXPECT_THROW(builtin_architecture("-quickgelu"), Error);
}

// open_clip's -quickgelu names and the checkpoint families' presets carry their options.
TEST(BuiltinArchitectures, QuickGeluNamesAndFamilyPresetsSetTheirOptions) {
    const ClipConfig q = builtin_architecture("ViT-B-32-quickgelu");
    EXPECT_EQ(q.vision.activation, Activation::QuickGelu);
    EXPECT_EQ(q.text.activation, Activation::QuickGelu);
    EXPECT_EQ(q.name, "ViT-B-32");  // the shape; the activation is a variation, as for a loaded file
    EXPECT_EQ(builtin_architecture("ViT-B-32").vision.activation, Activation::Gelu);
    const ClipConfig dfn = builtin_architecture("DFN5B-ViT-H-14-378");
    EXPECT_EQ(dfn.vision.image_size, 378);
    EXPECT_EQ(dfn.vision.tokens(), 1 + 27 * 27);
    EXPECT_EQ(dfn.vision.heads, 16);
    EXPECT_EQ(dfn.text.activation, Activation::QuickGelu);
    EXPECT_EQ(dfn.preprocess.resize_mode, "squash");
    EXPECT_EQ(dfn.preprocess.image_size, 378);
    EXPECT_EQ(architecture_name(dfn), "ViT-H-14-378");
    EXPECT_NO_THROW(validate_config(dfn, "DFN5B-ViT-H-14-378"));
    const ClipConfig meta = builtin_architecture("MetaCLIP-ViT-L-14");
    EXPECT_EQ(meta.vision.activation, Activation::QuickGelu);
    EXPECT_EQ(meta.preprocess.resize_mode, "shortest");
    for (const auto& name : builtin_architecture_names()) {
        EXPECT_NO_THROW(validate_config(builtin_architecture(name), name)) << name;
        EXPECT_NO_THROW(builtin_architecture(name + "-quickgelu")) << name;
    }
}

}  // namespace
}  // namespace clipscope
