// The worker on the bundled demo model: results arrive as signals, a request superseded
// before it starts is dropped, a bad image comes back as a message naming the file; and
// figures export as PNG/SVG/PDF with their caption, refusing unknown formats.
#include <gtest/gtest.h>

#include <algorithm>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QMap>
#include <QSettings>
#include <QSpinBox>
#include <QSignalSpy>
#include <QSvgRenderer>
#include <QTemporaryDir>

#include "analysis_worker.h"
#include "wait_idle.h"
#include "clipscope/base/resources.h"
#include "clipscope/io/npy.h"
#include "figure_export.h"
#include "figure_export_dialog.h"
#include "figures.h"
#include "textspan_labels.h"

namespace clipscope::ui {
namespace {

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

    // An image's request names its steps in order, the decode with the header's size.
    QSignalSpy steps(&w, &AnalysisWorker::imageStep);
    w.analyseImage(QString::fromStdString(images[0]));
    ASSERT_TRUE(wait_idle(w));
    // The step changes carry no percentage; between them only the resize (224 px to the
    // model's 64) counts its own progress: a PNG's decode reports none.
    QList<QList<QVariant>> changes;
    QList<int> resize_percents;
    for (const auto& s : steps) {
        if (s[4].toInt() < 0)
            changes.append(s);
        else {
            EXPECT_EQ(s[1].toInt(), 2) << s[3].toString().toStdString();
            resize_percents.append(s[4].toInt());
        }
    }
    EXPECT_FALSE(resize_percents.isEmpty());
    EXPECT_TRUE(std::is_sorted(resize_percents.begin(), resize_percents.end()));
    steps.clear();
    for (const auto& c : changes) steps.append(c);
    ASSERT_EQ(steps.count(), 4);  // reading, decoding (once the header is read), resizing, decomposing
    const QString name = QFileInfo(QString::fromStdString(images[0])).fileName();
    for (int i = 0; i < steps.count(); ++i) {
        EXPECT_EQ(steps[i][0].toString(), QString::fromStdString(images[0]));
        EXPECT_EQ(steps[i][1].toInt(), std::max(1, i));
        EXPECT_EQ(steps[i][2].toInt(), 3);
        EXPECT_TRUE(steps[i][3].toString().contains(name)) << steps[i][3].toString().toStdString();
    }
    const QImage file(QString::fromStdString(images[0]));
    const QString dims = QString("%1 \u00d7 %2 px").arg(file.width()).arg(file.height());
    EXPECT_TRUE(steps[1][3].toString().startsWith("Decoding " + name + " (" + dims + ", ") &&
                steps[1][3].toString().endsWith(" kB)"))
        << steps[1][3].toString().toStdString();
    EXPECT_TRUE(steps[3][3].toString().startsWith("Decomposing"));

    // A JPEG larger than the crop: its decode and its resize count up to 100 %.
    QTemporaryDir dir;
    const QString jpeg = dir.filePath("large.jpg");
    QImage photo(900, 600, QImage::Format_RGB32);
    for (int y = 0; y < photo.height(); ++y)
        for (int x = 0; x < photo.width(); ++x) photo.setPixel(x, y, qRgb(x % 256, y % 256, (x * y) % 256));
    ASSERT_TRUE(photo.save(jpeg, "JPG"));
    steps.clear();
    w.analyseImage(jpeg);
    ASSERT_TRUE(wait_idle(w));
    QMap<int, QList<int>> percents;  // step -> the percentages it reported
    for (const auto& s : steps)
        if (s[4].toInt() >= 0) percents[s[1].toInt()].append(s[4].toInt());
    for (int step : {1, 2}) {
        SCOPED_TRACE("step " + std::to_string(step));
        ASSERT_GE(percents[step].size(), 5);
        EXPECT_TRUE(std::is_sorted(percents[step].begin(), percents[step].end()));
        EXPECT_EQ(percents[step].back(), 100);
    }
    EXPECT_TRUE(percents[3].isEmpty());

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
// The demo model with its text tower declared a Hugging Face model is loaded without it;
// texts then come from files, and labels are off (no logit scale), with a note saying why.
TEST(AnalysisWorker, TextsFromFilesServeAModelWithoutATextTower) {
    QTemporaryDir dir;
    const QDir demo(QString::fromStdString(demo_model_directory()));
    ASSERT_TRUE(QFile::copy(demo.filePath("open_clip_model.safetensors"), dir.filePath("open_clip_model.safetensors")));
    QFile config_in(demo.filePath("open_clip_config.json"));
    ASSERT_TRUE(config_in.open(QIODevice::ReadOnly));
    QByteArray config = config_in.readAll();
    config.replace("\"text_cfg\": {", "\"text_cfg\": {\"hf_model_name\": \"xlm-roberta-base\",");
    QFile config_out(dir.filePath("open_clip_config.json"));
    ASSERT_TRUE(config_out.open(QIODevice::WriteOnly));
    config_out.write(config);
    config_out.close();

    AnalysisWorker w;
    QSignalSpy loaded(&w, &AnalysisWorker::modelLoaded), embedded(&w, &AnalysisWorker::textsEmbedded),
        failed(&w, &AnalysisWorker::failed);
    // The full demo model's embeddings of two texts, as files.
    w.loadModel(demo.path());
    w.embedTexts("a red circle", "a blue square", {});
    ASSERT_TRUE(wait_idle(w));
    ASSERT_EQ(failed.count(), 0) << failed.value(0).value(1).toString().toStdString();
    const auto full = embedded.last().at(0).value<TextEmbeddingsPtr>();
    FloatArray rows({2, static_cast<int64_t>(full->a.size())});
    std::copy(full->a.begin(), full->a.end(), rows.data.begin());
    std::copy(full->b.begin(), full->b.end(), rows.data.begin() + static_cast<int64_t>(full->a.size()));
    write_npy(dir.filePath("t.npy").toStdString(), rows);
    QFile texts(dir.filePath("t.txt"));
    ASSERT_TRUE(texts.open(QIODevice::WriteOnly));
    texts.write("a red circle\na blue square\n");
    texts.close();

    w.loadModel(dir.path(), "cpu", {}, false, {dir.filePath("t.npy"), dir.filePath("t.txt")});
    w.embedTexts("a blue square", "", {});
    ASSERT_TRUE(wait_idle(w));
    ASSERT_EQ(failed.count(), 0) << failed.value(0).value(1).toString().toStdString();
    const auto summary = loaded.last().at(0).value<ModelSummaryPtr>();
    EXPECT_FALSE(summary->has_text_tower);
    EXPECT_TRUE(summary->hasLogitScale());  // the checkpoint keeps its own
    EXPECT_TRUE(summary->text_unavailable.contains("text_cfg.hf_model_name"))
        << summary->text_unavailable.toStdString();
    EXPECT_TRUE(summary->text_embeddings.contains("t.npy (2 texts named by t.txt"))
        << summary->text_embeddings.toStdString();
    const auto t = embedded.last().at(0).value<TextEmbeddingsPtr>();
    EXPECT_EQ(t->a, full->b);  // unit rows of the same numbers
    EXPECT_TRUE(t->labels_note.isEmpty());

    // A text that is no line of the file fails naming the file.
    w.embedTexts("a green circle", "", {});
    ASSERT_TRUE(wait_idle(w));
    ASSERT_EQ(failed.count(), 1);
    EXPECT_TRUE(failed.last().at(1).toString().contains("t.txt: has no line 'a green circle'"))
        << failed.last().at(1).toString().toStdString();
}

// A vision-only checkpoint has no logit scale: text maps come from the files, labels are off
// with a note saying why (no probabilities are made up).
TEST(AnalysisWorker, AVisionOnlyCheckpointTurnsLabelsOffWithAReason) {
    const QString model = QStringLiteral(CLIPSCOPE_OPTION_FIXTURES) + "/hf_vision_only";
    QTemporaryDir dir;
    AnalysisWorker w;
    QSignalSpy loaded(&w, &AnalysisWorker::modelLoaded), embedded(&w, &AnalysisWorker::textsEmbedded),
        failed(&w, &AnalysisWorker::failed);
    w.loadModel(model);
    ASSERT_TRUE(wait_idle(w));
    ASSERT_EQ(loaded.count(), 1);
    const int64_t E = loaded.last().at(0).value<ModelSummaryPtr>()->embed_dim;
    write_npy(dir.filePath("t.npy").toStdString(),
              FloatArray({1, E}, std::vector<float>(static_cast<size_t>(E), 0.5f)));
    QFile texts(dir.filePath("t.txt"));
    ASSERT_TRUE(texts.open(QIODevice::WriteOnly));
    texts.write("something blue\n");
    texts.close();
    w.loadModel(model, "cpu", {}, false, {dir.filePath("t.npy"), dir.filePath("t.txt")});
    w.embedTexts("something blue", "", {"circle", "square"});
    ASSERT_TRUE(wait_idle(w));
    ASSERT_EQ(failed.count(), 0) << failed.value(0).value(1).toString().toStdString();
    EXPECT_FALSE(loaded.last().at(0).value<ModelSummaryPtr>()->hasLogitScale());
    const auto t = embedded.last().at(0).value<TextEmbeddingsPtr>();
    EXPECT_EQ(t->a.size(), static_cast<size_t>(E));
    EXPECT_EQ(t->label_rows.shape[0], 0);
    EXPECT_TRUE(t->labels_note.contains("no logit scale")) << t->labels_note.toStdString();
}

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

// A file in the folder that cannot be decoded is skipped and named, not the end of the set.
TEST(AnalysisWorker, AnImageSetSkipsAnImageItCannotDecode) {
    const auto images = demo_image_paths();
    QTemporaryDir dir, cache;
    for (size_t i = 0; i < 2; ++i)
        ASSERT_TRUE(QFile::copy(QString::fromStdString(images[i]), dir.filePath(QString("img%1.png").arg(i))));
    QFile broken(dir.filePath("broken.png"));
    ASSERT_TRUE(broken.open(QIODevice::WriteOnly));
    broken.write("not an image");
    broken.close();
    AnalysisWorker w;
    QSignalSpy ready(&w, &AnalysisWorker::imageSetReady), failed(&w, &AnalysisWorker::failed);
    w.loadModel(QString::fromStdString(demo_model_directory()));
    w.indexImageSet(dir.path(), cache.path());
    ASSERT_TRUE(wait_idle(w));
    ASSERT_EQ(failed.count(), 0) << failed.value(0).value(1).toString().toStdString();
    ASSERT_EQ(ready.count(), 1);
    const auto set = ready[0][0].value<ImageSetPtr>();
    EXPECT_EQ(set->images.size(), 2);
    EXPECT_TRUE(set->name.contains("1 skipped")) << set->name.toStdString();
    QFile list(QDir(set->store_folder).filePath("skipped.txt"));
    ASSERT_TRUE(list.open(QIODevice::ReadOnly));
    EXPECT_TRUE(list.readAll().contains("broken.png"));
}

// Sizes: a printed width in mm/cm/in or pixels at the resolution; the PNG has the pixels
// and the dpi, the SVG and the PDF the printed width; nonsense is refused with the text.
TEST(FigureExport, WidthsAndResolutionsGiveTheSizeAsked) {
    QString error;
    EXPECT_NEAR(parse_export_width("89mm", 300, &error).value_or(-1), 89 / 25.4, 1e-12);
    EXPECT_NEAR(parse_export_width(" 8.9 cm", 300, &error).value_or(-1), 8.9 / 2.54, 1e-12);
    EXPECT_NEAR(parse_export_width("3.5in", 300, &error).value_or(-1), 3.5, 1e-12);
    EXPECT_NEAR(parse_export_width("1200px", 300, &error).value_or(-1), 4.0, 1e-12);
    for (const char* bad : {"89", "-3mm", "0in", "abcmm", "3.5 inches", "", "1e9mm", "nanin"}) {
        error.clear();
        EXPECT_FALSE(parse_export_width(bad, 300, &error).has_value()) << bad;
        EXPECT_TRUE(error.contains(QString("'%1'").arg(bad))) << error.toStdString();
    }

    QTemporaryDir dir;
    QLabel widget("figure body");
    widget.resize(200, 100);
    const Figure figure = widget_figure(&widget);
    const QSize logical = export_logical_size(figure, "cap", widget.font());
    EXPECT_EQ(logical.width(), 200);
    const ExportSize column{300, 89 / 25.4};  // a journal column at 300 dpi
    ASSERT_EQ(export_figure(figure, dir.filePath("c.png"), "cap", widget.font(), column), "");
    const QImage png(dir.filePath("c.png"));
    EXPECT_EQ(png.width(), 1051);  // 89 mm at 300 dpi
    EXPECT_EQ(png.size(), export_pixel_size(logical, column));
    EXPECT_NEAR(png.dotsPerMeterX() * 0.0254, 300, 0.5);
    EXPECT_NEAR(export_size_mm(logical, column).width(), 89, 1e-9);
    ASSERT_EQ(export_figure(figure, dir.filePath("c.svg"), "cap", widget.font(), column), "");
    QFile svg(dir.filePath("c.svg"));
    ASSERT_TRUE(svg.open(QIODevice::ReadOnly));
    const QByteArray text = svg.readAll();
    const int at = text.indexOf("width=\"");
    ASSERT_GE(at, 0);
    EXPECT_NEAR(text.mid(at + 7, 10).split('m').first().toDouble(), 89, 0.5) << text.mid(at, 30).toStdString();
    EXPECT_TRUE(text.contains("viewBox=\"0 0 200 "));
    // As drawn at --export-scale 2: twice the logical pixels, 192 dpi.
    ASSERT_EQ(export_figure(figure, dir.filePath("s.png"), "cap", widget.font(), 2.0), "");
    EXPECT_EQ(QImage(dir.filePath("s.png")).size(), logical * 2);
    EXPECT_NE(export_figure(figure, dir.filePath("d.png"), "cap", widget.font(), ExportSize{5, 0}), "");
    EXPECT_NE(export_figure(figure, dir.filePath("h.png"), "cap", widget.font(), ExportSize{1200, 200}), "");
    EXPECT_TRUE(QDir(dir.path()).entryList({"*.part", "d.png", "h.png"}).isEmpty());
}

// The dialog shows what its width and resolution give before anything is written.
TEST(FigureExportDialog, ShowsTheResultingSize) {
    QSettings().remove("figureExport");
    FigureExportDialog dialog({"canvas", "grid"}, "grid",
                              [](const QString& pane) { return pane == "grid" ? QSize(400, 300) : QSize(); });
    EXPECT_EQ(dialog.pane(), "grid");
    EXPECT_EQ(dialog.size().width_inches, 0);  // as drawn by default
    EXPECT_EQ(dialog.size().dpi, 192);
    EXPECT_EQ(dialog.sizeText(), QString("800 \u00d7 600 px at 192 dpi \u00b7 106 \u00d7 79 mm"));
    auto* unit = dialog.findChild<QComboBox*>("widthUnit");
    auto* width = dialog.findChild<QDoubleSpinBox*>("width");
    auto* dpi = dialog.findChild<QSpinBox*>("dpi");
    ASSERT_TRUE(unit && width && dpi);
    unit->setCurrentIndex(unit->findData("mm"));
    width->setValue(89);
    dpi->setValue(300);
    EXPECT_NEAR(dialog.size().width_inches, 89 / 25.4, 1e-9);
    EXPECT_EQ(dialog.findChild<QLabel*>("exportSize")->text(),
              QString("1051 \u00d7 788 px at 300 dpi \u00b7 89 \u00d7 67 mm"));
    unit->setCurrentIndex(unit->findData("px"));
    width->setValue(1200);
    EXPECT_NEAR(dialog.size().width_inches, 4.0, 1e-9);
    dialog.remember();
    FigureExportDialog again({"canvas", "grid"}, "canvas", [](const QString&) { return QSize(); });
    EXPECT_NEAR(again.size().width_inches, 1200.0 / 300, 1e-9);
    EXPECT_TRUE(again.sizeText().contains("nothing to draw"));
    QSettings().remove("figureExport");
}

}  // namespace
}  // namespace clipscope::ui
