// The architecture fields of ClipConfig (model_config.h) change the computation exactly
// where they say and nowhere else: each variant moves the outputs, the decomposition of
// each variant still sums to its embedding, variants that coincide with the original
// graph on particular inputs give the same numbers, and the checkpoint writers either
// state a variant (and it loads back) or refuse it by name.
#include <gtest/gtest.h>

#include <functional>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/decompose/decompose.h"
#include "clipscope/io/safetensors.h"
#include "clipscope/model/clip_model.h"
#include "test_support.h"

namespace clipscope {
namespace {

using Weights = std::map<std::string, FloatArray>;

ClipConfig tiny() { return builtin_architecture("tiny"); }

// The default graph's random weights, adapted to a variant's set of tensors, so that a
// variant and the original share every weight they both have.
Weights weights_for(const ClipConfig& variant, uint64_t seed = 11) {
    Weights w = random_state_dict(tiny(), seed);
    if (!variant.vision.ln_pre) {
        w.erase("visual.ln_pre.weight");
        w.erase("visual.ln_pre.bias");
    }
    if (variant.vision.patch_bias) {
        FloatArray bias({variant.vision.width});
        for (size_t i = 0; i < bias.data.size(); ++i) bias.data[i] = 0.05f * static_cast<float>(i % 7) - 0.15f;
        w["visual.conv1.bias"] = bias;
    }
    if (variant.text.proj_bias) {
        FloatArray bias({variant.embed_dim});
        for (size_t i = 0; i < bias.data.size(); ++i) bias.data[i] = 0.03f * static_cast<float>(i % 5) - 0.06f;
        w["text_projection.bias"] = bias;
    }
    return w;
}

ClipModel model_of(const ClipConfig& c, const Weights& w) { return ClipModel::create(c, w); }
ClipModel model_of(const ClipConfig& c) { return model_of(c, weights_for(c)); }

FloatArray pixels() { return test::random_pixels(2, tiny().vision.image_size, 3); }

// Two texts: an end-of-text (the largest id) at position 4 and at the last position.
Int64Array ids_with_eot(int64_t context, int64_t eot) {
    Int64Array ids({2, context});
    for (int64_t i = 0; i < context; ++i) {
        ids.data[static_cast<size_t>(i)] = i < 4 ? 320 + 11 * i : 0;
        ids.data[static_cast<size_t>(context + i)] = 500 + i;
    }
    ids.data[4] = eot;
    ids.data[static_cast<size_t>(2 * context - 1)] = eot;
    return ids;
}

struct VisionVariant {
    const char* name;
    std::function<void(ClipConfig&)> apply;
};

const std::vector<VisionVariant> kVisionVariants = {
    {"norm_eps", [](ClipConfig& c) { c.vision.norm_eps = 0.25; }},
    {"gelu_tanh", [](ClipConfig& c) { c.vision.activation = Activation::GeluTanh; }},
    {"quick_gelu", [](ClipConfig& c) { c.vision.activation = Activation::QuickGelu; }},
    {"no_ln_pre", [](ClipConfig& c) { c.vision.ln_pre = false; }},
    {"patch_bias", [](ClipConfig& c) { c.vision.patch_bias = true; }},
};

TEST(Architecture, TheOriginalGraphHasNoVariations) {
    EXPECT_TRUE(architecture_variations(tiny()).empty());
    EXPECT_TRUE(architecture_variations(builtin_architecture("ViT-B-16")).empty());
    ClipConfig c = tiny();
    c.vision.norm_eps = 1e-6;
    c.text.pooling = TextPooling::Eos;
    c.text.eos_id = 7;
    EXPECT_EQ(architecture_variations(c), (std::vector<std::string>{"vision.norm_eps=1e-06", "text.pooling=eos(7)"}));
}

TEST(Architecture, EveryVisionVariantMovesTheEmbeddingAndItsDecompositionStillSums) {
    const FloatArray x = pixels();
    const FloatArray original = model_of(tiny()).encode_image(x);
    for (const auto& v : kVisionVariants) {
        ClipConfig c = tiny();
        v.apply(c);
        const ClipModel m = model_of(c);
        const FloatArray z = m.encode_image(x);
        EXPECT_GT(test::max_abs_diff(z, original), 1e-4) << v.name << " was not computed";
        DecomposeOptions all;
        all.spatial = true;
        const Decomposition d = decompose(m, x, all);
        EXPECT_LT(test::max_abs_diff(d.embedding, z), 1e-5) << v.name;
        for (const double e : d.sum_error) EXPECT_LT(e, 1e-5) << v.name << ": terms do not sum to z/||z||";
    }
}

TEST(Architecture, VariantsThatCoincideWithTheOriginalGiveItsNumbers) {
    const FloatArray x = pixels();
    const FloatArray original = model_of(tiny()).encode_image(x);
    ClipConfig c = tiny();
    c.vision.patch_bias = true;
    Weights w = weights_for(c);
    for (auto& b : w.at("visual.conv1.bias").data) b = 0.0f;
    EXPECT_EQ(test::max_abs_diff(model_of(c, w).encode_image(x), original), 0.0);
    // The tanh approximation of GELU is within 1e-3 of GELU everywhere: close, not equal.
    c = tiny();
    c.vision.activation = Activation::GeluTanh;
    const double tanh_gap = test::max_abs_diff(model_of(c).encode_image(x), original);
    EXPECT_GT(tanh_gap, 0.0);
    EXPECT_LT(tanh_gap, 1e-2);
}

TEST(Architecture, TextPoolingPicksTheStatedPosition) {
    const ClipConfig base = tiny();
    const int64_t C = base.text.context_length, eot = base.text.vocab_size - 1;
    const Int64Array ids = ids_with_eot(C, eot);
    const FloatArray argmax = model_of(base).encode_text(ids);
    ClipConfig eos = base;
    eos.text.pooling = TextPooling::Eos;
    eos.text.eos_id = eot;
    EXPECT_EQ(test::max_abs_diff(model_of(eos).encode_text(ids), argmax), 0.0);
    // Position C-1 is the end-of-text of the second text only.
    ClipConfig last = base;
    last.text.pooling = TextPooling::Last;
    const FloatArray at_last = model_of(last).encode_text(ids);
    const auto row = [&](const FloatArray& a, int64_t i) {
        const int64_t E = a.shape[1];
        return FloatArray({E}, std::vector<float>(a.data.begin() + i * E, a.data.begin() + (i + 1) * E));
    };
    EXPECT_EQ(test::max_abs_diff(row(at_last, 1), row(argmax, 1)), 0.0);
    EXPECT_GT(test::max_abs_diff(row(at_last, 0), row(argmax, 0)), 1e-4);
}

TEST(Architecture, TheCausalMaskDecidesWhetherLaterTokensReachEarlierOnes) {
    ClipConfig first = tiny();
    first.text.pooling = TextPooling::First;
    const int64_t C = first.text.context_length;
    Int64Array a = ids_with_eot(C, first.text.vocab_size - 1), b = a;
    b.data[2] = 4000;  // a later token of the first text
    const ClipModel causal = model_of(first);
    EXPECT_EQ(test::max_abs_diff(causal.encode_text(a), causal.encode_text(b)), 0.0);
    first.text.causal_mask = false;
    const ClipModel bidirectional = model_of(first);
    EXPECT_GT(test::max_abs_diff(bidirectional.encode_text(a), bidirectional.encode_text(b)), 1e-5);
}

TEST(Architecture, TextProjectionBiasIsAddedToEveryTextEmbedding) {
    ClipConfig c = tiny();
    c.text.proj_bias = true;
    const Weights w = weights_for(c);
    const Int64Array ids = ids_with_eot(c.text.context_length, c.text.vocab_size - 1);
    const FloatArray with = model_of(c, w).encode_text(ids);
    const FloatArray without = model_of(tiny()).encode_text(ids);
    const FloatArray& b = w.at("text_projection.bias");
    const int64_t E = c.embed_dim;
    double gap = 0;
    for (int64_t i = 0; i < with.shape[0]; ++i)
        for (int64_t e = 0; e < E; ++e)
            gap = std::max(gap, static_cast<double>(std::abs(with.data[i * E + e] - without.data[i * E + e] -
                                                             b.data[static_cast<size_t>(e)])));
    EXPECT_LT(gap, 1e-6);
    EXPECT_EQ(architecture_variations(c), std::vector<std::string>{"text.proj_bias=true"});
    // The image side does not change.
    EXPECT_EQ(test::max_abs_diff(model_of(c, w).encode_image(pixels()), model_of(tiny()).encode_image(pixels())), 0.0);

    // open_clip stores the biased projection as an nn.Linear: "text_projection.weight" [E, W].
    test::TempDir dir;
    write_checkpoint(dir.path("oc"), ModelFormat::OpenClipSafetensors, c, w);
    {
        const SafetensorsFile file = SafetensorsFile::open(dir.path("oc/open_clip_model.safetensors"));
        ASSERT_TRUE(file.contains("text_projection.weight"));
        EXPECT_FALSE(file.contains("text_projection"));
        EXPECT_EQ(file.find("text_projection.weight")->shape, (Shape{E, c.text.width}));
        EXPECT_EQ(file.find("text_projection.bias")->shape, (Shape{E}));
    }
    const ClipModel loaded = ClipModel::load(dir.path("oc"));
    EXPECT_TRUE(loaded.config().text.proj_bias);
    EXPECT_EQ(test::max_abs_diff(loaded.encode_text(ids), with), 0.0);
    // A checkpoint that has the bias tensor but whose config does not say so is refused by the tensor's name.
    test::write_bytes(dir.path("oc/open_clip_config.json"), [&] {
        ClipConfig plain = c;
        plain.text.proj_bias = false;
        write_checkpoint(dir.path("plain"), ModelFormat::OpenClipSafetensors, plain, weights_for(tiny()));
        return read_file_bytes(dir.path("plain/open_clip_config.json"), 1 << 20);
    }());
    try {
        ClipModel::load(dir.path("oc"));
        ADD_FAILURE() << "a projection bias was loaded without its config field";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("text_projection.bias"), std::string::npos) << e.what();
    }
}

TEST(Architecture, OpenClipAndTransformersFilesStateTheirVariantsAndLoadBack) {
    test::TempDir dir;
    ClipConfig c = tiny();
    c.vision.norm_eps = 1e-6;
    c.vision.activation = Activation::GeluTanh;
    c.text.norm_eps = 1e-6;
    c.text.activation = Activation::GeluTanh;
    c.vision.ln_pre = false;
    c.text.pooling = TextPooling::Last;
    c.text.causal_mask = false;
    const Weights w = weights_for(c);
    write_checkpoint(dir.path("oc"), ModelFormat::OpenClipSafetensors, c, w);
    const ClipModel loaded = ClipModel::load(dir.path("oc"));
    EXPECT_EQ(architecture_variations(loaded.config()), architecture_variations(c));
    const ClipModel direct = model_of(c, w);
    const Int64Array ids = ids_with_eot(c.text.context_length, c.text.vocab_size - 1);
    EXPECT_EQ(test::max_abs_diff(loaded.encode_image(pixels()), direct.encode_image(pixels())), 0.0);
    EXPECT_EQ(test::max_abs_diff(loaded.encode_text(ids), direct.encode_text(ids)), 0.0);

    // transformers: one activation and eps per tower, pooling at an eos_token_id.
    ClipConfig h = tiny();
    h.vision.activation = Activation::QuickGelu;
    h.text.activation = Activation::GeluTanh;
    h.vision.norm_eps = 1e-6;
    h.text.pooling = TextPooling::Eos;
    h.text.eos_id = 49407;
    write_checkpoint(dir.path("hf"), ModelFormat::HfTransformers, h, weights_for(h));
    const ClipModel hf = ClipModel::load(dir.path("hf"));
    EXPECT_EQ(architecture_variations(hf.config()), architecture_variations(h));
    EXPECT_LT(test::max_abs_diff(hf.encode_text(ids), model_of(h).encode_text(ids)), 1e-6);
}

TEST(Architecture, WritersRefuseWhatTheirFormatCannotStateNamingIt) {
    test::TempDir dir;
    auto refused = [&](ClipConfig c, ModelFormat f, const std::string& field) {
        try {
            write_checkpoint(dir.path("x"), f, c, weights_for(c));
            ADD_FAILURE() << field << " was written";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
        }
    };
    ClipConfig c = tiny();
    c.vision.patch_bias = true;
    refused(c, ModelFormat::OpenClipSafetensors, "vision.patch_bias");
    refused(c, ModelFormat::HfTransformers, "vision.patch_bias");
    c = tiny();
    c.vision.activation = Activation::QuickGelu;
    refused(c, ModelFormat::OpenClipSafetensors, "QuickGELU in one tower");
    c = tiny();
    c.text.causal_mask = false;
    refused(c, ModelFormat::HfTransformers, "text.causal_mask=false");
    c = tiny();
    c.text.proj_bias = true;
    refused(c, ModelFormat::HfTransformers, "text.proj_bias=true");
    refused(c, ModelFormat::OpenAiTorchScript, "text.proj_bias=true");
    refused(tiny(), ModelFormat::OpenAiTorchScript, "vision.activation=gelu (OpenAI's graph is QuickGELU)");
    // A tanh GELU is named once per tower, not as a variation and again as "not QuickGELU".
    c = tiny();
    c.vision.activation = Activation::GeluTanh;
    c.text.activation = Activation::QuickGelu;
    try {
        write_checkpoint(dir.path("x"), ModelFormat::OpenAiTorchScript, c, weights_for(c));
        ADD_FAILURE() << "a tanh GELU was written as TorchScript";
    } catch (const Error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("vision.activation=gelu_tanh"), std::string::npos) << what;
        EXPECT_EQ(what.find("vision.activation", what.find("vision.activation") + 1), std::string::npos) << what;
        EXPECT_EQ(what.find("text.activation"), std::string::npos) << what;
    }
}

TEST(Architecture, ConfigOptionsOutsideTheDescriptionAreRefusedByName) {
    test::TempDir dir;
    auto open_clip_refuses = [&](const std::string& vision_extra, const std::string& text_extra,
                                 const std::string& field) {
        test::write_bytes(dir.path("c.json"), R"({"embed_dim": 32, "vision_cfg": {"image_size": 48, "layers": 3,
            "width": 64, "head_width": 16, "patch_size": 8)" +
                                                  vision_extra + R"(}, "text_cfg": {"context_length": 77,
            "vocab_size": 49408, "width": 32, "heads": 4, "layers": 2)" +
                                                  text_extra + "}}");
        try {
            parse_open_clip_config(dir.path("c.json"));
            ADD_FAILURE() << field << " was accepted";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
        }
    };
    open_clip_refuses(R"(, "norm_kwargs": {"eps": 1e-6, "elementwise_affine": false})", "",
                      "vision_cfg.norm_kwargs.elementwise_affine");
    open_clip_refuses(R"(, "act_kwargs": {"approximate": "sigmoid"})", "", "vision_cfg.act_kwargs.approximate");
    open_clip_refuses("", R"(, "proj_bias": 1)", "text_cfg.proj_bias should be true or false");
    // A text option ClipScope does not compute leaves the image tower exact: the model loads
    // without its text tower, naming the option.
    for (const auto& [extra, field] :
         {std::pair<std::string, std::string>{R"(, "pool_type": "mean")", "text_cfg.pool_type = \"mean\""},
          {R"(, "embed_cls": true)", "text_cfg.embed_cls = true"}}) {
        test::write_bytes(dir.path("c.json"), R"({"embed_dim": 32, "vision_cfg": {"image_size": 48, "layers": 3,
            "width": 64, "head_width": 16, "patch_size": 8}, "text_cfg": {"width": 32, "heads": 4, "layers": 2)" +
                                                  extra + "}}");
        const ClipConfig dropped = parse_open_clip_config(dir.path("c.json"));
        EXPECT_FALSE(dropped.text_tower) << field;
        EXPECT_NE(dropped.text_unavailable.find(field), std::string::npos) << dropped.text_unavailable;
    }
    open_clip_refuses(R"(, "ls_init_value": 0.1)", "", "vision_cfg.ls_init_value = 0.1 is not supported");

    test::write_bytes(dir.path("c.json"), R"({"embed_dim": 32, "vision_cfg": {"image_size": 48, "layers": 3,
        "width": 64, "head_width": 16, "patch_size": 8, "norm_kwargs": {"eps": 1e-6}, "no_ln_pre": true},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 4, "layers": 2,
        "act_kwargs": {"approximate": "tanh"}, "pool_type": "eos", "eos_id": 49407, "no_causal_mask": true}})");
    const ClipConfig c = parse_open_clip_config(dir.path("c.json"));
    EXPECT_EQ(c.vision.norm_eps, 1e-6);
    EXPECT_FALSE(c.vision.ln_pre);
    EXPECT_EQ(c.text.activation, Activation::GeluTanh);
    EXPECT_EQ(c.text.pooling, TextPooling::Eos);
    EXPECT_EQ(c.text.eos_id, 49407);
    EXPECT_FALSE(c.text.causal_mask);

    test::write_bytes(dir.path("config.json"), R"({"model_type": "clip", "vision_config": {"hidden_act": "silu"}})");
    EXPECT_THROW(
        {
            try {
                parse_hf_clip_config(dir.path("config.json"), "");
            } catch (const Error& e) {
                EXPECT_NE(std::string(e.what()).find("vision_config.hidden_act 'silu'"), std::string::npos) << e.what();
                throw;
            }
        },
        Error);
}

}  // namespace
}  // namespace clipscope
