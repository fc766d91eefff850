// The worker on the bundled demo model: results arrive as signals, a request superseded
// before it starts is dropped, a bad image comes back as a message naming the file; and
// figures export as PNG/SVG/PDF with their caption, refusing unknown formats.
#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QSignalSpy>
#include <QSvgRenderer>
#include <QTemporaryDir>

#include "analysis_worker.h"
#include "clipscope/base/resources.h"
#include "figure_export.h"
#include "textspan_labels.h"

namespace clipscope::ui {
namespace {

bool wait_idle(AnalysisWorker& w, int ms = 60000) {
    QSignalSpy busy(&w, &AnalysisWorker::busyChanged);
    while (w.pending() > 0)
        if (!busy.wait(ms)) return false;
    QCoreApplication::processEvents();
    return true;
}

TEST(AnalysisWorker, ModelWithoutVocabularySaysWhereItLookedAndTakesOneGiven) {
    const QString shared = QStringLiteral(CLIPSCOPE_SHARED_DIR) + "/data/bpe_simple_vocab_16e6.txt.gz";
    if (!QFileInfo::exists(shared)) GTEST_SKIP() << "../shared is absent";
    QTemporaryDir empty_cache;
    qputenv("HF_HUB_CACHE", empty_cache.path().toUtf8());
    AnalysisWorker w;
    QSignalSpy loaded(&w, &AnalysisWorker::modelLoaded);
    w.loadModel("random:tiny");
    ASSERT_TRUE(wait_idle(w));
    ASSERT_EQ(loaded.count(), 1);
    const auto first = loaded.first().at(0).value<ModelSummaryPtr>();
    // Where a CLIP package is installed system-wide the search may succeed; otherwise it must say where it looked.
    if (!first->has_vocabulary) {
        EXPECT_TRUE(first->vocabulary_problem.contains("--vocab")) << first->vocabulary_problem.toStdString();
    }
    w.loadModel("random:tiny", "cpu", shared);
    ASSERT_TRUE(wait_idle(w));
    ASSERT_EQ(loaded.count(), 2);
    const auto second = loaded.last().at(0).value<ModelSummaryPtr>();
    EXPECT_TRUE(second->has_vocabulary);
    EXPECT_EQ(second->vocabulary, shared);
    qunsetenv("HF_HUB_CACHE");
}

TEST(AnalysisWorker, RunsJobsInOrderDropsSupersededAndReportsErrors) {
    const QString model = QString::fromStdString(demo_model_directory());
    const auto images = demo_image_paths();
    ASSERT_GE(images.size(), 2u);
    AnalysisWorker w;
    QSignalSpy loaded(&w, &AnalysisWorker::modelLoaded), analysed(&w, &AnalysisWorker::imageAnalysed),
        embedded(&w, &AnalysisWorker::textsEmbedded), failed(&w, &AnalysisWorker::failed);
    w.loadModel(model);
    w.analyseImage(QString::fromStdString(images[0]));  // superseded by the next one before it starts
    w.analyseImage(QString::fromStdString(images[1]));
    w.embedTexts("a red circle", "", {"circle", "square"});
    ASSERT_TRUE(wait_idle(w));
    ASSERT_EQ(failed.count(), 0) << failed.value(0).value(1).toString().toStdString();
    ASSERT_EQ(loaded.count(), 1);
    const auto summary = loaded[0][0].value<ModelSummaryPtr>();
    EXPECT_EQ(summary->name, "ClipScope demo (shapes world)");
    ASSERT_EQ(analysed.count(), 1);
    const auto a = analysed[0][0].value<ImageAnalysisPtr>();
    EXPECT_EQ(a->path, QString::fromStdString(images[1]));
    EXPECT_EQ(a->crop.width, summary->image_size);
    EXPECT_LT(a->decomposition->max_sum_error(), 1e-4);
    ASSERT_EQ(embedded.count(), 1);
    const auto t = embedded[0][0].value<TextEmbeddingsPtr>();
    EXPECT_EQ(t->label_rows.shape, (Shape{2, summary->embed_dim}));
    EXPECT_EQ(t->a.size(), static_cast<size_t>(summary->embed_dim));
    EXPECT_TRUE(t->b.empty());

    QTemporaryDir dir;
    const QString bad = dir.filePath("not-an-image.png");
    QFile f(bad);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write("hello");
    f.close();
    w.analyseImage(bad);
    ASSERT_TRUE(wait_idle(w));
    ASSERT_EQ(failed.count(), 1);
    EXPECT_TRUE(failed[0][1].toString().contains("not-an-image.png")) << failed[0][1].toString().toStdString();
    w.loadModel(dir.filePath("no-such-model"));
    ASSERT_TRUE(wait_idle(w));
    EXPECT_EQ(failed.count(), 2);
}

// Indexing a folder gives a store with the set's means, neighbours come back best first
// (an image is its own nearest neighbour by the embedding), and a second run reuses the store.
TEST(AnalysisWorker, IndexesAnImageSetAndFindsNeighbors) {
    const auto images = demo_image_paths();
    ASSERT_GE(images.size(), 3u);
    QTemporaryDir dir, cache;
    for (size_t i = 0; i < 3; ++i)
        ASSERT_TRUE(QFile::copy(QString::fromStdString(images[i]), dir.filePath(QString("img%1.png").arg(i))));
    AnalysisWorker w;
    QSignalSpy ready(&w, &AnalysisWorker::imageSetReady), found(&w, &AnalysisWorker::neighborsFound),
        failed(&w, &AnalysisWorker::failed), analysed(&w, &AnalysisWorker::imageAnalysed);
    w.loadModel(QString::fromStdString(demo_model_directory()));
    w.indexImageSet(dir.path(), cache.path());
    w.analyseImage(dir.filePath("img1.png"));
    ASSERT_TRUE(wait_idle(w));
    ASSERT_EQ(failed.count(), 0) << failed.value(0).value(1).toString().toStdString();
    ASSERT_EQ(ready.count(), 1);
    const auto set = ready[0][0].value<ImageSetPtr>();
    EXPECT_EQ(set->images.size(), 3);
    EXPECT_EQ(set->head_means.rank(), 3u);
    EXPECT_EQ(set->mlp_means.shape[0], set->head_means.shape[0] + 1);
    const auto a = analysed[0][0].value<ImageAnalysisPtr>();
    const Decomposition& d = *a->decomposition;
    const std::vector<float> key(d.embedding.data.begin(), d.embedding.data.end());
    NeighborQuery by_embedding;
    by_embedding.by = NeighborQuery::By::Embedding;
    w.findNeighbors(key, by_embedding, 3);
    ASSERT_TRUE(wait_idle(w));
    ASSERT_EQ(found.count(), 1);
    const auto n = found[0][0].value<NeighborsPtr>();
    ASSERT_EQ(n->images.size(), 3);
    EXPECT_TRUE(n->images[0].endsWith("img1.png")) << n->images[0].toStdString();
    EXPECT_GE(n->scores[0], n->scores[1]);
    EXPECT_GE(n->scores[1], n->scores[2]);
    // TextSpan over the set: every head labelled, the saved result reads back the same.
    QFile descriptions(dir.filePath("descriptions.tsv"));
    ASSERT_TRUE(descriptions.open(QIODevice::WriteOnly));
    descriptions.write("shape\ta circle\nshape\ta square\ncolour\tred\ncolour\tblue\nhabitat\twater\nhabitat\tgrass\n");
    descriptions.close();
    QSignalSpy spans(&w, &AnalysisWorker::textSpanReady);
    w.computeTextSpan(descriptions.fileName(), 3);
    ASSERT_TRUE(wait_idle(w));
    ASSERT_EQ(failed.count(), 0) << failed.value(0).value(1).toString().toStdString();
    ASSERT_EQ(spans.count(), 1);
    const auto labels = spans[0][0].value<HeadLabels>();
    EXPECT_EQ(labels.size(), 6 * 8);
    EXPECT_EQ(labels.value({5, 0}).texts.size(), 3);
    EXPECT_TRUE(QStringList({"a circle", "a square", "red", "blue", "water", "grass"})
                    .contains(labels.value({5, 0}).texts.first()));
    HeadLabels saved;
    QString error;
    ASSERT_TRUE(read_textspan_labels(spans[0][1].toString(), saved, error)) << error.toStdString();
    EXPECT_EQ(saved.value({2, 3}).texts, labels.value({2, 3}).texts);

    w.indexImageSet(dir.path(), cache.path());  // already complete: reused
    ASSERT_TRUE(wait_idle(w));
    EXPECT_EQ(ready.count(), 2);
    EXPECT_EQ(QDir(cache.filePath("stores")).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size(), 1);
}

TEST(FigureExport, WritesPngSvgPdfWithCaptionAndRefusesUnknownFormats) {
    QTemporaryDir dir;
    QLabel widget("figure body");
    widget.resize(200, 100);
    EXPECT_EQ(export_widget(&widget, dir.filePath("f.png"), "model: m \u00b7 image: i", 2.0), "");
    const QImage png(dir.filePath("f.png"));
    EXPECT_EQ(png.width(), 400);
    EXPECT_GT(png.height(), 200);  // the caption strip below the widget
    EXPECT_EQ(export_widget(&widget, dir.filePath("f.svg"), "cap"), "");
    QFile svg(dir.filePath("f.svg"));
    ASSERT_TRUE(svg.open(QIODevice::ReadOnly));
    EXPECT_TRUE(svg.readAll().contains("<svg"));
    EXPECT_TRUE(QSvgRenderer(dir.filePath("f.svg")).isValid());
    EXPECT_EQ(export_widget(&widget, dir.filePath("f.pdf"), "cap"), "");
    QFile pdf(dir.filePath("f.pdf"));
    ASSERT_TRUE(pdf.open(QIODevice::ReadOnly));
    EXPECT_TRUE(pdf.read(5).startsWith("%PDF"));
    EXPECT_NE(export_widget(&widget, dir.filePath("f.bmpx"), "cap"), "");
    EXPECT_FALSE(QFileInfo::exists(dir.filePath("f.bmpx")));
    EXPECT_NE(export_widget(&widget, dir.filePath("missing/dir/f.png"), "cap"), "");
    EXPECT_TRUE(QDir(dir.path()).entryList({"*.part"}).isEmpty());  // no half-written files left behind
}

}  // namespace
}  // namespace clipscope::ui
