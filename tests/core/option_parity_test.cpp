// Config options that change the numbers, against an independent computation: each
// folder of tests/fixtures/options is a small CLIP (open_clip's layout, one in transformers') with a set of
// options (tanh GELU, LayerNorm eps, QuickGELU, no ln_pre, text pooling, bidirectional
// text attention, a text projection bias), and the embeddings numpy computed from
// open_clip's definitions (tests/parity/make_option_fixtures.py). ClipScope must load
// each, embed images and token rows as numpy did, and decompose the images exactly.
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "clipscope/base/error.h"
#include "clipscope/decompose/decompose.h"
#include "clipscope/io/npy.h"
#include "clipscope/model/clip_model.h"
#include "test_support.h"

namespace clipscope {
namespace {

namespace fs = std::filesystem;

const std::string kFixtures = CLIPSCOPE_OPTION_FIXTURES;

double max_abs_difference(const FloatArray& a, const FloatArray& b) {
    EXPECT_EQ(a.shape, b.shape);
    double worst = 0;
    for (size_t i = 0; i < std::min(a.data.size(), b.data.size()); ++i)
        worst = std::max(worst, std::abs(static_cast<double>(a.data[i]) - b.data[i]));
    return worst;
}

double max_abs(const FloatArray& a) {
    double m = 0;
    for (const float v : a.data) m = std::max(m, std::abs(static_cast<double>(v)));
    return m;
}

class OptionParity : public ::testing::TestWithParam<std::string> {
protected:
    std::string file(const std::string& name) const { return (fs::path(kFixtures) / GetParam() / name).string(); }
};

TEST_P(OptionParity, EmbeddingsMatchNumpyAndThePartsSumToTheEmbedding) {
    const ClipModel model = ClipModel::load((fs::path(kFixtures) / GetParam()).string());
    const FloatArray pixels = read_npy_float(file("pixels.npy"));
    const FloatArray image = read_npy_float(file("image_embedding.npy"));
    // float32 against float64 over two blocks: agreement to ~1e-6 of the values' size.
    const double image_tolerance = 1e-5 * std::max(1.0, max_abs(image));
    const double image_difference = max_abs_difference(model.encode_image(pixels), image);
    EXPECT_LT(image_difference, image_tolerance);
    // In the XML/JSON report (--gtest_output), for the closing notes' figures.
    RecordProperty("image_max_abs_difference", std::to_string(image_difference));

    const Decomposition d = decompose(model, pixels);
    EXPECT_LT(max_abs_difference(d.embedding, image), image_tolerance);
    EXPECT_LT(d.max_sum_error(), 1e-5);

    if (!fs::exists(file("text_embedding.npy"))) {  // a vision-only checkpoint: texts are refused by name
        EXPECT_FALSE(model.config().text_tower);
        try {
            model.encode_text(Int64Array(Shape{1, model.config().text.context_length}));
            ADD_FAILURE() << "a vision-only model embedded a text";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
            EXPECT_NE(std::string(e.what()).find("no text tower"), std::string::npos) << e.what();
        }
        // tanh against erf GELU moves an image embedding little (5.8e-4 here), yet 25x the tolerance.
        EXPECT_GT(max_abs_difference(read_npy_float(file("image_embedding_plain.npy")), image), 10 * image_tolerance);
        return;
    }
    const Int64Array ids = read_npy_int(file("tokens.npy"));
    const FloatArray text = read_npy_float(file("text_embedding.npy"));
    const double text_tolerance = 1e-5 * std::max(1.0, max_abs(text));
    const double text_difference = max_abs_difference(model.encode_text(ids), text);
    EXPECT_LT(text_difference, text_tolerance);
    RecordProperty("text_max_abs_difference", std::to_string(text_difference));

    // The fixture exercises its options: computed as a plain CLIP, the same weights give
    // numbers far outside the tolerance (the plain case has no such files).
    if (GetParam() != "plain") {
        EXPECT_GT(max_abs_difference(read_npy_float(file("image_embedding_plain.npy")), image) +
                      max_abs_difference(read_npy_float(file("text_embedding_plain.npy")), text),
                  1000 * (image_tolerance + text_tolerance));
        EXPECT_GT(max_abs_difference(read_npy_float(file("text_embedding_plain.npy")), text), 100 * text_tolerance)
            << "every case sets a text option";
    }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, OptionParity,
                         ::testing::Values("plain", "tanh_eps_last_bidirectional", "quickgelu_no_ln_pre_first",
                                           "erf_gelu_eos", "hf_tanh_eps_eos", "hf_vision_only"));

}  // namespace
}  // namespace clipscope
