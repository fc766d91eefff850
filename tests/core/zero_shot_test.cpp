#include "clipscope/analysis/zero_shot.h"

#include <cmath>

#include "clipscope/base/error.h"
#include "test_support.h"

namespace clipscope {
namespace {

TEST(ZeroShot, ClassifierColumnsAreUnitAndANameGivenTwiceIsRefused) {
    CLIPSCOPE_REQUIRE_SHARED();
    LoadOptions o;
    o.vocab_path = test::vocab_path();
    const ClipModel model = ClipModel::load(test::fixture("tiny"), o);
    // Twice the same name would split its probability over two identical columns.
    try {
        build_classifier(model, {"cat", "dog", "cat"}, default_templates());
        ADD_FAILURE() << "a duplicate class was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Usage);
        EXPECT_NE(std::string(e.what()).find("'cat' is given twice (positions 1 and 3)"), std::string::npos)
            << e.what();
    }
    const std::vector<std::string> names = {"cat", "dog", "bird"};
    const FloatArray w = build_classifier(model, names, default_templates());
    ASSERT_EQ(w.shape, (Shape{32, 3}));
    for (int c = 0; c < 3; ++c) {
        double n = 0;
        for (int e = 0; e < 32; ++e) n += double(w.data[e * 3 + c]) * w.data[e * 3 + c];
        EXPECT_NEAR(n, 1.0, 1e-5);
    }
    // The classifier column equals the normalised mean of normalised template embeddings.
    const FloatArray t = model.encode_texts({"a photo of a dog."});
    EXPECT_NE(t.data[0], 0.0f);
    FloatArray images({2, 32});
    for (size_t i = 0; i < images.data.size(); ++i) images.data[i] = std::sin(static_cast<float>(i));
    const FloatArray p = zero_shot_probabilities(images, w, model.logit_scale());
    for (int b = 0; b < 2; ++b) EXPECT_NEAR(p.data[b * 3] + p.data[b * 3 + 1] + p.data[b * 3 + 2], 1.0, 1e-6);
}

TEST(ZeroShot, TemplatesAndLabelsParsing) {
    test::TempDir dir;
    test::write_bytes(dir.path("t.txt"), "a photo of a {}.\n\n  art of {}  \n");
    EXPECT_EQ(read_templates(dir.path("t.txt")), (std::vector<std::string>{"a photo of a {}.", "art of {}"}));
    test::write_bytes(dir.path("bad.txt"), "no placeholder here\n");
    EXPECT_THROW(read_templates(dir.path("bad.txt")), Error);
    test::write_bytes(dir.path("two.txt"), "a photo of a {}.\na {} next to a {}\n");  // which one is the class?
    try {
        read_templates(dir.path("two.txt"));
        ADD_FAILURE() << "a template with two placeholders was read";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("line 2 has more than one {} placeholder"), std::string::npos) << e.what();
    }
    EXPECT_EQ(split_labels(" cat, dog ,,bird "), (std::vector<std::string>{"cat", "dog", "bird"}));
    EXPECT_EQ(split_labels("sea lion\ngreat white shark\n"),
              (std::vector<std::string>{"sea lion", "great white shark"}));
    for (const auto& t : default_templates()) EXPECT_NE(t.find("{}"), std::string::npos);
}

}  // namespace
}  // namespace clipscope
