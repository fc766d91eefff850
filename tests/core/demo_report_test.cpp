// The demo report's experiments (demo_report.h) on the bundled demo model: a held-out
// set is regenerated whole on every call, zero-shot through the stored parts agrees
// with the plain forward, and TextSpan's family purity is measured against its chance
// level.
#include "clipscope/demo/demo_report.h"

#include <filesystem>
#include <numeric>

#include "clipscope/base/error.h"
#include "clipscope/io/image.h"
#include "test_support.h"

namespace clipscope::world {
namespace {
namespace fs = std::filesystem;

const std::string kDemo = CLIPSCOPE_RESOURCES_DIR "/demo";

class DemoReport : public ::testing::Test {
protected:
    static void SetUpTestSuite() { model_ = new ClipModel(ClipModel::load(kDemo + "/model")); }
    static void TearDownTestSuite() { delete model_; }
    static ClipModel* model_;
    test::TempDir dir_;
};
ClipModel* DemoReport::model_ = nullptr;

TEST_F(DemoReport, ScenesComeFromTheirSeedAlone) {
    const auto a = draw_scenes(5, 12, 0.25), b = draw_scenes(5, 12, 0.25), c = draw_scenes(6, 12, 0.25);
    ASSERT_EQ(a.size(), 12u);
    auto same = [](const std::vector<Scene>& x, const std::vector<Scene>& y) {
        for (size_t i = 0; i < x.size(); ++i)
            for (const auto& f : attribute_families())
                if (attribute_value(x[i], f) != attribute_value(y[i], f)) return false;
        return true;
    };
    EXPECT_TRUE(same(a, b));
    EXPECT_FALSE(same(a, c));
}

TEST_F(DemoReport, AHeldOutSetIsRegeneratedWholeAndItsPartsSum) {
    const HeldOutSet first = make_held_out_set(*model_, dir_.path("h"), draw_scenes(1, 20, 0.0));
    EXPECT_EQ(Store::open(first.store).size(), 20);
    EXPECT_LT(first.self_check, 1e-5);
    const Image img = load_image(dir_.path("h/images/00019.png"));
    EXPECT_EQ(img.width, model_->config().vision.image_size);
    const HeldOutSet again = make_held_out_set(*model_, dir_.path("h"), draw_scenes(2, 8, 0.0));
    const Store store = Store::open(again.store);
    EXPECT_EQ(store.size(), 8);
    EXPECT_TRUE(store.complete());
}

TEST_F(DemoReport, ZeroShotByPartsAgreesWithThePlainForwardAndBeatsChance) {
    const HeldOutSet set = make_held_out_set(*model_, dir_.path("h"), draw_scenes(11, 48, 0.0));
    const Store store = Store::open(set.store);
    const auto families = zero_shot_by_family(*model_, set, store);
    ASSERT_EQ(families.size(), attribute_families().size());
    for (const auto& f : families) {
        EXPECT_EQ(f.labels.size(), 48u) << f.family;
        EXPECT_EQ(f.sweep.size(), static_cast<size_t>(model_->config().vision.layers)) << f.family;
        // The two classifications differ on `differ` images at most, each worth 100/48 points.
        EXPECT_LE(std::abs(f.parts_accuracy - f.embedding_accuracy), 100.0 * f.differ / 48 + 1e-9) << f.family;
        EXPECT_LE(f.differ, 1) << f.family << ": parts and forward should classify alike";
        const size_t classes = static_cast<size_t>(f.classifier.shape[1]);
        // The demo model learnt every attribute but position (training.json: 9.25% on 9 positions).
        if (f.family != "position") {
            EXPECT_GT(f.embedding_accuracy, 100.0 / classes + 20) << f.family << " is near chance on the demo model";
        }
    }
}

TEST_F(DemoReport, TextSpanFamiliesCountEveryHeadAndStateTheirChanceLevel) {
    const HeldOutSet set = make_held_out_set(*model_, dir_.path("h"), draw_scenes(3, 32, 0.0));
    const Store store = Store::open(set.store);
    const DescriptionPool pool = read_description_pool(kDemo + "/descriptions.tsv");
    const TextSpanFamilies t = textspan_families(*model_, store, pool, 16, 4, 9);
    const auto& c = model_->config();
    EXPECT_EQ(t.heads.size(), static_cast<size_t>(c.vision.layers * c.vision.heads));
    EXPECT_EQ(t.rank, 16);
    int counted = 0;
    for (const auto& [family, n] : t.heads_per_family) counted += n;
    EXPECT_EQ(counted, static_cast<int>(t.heads.size()));
    for (const auto& h : t.heads) {
        EXPECT_EQ(h.texts.size(), 4u);
        EXPECT_GE(h.purity, 0.25);  // the best of four picks holds at least one
        EXPECT_LE(h.purity, 1.0);
    }
    EXPECT_GT(t.chance_purity, 0.25);
    EXPECT_LT(t.chance_purity, 1.0);
    EXPECT_EQ(textspan_families(*model_, store, pool, 16, 4, 9).chance_purity, t.chance_purity);  // seeded

    const std::string plain = dir_.path("plain.txt");
    test::write_bytes(plain, "a red shape\na blue shape\n");
    try {
        textspan_families(*model_, store, read_description_pool(plain), 16, 4, 9);
        ADD_FAILURE() << "a pool without families was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("plain.txt"), std::string::npos) << e.what();
    }
}

TEST_F(DemoReport, TheHeadFamilyGridHasACellPerHeadAndALegend) {
    std::vector<HeadFamily> heads;
    for (int64_t l = 0; l < 3; ++l)
        for (int64_t h = 0; h < 4; ++h) heads.push_back({l, h, l ? "shape" : "colour", 0.5 + 0.1 * h, 0.2, {}});
    write_head_family_grid(dir_.path("grid.png"), heads, 3, 4);
    const Image img = load_image(dir_.path("grid.png"));
    EXPECT_EQ(img.width, 4 * 56 + 40);
    EXPECT_EQ(img.height, 3 * 56 + 40 + 150);
}

}  // namespace
}  // namespace clipscope::world
