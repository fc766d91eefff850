#include "main_window.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDateTime>
#include <QGuiApplication>
#include <QImage>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QSettings>
#include <QStandardPaths>
#include <QSlider>
#include <QStatusBar>
#include <QStyle>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <cstdio>

#include "analysis_worker.h"
#include "clipscope/neighbors.h"
#include "clipscope/resources.h"
#include "data_export.h"
#include "figure_export.h"
#include "gallery_pane.h"
#include "head_detail_pane.h"
#include "head_grid_model.h"
#include "head_grid_pane.h"
#include "model_hub_dialog.h"
#include "image_canvas.h"
#include "scores_pane.h"
#include "session_file.h"
#include "textspan_labels.h"
#include "view_state.h"

namespace clipscope::ui {

void apply_palette(bool dark) {
    if (!dark) {
        QApplication::setPalette(QApplication::style()->standardPalette());
        return;
    }
    QPalette p;
    p.setColor(QPalette::Window, QColor(45, 45, 48));
    p.setColor(QPalette::WindowText, QColor(225, 225, 225));
    p.setColor(QPalette::Base, QColor(30, 30, 32));
    p.setColor(QPalette::AlternateBase, QColor(50, 50, 54));
    p.setColor(QPalette::Text, QColor(225, 225, 225));
    p.setColor(QPalette::Button, QColor(55, 55, 60));
    p.setColor(QPalette::ButtonText, QColor(225, 225, 225));
    p.setColor(QPalette::Highlight, QColor(70, 130, 200));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::ToolTipBase, QColor(60, 60, 64));
    p.setColor(QPalette::ToolTipText, QColor(235, 235, 235));
    p.setColor(QPalette::PlaceholderText, QColor(150, 150, 150));
    for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText}) p.setColor(QPalette::Disabled, role, QColor(120, 120, 120));
    QApplication::setPalette(p);
}

namespace {

const QStringList kImageSuffixes = {"png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff", "ppm", "pgm"};
const char* kDemoLabels = "circle, square, triangle, star, cross";

QDockWidget* dock(QMainWindow* window, const QString& title, const QString& name, QWidget* content, Qt::DockWidgetArea area) {
    auto* d = new QDockWidget(title, window);
    d->setObjectName(name);  // saveState() needs names
    d->setWidget(content);
    window->addDockWidget(area, d);
    return d;
}

}  // namespace

MainWindow::MainWindow() {
    setWindowTitle("ClipScope");
    setAcceptDrops(false);
    state_ = new ViewState(this);
    worker_ = new AnalysisWorker;
    grid_model_ = new HeadGridModel(state_, this);

    // Centre: the canvas, its map controls and the strip of opened images.
    canvas_ = new ImageCanvas(state_);
    map_source_ = new QComboBox;
    map_source_->addItems({tr("Map: text (kept heads)"), tr("Map: selected head")});
    opacity_ = new QSlider(Qt::Horizontal);
    opacity_->setRange(0, 100);
    opacity_->setValue(55);
    opacity_->setToolTip(tr("Overlay opacity"));
    mask_ = new QCheckBox(tr("Segment"));
    mask_->setToolTip(tr("Show the map thresholded at its mean (the zero-shot segmentation protocol)"));
    auto* threshold = new QSlider(Qt::Horizontal);
    threshold->setRange(0, 100);  // 0 = the protocol's threshold (the map's mean), else a share of the min-max range
    threshold->setEnabled(false);
    auto* threshold_label = new QLabel(tr("at the mean"));
    threshold_label->setMinimumWidth(threshold_label->fontMetrics().horizontalAdvance("at the mean "));
    threshold->setToolTip(tr("Segmentation threshold on the min-max scaled map; leftmost = the map's mean (the protocol)"));
    connect(threshold, &QSlider::valueChanged, this, [this, threshold_label](int v) {
        canvas_->setThreshold(v == 0 ? -1.0 : v / 100.0);
        threshold_label->setText(v == 0 ? tr("at the mean") : QString("at %1").arg(v / 100.0, 0, 'f', 2));
    });
    connect(mask_, &QCheckBox::toggled, threshold, &QSlider::setEnabled);
    auto* controls = new QGridLayout;  // two rows: the map, then the segmentation mask
    controls->addWidget(map_source_, 0, 0);
    controls->addWidget(new QLabel(tr("Opacity")), 0, 1);
    controls->addWidget(opacity_, 0, 2);
    controls->addWidget(mask_, 1, 0);
    controls->addWidget(new QLabel(tr("Threshold")), 1, 1);
    controls->addWidget(threshold, 1, 2);
    controls->addWidget(threshold_label, 1, 3);
    controls->setColumnStretch(2, 1);
    strip_ = new QListWidget;
    strip_->setViewMode(QListView::IconMode);
    strip_->setFlow(QListView::LeftToRight);
    strip_->setWrapping(false);
    strip_->setIconSize(QSize(48, 48));
    strip_->setFixedHeight(76);
    strip_->setVisible(false);
    canvas_pane_ = new QWidget;
    auto* centre = new QVBoxLayout(canvas_pane_);
    centre->addWidget(canvas_, 1);
    centre->addLayout(controls);
    centre->addWidget(strip_);
    setCentralWidget(canvas_pane_);

    grid_pane_ = new HeadGridPane(state_, grid_model_);
    scores_pane_ = new ScoresPane(state_);
    detail_pane_ = new HeadDetailPane(state_, grid_model_);
    gallery_pane_ = new GalleryPane(state_);
    QDockWidget* grid_dock = dock(this, tr("Head grid"), "grid", grid_pane_, Qt::RightDockWidgetArea);
    QDockWidget* scores_dock = dock(this, tr("Texts & scores"), "scores", scores_pane_, Qt::LeftDockWidgetArea);
    QDockWidget* detail_dock = dock(this, tr("Head detail"), "detail", detail_pane_, Qt::RightDockWidgetArea);
    QDockWidget* gallery_dock = dock(this, tr("Image set & neighbours"), "gallery", gallery_pane_, Qt::LeftDockWidgetArea);
    resizeDocks({scores_dock, gallery_dock}, {430, 400}, Qt::Vertical);
    // The default layout (a saved one replaces it): grid over detail on the right, texts on the left.
    resizeDocks({grid_dock, scores_dock}, {560, 330}, Qt::Horizontal);
    resizeDocks({grid_dock, detail_dock}, {520, 330}, Qt::Vertical);

    status_model_ = new QLabel;
    status_check_ = new QLabel;
    busy_ = new QProgressBar;
    busy_->setRange(0, 0);  // indeterminate: jobs are short and counted, not measured
    busy_->setMaximumWidth(120);
    busy_->setVisible(false);
    cancel_ = new QToolButton;
    cancel_->setText(tr("Cancel"));
    cancel_->setToolTip(tr("Stop the running long job (indexing, TextSpan); what is written stays and resumes"));
    cancel_->setVisible(false);
    statusBar()->addPermanentWidget(status_check_);
    statusBar()->addPermanentWidget(status_model_);
    statusBar()->addPermanentWidget(busy_);
    statusBar()->addPermanentWidget(cancel_);

    connect(map_source_, &QComboBox::currentIndexChanged, this, [this](int i) { state_->setMapSource(i == 1 ? MapSource::SelectedHead : MapSource::Text); });
    connect(opacity_, &QSlider::valueChanged, this, [this](int v) { canvas_->setOpacity(v / 100.0); });
    connect(mask_, &QCheckBox::toggled, canvas_, &ImageCanvas::setShowMask);
    connect(canvas_, &ImageCanvas::filesDropped, this, &MainWindow::openImages);
    connect(strip_, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0 && row != current_) showImage(row);
    });
    connect(scores_pane_, &ScoresPane::queryChanged, this, &MainWindow::requestTexts);
    connect(worker_, &AnalysisWorker::modelLoaded, this, [this](ModelSummaryPtr s) {
        const QFileInfo spec(s->spec);
        const bool ask_for_vocabulary = !s->has_vocabulary && !s->spec.startsWith("random:");
        const QString vocabulary_problem = s->vocabulary_problem;
        state_->setModel(std::move(s));
        if (ask_for_vocabulary) {
            // Images still work; texts need a tokenizer. Say why, and offer to pick one.
            statusBar()->showMessage(tr("No tokenizer vocabulary: texts are off until one is chosen (File \u2192 Choose tokenizer vocabulary)"), 20000);
            std::fprintf(stderr, "clipscope: %s\n", vocabulary_problem.toLocal8Bit().constData());
            if (!headless_ && isVisible() &&
                QMessageBox::question(this, tr("No tokenizer vocabulary"), vocabulary_problem + "\n\n" + tr("Choose a vocabulary file now?")) == QMessageBox::Yes)
                QTimer::singleShot(0, this, &MainWindow::chooseVocabulary);
        }
        // A TextSpan result saved beside the model labels its heads (the demo model ships one).
        if (spec.isDir()) loadTextSpan(QDir(spec.absoluteFilePath()).filePath("textspan.json"), true);
        if (pending_selection_) {  // the command line's or a session's selection and ablation, once the model is there
            pending_selection_ = false;
            const QStringList head = pending_head_.split('.');
            if (head.size() == 2) state_->selectHead(head[0].toInt(), head[1] == "MLP" ? -1 : head[1].toInt());
            std::set<std::pair<int, int>> off;
            for (const QString& item : pending_ablate_.split(',', Qt::SkipEmptyParts)) {
                const QStringList lh = item.trimmed().split('.');
                if (lh.size() == 2) off.insert({lh[0].toInt(), lh[1].toInt()});
            }
            std::set<int> mlps;
            for (const QString& item : pending_mlps_.split(',', Qt::SkipEmptyParts)) mlps.insert(item.trimmed().toInt());
            state_->setAblated(off, mlps);
        }
        updateStatus();
    });
    connect(worker_, &AnalysisWorker::imageAnalysed, this, [this](ImageAnalysisPtr a) {
        if (current_ < 0 || a->path != images_.value(current_)) return;  // superseded while it ran
        state_->setAnalysis(std::move(a));
        if (state_->selectedLayer() < 0) selectStrongestHead();
        updateStatus();
    });
    connect(worker_, &AnalysisWorker::textsEmbedded, this, [this](TextEmbeddingsPtr t) {
        if (t->text_a != scores_pane_->textA() || t->text_b != scores_pane_->textB() || t->labels != scores_pane_->labels()) return;
        state_->setTexts(std::move(t));
        if (state_->selectedLayer() < 0) selectStrongestHead();
    });
    connect(worker_, &AnalysisWorker::imageSetReady, this, [this](ImageSetPtr set) {
        gallery_pane_->setIndexing(false);
        state_->setImageSet(std::move(set));
        requestNeighbours();
        updateStatus();
    });
    connect(worker_, &AnalysisWorker::progress, gallery_pane_, [this](qint64 done, qint64 total, const QString& what) {
        gallery_pane_->setIndexing(true);
        gallery_pane_->showProgress(done, total, what);
        // The status bar shows the long job's progress too, with its own Cancel.
        busy_->setRange(0, static_cast<int>(std::max<qint64>(1, total)));
        busy_->setValue(static_cast<int>(done));
        busy_->setFormat(what + " %p%");
        busy_->setTextVisible(true);
        cancel_->setVisible(true);
    });
    connect(cancel_, &QToolButton::clicked, worker_, &AnalysisWorker::cancelJob);
    connect(worker_, &AnalysisWorker::cancelled, this, [this](const QString& what) {
        endGalleryJob(what);
        statusBar()->showMessage(tr("%1: cancelled").arg(what), 8000);
    });
    connect(worker_, &AnalysisWorker::neighboursFound, gallery_pane_, &GalleryPane::showNeighbours);
    connect(gallery_pane_, &GalleryPane::indexFolderRequested, this, &MainWindow::indexImageSet);
    connect(gallery_pane_, &GalleryPane::textSpanRequested, this, [this](const QString& file) {
        gallery_pane_->setIndexing(true);
        worker_->computeTextSpan(file);
    });
    connect(worker_, &AnalysisWorker::textSpanReady, this, [this](const HeadLabels& labels, const QString& saved) {
        gallery_pane_->setIndexing(false);
        grid_model_->setHeadLabels(labels);
        detail_pane_->refresh();
        statusBar()->showMessage(tr("TextSpan labels for %1 heads (saved to %2)").arg(labels.size()).arg(saved), 8000);
    });
    connect(gallery_pane_, &GalleryPane::cancelRequested, worker_, &AnalysisWorker::cancelJob);
    connect(gallery_pane_, &GalleryPane::queryChanged, this, &MainWindow::requestNeighbours);
    connect(gallery_pane_, &GalleryPane::openImageRequested, this, &MainWindow::openFromGallery);
    connect(state_, &ViewState::analysisChanged, this, &MainWindow::requestNeighbours);
    connect(state_, &ViewState::selectionChanged, this, &MainWindow::requestNeighbours);
    connect(worker_, &AnalysisWorker::failed, this, &MainWindow::onFailed);
    connect(worker_, &AnalysisWorker::busyChanged, this, &MainWindow::onBusy);
    connect(state_, &ViewState::liveChanged, this, &MainWindow::updateStatus);
    buildMenus();
}

MainWindow::~MainWindow() { delete worker_; }

QStringList MainWindow::paneNames() { return {"window", "canvas", "grid", "head", "scores", "gallery"}; }

QWidget* MainWindow::pane(const QString& name) {
    if (name == "window") return this;
    if (name == "canvas") return canvas_pane_;
    if (name == "grid") return grid_pane_;
    if (name == "head") return detail_pane_;
    if (name == "scores") return scores_pane_;
    if (name == "gallery") return gallery_pane_;
    return nullptr;
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open images\u2026"), QKeySequence::Open, this, [this] {
        const QStringList paths = QFileDialog::getOpenFileNames(this, tr("Open images"), {}, tr("Images (*.png *.jpg *.jpeg *.gif *.bmp *.webp *.tif *.tiff *.ppm *.pgm)"));
        if (!paths.isEmpty()) openImages(paths);
    });
    file->addAction(tr("Open &folder of images\u2026"), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a folder of images"));
        if (!dir.isEmpty()) openImages({dir});
    });
    file->addAction(tr("Open &model folder\u2026"), QKeySequence(tr("Ctrl+Shift+O")), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a model folder (open_clip or transformers layout)"));
        if (!dir.isEmpty()) loadModel(dir);
    });
    file->addAction(tr("Open model &file\u2026"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open a model file (OpenAI .pt)"), {}, tr("Models (*.pt *.safetensors);;All files (*)"));
        if (!path.isEmpty()) loadModel(path);
    });
    file->addAction(tr("Open model by &name\u2026"), this, [this] {
        bool ok = false;
        const QString spec = QInputDialog::getText(this, tr("Open model"), tr("Folder, .pt file, hf-hub:ORG/NAME or random:ARCH"), QLineEdit::Normal, {}, &ok);
        if (ok && !spec.trimmed().isEmpty()) loadModel(spec.trimmed());
    });
    file->addAction(tr("&Get a model (Hugging Face)\u2026"), QKeySequence(tr("Ctrl+Shift+G")), this, [this] {
        auto* dialog = new ModelHubDialog(this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog, &ModelHubDialog::modelChosen, this, [this](const QString& spec) { loadModel(spec); });
        dialog->open();
    });
    file->addAction(tr("Use the &demo model"), this, [this] { loadModel({}); });
    QMenu* recent = file->addMenu(tr("&Recent models"));
    connect(recent, &QMenu::aboutToShow, this, [this, recent] {
        recent->clear();
        for (const QString& spec : QSettings().value("recentModels").toStringList()) recent->addAction(spec, this, [this, spec] { loadModel(spec); });
    });
    file->addAction(tr("Choose tokenizer &vocabulary\u2026"), this, &MainWindow::chooseVocabulary);
    file->addAction(tr("Load &TextSpan labels\u2026"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("TextSpan result (clipscope-cli textspan --out R.json)"), {}, tr("JSON (*.json)"));
        if (!path.isEmpty()) loadTextSpan(path, false);
    });
    file->addSeparator();
    file->addAction(tr("Open &session\u2026"), QKeySequence(tr("Ctrl+Shift+S")), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open session"), {}, tr("ClipScope sessions (*.clipscope.json *.json)"));
        if (path.isEmpty()) return;
        SessionData s;
        const QString error = read_session(path, s);
        if (!error.isEmpty()) onFailed(tr("Opening the session"), error);
        else applySession(s);
    });
    file->addAction(tr("&Save session\u2026"), QKeySequence::Save, this, [this] {
        QString path = QFileDialog::getSaveFileName(this, tr("Save session"), "session.clipscope.json", tr("ClipScope sessions (*.clipscope.json)"));
        if (path.isEmpty()) return;
        const QString error = write_session(path, currentSession());
        if (!error.isEmpty()) onFailed(tr("Saving the session"), error);
        else statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
    });
    file->addSeparator();
    file->addAction(tr("&Export figure\u2026"), QKeySequence(tr("Ctrl+E")), this, &MainWindow::exportDialog);
    file->addAction(tr("Export &data\u2026"), QKeySequence(tr("Ctrl+Shift+E")), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Export the data behind the panes (CSV, JSON, .npy) into a folder"));
        if (dir.isEmpty()) return;
        const QString error = export_view_data(*state_, *grid_model_, gallery_pane_->neighbours(), dir);
        if (!error.isEmpty()) onFailed(tr("Exporting data"), error);
        else statusBar()->showMessage(tr("Wrote view.json, heads.csv, scores.csv, map.npy to %1").arg(dir), 5000);
    });
    file->addAction(tr("&Paste image"), QKeySequence::Paste, this, &MainWindow::pasteImage);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* go = menuBar()->addMenu(tr("&Go"));
    go->addAction(tr("&Next image"), QKeySequence(Qt::CTRL | Qt::Key_Right), this, [this] {
        if (current_ + 1 < images_.size()) showImage(current_ + 1);
    });
    go->addAction(tr("&Previous image"), QKeySequence(Qt::CTRL | Qt::Key_Left), this, [this] {
        if (current_ > 0) showImage(current_ - 1);
    });
    QMenu* ablation = menuBar()->addMenu(tr("&Ablation"));
    ablation->addAction(tr("Toggle the selected head"), QKeySequence(tr("Ctrl+T")), this, [this] {
        if (state_->selectedLayer() < 0) return;
        if (state_->selectedHead() < 0) state_->toggleMlp(state_->selectedLayer());
        else state_->toggleHead(state_->selectedLayer(), state_->selectedHead());
    });
    ablation->addAction(tr("&Clear"), QKeySequence(tr("Ctrl+Shift+C")), state_, &ViewState::clearAblation);
    QMenu* view = menuBar()->addMenu(tr("&View"));
    for (QDockWidget* d : findChildren<QDockWidget*>()) view->addAction(d->toggleViewAction());
    QAction* dark = view->addAction(tr("&Dark palette"));
    dark->setCheckable(true);
    dark->setChecked(QSettings().value("darkPalette", false).toBool());
    connect(dark, &QAction::toggled, this, [](bool on) {
        QSettings().setValue("darkPalette", on);
        apply_palette(on);
    });
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Model information"), this, [this] {
        const auto& m = state_->model();
        if (!m) return;
        QMessageBox::information(this, tr("Model"),
                                 tr("<b>%1</b><br>%2<br>format: %3<br>%4 layers \u00d7 %5 heads, %6\u00d7%6 patches, %7-d joint space<br>"
                                    "%8 parameters, logit scale %9<br>loaded in %10 s")
                                     .arg(m->name.toHtmlEscaped(), m->spec.toHtmlEscaped(), m->format)
                                     .arg(m->layers).arg(m->heads).arg(m->grid).arg(m->embed_dim)
                                     .arg(m->parameters).arg(m->logit_scale, 0, 'f', 2).arg(m->load_seconds, 0, 'f', 2));
    });
    help->addAction(tr("&About ClipScope"), this, [this] {
        QMessageBox::about(this, tr("About ClipScope"),
                           tr("<b>ClipScope</b> %1<br>Inside CLIP's image representation: every image embedding as the sum of "
                              "its heads' and MLPs' direct contributions (Gandelsman, Efros, Steinhardt, ICLR 2024).")
                               .arg(QApplication::applicationVersion()));
    });
}

void MainWindow::start(const StartupOptions& options) {
    startup_ = options;
    headless_ = options.quit_after_export;  // scripted: no dialogs, no saved layout
    startup_pending_ = true;
    if (!headless_) {
        QSettings settings;
        restoreGeometry(settings.value("geometry").toByteArray());
        restoreState(settings.value("windowState").toByteArray());
    }
    SessionData s;
    if (!options.session.isEmpty()) {
        const QString error = read_session(options.session, s);
        if (!error.isEmpty()) onFailed(tr("Opening the session"), error);
    } else {
        const bool demo = options.model.isEmpty();
        s.model = options.model;
        s.vocabulary = options.vocabulary;
        s.images = options.images;
        if (demo && !options.texts_given) s.labels = kDemoLabels;
        else s.text_a = options.text_a, s.text_b = options.text_b, s.labels = options.labels;
        s.head = options.head;
        s.ablate = options.ablate;
        // The demo opens its images and indexes its own small image set (cached), so
        // mean-ablation and the gallery work on first start.
        if (demo && s.images.isEmpty()) {
            try {
                for (const std::string& p : demo_image_paths()) s.images << QString::fromStdString(p);
            } catch (const std::exception& e) {
                onFailed(tr("Finding the demo images"), QString::fromUtf8(e.what()));
            }
        }
        if (demo) s.image_set = "demo:";
    }
    applySession(s);
    if (worker_->pending() == 0) QTimer::singleShot(0, this, &MainWindow::runStartupExports);
}

void MainWindow::applySession(const SessionData& s) {
    scores_pane_->setQuery(s.text_a, s.text_b, s.labels);
    map_source_->setCurrentIndex(std::clamp(s.map_source, 0, 1));
    opacity_->setValue(std::clamp(s.opacity, 0, 100));
    mask_->setChecked(s.segment);
    if (!s.window_state.isEmpty() && !headless_) restoreState(s.window_state);
    pending_head_ = s.head;
    pending_ablate_ = s.ablate;
    pending_mlps_ = s.ablate_mlps;
    pending_selection_ = true;
    image_set_source_.clear();  // the session's own set is indexed below, once
    loadModel(s.model, s.vocabulary);
    if (!s.images.isEmpty()) {
        openImages(s.images);
        if (s.current > 0 && s.current < images_.size()) showImage(s.current);
    }
    requestTexts();
    if (!s.image_set.isEmpty()) indexImageSet(s.image_set);
}

SessionData MainWindow::currentSession() const {
    SessionData s;
    s.model = model_spec_;
    s.vocabulary = vocabulary_;
    s.images = images_;
    s.current = std::max(0, current_);
    s.text_a = scores_pane_->textA();
    s.text_b = scores_pane_->textB();
    s.labels = scores_pane_->labels().join(", ");
    QStringList heads, mlps;
    for (const auto& [l, h] : state_->ablatedHeads()) heads << QString("%1.%2").arg(l).arg(h);
    for (int l : state_->ablatedMlps()) mlps << QString::number(l);
    s.ablate = heads.join(',');
    s.ablate_mlps = mlps.join(',');
    if (state_->selectedLayer() >= 0)
        s.head = state_->selectedHead() >= 0 ? QString("%1.%2").arg(state_->selectedLayer()).arg(state_->selectedHead()) : QString("%1.MLP").arg(state_->selectedLayer());
    s.image_set = image_set_source_;
    s.map_source = map_source_->currentIndex();
    s.opacity = opacity_->value();
    s.segment = mask_->isChecked();
    s.window_state = saveState();
    return s;
}

void MainWindow::loadModel(const QString& spec, const QString& vocabulary) {
    QString resolved = spec;
    if (resolved.isEmpty()) {
        try {
            resolved = QString::fromStdString(demo_model_directory());
        } catch (const std::exception& e) {
            onFailed(tr("Finding the demo model"), QString::fromUtf8(e.what()));
            return;
        }
    }
    // A long job for the old model (indexing, TextSpan) is of no use any more: stop it.
    worker_->cancelJob();
    model_spec_ = spec;
    vocabulary_ = vocabulary;
    worker_->loadModel(resolved, startup_.device, vocabulary);
    if (!spec.isEmpty()) {
        QSettings settings;
        QStringList recent = settings.value("recentModels").toStringList();
        recent.removeAll(spec);
        recent.prepend(spec);
        settings.setValue("recentModels", recent.mid(0, 8));
    }
    // The new model redoes the current image and texts (queued after the load, in order).
    if (current_ >= 0) worker_->analyseImage(images_[current_]);
    if (!images_.isEmpty() || !scores_pane_->labels().isEmpty()) requestTexts();
    if (!image_set_source_.isEmpty()) indexImageSet(image_set_source_);  // the same set, for this model (cached per model)
}

void MainWindow::chooseVocabulary() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Tokenizer vocabulary"), {},
                                                      tr("CLIP BPE vocabulary (vocab.json bpe_simple_vocab_16e6.txt.gz);;All files (*)"));
    if (path.isEmpty()) return;
    loadModel(model_spec_, path);  // vocab.json needs merges.txt beside it; the loader says so if not
}

void MainWindow::indexImageSet(const QString& source) {
    image_set_source_ = source;
    const QString cache = QStandardPaths::writableLocation(QStandardPaths::CacheLocation);
    gallery_pane_->setIndexing(true);
    worker_->indexImageSet(source, cache);
}

void MainWindow::requestNeighbours() {
    const auto& a = state_->analysis();
    const auto& m = state_->model();
    if (!a || !m || !state_->imageSet()) return;
    const int by = gallery_pane_->by();
    const int layer = state_->selectedLayer() >= 0 ? state_->selectedLayer() : static_cast<int>(m->layers) - 1;
    const int head = std::max(0, state_->selectedHead());  // the MLP column has no head: its layer's first head
    const Decomposition& d = *a->decomposition;
    const FloatArray heads_row({m->layers, m->heads, m->embed_dim}, std::vector<float>(d.heads.data.begin(), d.heads.data.begin() + m->layers * m->heads * m->embed_dim));
    const FloatArray embedding_row({m->embed_dim}, std::vector<float>(d.embedding.data.begin(), d.embedding.data.begin() + m->embed_dim));
    NeighborQuery q;
    q.by = by == 0 ? NeighborQuery::By::Head : by == 1 ? NeighborQuery::By::Layer : NeighborQuery::By::Embedding;
    q.layer = layer;
    q.head = head;
    worker_->findNeighbours(neighbor_key(heads_row, embedding_row, q), q, 16);
}

void MainWindow::pasteImage() {
    // A pasted bitmap is saved as PNG in the cache (the worker reads files), then opened.
    const QImage image = QGuiApplication::clipboard()->image();
    if (image.isNull()) {
        onFailed(tr("Pasting"), tr("the clipboard holds no image"));
        return;
    }
    const QDir cache(QStandardPaths::writableLocation(QStandardPaths::CacheLocation));
    cache.mkpath("pasted");
    const QString path = cache.filePath(QString("pasted/%1.png").arg(QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss-zzz")));
    if (!image.save(path)) {
        onFailed(tr("Pasting"), tr("%1: could not save the pasted image").arg(path));
        return;
    }
    openFromGallery(path);
}

void MainWindow::openFromGallery(const QString& path) {
    int index = images_.indexOf(path);
    if (index < 0) {
        images_ << path;
        addStripItem(path);
        strip_->setVisible(images_.size() > 1);
        index = static_cast<int>(images_.size()) - 1;
    }
    showImage(index);
}

void MainWindow::loadTextSpan(const QString& path, bool quiet_if_missing) {
    if (quiet_if_missing && !QFileInfo::exists(path)) return;
    HeadLabels labels;
    QString error;
    if (!read_textspan_labels(path, labels, error)) {
        onFailed(tr("Reading TextSpan labels"), error);
        return;
    }
    grid_model_->setHeadLabels(labels);
    detail_pane_->refresh();
    statusBar()->showMessage(tr("Head labels from %1 (%2 heads)").arg(QFileInfo(path).fileName()).arg(labels.size()), 5000);
}

void MainWindow::openImages(const QStringList& paths) {
    QStringList files;
    for (const QString& p : paths) {
        const QFileInfo info(p);
        if (info.isDir()) {
            for (const QFileInfo& f : QDir(p).entryInfoList(QDir::Files, QDir::Name))
                if (kImageSuffixes.contains(f.suffix().toLower())) files << f.absoluteFilePath();
        } else {
            files << info.absoluteFilePath();
        }
    }
    if (files.isEmpty()) {
        onFailed(tr("Opening images"), tr("no image files in %1").arg(paths.join(", ")));
        return;
    }
    images_ = files;
    strip_->blockSignals(true);
    strip_->clear();
    for (const QString& f : files) addStripItem(f);
    strip_->blockSignals(false);
    strip_->setVisible(files.size() > 1);
    current_ = -1;
    showImage(0);
}

void MainWindow::addStripItem(const QString& path) {
    auto* item = new QListWidgetItem(QIcon(path), QString());  // icons only: names are in the tooltip and the title
    item->setToolTip(path);
    strip_->addItem(item);
}

void MainWindow::showImage(int index) {
    current_ = index;
    strip_->blockSignals(true);
    strip_->setCurrentRow(index);
    strip_->blockSignals(false);
    worker_->analyseImage(images_[index]);
    statusBar()->showMessage(tr("Analysing %1\u2026").arg(QFileInfo(images_[index]).fileName()));
}

void MainWindow::selectStrongestHead() {
    // A first look that shows something: the head that pushes hardest along the direction.
    const LiveResult& live = state_->live();
    if (!live.valid || live.parts.heads.empty() || !state_->model()) return;
    const auto top = std::max_element(live.parts.heads.begin(), live.parts.heads.end()) - live.parts.heads.begin();
    state_->selectHead(static_cast<int>(top / state_->model()->heads), static_cast<int>(top % state_->model()->heads));
}

void MainWindow::requestTexts() {
    // A model without a vocabulary (e.g. random:ARCH) still decomposes images; texts would only fail.
    if (state_->model() && !state_->model()->has_vocabulary) return;
    worker_->embedTexts(scores_pane_->textA(), scores_pane_->textB(), scores_pane_->labels());
}

void MainWindow::endGalleryJob(const QString& what) {
    if (what.startsWith("Indexing") || what.startsWith("Computing TextSpan")) gallery_pane_->setIndexing(false);
}

void MainWindow::onFailed(const QString& what, const QString& message) {
    endGalleryJob(what);
    ++failures_;
    const QString text = what + ": " + message;
    std::fprintf(stderr, "clipscope: %s\n", text.toLocal8Bit().constData());
    statusBar()->showMessage(text, 15000);
    if (!headless_ && isVisible()) QMessageBox::warning(this, what, message);
}

void MainWindow::onBusy(bool busy) {
    busy_->setVisible(busy);
    if (!busy) {
        busy_->setRange(0, 0);  // back to indeterminate for short jobs
        busy_->setTextVisible(false);
        cancel_->setVisible(false);
    }
    if (!busy && startup_pending_) QTimer::singleShot(0, this, &MainWindow::runStartupExports);
}

void MainWindow::updateStatus() {
    const auto& m = state_->model();
    status_model_->setText(m ? tr("%1 \u00b7 %2 layers \u00d7 %3 heads \u00b7 %4").arg(m->name).arg(m->layers).arg(m->heads).arg(m->format) : tr("no model"));
    const LiveResult& live = state_->live();
    const auto& a = state_->analysis();
    if (a) {
        status_check_->setText(tr("decomposed in %1 s \u00b7 sum of parts = embedding (max error %2) \u00b7 live update %3 ms")
                                   .arg(a->seconds, 0, 'f', 2)
                                   .arg(live.sum_error, 0, 'g', 2)
                                   .arg(live.compute_ms, 0, 'f', 1));
        statusBar()->clearMessage();
    }
    setWindowTitle("ClipScope \u2014 " + state_->caption());
}

void MainWindow::runStartupExports() {
    if (!startup_pending_ || worker_->pending() > 0) return;
    startup_pending_ = false;
    int code = failures_ > 0 ? 1 : 0;
    QApplication::processEvents();  // let the panes repaint with the final state
    if (!startup_.export_data.isEmpty()) {
        const QString error = export_view_data(*state_, *grid_model_, gallery_pane_->neighbours(), startup_.export_data);
        std::fprintf(stderr, "clipscope: %s\n", (error.isEmpty() ? "wrote the view's data to " + startup_.export_data : "export data: " + error).toLocal8Bit().constData());
        if (!error.isEmpty()) code = 1;
    }
    for (const auto& [name, file] : startup_.exports) {
        QWidget* w = pane(name);
        const QString error = w ? export_widget(w, file, state_->caption(), startup_.export_scale) : tr("unknown or unavailable pane '%1' (%2)").arg(name, paneNames().join(", "));
        if (!error.isEmpty()) {
            std::fprintf(stderr, "clipscope: export %s: %s\n", name.toLocal8Bit().constData(), error.toLocal8Bit().constData());
            code = 1;
        } else {
            std::fprintf(stderr, "clipscope: wrote %s (%s)\n", file.toLocal8Bit().constData(), name.toLocal8Bit().constData());
        }
    }
    Q_EMIT exportsDone(code);
}

void MainWindow::exportDialog() {
    bool ok = false;
    const QString name = QInputDialog::getItem(this, tr("Export figure"), tr("Pane"), {"window", "canvas", "grid", "head", "scores", "gallery"}, 1, false, &ok);
    if (!ok) return;
    const QString file = QFileDialog::getSaveFileName(this, tr("Export %1").arg(name), name + ".png", tr("PNG (*.png);;SVG (*.svg);;PDF (*.pdf)"));
    if (file.isEmpty()) return;
    const double scale = QInputDialog::getDouble(this, tr("Export figure"), tr("Resolution (pixels per screen pixel; PNG and PDF)"), 2.0, 0.25, 8.0, 2, &ok);
    if (!ok) return;
    const QString error = export_widget(pane(name), file, state_->caption(), scale);
    if (!error.isEmpty()) onFailed(tr("Exporting a figure"), error);
    else statusBar()->showMessage(tr("Wrote %1").arg(file), 5000);
}

void MainWindow::saveSettings() {
    if (headless_) return;
    QSettings settings;
    settings.setValue("geometry", saveGeometry());
    settings.setValue("windowState", saveState());
}

void MainWindow::closeEvent(QCloseEvent* event) {
    saveSettings();
    event->accept();
}

}  // namespace clipscope::ui
