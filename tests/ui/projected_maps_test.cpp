// The app on a model whose spatial terms exceed the worker's budget (so400m at 384 px, ViT-H
// at 378 px): the image is decomposed without its E-wide spatial terms, keeping each head's
// map toward the current texts, and every map the view draws (the canvas, one head's map, the
// heads at a patch) is the one the full terms give. Maps made for other texts are not drawn,
// and the window re-runs the image when its texts change.
#include <gtest/gtest.h>

#include <QFileInfo>
#include <QImage>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <cmath>
#include <tuple>

#include "analysis_worker.h"
#include "clipscope/base/error.h"
#include "clipscope/base/resources.h"
#include "main_window.h"
#include "signed_scale.h"
#include "view_state.h"
#include "wait_idle.h"

namespace clipscope::ui {
namespace {

struct Run {
    ModelSummaryPtr summary;
    ImageAnalysisPtr analysis;
    TextEmbeddingsPtr texts;
};

// Loads `spec`, embeds the texts, then decomposes `image` with the given spatial budget.
Run run(const QString& spec, const QString& image, int64_t budget, const QString& text_a = "a red circle",
        const QString& text_b = "a blue square") {
    AnalysisWorker w;
    w.setSpatialBudget(budget);
    QSignalSpy loaded(&w, &AnalysisWorker::modelLoaded), analysed(&w, &AnalysisWorker::imageAnalysed),
        embedded(&w, &AnalysisWorker::textsEmbedded), failed(&w, &AnalysisWorker::failed);
    w.loadModel(spec);
    w.embedTexts(text_a, text_b, {"circle", "square", "triangle"});
    EXPECT_TRUE(wait_idle(w));
    Run r;
    if (loaded.count() != 1 || embedded.count() != 1) {
        ADD_FAILURE() << "load or texts failed: " << failed.value(0).value(1).toString().toStdString();
        return r;
    }
    r.summary = loaded[0][0].value<ModelSummaryPtr>();
    r.texts = embedded[0][0].value<TextEmbeddingsPtr>();
    w.analyseImage(image, r.texts);
    EXPECT_TRUE(wait_idle(w));
    if (analysed.count() == 1) r.analysis = analysed[0][0].value<ImageAnalysisPtr>();
    EXPECT_EQ(failed.count(), 0) << failed.value(0).value(1).toString().toStdString();
    return r;
}

double max_diff(const FloatArray& a, const FloatArray& b) {
    EXPECT_EQ(a.shape, b.shape);
    double m = 0;
    for (size_t i = 0; i < a.data.size() && i < b.data.size(); ++i)
        m = std::max(m, std::abs(static_cast<double>(a.data[i]) - b.data[i]));
    return m;
}

void expect_projected_view_matches_full(const QString& spec, const QString& image) {
    const Run full = run(spec, image, int64_t{1} << 40), projected = run(spec, image, 0);
    ASSERT_TRUE(full.analysis && projected.analysis);
    EXPECT_FALSE(full.analysis->projected);
    ASSERT_TRUE(projected.analysis->projected);
    const Decomposition& d = *projected.analysis->decomposition;
    const ModelSummary& m = *projected.summary;
    EXPECT_TRUE(d.attentions.data.empty());                                           // no E-wide spatial terms kept
    EXPECT_EQ(d.head_maps.shape, (Shape{1, 5, m.layers, m.heads, m.grid * m.grid}));  // A, B and 3 labels
    EXPECT_GT(m.spatial_bytes, 0);
    EXPECT_LT(d.max_sum_error(), 1e-4);

    ViewState a, b;
    for (auto [state, r] : {std::pair{&a, &full}, std::pair{&b, &projected}}) {
        state->setModel(r->summary);
        state->setTexts(r->texts);
        state->setAnalysis(r->analysis);
    }
    // A minus B over the kept heads, after ablating one: the same map either way.
    a.toggleHead(0, 1);
    b.toggleHead(0, 1);
    ASSERT_TRUE(a.live().valid && b.live().valid);
    EXPECT_FALSE(b.live().map_waiting);
    EXPECT_LT(max_diff(a.live().map, b.live().map), 1e-6);
    EXPECT_GT(max_abs(b.live().map), 1e-4);
    EXPECT_LT(max_diff(a.headMap(1, 2), b.headMap(1, 2)), 1e-6);
    const auto ta = a.patchTopHeads(3, 4), tb = b.patchTopHeads(3, 4);
    ASSERT_EQ(ta.size(), 4u);
    ASSERT_EQ(tb.size(), 4u);
    for (size_t i = 0; i < ta.size(); ++i) {
        EXPECT_EQ(std::get<0>(ta[i]), std::get<0>(tb[i]));
        EXPECT_EQ(std::get<1>(ta[i]), std::get<1>(tb[i]));
        EXPECT_NEAR(std::get<2>(ta[i]), std::get<2>(tb[i]), 1e-6);
    }
    // Without text A the view maps the predicted label against the labels' mean: a
    // combination of the projected label rows, the same map too.
    {
        const Run full_labels = run(spec, image, int64_t{1} << 40, "", ""),
                  projected_labels = run(spec, image, 0, "", "");
        ASSERT_TRUE(full_labels.analysis && projected_labels.analysis);
        ViewState c, e;
        for (auto [state, r] : {std::pair{&c, &full_labels}, std::pair{&e, &projected_labels}}) {
            state->setModel(r->summary);
            state->setTexts(r->texts);
            state->setAnalysis(r->analysis);
        }
        ASSERT_TRUE(c.live().valid && e.live().valid);
        EXPECT_TRUE(e.live().direction_label.contains("predicted")) << e.live().direction_label.toStdString();
        EXPECT_EQ(e.live().coefficients.size(), 3u);
        EXPECT_LT(max_diff(c.live().map, e.live().map), 1e-6);
        EXPECT_GT(max_abs(e.live().map), 1e-4);
    }
    // Other texts than the maps were made for (here: the labels alone) draw nothing from them.
    auto labels_only = std::make_shared<TextEmbeddings>(*projected.texts);
    labels_only->text_a.clear();
    labels_only->a.clear();
    labels_only->text_b.clear();
    labels_only->b.clear();
    b.setTexts(labels_only);
    EXPECT_TRUE(b.live().valid);
    EXPECT_TRUE(b.live().map_waiting);
    EXPECT_EQ(max_abs(b.live().map), 0.0);
    EXPECT_EQ(b.headMap(1, 2).rank(), 0);
    EXPECT_TRUE(b.patchTopHeads(3, 4).empty());
    EXPECT_TRUE(b.caption().contains("being computed")) << b.caption().toStdString();
}

QString picture(const QTemporaryDir& dir) {
    QImage im(80, 64, QImage::Format_RGB32);
    for (int y = 0; y < im.height(); ++y)
        for (int x = 0; x < im.width(); ++x) im.setPixel(x, y, qRgb((x * 9) % 256, (y * 5) % 256, ((x ^ y) * 3) % 256));
    const QString path = dir.filePath("p.png");
    EXPECT_TRUE(im.save(path, "PNG"));
    return path;
}

TEST(ProjectedMaps, TheDemoModelsViewIsTheSameWithoutItsSpatialTerms) {
    QTemporaryDir dir;
    expect_projected_view_matches_full(QString::fromStdString(demo_model_directory()), picture(dir));
}

TEST(ProjectedMaps, TheSameThroughSigLipsPoolingHead) {
    const QString siglip = QStringLiteral(CLIPSCOPE_SHARED_DIR) + "/fixtures/siglip/tiny-siglip";
    if (!QFileInfo::exists(siglip)) GTEST_SKIP() << "../shared is absent";
    QTemporaryDir dir;
    expect_projected_view_matches_full(siglip, picture(dir));
}

// An image posted with older texts (or none) than the worker has embedded by the time it runs
// is mapped toward the newer ones: the window's start (texts and image posted together) runs
// the image once.
TEST(ProjectedMaps, AnImageIsMappedTowardTheLatestTextsEmbeddedBeforeItRuns) {
    QTemporaryDir dir;
    AnalysisWorker w;
    w.setSpatialBudget(0);
    QSignalSpy analysed(&w, &AnalysisWorker::imageAnalysed), embedded(&w, &AnalysisWorker::textsEmbedded);
    w.loadModel(QString::fromStdString(demo_model_directory()));
    w.embedTexts("a red circle", "", {"circle", "square"});
    w.analyseImage(picture(dir));  // posted without texts, runs after they are embedded
    ASSERT_TRUE(wait_idle(w));
    ASSERT_EQ(analysed.count(), 1);
    ASSERT_EQ(embedded.count(), 1);
    const auto texts = embedded[0][0].value<TextEmbeddingsPtr>();
    const auto a = analysed[0][0].value<ImageAnalysisPtr>();
    EXPECT_EQ(a->map_texts, texts);
    EXPECT_EQ(a->decomposition->head_maps.shape.at(1), 3);  // A and two labels
    // A model loaded afterwards forgets them: its image has no maps until texts of its own.
    w.loadModel(QString::fromStdString(demo_model_directory()));
    w.analyseImage(picture(dir));
    ASSERT_TRUE(wait_idle(w));
    ASSERT_EQ(analysed.count(), 2);
    const auto b = analysed[1][0].value<ImageAnalysisPtr>();
    EXPECT_EQ(b->map_texts, nullptr);
    EXPECT_EQ(b->decomposition->head_maps.rank(), 0);
}

TEST(ProjectedMaps, TheBudgetVariableIsAWholeNumberOfMegabytesOrAnErrorNamingIt) {
    qunsetenv("CLIPSCOPE_SPATIAL_BUDGET_MB");
    EXPECT_EQ(AnalysisWorker::spatialBudgetFromEnvironment(), int64_t{512} << 20);
    for (const auto& [value, bytes] : {std::pair<const char*, int64_t>{"0", 0}, {"64", int64_t{64} << 20}}) {
        qputenv("CLIPSCOPE_SPATIAL_BUDGET_MB", value);
        EXPECT_EQ(AnalysisWorker::spatialBudgetFromEnvironment(), bytes) << value;
    }
    for (const char* bad : {"", "lots", "-1", "1.5", "99999999999999"}) {
        qputenv("CLIPSCOPE_SPATIAL_BUDGET_MB", bad);
        try {
            AnalysisWorker::spatialBudgetFromEnvironment();
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const clipscope::Error& e) {
            EXPECT_EQ(e.kind(), clipscope::ErrorKind::Usage) << bad;
            EXPECT_NE(std::string(e.what()).find("CLIPSCOPE_SPATIAL_BUDGET_MB=" + std::string(bad)), std::string::npos)
                << e.what();
        }
    }
    qunsetenv("CLIPSCOPE_SPATIAL_BUDGET_MB");
}

TEST(ProjectedMaps, TheWindowReRunsTheImageForNewTexts) {
    QTemporaryDir cache;
    qputenv("XDG_CACHE_HOME", cache.path().toUtf8());
    qputenv("CLIPSCOPE_SPATIAL_BUDGET_MB", "0");
    MainWindow window;
    qunsetenv("CLIPSCOPE_SPATIAL_BUDGET_MB");
    window.resize(1200, 800);
    window.show();
    StartupOptions o;
    o.text_a = "a red circle";
    o.images = {QString::fromStdString(demo_image_paths().at(0))};
    window.start(o);
    auto* state = window.findChild<ViewState*>();
    ASSERT_TRUE(state);
    const auto drawn = [&] {
        return state->analysis() && state->analysis()->projected && state->live().valid && !state->live().map_waiting &&
               max_abs(state->live().map) > 0;
    };
    ASSERT_TRUE(wait_until(state, drawn))
        << "analysis " << (state->analysis() ? 1 : 0) << " projected "
        << (state->analysis() ? state->analysis()->projected : false) << " valid " << state->live().valid << " waiting "
        << state->live().map_waiting << " max " << max_abs(state->live().map) << " texts " << (state->texts() ? 1 : 0)
        << " map_texts " << (state->analysis() && state->analysis()->map_texts ? 1 : 0);
    const auto first = state->analysis();
    EXPECT_EQ(first->map_texts, state->texts());
    QLineEdit* text_a = nullptr;
    for (QLineEdit* e : window.findChildren<QLineEdit*>())
        if (e->placeholderText() == "a red circle") text_a = e;
    ASSERT_NE(text_a, nullptr);
    text_a->setText("a green triangle");
    text_a->setModified(true);  // as typing does
    Q_EMIT text_a->editingFinished();
    ASSERT_TRUE(wait_until(state,
                           [&] {
                               return drawn() && state->texts() && state->texts()->text_a == "a green triangle" &&
                                      state->analysis() != first;
                           }))
        << "text " << (state->texts() ? state->texts()->text_a.toStdString() : "none") << " same analysis "
        << (state->analysis() == first) << " waiting " << state->live().map_waiting;
    EXPECT_EQ(state->analysis()->map_texts, state->texts());
    qunsetenv("XDG_CACHE_HOME");
}

}  // namespace
}  // namespace clipscope::ui
