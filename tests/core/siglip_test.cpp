// SigLIP in the transformers layout against ../shared/fixtures/siglip (outputs of transformers'
// definitions on a small random SigLIP): preprocessing, image and text embeddings, token ids.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>

#include "clipscope/analysis/segmentation.h"
#include "clipscope/analysis/segmentation_maps.h"
#include "clipscope/analysis/zero_shot.h"
#include "clipscope/base/error.h"
#include "clipscope/decompose/decompose.h"
#include "clipscope/decompose/pooled_decomposition.h"
#include "clipscope/io/image.h"
#include "clipscope/io/npy.h"
#include "clipscope/io/safetensors.h"
#include "clipscope/model/clip_model.h"
#include "test_support.h"

namespace clipscope {
namespace {

using test::fixture;

std::string model_dir() { return fixture("siglip/tiny-siglip"); }
std::string expected(const std::string& name) { return fixture("siglip/tiny-siglip.expected/" + name); }

// Largest |a - b| over the row, relative to the row's largest |b|.
double worst_relative_row_error(const FloatArray& got, const FloatArray& want) {
    const int64_t rows = want.shape[0], E = want.shape[1];
    double worst = 0;
    for (int64_t r = 0; r < rows; ++r) {
        double diff = 0, scale = 0;
        for (int64_t e = 0; e < E; ++e) {
            diff = std::max(diff, std::abs(double(got.data[r * E + e]) - want.data[r * E + e]));
            scale = std::max(scale, std::abs(double(want.data[r * E + e])));
        }
        worst = std::max(worst, diff / scale);
    }
    return worst;
}

class SigLipParity : public ::testing::Test {
protected:
    void SetUp() override {
        CLIPSCOPE_REQUIRE_SHARED();
        model_ = std::make_unique<ClipModel>(ClipModel::load(model_dir()));
    }
    std::unique_ptr<ClipModel> model_;
};

TEST_F(SigLipParity, ReadsTheConfigAsSiglipModelDefinesIt) {
    const ClipConfig& c = model_->config();
    EXPECT_EQ(c.vision.pooling, VisionPooling::AttentionPool);
    EXPECT_FALSE(c.vision.class_token);
    EXPECT_FALSE(c.vision.projection);
    EXPECT_TRUE(c.vision.patch_bias);
    EXPECT_FALSE(c.vision.ln_pre);
    EXPECT_EQ(c.vision.tokens(), 16);
    EXPECT_EQ(c.vision.activation, Activation::GeluTanh);
    EXPECT_DOUBLE_EQ(c.vision.norm_eps, 1e-6);
    EXPECT_EQ(c.embed_dim, 64);
    EXPECT_FALSE(c.text.causal_mask);
    EXPECT_EQ(c.text.pooling, TextPooling::Last);
    EXPECT_TRUE(c.text.proj_bias);
    EXPECT_EQ(c.text.context_length, 16);
    EXPECT_TRUE(c.logit_bias);
    EXPECT_EQ(c.tokenizer, TokenizerKind::SiglipSentencePiece);
    EXPECT_EQ(c.preprocess.resize_mode, "squash");
    EXPECT_EQ(c.preprocess.interpolation, "bilinear");
    EXPECT_TRUE(model_->has_logit_bias());
}

TEST_F(SigLipParity, PreprocessesTheImagesAsSiglipImageProcessor) {
    const FloatArray want = read_npy_float(expected("preprocessed.npy"));
    const char* names[] = {"synthetic_0", "synthetic_1", "catdog"};
    for (int i = 0; i < 3; ++i) {
        const FloatArray got = preprocess_image(load_image(fixture(std::string("common/") + names[i] + ".png")),
                                                model_->config().preprocess);
        const int64_t n = got.size();
        double worst = 0;
        for (int64_t k = 0; k < n; ++k) worst = std::max(worst, std::abs(double(got.data[k]) - want.data[i * n + k]));
        // Pillow's 8-bit bilinear result, exactly: the float step is (x / 255 - 0.5) / 0.5.
        std::printf("%s: worst pixel error %.3g\n", names[i], worst);
        EXPECT_LT(worst, 1e-6) << names[i];
    }
}

TEST_F(SigLipParity, ImageEmbeddingsMatchThePoolerOutput) {
    const FloatArray got = model_->encode_image(read_npy_float(expected("input.npy")));
    const FloatArray want = read_npy_float(expected("image_embedding.npy"));
    ASSERT_EQ(got.shape, want.shape);
    const double worst = worst_relative_row_error(got, want);
    RecordProperty("worst_relative_error", std::to_string(worst));
    std::printf("image embeddings: worst relative error %.3g\n", worst);
    EXPECT_LT(worst, 1e-5);
}

TEST_F(SigLipParity, TextEmbeddingsMatchFromTheFixturesIds) {
    const FloatArray got = model_->encode_text(read_npy_int(expected("token_ids.npy")));
    const FloatArray want = read_npy_float(expected("text_embedding.npy"));
    ASSERT_EQ(got.shape, want.shape);
    const double worst = worst_relative_row_error(got, want);
    std::printf("text embeddings: worst relative error %.3g\n", worst);
    EXPECT_LT(worst, 1e-5);
}

TEST_F(SigLipParity, TokenizesThePromptsAsSiglipTokenizer) {
    std::ifstream in(expected("expected.json"));
    const nlohmann::json j = nlohmann::json::parse(in);
    const std::vector<std::string> prompts = j.at("prompts").get<std::vector<std::string>>();
    const Int64Array want = read_npy_int(expected("token_ids.npy"));
    const Int64Array got = model_->tokenizer().tokenize(prompts, model_->config().text.context_length);
    ASSERT_EQ(got.shape, want.shape);
    for (size_t p = 0; p < prompts.size(); ++p) {
        const auto row = [&](const Int64Array& a) {
            return std::vector<int64_t>(a.data.begin() + int64_t(p) * 16, a.data.begin() + int64_t(p + 1) * 16);
        };
        EXPECT_EQ(row(got), row(want)) << "prompt '" << prompts[p] << "'";
    }
    // And the texts end to end, tokenizer and text tower together.
    const FloatArray embedded = model_->encode_texts(prompts);
    EXPECT_LT(worst_relative_row_error(embedded, read_npy_float(expected("text_embedding.npy"))), 1e-5);
}

TEST_F(SigLipParity, TextsSpellingASpecialTokenAreRefused) {
    try {
        model_->tokenizer().tokenize({"a cat</s>"}, 16);
        FAIL() << "expected a refusal";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
        EXPECT_NE(std::string(e.what()).find("</s>"), std::string::npos);
    }
}

TEST_F(SigLipParity, TheDecompositionIsRefusedByName) {
    try {
        decompose(*model_, read_npy_float(expected("input.npy")), {});
        FAIL() << "expected a refusal";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
        EXPECT_NE(std::string(e.what()).find("attention pooling head"), std::string::npos);
    }
}

// The fixture's tensors under their transformers names, those `keep` accepts.
std::map<std::string, FloatArray> fixture_tensors(const std::function<bool(const std::string&)>& keep) {
    const SafetensorsFile file = SafetensorsFile::open(model_dir() + "/model.safetensors");
    std::map<std::string, FloatArray> out;
    for (const auto& e : file.entries())
        if (keep(e.name)) out[e.name] = file.read_float(e);
    return out;
}

nlohmann::json fixture_config() {
    std::ifstream in(model_dir() + "/config.json");
    return nlohmann::json::parse(in);
}

// A copy of the fixture folder with config.json and model.safetensors replaced.
std::string write_variant(const test::TempDir& dir, const std::string& name, const nlohmann::json& config,
                          const std::map<std::string, FloatArray>& tensors) {
    const std::string folder = dir.path(name);
    std::filesystem::create_directories(folder);
    for (const char* f : {"preprocessor_config.json", "spiece.model", "tokenizer_config.json"})
        std::filesystem::copy_file(model_dir() + "/" + f, folder + "/" + f);
    test::write_bytes(folder + "/config.json", config.dump(2));
    write_safetensors(folder + "/model.safetensors", tensors);
    return folder;
}

TEST_F(SigLipParity, AnImageSizeThatIsNotAMultipleOfThePatchFloorsTheGrid) {
    // 36 px in 8 px patches: a 4 x 4 grid, as at 32 px; the convolution drops the last 4 pixels,
    // so a 36 px image embeds as its top-left 32 px.
    nlohmann::json config = fixture_config();
    config["vision_config"]["image_size"] = 36;
    test::TempDir dir;
    const std::string folder =
        write_variant(dir, "m36", config, fixture_tensors([](const std::string&) { return true; }));
    std::ifstream pre_in(model_dir() + "/preprocessor_config.json");
    nlohmann::json pre = nlohmann::json::parse(pre_in);
    pre["size"] = {{"height", 36}, {"width", 36}};
    test::write_bytes(folder + "/preprocessor_config.json", pre.dump());
    const ClipModel wide = ClipModel::load(folder);
    EXPECT_EQ(wide.config().vision.grid(), 4);
    const FloatArray pixels = test::random_pixels(2, 36, 7);
    FloatArray crop({2, 3, 32, 32});
    for (int64_t b = 0; b < 2; ++b)
        for (int64_t ch = 0; ch < 3; ++ch)
            for (int64_t y = 0; y < 32; ++y)
                for (int64_t x = 0; x < 32; ++x)
                    crop.data[((b * 3 + ch) * 32 + y) * 32 + x] = pixels.data[((b * 3 + ch) * 36 + y) * 36 + x];
    EXPECT_LT(test::max_abs_diff(wide.encode_image(pixels), model_->encode_image(crop)), 1e-6);
}

TEST_F(SigLipParity, AVisionOnlySiglipVisionModelEmbedsImagesTheSame) {
    nlohmann::json config = fixture_config()["vision_config"];
    config["model_type"] = "siglip_vision_model";
    test::TempDir dir;
    const std::string folder = write_variant(
        dir, "vision", config, fixture_tensors([](const std::string& k) { return k.rfind("vision_model.", 0) == 0; }));
    const ClipModel vision = ClipModel::load(folder);
    EXPECT_FALSE(vision.config().text_tower);
    EXPECT_FALSE(vision.has_logit_bias());
    const FloatArray input = read_npy_float(expected("input.npy"));
    EXPECT_EQ(test::values(vision.encode_image(input)), test::values(model_->encode_image(input)));
}

TEST_F(SigLipParity, MissingMisshapenAndNonFiniteTensorsAreErrorsNamingTheKey) {
    const auto all = [](const std::string&) { return true; };
    const auto expect_refusal = [&](const std::map<std::string, FloatArray>& tensors, const std::string& words) {
        test::TempDir dir;
        const std::string folder = write_variant(dir, "bad", fixture_config(), tensors);
        try {
            ClipModel::load(folder);
            ADD_FAILURE() << "loaded; expected: " << words;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Model) << e.what();
            EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
        }
    };
    auto missing = fixture_tensors(all);
    missing.erase("vision_model.head.probe");
    expect_refusal(missing, "vision_model.head.probe");
    auto misshapen = fixture_tensors(all);
    misshapen["vision_model.head.probe"] = FloatArray({1, 2, 64});
    expect_refusal(misshapen, "visual.attn_pool.probe");
    auto nan = fixture_tensors(all);
    nan["logit_bias"].data[0] = std::nanf("");
    expect_refusal(nan, "logit_bias");
    auto extra = fixture_tensors(all);
    extra["vision_model.head.extra"] = FloatArray({3});
    expect_refusal(extra, "vision_model.head.extra");
}

TEST_F(SigLipParity, AnEmptyOrCutSentencePieceModelIsAnErrorNamingIt) {
    test::TempDir dir;
    const std::string folder =
        write_variant(dir, "spm", fixture_config(), fixture_tensors([](const std::string&) { return true; }));
    std::ifstream in(model_dir() + "/spiece.model", std::ios::binary);
    const std::string whole((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const std::string& bytes : {std::string(), whole.substr(0, whole.size() / 2)}) {
        std::filesystem::remove(folder + "/spiece.model");
        test::write_bytes(folder + "/spiece.model", bytes);
        try {
            ClipModel::load(folder);
            ADD_FAILURE() << "loaded a SentencePiece model of " << bytes.size() << " bytes";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::InputFile) << e.what();
            EXPECT_NE(std::string(e.what()).find("spiece.model"), std::string::npos) << e.what();
        }
    }
}

TEST(SigLipConfig, ASigLip2RepoTokenizesWithItsTokenizerModelNotSpiece) {
    CLIPSCOPE_REQUIRE_SHARED();
    test::TempDir dir;
    const std::string folder =
        write_variant(dir, "siglip2", fixture_config(), fixture_tensors([](const std::string&) { return true; }));
    nlohmann::json tok = {{"tokenizer_class", "GemmaTokenizerFast"}, {"add_eos_token", true}};
    test::write_bytes(folder + "/tokenizer_config.json", tok.dump());
    // spiece.model is there (write_variant copies it) but is SigLIP's: not taken for Gemma's.
    const ClipModel m = ClipModel::load(folder);
    EXPECT_EQ(m.config().tokenizer, TokenizerKind::GemmaSentencePiece);
    EXPECT_EQ(m.info().vocab_path, "");
    try {
        m.tokenizer();
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::InputFile);
        EXPECT_NE(std::string(e.what()).find("tokenizer.model"), std::string::npos) << e.what();
    }
    tok["sp_model_kwargs"] = {{"enable_sampling", true}};
    test::write_bytes(folder + "/tokenizer_config.json", tok.dump());
    EXPECT_THROW(ClipModel::load(folder), Error);
}

// make-random-model --format hf writes SigLIP-graph weights in transformers' SigLIP layout:
// they load back as the same model (the reader's names, inverted).
TEST(SigLipConfig, ATransformersSigLipCheckpointWrittenHereLoadsBackAsTheSameModel) {
    CLIPSCOPE_REQUIRE_SHARED();
    ClipConfig c = ClipModel::load(model_dir()).config();
    c.vision.image_size = c.preprocess.image_size = 36;  // a floored grid, as so400m's
    const std::map<std::string, FloatArray> w = random_state_dict(c, 5);
    test::TempDir dir;
    write_checkpoint(dir.path("hf"), ModelFormat::HfTransformers, c, w);
    const ClipModel loaded = ClipModel::load(dir.path("hf"));
    const ClipModel direct = ClipModel::create(c, w);
    EXPECT_EQ(architecture_variations(loaded.config()), architecture_variations(c));
    EXPECT_EQ(loaded.config().vision.grid(), 4);
    EXPECT_EQ(loaded.config().preprocess.interpolation, c.preprocess.interpolation);
    EXPECT_EQ(loaded.config().preprocess.mean, c.preprocess.mean);
    const FloatArray pixels = test::random_pixels(2, 36, 3);
    EXPECT_EQ(test::max_abs_diff(loaded.encode_image(pixels), direct.encode_image(pixels)), 0.0);
    const Int64Array ids = read_npy_int(expected("token_ids.npy"));
    EXPECT_EQ(test::max_abs_diff(loaded.encode_text(ids), direct.encode_text(ids)), 0.0);
    // What SigLIP's files cannot state is refused by name, before anything is written.
    c.text.causal_mask = true;
    try {
        write_checkpoint(dir.path("causal"), ModelFormat::HfTransformers, c, w);
        ADD_FAILURE() << "a causal SigLIP text tower was written";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
        EXPECT_NE(std::string(e.what()).find("text.causal_mask"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(dir.path("causal/model.safetensors")));
}

// SigLIP 2's NaFlex checkpoints (model_type siglip2) are another graph: refused by name, not
// read as a fixed-resolution SigLIP.
TEST(SigLipConfig, ANaFlexCheckpointIsRefusedByName) {
    CLIPSCOPE_REQUIRE_SHARED();
    test::TempDir dir;
    for (const char* type : {"siglip2", "siglip2_vision_model"}) {
        nlohmann::json config = fixture_config();
        config["model_type"] = type;
        const std::string folder = write_variant(dir, std::string("naflex-") + type, config,
                                                 fixture_tensors([](const std::string&) { return true; }));
        try {
            ClipModel::load(folder);
            ADD_FAILURE() << type << " loaded";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Unsupported) << e.what();
            EXPECT_NE(std::string(e.what()).find("NaFlex"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("config.json"), std::string::npos) << e.what();
        }
    }
}

TEST(SigLipConfig, RandomShapesHaveTheirPublishedSizes) {
    const ClipConfig so400m = builtin_architecture("SigLIP-SO400M-14-384");
    EXPECT_EQ(so400m.vision.grid(), 27);  // 384 / 14, floored
    EXPECT_EQ(so400m.vision.tokens(), 729);
    EXPECT_EQ(so400m.embed_dim, 1152);
    EXPECT_EQ(architecture_name(so400m), "SigLIP-SO400M-14-384");
    const ClipModel base = ClipModel::load("random:SigLIP-B-16-224");
    EXPECT_EQ(base.config().vision.tokens(), 196);
    // The hub lists google/siglip-base-patch16-224 as 203M parameters.
    EXPECT_NEAR(static_cast<double>(base.info().parameter_count), 203e6, 1e6);
}

}  // namespace
}  // namespace clipscope

namespace clipscope {
namespace {

// Largest |a - b| over two arrays of one shape.
double worst_abs(const FloatArray& a, const FloatArray& b) {
    EXPECT_EQ(a.shape, b.shape);
    double m = 0;
    for (size_t i = 0; i < a.data.size() && i < b.data.size(); ++i)
        m = std::max(m, std::abs(double(a.data[i]) - b.data[i]));
    return m;
}

class SigLipDecomposition : public ::testing::Test {
protected:
    void SetUp() override {
        CLIPSCOPE_REQUIRE_SHARED();
        model_ = std::make_unique<ClipModel>(ClipModel::load(fixture("siglip/tiny-siglip")));
        input_ = read_npy_float(fixture("siglip/tiny-siglip.expected/input.npy"));
        d_ = decompose_pooled(*model_, input_);
    }
    FloatArray want(const std::string& name) { return read_npy_float(fixture("siglip/tiny-siglip.expected/" + name)); }
    std::unique_ptr<ClipModel> model_;
    FloatArray input_;
    PooledDecomposition d_;
};

TEST_F(SigLipDecomposition, ThePartsSumToTheNormalisedEmbedding) {
    std::printf("sum of parts vs z/||z||: worst %.3g\n", d_.max_sum_error());
    EXPECT_LT(d_.max_sum_error(), 1e-5);
    EXPECT_EQ(d_.attentions.shape, (Shape{4, 2, 16, 4, 64}));
    EXPECT_EQ(d_.mlps.shape, (Shape{4, 3, 64}));
    EXPECT_LT(test::max_abs_diff(d_.embedding, model_->encode_image(input_)), 1e-6);
}

TEST_F(SigLipDecomposition, PoolingHeadTermsMatchTheFixture) {
    const double heads = worst_abs(d_.pool_heads, want("pool_heads_normed.npy"));
    const double bias = worst_abs(d_.pool_bias, want("pool_bias_normed.npy"));
    const double mlp = worst_abs(d_.pooling, want("pool_mlp_normed.npy"));
    std::printf("pool_heads %.3g, pool_bias %.3g, pooling MLP %.3g (worst absolute)\n", heads, bias, mlp);
    EXPECT_LT(heads, 1e-5);
    EXPECT_LT(bias, 1e-5);
    EXPECT_LT(mlp, 1e-5);
}

TEST_F(SigLipDecomposition, HeadTermsDifferFromTheLinearPartsByOneVectorPerLayerAndPosition) {
    // The fixture holds the linear part of every head term; ClipScope adds the layer's shares of
    // the constants, the same vector for every head of one (layer, position).
    const FloatArray linear = want("head_terms_linear_normed.npy");  // [B, L, N, H, E]
    ASSERT_EQ(linear.shape, d_.attentions.shape);
    const int64_t B = 4, L = 2, N = 16, H = 4, E = 64;
    double worst_difference = 0, worst_offset_spread = 0;
    for (int64_t b = 0; b < B; ++b)
        for (int64_t l = 0; l < L; ++l)
            for (int64_t m = 0; m < N; ++m)
                for (int64_t h = 0; h < H; ++h)
                    for (int64_t e = 0; e < E; ++e) {
                        const auto at = [&](int64_t hh) { return (((b * L + l) * N + m) * H + hh) * E + e; };
                        const double got = double(d_.attentions.data[at(h)]) - d_.attentions.data[at(0)];
                        const double ref = double(linear.data[at(h)]) - linear.data[at(0)];
                        worst_difference = std::max(worst_difference, std::abs(got - ref));
                        const double offset = double(d_.attentions.data[at(h)]) - linear.data[at(h)];
                        const double offset0 = double(d_.attentions.data[at(0)]) - linear.data[at(0)];
                        worst_offset_spread = std::max(worst_offset_spread, std::abs(offset - offset0));
                    }
    std::printf("head terms: differences between heads %.3g, spread of the constant share %.3g\n", worst_difference,
                worst_offset_spread);
    EXPECT_LT(worst_difference, 1e-5);
    EXPECT_LT(worst_offset_spread, 1e-5);
}

TEST_F(SigLipDecomposition, NonSpatialAndLastLayerRunsGiveTheSameTerms) {
    DecomposeOptions flat;
    flat.spatial = false;
    const PooledDecomposition f = decompose_pooled(*model_, input_, flat);
    EXPECT_TRUE(f.attentions.data.empty());
    EXPECT_LT(worst_abs(f.heads, d_.heads), 1e-6);
    EXPECT_LT(worst_abs(f.mlps, d_.mlps), 1e-6);
    DecomposeOptions last;
    last.spatial_last_layers = 1;
    const PooledDecomposition one = decompose_pooled(*model_, input_, last);
    ASSERT_EQ(one.attentions.shape, (Shape{4, 1, 16, 4, 64}));
    const int64_t per_layer = 16 * 4 * 64;
    for (int64_t b = 0; b < 4; ++b)
        for (int64_t k = 0; k < per_layer; ++k)
            ASSERT_NEAR(one.attentions.data[b * per_layer + k], d_.attentions.data[(b * 2 + 1) * per_layer + k], 1e-6);
}

}  // namespace
}  // namespace clipscope

namespace clipscope {
namespace {

TEST(SigLipMaps, DirectionMapsEqualTheProjectedSpatialTerms) {
    CLIPSCOPE_REQUIRE_SHARED();
    const ClipModel model = ClipModel::load(test::fixture("siglip/tiny-siglip"));
    const FloatArray input = read_npy_float(test::fixture("siglip/tiny-siglip.expected/input.npy"));
    FloatArray u = model.encode_texts({"a photo of a cat", "a red shape"});  // [2, 64]
    const PooledDecomposition d = decompose_pooled(model, input);
    const PooledMaps m = pooled_head_maps(model, input, u);
    ASSERT_EQ(m.maps.shape, (Shape{4, 2, 2, 4, 16}));
    const int64_t B = 4, T = 2, L = 2, H = 4, N = 16, E = 64;
    double worst = 0;
    for (int64_t b = 0; b < B; ++b)
        for (int64_t t = 0; t < T; ++t)
            for (int64_t l = 0; l < L; ++l)
                for (int64_t h = 0; h < H; ++h)
                    for (int64_t n = 0; n < N; ++n) {
                        double dot = 0;
                        for (int64_t e = 0; e < E; ++e)
                            dot +=
                                double(d.attentions.data[(((b * L + l) * N + n) * H + h) * E + e]) * u.data[t * E + e];
                        worst = std::max(worst, std::abs(dot - m.maps.data[(((b * T + t) * L + l) * H + h) * N + n]));
                    }
    std::printf("direction maps vs projected spatial terms: worst %.3g; self-check %.3g\n", worst,
                *std::max_element(m.self_check.begin(), m.self_check.end()));
    EXPECT_LT(worst, 1e-6);
    for (double e : m.self_check) EXPECT_LT(e, 1e-6);
}

// The segmentation protocol's map (method.md §6.2) through the pooling head: every layer's and
// head's spatial term projected on the top-1 class's contrast direction, summed per position.
TEST(SigLipSegmentation, TheClassContrastMapIsTheProjectedSpatialTermsSummed) {
    CLIPSCOPE_REQUIRE_SHARED();
    const ClipModel model = ClipModel::load(test::fixture("siglip/tiny-siglip"));
    const FloatArray all = read_npy_float(test::fixture("siglip/tiny-siglip.expected/input.npy"));
    const int64_t per = all.size() / all.shape[0];
    const FloatArray image({1, 3, 32, 32}, std::vector<float>(all.data.begin() + per, all.data.begin() + 2 * per));
    const FloatArray classifier = build_classifier(model, {"cat", "dog", "car"}, {"a photo of a {}."});
    const SegmentationMaps maps = segmentation_maps(model, image, classifier, {SegmentationMethod::Decomposition});
    const int64_t predicted = top1_class(model.encode_image(image).data.data(), classifier);
    EXPECT_EQ(maps.predicted_class, predicted);
    const FloatArray u = class_contrast_direction(classifier, predicted);
    const PooledDecomposition d = decompose_pooled(model, image);
    const int64_t L = 2, N = 16, H = 4, E = 64;
    ASSERT_EQ(maps.grids.at(0).shape, (Shape{4, 4}));
    double worst = 0;
    for (int64_t n = 0; n < N; ++n) {
        double sum = 0;
        for (int64_t l = 0; l < L; ++l)
            for (int64_t h = 0; h < H; ++h)
                for (int64_t e = 0; e < E; ++e)
                    sum += double(d.attentions.data[((l * N + n) * H + h) * E + e]) * u.data[e];
        worst = std::max(worst, std::abs(sum - maps.grids[0].data[n]));
    }
    EXPECT_LT(worst, 1e-6);
    EXPECT_LT(maps.self_check, 1e-6);
}

// The attention baselines on a model without a class token read its pooling head: the
// last attention is the probe's over the positions (heads averaged), and rollout ends with
// that row. Both are distributions over the positions.
TEST(SigLipSegmentation, TheAttentionBaselinesReadThePoolingHead) {
    CLIPSCOPE_REQUIRE_SHARED();
    const ClipModel model = ClipModel::load(test::fixture("siglip/tiny-siglip"));
    const FloatArray all = read_npy_float(test::fixture("siglip/tiny-siglip.expected/input.npy"));
    const int64_t per = all.size() / all.shape[0];
    const FloatArray image({1, 3, 32, 32}, std::vector<float>(all.data.begin() + 2 * per, all.data.begin() + 3 * per));
    const int64_t N = 16, Hp = 4;
    const AttentionBaselines b = attention_baselines(model, image);
    ASSERT_EQ(b.last_layer_cls.shape, (Shape{1, N}));
    ASSERT_EQ(b.rollout.shape, (Shape{1, N}));
    const PooledDecomposition d = decompose_pooled(model, image);
    double last_sum = 0, rollout_sum = 0, worst = 0;
    for (int64_t m = 0; m < N; ++m) {
        double mean = 0;
        for (int64_t h = 0; h < Hp; ++h) mean += d.pool_attention.data[static_cast<size_t>(h * N + m)] / Hp;
        worst = std::max(worst, std::abs(mean - b.last_layer_cls.data[static_cast<size_t>(m)]));
        last_sum += b.last_layer_cls.data[static_cast<size_t>(m)];
        rollout_sum += b.rollout.data[static_cast<size_t>(m)];
        EXPECT_GE(b.rollout.data[static_cast<size_t>(m)], 0.0f);
    }
    EXPECT_LT(worst, 1e-7);
    EXPECT_NEAR(last_sum, 1.0, 1e-5);
    EXPECT_NEAR(rollout_sum, 1.0, 1e-5);
    // Rollout mixes the layers' attention in: not the probe's row itself.
    double moved = 0;
    for (int64_t m = 0; m < N; ++m)
        moved = std::max(moved, std::abs(double(b.rollout.data[static_cast<size_t>(m)]) -
                                         b.last_layer_cls.data[static_cast<size_t>(m)]));
    EXPECT_GT(moved, 1e-6);
    const FloatArray classifier = build_classifier(model, {"cat", "dog", "car"}, {"a photo of a {}."});
    const SegmentationMaps maps = segmentation_maps(
        model, image, classifier,
        {SegmentationMethod::Decomposition, SegmentationMethod::LastLayerAttention, SegmentationMethod::Rollout});
    ASSERT_EQ(maps.grids.size(), 3u);
    EXPECT_EQ(maps.grids[1].data, b.last_layer_cls.data);
    EXPECT_EQ(maps.grids[2].data, b.rollout.data);
}

TEST(SigLipSegmentation, AGridThatDoesNotCoverTheImageIsRefusedByItsSizes) {
    CLIPSCOPE_REQUIRE_SHARED();
    nlohmann::json config = fixture_config();
    config["vision_config"]["image_size"] = 36;  // 4 x 4 patches of 8 px cover 32 of 36 px
    test::TempDir dir;
    const std::string folder =
        write_variant(dir, "m36", config, fixture_tensors([](const std::string&) { return true; }));
    std::ifstream pre_in(test::fixture("siglip/tiny-siglip") + "/preprocessor_config.json");
    nlohmann::json pre = nlohmann::json::parse(pre_in);
    pre["size"] = {{"height", 36}, {"width", 36}};
    test::write_bytes(folder + "/preprocessor_config.json", pre.dump());
    const ClipModel wide = ClipModel::load(folder);
    const FloatArray classifier = build_classifier(wide, {"cat", "dog"}, {"a photo of a {}."});
    try {
        segmentation_maps(wide, test::random_pixels(1, 36, 3), classifier, {SegmentationMethod::Decomposition});
        ADD_FAILURE() << "a map over pixels no patch covers";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
        EXPECT_NE(std::string(e.what()).find("covers 32 of the 36 px"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace clipscope

namespace clipscope {
namespace {

// The towers' names (random_state_dict) written back in open_clip's timm layout.
std::map<std::string, FloatArray> to_timm_layout(const std::map<std::string, FloatArray>& sd, int64_t W) {
    std::map<std::string, FloatArray> out;
    const auto rows = [](const FloatArray& a, int64_t first, int64_t count) {
        Shape s = a.shape;
        const int64_t per = a.size() / s[0];
        s[0] = count;
        return FloatArray(s, std::vector<float>(a.data.begin() + first * per, a.data.begin() + (first + count) * per));
    };
    for (const auto& [key, value] : sd) {
        std::smatch m;
        static const std::regex kBlock(R"(visual\.transformer\.resblocks\.(\d+)\.(.*))");
        static const std::map<std::string, std::string> kNames = {
            {"ln_1.weight", "norm1.weight"},
            {"ln_1.bias", "norm1.bias"},
            {"attn.in_proj_weight", "attn.qkv.weight"},
            {"attn.in_proj_bias", "attn.qkv.bias"},
            {"attn.out_proj.weight", "attn.proj.weight"},
            {"attn.out_proj.bias", "attn.proj.bias"},
            {"ln_2.weight", "norm2.weight"},
            {"ln_2.bias", "norm2.bias"},
            {"mlp.c_fc.weight", "mlp.fc1.weight"},
            {"mlp.c_fc.bias", "mlp.fc1.bias"},
            {"mlp.c_proj.weight", "mlp.fc2.weight"},
            {"mlp.c_proj.bias", "mlp.fc2.bias"},
        };
        if (std::regex_match(key, m, kBlock)) {
            out["visual.trunk.blocks." + m[1].str() + "." + kNames.at(m[2].str())] = value;
        } else if (key == "visual.attn_pool.attn.in_proj_weight" || key == "visual.attn_pool.attn.in_proj_bias") {
            const std::string kind = key.substr(key.size() - 6) == "weight" ? "weight" : "bias";
            out["visual.trunk.attn_pool.q." + kind] = rows(value, 0, W);
            out["visual.trunk.attn_pool.kv." + kind] = rows(value, W, 2 * W);
        } else {
            static const std::map<std::string, std::string> kOther = {
                {"visual.conv1.weight", "visual.trunk.patch_embed.proj.weight"},
                {"visual.conv1.bias", "visual.trunk.patch_embed.proj.bias"},
                {"visual.ln_post.weight", "visual.trunk.norm.weight"},
                {"visual.ln_post.bias", "visual.trunk.norm.bias"},
                {"visual.attn_pool.probe", "visual.trunk.attn_pool.latent"},
                {"visual.attn_pool.attn.out_proj.weight", "visual.trunk.attn_pool.proj.weight"},
                {"visual.attn_pool.attn.out_proj.bias", "visual.trunk.attn_pool.proj.bias"},
                {"visual.attn_pool.ln.weight", "visual.trunk.attn_pool.norm.weight"},
                {"visual.attn_pool.ln.bias", "visual.trunk.attn_pool.norm.bias"},
                {"visual.attn_pool.mlp.c_fc.weight", "visual.trunk.attn_pool.mlp.fc1.weight"},
                {"visual.attn_pool.mlp.c_fc.bias", "visual.trunk.attn_pool.mlp.fc1.bias"},
                {"visual.attn_pool.mlp.c_proj.weight", "visual.trunk.attn_pool.mlp.fc2.weight"},
                {"visual.attn_pool.mlp.c_proj.bias", "visual.trunk.attn_pool.mlp.fc2.bias"},
            };
            if (key == "visual.positional_embedding") {
                FloatArray pos = value;
                pos.shape.insert(pos.shape.begin(), 1);  // timm's [1, N, W]
                out["visual.trunk.pos_embed"] = pos;
            } else {
                out[kOther.at(key)] = value;
            }
        }
    }
    return out;
}

TEST(TimmSigLip, TheOpenClipTimmLayoutLoadsAsTheSameTower) {
    // SigLIP-B/16's image tower at 32 px (a 2 x 2 grid keeps the test small), random weights.
    ClipConfig c = builtin_architecture("SigLIP-B-16-224");
    c.vision.image_size = c.preprocess.image_size = 32;
    c.vision.activation = Activation::Gelu;  // timm builds its SigLIP towers with exact GELU
    c.text_tower = false;
    c.logit_bias = false;
    c.tokenizer = TokenizerKind::ClipBpe;
    const auto sd = random_state_dict(c, 21);
    auto timm = to_timm_layout(sd, c.vision.width);
    timm["logit_scale"] = FloatArray({1}, {2.3f});
    timm["logit_bias"] = FloatArray({1}, {-10.0f});
    timm["text.token_embedding.weight"] = FloatArray({8, 4});  // the text side, not run
    test::TempDir dir;
    const std::string folder = dir.path("timm");
    std::filesystem::create_directories(folder);
    write_safetensors(folder + "/open_clip_model.safetensors", timm);
    const nlohmann::json config = {{"model_cfg",
                                    {{"embed_dim", 768},
                                     {"init_logit_bias", -10},
                                     {"custom_text", true},
                                     {"vision_cfg",
                                      {{"image_size", 32},
                                       {"timm_model_name", "vit_base_patch16_siglip_224"},
                                       {"timm_model_pretrained", false},
                                       {"timm_pool", "map"},
                                       {"timm_proj", "none"}}},
                                     {"text_cfg",
                                      {{"context_length", 64},
                                       {"vocab_size", 32000},
                                       {"hf_tokenizer_name", "timm/ViT-B-16-SigLIP"},
                                       {"tokenizer_kwargs", {{"clean", "canonicalize"}}},
                                       {"width", 768},
                                       {"heads", 12},
                                       {"layers", 12},
                                       {"no_causal_mask", true},
                                       {"proj_bias", true},
                                       {"pool_type", "last"},
                                       {"norm_kwargs", {{"eps", 1e-6}}}}}}},
                                   {"preprocess_cfg",
                                    {{"mean", {0.5, 0.5, 0.5}},
                                     {"std", {0.5, 0.5, 0.5}},
                                     {"interpolation", "bicubic"},
                                     {"resize_mode", "squash"}}}};
    test::write_bytes(folder + "/open_clip_config.json", config.dump(2));
    const ClipModel loaded = ClipModel::load(folder);
    EXPECT_EQ(loaded.config().vision.pooling, VisionPooling::AttentionPool);
    EXPECT_EQ(loaded.config().vision.activation, Activation::Gelu);
    EXPECT_DOUBLE_EQ(loaded.config().vision.norm_eps, 1e-6);
    EXPECT_FALSE(loaded.config().text_tower);
    EXPECT_NE(loaded.config().text_unavailable.find("hf_tokenizer_name"), std::string::npos);
    ASSERT_TRUE(loaded.has_logit_bias());
    EXPECT_FLOAT_EQ(loaded.logit_bias(), -10.0f);
    const ClipModel reference = ClipModel::create(c, sd);
    const FloatArray pixels = test::random_pixels(2, 32, 4);
    EXPECT_EQ(test::values(loaded.encode_image(pixels)), test::values(reference.encode_image(pixels)));

    // Another timm model, pool or projection is refused by name.
    for (const auto& [field, value] : std::vector<std::pair<std::string, std::string>>{
             {"timm_model_name", "vit_base_patch16_224"}, {"timm_pool", "avg"}, {"timm_proj", "linear"}}) {
        nlohmann::json bad = config;
        bad["model_cfg"]["vision_cfg"][field] = value;
        test::write_bytes(folder + "/open_clip_config.json", bad.dump(2));
        try {
            ClipModel::load(folder);
            ADD_FAILURE() << field << " = " << value << " loaded";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
        }
    }
}

}  // namespace
}  // namespace clipscope
