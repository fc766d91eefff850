// Parity with outputs of the paper's reference code on a small random model
// (../shared/fixtures/tiny): float32 tolerance 1e-5 absolute on normalised terms.
#include <nlohmann/json.hpp>

#include "clipscope/decompose/decompose.h"
#include "clipscope/model/clip_model.h"
#include "clipscope/io/image.h"
#include "clipscope/io/npy.h"
#include "clipscope/base/atomic_file.h"
#include "test_support.h"

namespace clipscope {
namespace {

using test::fixture;

constexpr double kTolerance = 1e-5;

class TinyFixture : public ::testing::Test {
protected:
    void SetUp() override {
        CLIPSCOPE_REQUIRE_SHARED();
        LoadOptions options;
        options.vocab_path = test::vocab_path();
        model_ = std::make_unique<ClipModel>(ClipModel::load(fixture("tiny"), options));
        input_ = read_npy_float(fixture("tiny/input.npy"));
    }
    std::unique_ptr<ClipModel> model_;
    FloatArray input_;
};

TEST_F(TinyFixture, ImageEmbeddingMatchesReference) {
    EXPECT_LT(test::max_abs_diff(model_->encode_image(input_), read_npy_float(fixture("tiny/image_embedding.npy"))),
              kTolerance);
}

TEST_F(TinyFixture, SpatialDecompositionMatchesReference) {
    const Decomposition d = decompose(*model_, input_);
    EXPECT_LT(test::max_abs_diff(d.attentions, read_npy_float(fixture("tiny/prs_attentions.npy"))), kTolerance);
    EXPECT_LT(test::max_abs_diff(d.mlps, read_npy_float(fixture("tiny/prs_mlps.npy"))), kTolerance);
    EXPECT_LT(test::max_abs_diff(d.heads, read_npy_float(fixture("tiny/prs_attentions_sum_tokens.npy"))), kTolerance);
    EXPECT_LT(test::max_abs_diff(d.cls_attn, read_npy_float(fixture("tiny/prs_cls_attn.npy"))), kTolerance);
    EXPECT_LT(test::max_abs_diff(d.embedding, read_npy_float(fixture("tiny/image_embedding_head.npy"))), kTolerance);
    FloatArray mean = read_npy_float(fixture("tiny/prs_ln_post_mean.npy")),
               std = read_npy_float(fixture("tiny/prs_ln_post_std.npy"));
    mean.shape = {mean.size()};
    std.shape = {std.size()};
    EXPECT_LT(test::max_abs_diff(d.ln_post_mean, mean), kTolerance);
    EXPECT_LT(test::max_abs_diff(d.ln_post_std, std), kTolerance);
    EXPECT_LT(d.max_sum_error(), 1e-6);
}

TEST_F(TinyFixture, TextEmbeddingMatchesReference) {
    const auto prompts = nlohmann::json::parse(read_file_bytes(fixture("common/text_prompts.json"), 1 << 20));
    const auto texts = prompts["texts"].get<std::vector<std::string>>();
    EXPECT_LT(test::max_abs_diff(model_->encode_texts(texts), read_npy_float(fixture("tiny/text_embedding.npy"))),
              kTolerance);
}

TEST_F(TinyFixture, PreprocessingMatchesReferenceWithinTolerance) {
    const auto order = nlohmann::json::parse(read_file_bytes(fixture("common/images.json"), 1 << 20))["batch_order"]
                           .get<std::vector<std::string>>();
    std::vector<FloatArray> images;
    for (const auto& name : order)
        images.push_back(preprocess_image(load_image(fixture("common/" + name + ".png")), model_->config().preprocess));
    const FloatArray ours = stack_images(images);
    // Target from the issue: below 0.02 in normalised units. Bit-exact Pillow resampling gets far below it.
    EXPECT_LT(test::max_abs_diff(ours, input_), 0.02);
    EXPECT_LT(test::max_abs_diff(ours, input_), 1e-5) << "Pillow-exact resize should reproduce the reference tensor";
}

TEST(FixtureImages, DecodedPixelsMatchThePngs) {
    CLIPSCOPE_REQUIRE_SHARED();
    for (const char* name : {"synthetic_0", "synthetic_1", "synthetic_2"}) {
        const Int64Array expected = read_npy_int(fixture(std::string("common/") + name + ".npy"));
        const Image im = load_image(fixture(std::string("common/") + name + ".png"));
        ASSERT_EQ(expected.shape, (Shape{im.height, im.width, 3})) << name;
        size_t mismatches = 0;
        for (size_t i = 0; i < im.pixels.size(); ++i) mismatches += expected.data[i] != im.pixels[i];
        EXPECT_EQ(mismatches, 0u) << name;
    }
}

}  // namespace
}  // namespace clipscope
