// The whole window on the demo model: dropping an image onto the canvas runs the
// decomposition on the worker and fills the panes (waiting on signals, no sleeps), and a
// head toggled in the grid changes the scores exactly as core's live ablation computes.
#include <gtest/gtest.h>

#include <QAbstractItemModelTester>
#include <QDropEvent>
#include <QFileInfo>
#include <QImage>
#include <QPainter>
#include <QSvgRenderer>
#include <QLineEdit>
#include <QTest>
#include <QMimeData>
#include <QSignalSpy>
#include <QTableView>
#include <QDir>
#include <QTemporaryDir>
#include <QUrl>
#include <algorithm>
#include <cmath>
#include <tuple>
#include <vector>

#include "clipscope/base/resources.h"
#include "figure_export.h"
#include "figures.h"
#include "head_grid_model.h"
#include "image_canvas.h"
#include "main_window.h"
#include "view_state.h"
#include "wait_idle.h"

namespace clipscope::ui {
namespace {

TEST(MainWindow, TheFirstWindowFitsTheScreenAtAnyScaleFactor) {
    EXPECT_EQ(initial_window_size({}), QSize(1280, 820));
    EXPECT_EQ(initial_window_size({2560, 1400}), QSize(1280, 820));
    // 1920 x 1080 at scale factor 2: 960 x 540 logical pixels, minus the panels.
    const QSize hidpi = initial_window_size({960, 510});
    EXPECT_LE(hidpi.width(), 960);
    EXPECT_LE(hidpi.height(), 510);
    EXPECT_GT(hidpi.width(), 800);
}

// Stepping through images works whatever has the focus: a text field keeps Ctrl+Left/Right
// for moving by words, so Ctrl+PgDown/PgUp step the images from there too.
TEST(MainWindow, NextImageWorksFromATextField) {
    QTemporaryDir cache;
    qputenv("XDG_CACHE_HOME", cache.path().toUtf8());
    MainWindow window;
    window.resize(1200, 800);
    window.show();
    window.activateWindow();
    ASSERT_TRUE(QTest::qWaitForWindowActive(&window));
    StartupOptions o;
    const auto demo = demo_image_paths();
    o.images = {QString::fromStdString(demo.at(0)), QString::fromStdString(demo.at(1))};
    window.start(o);
    auto* state = window.findChild<ViewState*>();
    ASSERT_TRUE(wait_until(state, [&] { return state->analysis() != nullptr; }));
    QLineEdit* text_a = nullptr;
    for (QLineEdit* e : window.findChildren<QLineEdit*>())
        if (e->placeholderText() == "a red circle") text_a = e;
    ASSERT_NE(text_a, nullptr);
    text_a->setFocus();
    QTest::keyClick(text_a, Qt::Key_PageDown, Qt::ControlModifier);
    const QString second = QFileInfo(QString::fromStdString(demo.at(1))).fileName();
    ASSERT_TRUE(wait_until(state, [&] { return state->analysis() && state->analysis()->path.endsWith(second); }));
    EXPECT_TRUE(text_a->hasFocus());
    qunsetenv("XDG_CACHE_HOME");
}

// A large image says what it is waiting for while it is on its way: the canvas and the
// title name the decode with the header's size and the step, then clear when it is shown.
TEST(MainWindow, ALargeImageNamesItsStepsWhilePending) {
    QTemporaryDir dir;
    qputenv("XDG_CACHE_HOME", dir.path().toUtf8());
    QImage big(3000, 2000, QImage::Format_RGB32);
    for (int y = 0; y < big.height(); ++y)
        for (int x = 0; x < big.width(); ++x) big.setPixel(x, y, qRgb(x % 256, y % 256, (x ^ y) % 256));
    const QString path = dir.filePath("large.png");
    ASSERT_TRUE(big.save(path));
    MainWindow window;
    window.resize(1200, 800);
    window.show();
    auto* state = window.findChild<ViewState*>();
    QStringList seen;
    QObject::connect(state, &ViewState::pendingChanged, [&] {
        if (!state->pendingText().isEmpty()) seen << state->pendingText();
        const QString grab = qEnvironmentVariable("CLIPSCOPE_TEST_GRAB");  // for looking at it: a PNG path
        if (!grab.isEmpty() && state->pendingText().contains("Resizing")) window.grab().save(grab);
    });
    StartupOptions o;
    o.images = {path};
    window.start(o);
    ASSERT_TRUE(wait_until(state, [&] { return state->analysis() != nullptr; }));
    EXPECT_FALSE(state->isPending());
    const QString decoding = QString("Decoding large.png (3000 \u00d7 2000 px, ");
    EXPECT_TRUE(std::any_of(seen.begin(), seen.end(), [&](const QString& t) {
        return t.contains(decoding) && t.contains("step 1 of 3");
    })) << seen.join(" | ").toStdString();
    EXPECT_TRUE(std::any_of(seen.begin(), seen.end(), [](const QString& t) {
        return t.contains("Resizing large.png from 3000 \u00d7 2000 px \u00b7 step 2 of 3");
    })) << seen.join(" | ").toStdString();
    qunsetenv("XDG_CACHE_HOME");
}

// The bounding box of the dark ink in rows [top, bottom) of an image.
QRect ink_box(const QImage& image, int top, int bottom) {
    QRect box;
    for (int y = top; y < std::min(bottom, image.height()); ++y)
        for (int x = 0; x < image.width(); ++x)
            if (qGray(image.pixel(x, y)) < 100) box |= QRect(x, y, 1, 1);
    return box;
}

// A figure reads the same in every format: the SVG, rendered at the PNG's size, has the
// heading at the PNG's size (fonts by their real family and pixel size: figure_font).
TEST(MainWindow, FiguresDrawTheirTextAtOneSizeInPngAndSvg) {
    QTemporaryDir dir;
    qputenv("XDG_CACHE_HOME", dir.path().toUtf8());
    MainWindow window;
    window.resize(1200, 800);
    window.show();
    StartupOptions o;
    o.text_a = "a red shape";
    o.images = {QString::fromStdString(demo_image_paths().at(0))};
    window.start(o);
    auto* state = window.findChild<ViewState*>();
    ASSERT_TRUE(wait_until(state, [&] { return state->live().valid && !state->isPending(); }));
    for (const QString pane : {"canvas", "grid"}) {
        const Figure figure = window.figureOf(pane);
        ASSERT_FALSE(figure.empty());
        const QString png = dir.filePath(pane + ".png"), svg = dir.filePath(pane + ".svg");
        ASSERT_EQ(export_figure(figure, png, "caption", window.font(), 1.0), "");
        ASSERT_EQ(export_figure(figure, svg, "caption", window.font(), 1.0), "");
        const QImage raster(png);
        QImage drawn(raster.size(), QImage::Format_ARGB32);
        drawn.fill(Qt::white);
        QPainter p(&drawn);
        QSvgRenderer(svg).render(&p, QRectF(QPointF(0, 0), QSizeF(raster.size())));
        p.end();
        QFont bold = figure_font(window.font());
        bold.setBold(true);
        const int heading_bottom = 12 + QFontMetrics(bold).height() + 2;  // the column headers start 4 px lower
        const QRect a = ink_box(raster, 0, heading_bottom), b = ink_box(drawn, 0, heading_bottom);
        ASSERT_FALSE(a.isEmpty()) << pane.toStdString();
        EXPECT_NEAR(b.height(), a.height(), 2) << pane.toStdString();
        EXPECT_NEAR(b.width(), a.width(), 0.03 * a.width()) << pane.toStdString();
    }
    qunsetenv("XDG_CACHE_HOME");
}

TEST(MainWindow, DroppingAnImageFillsThePanesAndTogglesMatchCore) {
    QTemporaryDir cache;
    qputenv("XDG_CACHE_HOME", cache.path().toUtf8());
    MainWindow window;
    window.resize(1200, 800);
    window.show();  // drops reach registered drop sites only (offscreen platform: nothing is drawn)
    StartupOptions o;
    o.labels = "circle, square, triangle, star, cross";
    o.labels_given = true;
    o.images = {QString::fromStdString(demo_image_paths().at(0))};
    window.start(o);
    auto* state = window.findChild<ViewState*>();
    auto* canvas = window.findChild<ImageCanvas*>();
    auto* grid = window.findChild<HeadGridModel*>();
    ASSERT_TRUE(state && canvas && grid);
    QAbstractItemModelTester tester(grid, QAbstractItemModelTester::FailureReportingMode::Fatal);
    ASSERT_TRUE(wait_until(state, [&] { return state->live().valid; }));

    // Drop another demo image on the canvas.
    const QString dropped = QString::fromStdString(demo_image_paths().at(7));
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(dropped)});
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(canvas, &enter);
    ASSERT_TRUE(enter.isAccepted());
    QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QSignalSpy dropped_spy(canvas, &ImageCanvas::filesDropped);
    QCoreApplication::sendEvent(canvas, &drop);
    ASSERT_EQ(dropped_spy.count(), 1);
    ASSERT_TRUE(wait_until(
        state, [&] { return state->analysis() && state->analysis()->path == dropped && state->live().valid; }))
        << (state->analysis() ? state->analysis()->path.toStdString() : "no analysis") << " vs "
        << dropped.toStdString();
    EXPECT_EQ(grid->rowCount(), 6);
    EXPECT_EQ(grid->columnCount(), 9);
    EXPECT_TRUE(grid->data(grid->index(0, 0), HeadGridModel::ContributionRole).isValid());
    EXPECT_EQ(state->live().probabilities_before.size(), 5u);
    EXPECT_FALSE(grid->labelsOf(5, 0).isEmpty());  // the demo model's textspan.json labels the heads

    // Toggle head 5.3 through the grid view (double-click = toggle) and compare with core.
    auto* table = window.findChild<QTableView*>();
    ASSERT_TRUE(table);
    Q_EMIT table->doubleClicked(grid->indexOf(5, 3));
    ASSERT_TRUE(state->isAblated(5, 3));
    LiveAblation a;
    a.heads = {{5, 3}};
    if (state->imageSet()) {  // the demo indexes its image set at start: mean-ablation over it
        a.head_means = &state->imageSet()->head_means;
        a.mlp_means = &state->imageSet()->mlp_means;
    }
    const auto emb = ablated_embedding(*state->analysis()->decomposition, 0, a);
    const auto probs = label_scores(cosine_scores(emb, state->texts()->label_rows), state->model()->scoring);
    ASSERT_EQ(probs.size(), state->live().probabilities_after.size());
    for (size_t i = 0; i < probs.size(); ++i) EXPECT_FLOAT_EQ(state->live().probabilities_after[i], probs[i]);
    EXPECT_NE(state->live().probabilities_after, state->live().probabilities_before);
    // The demo's image set is cached where the README says: $XDG_CACHE_HOME/ClipScope.
    if (state->imageSet()) {
        EXPECT_TRUE(state->imageSet()->store_folder.startsWith(QDir(cache.path()).filePath("ClipScope/stores/")))
            << state->imageSet()->store_folder.toStdString();
    }
    qunsetenv("XDG_CACHE_HOME");
}

// The command line's --head and --ablate go through core's strict parser: a good pair is
// applied, a malformed or out-of-range one is reported and applies nothing (it used to
// become head 0.0).
TEST(MainWindow, SelectionFromTheCommandLineIsParsedStrictly) {
    QTemporaryDir cache;
    qputenv("XDG_CACHE_HOME", cache.path().toUtf8());
    for (const auto& [head, ablate, good] : std::vector<std::tuple<QString, QString, bool>>{{"5.2", "5.0,4.1", true},
                                                                                            {"5.x", "", false},
                                                                                            {"", "4.1,0.8", false},
                                                                                            {"9.0", "", false},
                                                                                            {"", "5.0,", false}}) {
        MainWindow window;
        QSignalSpy done(&window, &MainWindow::exportsDone);  // code 1 when anything failed
        StartupOptions o;
        o.images = {QString::fromStdString(demo_image_paths().at(0))};
        o.head = head;
        o.ablate = ablate;
        o.quit_after_export = true;  // headless: failures are reported, no dialogs
        window.start(o);
        for (int i = 0; i < 600 && done.isEmpty(); ++i) done.wait(100);
        ASSERT_EQ(done.count(), 1);
        EXPECT_EQ(done.at(0).at(0).toInt(), good ? 0 : 1) << head.toStdString() << " " << ablate.toStdString();
        auto* state = window.findChild<ViewState*>();
        if (good) {
            EXPECT_EQ(state->selectedLayer(), 5);
            EXPECT_EQ(state->selectedHead(), 2);
            EXPECT_TRUE(state->isAblated(5, 0) && state->isAblated(4, 1));
        } else {
            EXPECT_TRUE(state->ablatedHeads().empty()) << head.toStdString() << " " << ablate.toStdString();
            EXPECT_FALSE(state->isAblated(0, 0));
        }
    }
    qunsetenv("XDG_CACHE_HOME");
}

}  // namespace
}  // namespace clipscope::ui
