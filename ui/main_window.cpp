#include "main_window.h"

#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QImage>
#include <QLabel>
#include <QListWidget>
#include <QChartView>
#include <QMessageBox>
#include <QTableView>
#include <QProgressBar>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTimer>
#include <QToolButton>
#include <algorithm>
#include <spdlog/spdlog.h>

#include "analysis_worker.h"
#include "error_reporter.h"
#include "canvas_pane.h"
#include "clipscope/analysis/neighbors.h"
#include "clipscope/base/resources.h"
#include "clipscope/io/dataset.h"
#include "gallery_pane.h"
#include "head_detail_pane.h"
#include "head_grid_model.h"
#include "head_grid_pane.h"
#include "image_canvas.h"
#include "message_log.h"
#include "scores_pane.h"
#include "textspan_labels.h"
#include "view_state.h"

namespace clipscope::ui {

namespace {
// $XDG_CACHE_HOME/ClipScope (~/.cache/ClipScope), as the README says: image-set stores and the demo world.
QString app_cache_folder() {
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation)).filePath("ClipScope");
}

QDockWidget* dock(QMainWindow* window, const QString& title, const QString& name, QWidget* content,
                  Qt::DockWidgetArea area) {
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
    errors_ = new ErrorReporter(this);
    grid_model_ = new HeadGridModel(state_, this);

    // Centre: the canvas, its map controls and the strip of opened images.
    canvas_pane_ = new CanvasPane(state_);
    setCentralWidget(canvas_pane_);

    grid_pane_ = new HeadGridPane(state_, grid_model_);
    scores_pane_ = new ScoresPane(state_);
    detail_pane_ = new HeadDetailPane(state_, grid_model_);
    gallery_pane_ = new GalleryPane(state_);
    QDockWidget* grid_dock = dock(this, tr("Head grid"), "grid", grid_pane_, Qt::RightDockWidgetArea);
    QDockWidget* scores_dock = dock(this, tr("Texts & scores"), "scores", scores_pane_, Qt::LeftDockWidgetArea);
    QDockWidget* detail_dock = dock(this, tr("Head detail"), "detail", detail_pane_, Qt::RightDockWidgetArea);
    QDockWidget* gallery_dock =
        dock(this, tr("Image set & neighbours"), "gallery", gallery_pane_, Qt::LeftDockWidgetArea);
    auto* messages = new MessageLog;
    dock(this, tr("Messages"), "messages", messages, Qt::BottomDockWidgetArea)->hide();  // View -> Messages
    connect(statusBar(), &QStatusBar::messageChanged, messages, &MessageLog::add);
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

    connect(canvas_pane_->canvas(), &ImageCanvas::filesDropped, this, &MainWindow::openImages);
    connect(canvas_pane_->strip(), &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0 && row != current_) showImage(row);
    });
    connect(scores_pane_, &ScoresPane::queryChanged, this, &MainWindow::requestTexts);
    connect(worker_, &AnalysisWorker::modelLoaded, this, [this](ModelSummaryPtr s) {
        state_->clearPending("model");
        errors_->resolved("Loading the model");
        const QFileInfo spec(s->spec);
        // A vision-only checkpoint has no text tower: no vocabulary would help, so none is asked for.
        // Nor for a tokenizer ClipScope does not implement (MetaCLIP 2): CLIP's vocabulary would be wrong.
        const bool ask_for_vocabulary = !s->has_vocabulary && s->has_text_tower && s->tokenizer_unsupported.isEmpty() &&
                                        s->text_embeddings.isEmpty() && !s->spec.startsWith("random:");
        if (!s->has_text_tower && s->text_embeddings.isEmpty())
            statusBar()->showMessage(
                (s->text_unavailable.isEmpty() ? tr("Vision-only checkpoint") : tr("Text tower not run")) +
                    tr(": images, heads and neighbours work; texts are off unless given as files "
                       "(--text-embeddings T.npy --texts FILE)"),
                20000);
        else if (!s->tokenizer_unsupported.isEmpty() && s->text_embeddings.isEmpty())
            statusBar()->showMessage(
                s->tokenizer_unsupported +
                    tr(": texts are off unless given as files (--text-embeddings T.npy --texts FILE)"),
                20000);
        else if (!s->text_embeddings.isEmpty())
            statusBar()->showMessage(tr("Texts come from %1, not from a text tower").arg(s->text_embeddings), 20000);
        const QString vocabulary_problem = s->vocabulary_problem;
        state_->setModel(std::move(s));
        if (ask_for_vocabulary) {
            // Images still work; texts need a tokenizer. Say why, and offer to pick one.
            statusBar()->showMessage(tr("No tokenizer vocabulary: texts are off until one is chosen (Model \u2192 "
                                        "Choose tokenizer vocabulary)"),
                                     20000);
            spdlog::warn("{}", vocabulary_problem.toStdString());
            if (!headless_ && isVisible() &&
                QMessageBox::question(this, tr("No tokenizer vocabulary"),
                                      vocabulary_problem + "\n\n" + tr("Choose a vocabulary file now?")) ==
                    QMessageBox::Yes)
                QTimer::singleShot(0, this, &MainWindow::chooseVocabulary);
        }
        // A TextSpan result saved beside the model labels its heads (the demo model ships one).
        if (spec.isDir()) loadTextSpan(QDir(spec.absoluteFilePath()).filePath("textspan.json"), true);
        if (pending_selection_) {  // the command line's or a session's selection and ablation, once the model is there
            pending_selection_ = false;
            applyPendingSelection(static_cast<int>(state_->model()->layers), static_cast<int>(state_->model()->heads));
        }
        updateStatus();
    });
    image_ticker_ = new QTimer(this);
    image_ticker_->setInterval(1000);
    connect(image_ticker_, &QTimer::timeout, this, &MainWindow::refreshImagePending);
    connect(worker_, &AnalysisWorker::imageStep, this, &MainWindow::showImageStep);
    connect(worker_, &AnalysisWorker::imageAnalysed, this, [this](ImageAnalysisPtr a) {
        if (current_ < 0 || a->path != images_.value(current_)) return;  // superseded while it ran
        image_ticker_->stop();
        state_->clearPending("image");
        errors_->resolved("Analysing the image");
        state_->setAnalysis(std::move(a));
        if (state_->selectedLayer() < 0) selectStrongestHead();
        updateStatus();
        remapIfStale();  // the texts changed while the image ran
    });
    connect(worker_, &AnalysisWorker::textsEmbedded, this, [this](TextEmbeddingsPtr t) {
        if (t->text_a != scores_pane_->textA() || t->text_b != scores_pane_->textB() ||
            t->labels != scores_pane_->labels())
            return;
        state_->clearPending("texts");
        errors_->resolved("Embedding the texts");
        if (!t->labels_note.isEmpty()) statusBar()->showMessage(t->labels_note, 20000);
        state_->setTexts(std::move(t));
        if (state_->selectedLayer() < 0) selectStrongestHead();
        remapIfStale();
    });
    connect(worker_, &AnalysisWorker::imageSetReady, this, [this](ImageSetPtr set) {
        gallery_pane_->setIndexing(false);
        state_->setImageSet(std::move(set));
        requestNeighbors();
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
    connect(worker_, &AnalysisWorker::neighborsFound, gallery_pane_, &GalleryPane::showNeighbors);
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
    connect(gallery_pane_, &GalleryPane::queryChanged, this, &MainWindow::requestNeighbors);
    connect(gallery_pane_, &GalleryPane::openImageRequested, this, &MainWindow::openFromGallery);
    connect(state_, &ViewState::analysisChanged, this, &MainWindow::requestNeighbors);
    connect(state_, &ViewState::selectionChanged, this, &MainWindow::requestNeighbors);
    connect(worker_, &AnalysisWorker::failed, this, &MainWindow::onFailed);
    connect(worker_, &AnalysisWorker::busyChanged, this, &MainWindow::onBusy);
    connect(state_, &ViewState::liveChanged, this, &MainWindow::updateStatus);
    // While a request is on its way, the panes showing the previous result grey out.
    connect(state_, &ViewState::pendingChanged, this, [this] {
        const bool pending = state_->isPending();
        grid_pane_->table()->setEnabled(!pending);
        detail_pane_->setEnabled(!pending);
        scores_pane_->chartView()->setEnabled(!pending);
        updateStatus();
    });
    buildMenus();
}

MainWindow::~MainWindow() { delete worker_; }

QWidget* MainWindow::pane(const QString& name) {
    if (name == "window") return this;
    if (name == "canvas") return canvas_pane_;
    if (name == "grid") return grid_pane_;
    if (name == "head") return detail_pane_;
    if (name == "scores") return scores_pane_;
    if (name == "gallery") return gallery_pane_;
    return nullptr;
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
    worker_->loadModel(resolved, startup_.device, vocabulary,
                       startup_.allow_unknown_config_fields || unknown_fields_allowed_.contains(spec),
                       // The files hold one model's text embeddings: they serve the model they came with.
                       spec == startup_.model ? startup_.text_files : TextEmbeddingFiles{});
    state_->setPending("model", tr("Loading %1").arg(QFileInfo(resolved).fileName()));
    if (!spec.isEmpty()) {
        QSettings settings;
        QStringList recent = settings.value("recentModels").toStringList();
        recent.removeAll(spec);
        recent.prepend(spec);
        settings.setValue("recentModels", recent.mid(0, 8));
    }
    // The new model redoes the current image and texts (queued after the load, in order).
    if (current_ >= 0) showImage(current_);
    if (!images_.isEmpty() || !scores_pane_->labels().isEmpty()) requestTexts();
    if (!image_set_source_.isEmpty())
        indexImageSet(image_set_source_);  // the same set, for this model (cached per model)
}

void MainWindow::chooseVocabulary() {
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Tokenizer vocabulary"), {},
        tr("CLIP BPE vocabulary (vocab.json bpe_simple_vocab_16e6.txt.gz);;All files (*)"));
    if (path.isEmpty()) return;
    loadModel(model_spec_, path);  // vocab.json needs merges.txt beside it; the loader says so if not
}

void MainWindow::indexImageSet(const QString& source) {
    image_set_source_ = source;
    const QString cache = app_cache_folder();
    gallery_pane_->setIndexing(true);
    worker_->indexImageSet(source, cache);
}

void MainWindow::requestNeighbors() {
    const auto& a = state_->analysis();
    const auto& m = state_->model();
    if (!a || !m || !state_->imageSet()) return;
    const int by = gallery_pane_->by();
    // The MLP column (and the pooling row) have no head of their own: the layer's first head, the last layer's.
    const int layer = state_->selectedLayer() >= 0 && state_->selectedLayer() < m->layers
                          ? state_->selectedLayer()
                          : static_cast<int>(m->layers) - 1;
    const int head = std::max(0, state_->selectedHead());
    const Decomposition& d = *a->decomposition;
    const FloatArray heads_row(
        {m->layers, m->heads, m->embed_dim},
        std::vector<float>(d.heads.data.begin(), d.heads.data.begin() + m->layers * m->heads * m->embed_dim));
    const FloatArray embedding_row(
        {m->embed_dim}, std::vector<float>(d.embedding.data.begin(), d.embedding.data.begin() + m->embed_dim));
    NeighborQuery q;
    q.by = by == 0 ? NeighborQuery::By::Head : by == 1 ? NeighborQuery::By::Layer : NeighborQuery::By::Embedding;
    q.layer = layer;
    q.head = head;
    worker_->findNeighbors(neighbor_key(heads_row, embedding_row, q), q, GalleryPane::kShown + 1);
}

void MainWindow::pasteImage() {
    // A pasted bitmap is saved as PNG in the cache (the worker reads files), then opened.
    const QImage image = QGuiApplication::clipboard()->image();
    if (image.isNull()) {
        onFailed(tr("Pasting"), tr("the clipboard holds no image"));
        return;
    }
    const QDir cache(app_cache_folder());
    cache.mkpath("pasted");
    const QString path =
        cache.filePath(QString("pasted/%1.png").arg(QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss-zzz")));
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
        canvas_pane_->strip()->setVisible(images_.size() > 1);
        index = static_cast<int>(images_.size()) - 1;
    }
    showImage(index);
}

void MainWindow::loadTextSpan(const QString& path, bool quiet_if_missing) {
    if (quiet_if_missing && !QFileInfo::exists(path)) return;
    HeadLabels labels;
    QString error;
    const ModelSummaryPtr model = state_->model();
    if (!read_textspan_labels(path, labels, error, model ? model->architecture : QString(), model ? model->layers : 0,
                              model ? model->heads : 0)) {
        onFailed(tr("Reading TextSpan labels"), error);
        return;
    }
    grid_model_->setHeadLabels(labels);
    detail_pane_->refresh();
    statusBar()->showMessage(tr("Head labels from %1 (%2 heads)").arg(QFileInfo(path).fileName()).arg(labels.size()),
                             5000);
}

void MainWindow::openImages(const QStringList& paths) {
    QStringList files;
    for (const QString& p : paths) {
        const QFileInfo info(p);
        if (info.isDir()) {
            for (const QFileInfo& f : QDir(p).entryInfoList(QDir::Files, QDir::Name))
                if (is_image_file(f.fileName().toStdString())) files << f.absoluteFilePath();
        } else {
            files << info.absoluteFilePath();
        }
    }
    if (files.isEmpty()) {
        onFailed(tr("Opening images"), tr("no image files in %1").arg(paths.join(", ")));
        return;
    }
    images_ = files;
    canvas_pane_->strip()->blockSignals(true);
    canvas_pane_->strip()->clear();
    for (const QString& f : files) addStripItem(f);
    canvas_pane_->strip()->blockSignals(false);
    canvas_pane_->strip()->setVisible(files.size() > 1);
    current_ = -1;
    showImage(0);
}

void MainWindow::addStripItem(const QString& path) {
    auto* item = new QListWidgetItem(QIcon(path), QString());  // icons only: names are in the tooltip and the title
    item->setToolTip(path);
    canvas_pane_->strip()->addItem(item);
}

void MainWindow::showImage(int index) {
    current_ = index;
    canvas_pane_->strip()->blockSignals(true);
    canvas_pane_->strip()->setCurrentRow(index);
    canvas_pane_->strip()->blockSignals(false);
    worker_->analyseImage(images_[index], state_->texts());
    image_clock_.start();
    image_step_ = tr("Decomposing %1").arg(QFileInfo(images_[index]).fileName());
    refreshImagePending();
    image_ticker_->start();
}

void MainWindow::remapIfStale() {
    // A projected decomposition holds maps toward the texts it ran with only: it is shown
    // without a map, and run again, when those are not the current texts.
    const ImageAnalysisPtr& shown = state_->analysis();
    if (shown && shown->projected && state_->texts() && shown->map_texts != state_->texts() && current_ >= 0 &&
        shown->path == images_.value(current_))
        showImage(current_);
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
    state_->setPending("texts", tr("Embedding the texts"));
}

void MainWindow::closeEvent(QCloseEvent* event) {
    saveSettings();
    event->accept();
}

}  // namespace clipscope::ui
