// ViewState and the head grid on a real decomposition (random tiny model): live ablation
// moves the score by exactly the removed term, the grid mirrors the state, and keyword
// ablation matches head labels only.
#include <gtest/gtest.h>

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <cmath>

#include "clipscope/decompose/decompose.h"
#include "clipscope/model/clip_model.h"
#include "head_grid_model.h"
#include "head_grid_pane.h"
#include "map_overlay.h"
#include "view_state.h"

namespace clipscope::ui {
namespace {

struct Fixture {
    Fixture() : model(ClipModel::load("random:tiny")) {
        auto s = std::make_shared<ModelSummary>();
        const ClipConfig& c = model.config();
        s->name = "random tiny";
        s->layers = c.vision.layers;
        s->heads = c.vision.heads;
        s->grid = c.vision.image_size / c.vision.patch_size;
        s->embed_dim = c.embed_dim;
        s->scoring = zero_shot_scoring(model);
        summary = s;
        auto a = std::make_shared<ImageAnalysis>();
        a->path = "/images/test.png";
        FloatArray pixels({1, 3, c.vision.image_size, c.vision.image_size});
        for (size_t i = 0; i < pixels.data.size(); ++i)
            pixels.data[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
        a->decomposition = std::make_shared<Decomposition>(decompose(model, pixels));
        analysis = a;
        auto t = std::make_shared<TextEmbeddings>();
        t->text_a = "a";
        const int64_t E = c.embed_dim;
        t->a.assign(static_cast<size_t>(E), 0.f);
        t->a[0] = 0.6f, t->a[1] = 0.8f;
        t->labels = {"x", "y"};
        t->label_rows = FloatArray({2, E});
        t->label_rows.data[0] = 1.f;
        t->label_rows.data[static_cast<size_t>(E + 2)] = 1.f;
        texts = t;
    }
    ClipModel model;
    ModelSummaryPtr summary;
    ImageAnalysisPtr analysis;
    TextEmbeddingsPtr texts;
};

TEST(ViewState, LiveAblationMovesTheScoreByTheRemovedTerm) {
    Fixture f;
    ViewState state;
    QSignalSpy live(&state, &ViewState::liveChanged);
    state.setModel(f.summary);
    state.setAnalysis(f.analysis);
    EXPECT_FALSE(state.live().valid);  // no direction yet
    state.setTexts(f.texts);
    ASSERT_TRUE(state.live().valid);
    EXPECT_GE(live.count(), 3);
    const LiveResult before = state.live();
    EXPECT_FLOAT_EQ(before.score_before, before.score_after);
    EXPECT_LT(before.sum_error, 1e-4);
    EXPECT_EQ(before.map.shape, (Shape{f.summary->grid, f.summary->grid}));
    // The parts add up to the unit embedding's projection on the direction = the cosine (unit direction).
    double total = 0;
    for (float v : before.parts.heads) total += v;
    for (float v : before.parts.mlps) total += v;
    EXPECT_NEAR(total, before.score_before, 1e-4);

    state.toggleHead(1, 0);
    EXPECT_TRUE(state.isAblated(1, 0));
    const LiveResult after = state.live();
    const auto H = static_cast<size_t>(f.summary->heads);
    // Zero-ablation removes the term; the cosine is then renormalised by the new length.
    const auto emb = ablated_embedding(*f.analysis->decomposition, 0, [] {
        LiveAblation a;
        a.heads = {{1, 0}};
        return a;
    }());
    double norm = 0;
    for (float v : emb) norm += double(v) * v;
    EXPECT_NEAR(after.score_after, (before.score_before - before.parts.heads[1 * H + 0]) / std::sqrt(norm), 1e-4);
    EXPECT_EQ(state.ablationSummary(), "L1.H0 (zero: no image set indexed)");
    state.clearAblation();
    EXPECT_FLOAT_EQ(state.live().score_after, before.score_after);
}

TEST(ViewState, TheMapsColourRangeHoldsWhileAblatingAndRefitsForANewDirection) {
    Fixture f;
    ViewState state;
    state.setModel(f.summary);
    state.setAnalysis(f.analysis);
    state.setTexts(f.texts);
    ASSERT_TRUE(state.live().valid);
    EXPECT_FALSE(state.live().units.isEmpty());
    const double first = state.mapScale().range();
    EXPECT_DOUBLE_EQ(first, state.live().map_max_abs);
    state.toggleHead(2, 1);
    state.toggleHead(1, 3);
    EXPECT_NE(state.live().map_max_abs, first);         // the map changed ...
    EXPECT_DOUBLE_EQ(state.mapScale().range(), first);  // ... its colours did not move
    auto other = std::make_shared<TextEmbeddings>(*f.texts);
    other->text_a = "b";
    std::swap(other->a[0], other->a[1]);
    state.setTexts(other);
    EXPECT_DOUBLE_EQ(state.mapScale().range(), state.live().map_max_abs);  // a new direction refits

    state.setMapScaleRange(0.25);
    state.clearAblation();
    EXPECT_DOUBLE_EQ(state.mapScale().range(), 0.25);
    EXPECT_TRUE(state.caption().contains(QString::fromUtf8("colour range: \u00b10.25")));
    state.setMapScaleMode(SignedScale::Mode::Auto);
    state.toggleHead(2, 1);
    EXPECT_DOUBLE_EQ(state.mapScale().range(), state.live().map_max_abs);
}

// A floored grid (so400m: 27 patches of 14 px in a 384 px crop) covers the crop's top-left
// corner: the overlay keeps the crop's size and leaves the uncovered strip clear, or grey
// under the mask, instead of stretching 378 px of map over 384.
TEST(MapOverlay, AFlooredGridCoversOnlyThePixelsItsPatchesSee) {
    FloatArray map({3, 3}, {1, 0.5f, -1, 0.2f, 1, 0.3f, -0.5f, 0.8f, 1});
    OverlayStyle style;
    const MapOverlay o = map_overlay(map, 14, style, 4);  // 3 x 4 = 12 of 14 px
    ASSERT_EQ(o.image.width(), 14);
    ASSERT_EQ(o.image.height(), 14);
    EXPECT_GT(qAlpha(o.image.pixel(0, 0)), 200);    // value 1 at full range: opaque
    EXPECT_EQ(qAlpha(o.image.pixel(12, 3)), 0);     // right strip: no patch
    EXPECT_EQ(qAlpha(o.image.pixel(3, 13)), 0);     // bottom strip
    EXPECT_GT(qAlpha(o.image.pixel(11, 11)), 200);  // the last covered pixel
    style.mask = true;
    const MapOverlay m = map_overlay(map, 14, style, 4);
    EXPECT_EQ(QColor(m.image.pixel(13, 13)).red(), 128);
    // The caption says what the map covers.
    ViewState state;
    auto summary = std::make_shared<ModelSummary>();
    summary->grid = 27, summary->patch_size = 14, summary->image_size = 384;
    state.setModel(summary);
    EXPECT_TRUE(state.caption().contains(QString("top-left 378 \u00d7 378 of 384 px")))
        << state.caption().toStdString();
    // A grid that covers the crop fills it, as before.
    const MapOverlay full = map_overlay(map, 12, OverlayStyle(), 4);
    EXPECT_EQ(full.image.width(), 12);
    EXPECT_GT(qAlpha(full.image.pixel(11, 11)), 200);
}

TEST(HeadGrid, MirrorsTheStateAndAblatesByLabel) {
    Fixture f;
    ViewState state;
    HeadGridModel grid(&state);
    QAbstractItemModelTester tester(&grid, QAbstractItemModelTester::FailureReportingMode::Fatal);
    state.setModel(f.summary);
    state.setAnalysis(f.analysis);
    state.setTexts(f.texts);
    const int L = static_cast<int>(f.summary->layers), H = static_cast<int>(f.summary->heads);
    ASSERT_EQ(grid.rowCount(), L);
    ASSERT_EQ(grid.columnCount(), H + 1);
    EXPECT_EQ(grid.headerData(0, Qt::Vertical, Qt::DisplayRole).toString(),
              QString("L%1").arg(L - 1));  // last layer on top
    // Small values are shown in a stated power of ten: the MLP header carries it.
    const QString mlp = grid.headerData(H, Qt::Horizontal, Qt::DisplayRole).toString();
    EXPECT_TRUE(mlp.startsWith("MLP")) << mlp.toStdString();
    EXPECT_EQ(mlp.contains(QString::fromUtf8("\u00d710")), grid.valueExponent() != 0) << mlp.toStdString();
    if (grid.valueExponent() != 0) {
        const QModelIndex some = grid.index(0, H);
        const double shown = grid.data(some, Qt::DisplayRole).toString().toDouble();
        const double value = grid.data(some, HeadGridModel::ContributionRole).toDouble();
        EXPECT_NEAR(shown * std::pow(10.0, grid.valueExponent()), value, std::fabs(value) * 0.01 + 1e-12);
    }
    const QModelIndex cell = grid.indexOf(0, 1);
    EXPECT_FLOAT_EQ(grid.data(cell, HeadGridModel::ContributionRole).toFloat(), state.live().parts.heads[1]);
    EXPECT_FALSE(grid.data(cell, HeadGridModel::AblatedRole).toBool());
    state.toggleHead(0, 1);
    EXPECT_TRUE(grid.data(cell, HeadGridModel::AblatedRole).toBool());
    state.toggleMlp(L - 1);
    EXPECT_TRUE(grid.data(grid.index(0, H), HeadGridModel::AblatedRole).toBool());
    state.clearAblation();

    HeadLabels labels;
    labels[{L - 1, 0}].texts = {"photo taken in Paris", "aerial view"};
    labels[{L - 1, 1}].texts = {"a red object"};
    grid.setHeadLabels(labels);
    EXPECT_EQ(grid.data(grid.indexOf(L - 1, 0), Qt::DisplayRole).toString(), "photo taken in Paris");
    labels[{L - 2, 3}].texts = {"a blue object", "seen on water", "waterfall"};
    grid.setHeadLabels(labels);
    HeadGridPane pane(&state, &grid);
    EXPECT_EQ(pane.ablateMatching("paris, location"), 1);
    EXPECT_TRUE(state.isAblated(L - 1, 0));
    EXPECT_FALSE(state.isAblated(L - 1, 1));
    // The first pick (the label the grid shows) by default; whole words only.
    EXPECT_TRUE(pane.matchingHeads("aerial").empty());
    EXPECT_EQ(pane.matchingHeads("aerial", 2), (std::vector<std::pair<int, int>>{{L - 1, 0}}));
    EXPECT_TRUE(pane.matchingHeads("water").empty());
    EXPECT_EQ(pane.matchingHeads("water", 3), (std::vector<std::pair<int, int>>{{L - 2, 3}}));  // not "waterfall"
    EXPECT_EQ(pane.matchingHeads("WATERFALL", 3).size(), 1u);
    EXPECT_EQ(pane.matchingHeads("object").size(), 2u);
    EXPECT_TRUE(pane.matchingHeads("obj").empty());
    EXPECT_TRUE(pane.matchingHeads(" , ").empty());
    EXPECT_EQ(pane.ablateMatching("red, blue"), 2);
    EXPECT_TRUE(state.isAblated(L - 2, 3));
    EXPECT_TRUE(state.isAblated(L - 1, 0));  // kept from before
}

}  // namespace
}  // namespace clipscope::ui
