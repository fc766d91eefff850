// The app on an attention-pooled model (../shared/fixtures/siglip/tiny-siglip): the worker
// decomposes through the pooling head (no class token, one pooling term), the grid gains a
// "pool" row whose only live cell is the pooling MLP, toggling it moves the score by exactly
// that term, label scores are SigLIP's sigmoid per label, and an indexed set carries the
// pooling term's mean for mean-ablation.
#include <gtest/gtest.h>

#include <QDir>
#include <QFileInfo>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <cmath>

#include "analysis_worker.h"
#include "wait_idle.h"
#include "head_grid_model.h"
#include "view_state.h"

namespace clipscope::ui {
namespace {

QString siglip_folder() { return QStringLiteral(CLIPSCOPE_SHARED_DIR) + "/fixtures/siglip/tiny-siglip"; }

// A small RGB picture with structure (so heads and positions differ).
QString write_picture(const QTemporaryDir& dir, const QString& name, int seed) {
    QImage im(48, 40, QImage::Format_RGB32);
    for (int y = 0; y < im.height(); ++y)
        for (int x = 0; x < im.width(); ++x)
            im.setPixel(x, y, qRgb((x * 5 + seed * 40) % 256, (y * 7 + seed * 13) % 256, ((x + y) * 3) % 256));
    const QString path = dir.filePath(name);
    EXPECT_TRUE(im.save(path, "PNG"));
    return path;
}

double norm(const std::vector<float>& v) {
    double n = 0;
    for (float x : v) n += static_cast<double>(x) * x;
    return std::sqrt(n);
}

struct Loaded {
    AnalysisWorker worker;
    ModelSummaryPtr summary;
    ImageAnalysisPtr analysis;
    TextEmbeddingsPtr texts;
};

TEST(SigLipApp, WorkerDecomposesThroughThePoolingHeadAndScoresBySigmoid) {
    if (!QFileInfo::exists(siglip_folder())) GTEST_SKIP() << "../shared is absent";
    QTemporaryDir dir;
    Loaded l;
    QSignalSpy loaded(&l.worker, &AnalysisWorker::modelLoaded), analysed(&l.worker, &AnalysisWorker::imageAnalysed),
        embedded(&l.worker, &AnalysisWorker::textsEmbedded), failed(&l.worker, &AnalysisWorker::failed);
    l.worker.loadModel(siglip_folder());
    l.worker.analyseImage(write_picture(dir, "one.png", 1));
    l.worker.embedTexts("a photo of a cat", "", {"a cat", "a dog", "a car"});
    ASSERT_TRUE(wait_idle(l.worker));
    ASSERT_EQ(failed.count(), 0) << failed.value(0).value(1).toString().toStdString();
    ASSERT_EQ(loaded.count(), 1);
    ASSERT_EQ(analysed.count(), 1);
    ASSERT_EQ(embedded.count(), 1);
    l.summary = loaded[0][0].value<ModelSummaryPtr>();
    l.analysis = analysed[0][0].value<ImageAnalysisPtr>();
    l.texts = embedded[0][0].value<TextEmbeddingsPtr>();

    EXPECT_TRUE(l.summary->pooled);
    EXPECT_EQ(l.summary->scoring.rule, ScoreRule::Sigmoid);
    const Decomposition& d = *l.analysis->decomposition;
    const int64_t L = l.summary->layers, H = l.summary->heads, E = l.summary->embed_dim, G = l.summary->grid;
    EXPECT_EQ(d.leading_tokens, 0);
    EXPECT_EQ(d.pooling.shape, (Shape{1, E}));
    EXPECT_EQ(d.attentions.shape, (Shape{1, L, G * G, H, E}));  // every position is a patch
    EXPECT_TRUE(d.cls_attn.data.empty());
    EXPECT_LT(d.max_sum_error(), 1e-4);

    ViewState state;
    state.setModel(l.summary);
    state.setAnalysis(l.analysis);
    state.setTexts(l.texts);
    const LiveResult before = state.live();
    ASSERT_TRUE(before.valid);
    EXPECT_LT(before.sum_error, 1e-4);
    ASSERT_EQ(before.parts.pooling.size(), 1u);
    EXPECT_EQ(before.map.shape, (Shape{G, G}));

    // Each label's score is sigmoid(exp(logit_scale) cos + logit_bias) of the embedding's cosine.
    const std::vector<float> z = ablated_embedding(d, 0, {});
    const std::vector<float> cos = cosine_scores(z, l.texts->label_rows);
    ASSERT_EQ(before.probabilities_before.size(), 3u);
    double score_sum = 0;
    for (size_t c = 0; c < cos.size(); ++c) {
        const double expected =
            1.0 / (1.0 + std::exp(-(l.summary->scoring.logit_scale * cos[c] + l.summary->scoring.logit_bias)));
        EXPECT_NEAR(before.probabilities_before[c], expected, 1e-6);
        score_sum += before.probabilities_before[c];
    }
    EXPECT_GT(std::abs(score_sum - 1.0), 1e-3);  // scored each on its own, not a softmax

    // The grid: one more row on top, "pool", whose heads are inert and whose MLP is the pooling term.
    HeadGridModel grid(&state);
    ASSERT_EQ(grid.rowCount(), L + 1);
    EXPECT_EQ(grid.columnCount(), H + 1);
    EXPECT_EQ(grid.headerData(0, Qt::Vertical, Qt::DisplayRole).toString(), "pool");
    EXPECT_EQ(grid.layerOfRow(0), L);
    EXPECT_EQ(grid.layerOfRow(1), L - 1);
    EXPECT_TRUE(grid.isPoolingRow(L));
    EXPECT_EQ(grid.flags(grid.index(0, 0)), Qt::NoItemFlags);
    EXPECT_FALSE(grid.data(grid.index(0, 0), HeadGridModel::ContributionRole).isValid());
    const QModelIndex pool_mlp = grid.indexOf(L, -1);
    EXPECT_EQ(pool_mlp.row(), 0);
    EXPECT_NE(grid.flags(pool_mlp), Qt::NoItemFlags);
    EXPECT_NEAR(grid.data(pool_mlp, HeadGridModel::ContributionRole).toDouble(), before.parts.pooling[0], 1e-7);

    // The parts, the pooling term among them, add up to the cosine with A.
    double total = before.parts.pooling[0];
    for (float v : before.parts.heads) total += v;
    for (float v : before.parts.mlps) total += v;
    EXPECT_NEAR(total, before.score_before, 1e-4);

    // Zero-ablating the pooling MLP removes exactly its term (then the cosine is renormalised).
    state.setForceZero(true);
    state.setAblated({}, {static_cast<int>(L)});
    const LiveResult after = state.live();
    ASSERT_TRUE(after.valid);
    LiveAblation pooling_off;
    pooling_off.pooling = true;
    EXPECT_NEAR(after.score_after,
                (before.score_before - before.parts.pooling[0]) / norm(ablated_embedding(d, 0, pooling_off)), 1e-5);
    EXPECT_TRUE(grid.data(pool_mlp, HeadGridModel::AblatedRole).toBool());
    EXPECT_TRUE(state.ablationSummary().contains("pool")) << state.ablationSummary().toStdString();
}

TEST(SigLipApp, AnIndexedSetCarriesThePoolingMeanForMeanAblation) {
    if (!QFileInfo::exists(siglip_folder())) GTEST_SKIP() << "../shared is absent";
    QTemporaryDir images, cache;
    for (int i = 0; i < 3; ++i) write_picture(images, QString("p%1.png").arg(i), i + 2);
    AnalysisWorker w;
    QSignalSpy ready(&w, &AnalysisWorker::imageSetReady), failed(&w, &AnalysisWorker::failed),
        loaded(&w, &AnalysisWorker::modelLoaded), analysed(&w, &AnalysisWorker::imageAnalysed);
    w.loadModel(siglip_folder());
    w.indexImageSet(images.path(), cache.path());
    w.analyseImage(images.filePath("p0.png"));
    ASSERT_TRUE(wait_idle(w));
    ASSERT_EQ(failed.count(), 0) << failed.value(0).value(1).toString().toStdString();
    ASSERT_EQ(ready.count(), 1);
    const auto set = ready[0][0].value<ImageSetPtr>();
    const auto summary = loaded[0][0].value<ModelSummaryPtr>();
    const auto analysis = analysed[0][0].value<ImageAnalysisPtr>();
    ASSERT_EQ(set->images.size(), 3);
    ASSERT_EQ(set->pooling_mean.shape, (Shape{summary->embed_dim}));

    // Mean-ablating the pooling MLP replaces its term by the set's mean of it.
    ViewState state;
    state.setModel(summary);
    state.setAnalysis(analysis);
    state.setImageSet(set);
    auto texts = std::make_shared<TextEmbeddings>();
    texts->text_a = "axis 0";
    texts->a.assign(static_cast<size_t>(summary->embed_dim), 0.f);
    texts->a[0] = 1.f;
    state.setTexts(texts);
    const float before = state.live().score_before, term = state.live().parts.pooling.at(0);
    state.setAblated({}, {static_cast<int>(summary->layers)});
    LiveAblation pooling_mean;
    pooling_mean.pooling = true;
    pooling_mean.head_means = &set->head_means;
    pooling_mean.mlp_means = &set->mlp_means;
    pooling_mean.pooling_mean = &set->pooling_mean;
    const double length = norm(ablated_embedding(*analysis->decomposition, 0, pooling_mean));
    EXPECT_NEAR(state.live().score_after, (before - term + set->pooling_mean.data[0]) / length, 1e-5);
    EXPECT_TRUE(state.ablationSummary().contains("mean")) << state.ablationSummary().toStdString();
}

}  // namespace
}  // namespace clipscope::ui
