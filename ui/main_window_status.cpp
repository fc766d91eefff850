// The window's status: the status bar (model, self-check, timings), the busy indicator,
// failures (one report each, through ErrorReporter), and the first window's size.
#include <QCheckBox>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QStatusBar>
#include <QTimer>
#include <QToolButton>
#include <algorithm>
#include <spdlog/spdlog.h>

#include "analysis_worker.h"
#include "error_reporter.h"
#include "gallery_pane.h"
#include "main_window.h"
#include "view_state.h"

namespace clipscope::ui {

QSize initial_window_size(const QSize& available) {
    if (available.isEmpty()) return {1280, 820};
    return {std::min(1280, static_cast<int>(available.width() * 0.92)),
            std::min(820, static_cast<int>(available.height() * 0.90))};
}

void MainWindow::endGalleryJob(const QString& what) {
    if (what.startsWith("Indexing") || what.startsWith("Computing TextSpan")) gallery_pane_->setIndexing(false);
}

void MainWindow::onFailed(const QString& what, const QString& message) {
    endGalleryJob(what);
    if (what.startsWith("Analysing")) {
        image_ticker_->stop();
        state_->clearPending("image");
    }
    if (what.startsWith("Embedding")) state_->clearPending("texts");
    if (what.startsWith("Loading")) state_->clearPending("model");
    if (what.startsWith("Loading") && offerUnknownConfigFields(message)) return;
    ++failures_;
    const QString text = what + ": " + message;
    spdlog::error("{}", text.toStdString());
    errors_->setInteractive(!headless_);
    errors_->report(what, message);
    // The status bar names the first current problem (the root cause), not the latest echo of it.
    const QStringList current = errors_->current();
    statusBar()->showMessage(current.isEmpty() ? text : current.first(), 15000);
}

bool MainWindow::offerUnknownConfigFields(const QString& message) {
    // The loader's refusal names the flag; only that refusal gets the checkbox.
    const QString spec = model_spec_;
    if (headless_ || !isVisible() || !message.contains("--allow-unknown-config-fields") ||
        startup_.allow_unknown_config_fields || unknown_fields_allowed_.contains(spec))
        return false;
    QMessageBox box(QMessageBox::Warning, tr("Loading the model"), message, QMessageBox::Ok, this);
    box.setInformativeText(
        tr("The field may change what the model computes, so ClipScope's numbers may not be "
           "the model's. Loaded anyway, every figure caption, export and store names it."));
    auto* anyway = new QCheckBox(tr("Load anyway, recording the unknown fields"), &box);
    box.setCheckBox(anyway);
    box.exec();
    if (!anyway->isChecked()) {
        spdlog::error("Loading the model: {}", message.toStdString());
        statusBar()->showMessage(tr("Loading the model: %1").arg(message), 15000);
        ++failures_;
        return true;
    }
    unknown_fields_allowed_.insert(spec);
    spdlog::warn("loading {} with unknown config fields allowed", spec.toStdString());
    loadModel(spec, vocabulary_);
    return true;
}

void MainWindow::showImageStep(const QString& path, int step, int steps, const QString& what, int percent) {
    if (current_ < 0 || path != images_.value(current_)) return;  // an image the user has moved on from
    image_step_ = tr("%1 \u00b7 step %2 of %3").arg(what).arg(step).arg(steps);
    if (percent >= 0) image_step_ += tr(" \u00b7 %1 %").arg(percent);
    refreshImagePending();
}

void MainWindow::refreshImagePending() {
    const qint64 ms = image_clock_.isValid() ? image_clock_.elapsed() : 0;
    state_->setPending("image", ms < 1000 ? image_step_ : tr("%1 \u00b7 %2 s").arg(image_step_).arg(ms / 1000));
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
    status_model_->setText(
        m ? tr("%1 \u00b7 %2 layers \u00d7 %3 heads \u00b7 %4").arg(m->name).arg(m->layers).arg(m->heads).arg(m->format)
          : tr("no model"));
    const LiveResult& live = state_->live();
    const auto& a = state_->analysis();
    if (a) {
        status_check_->setText(
            tr("decomposed in %1 s \u00b7 sum of parts = embedding (max error %2) \u00b7 live update %3 ms")
                .arg(a->seconds, 0, 'f', 2)
                .arg(live.sum_error, 0, 'g', 2)
                .arg(live.compute_ms, 0, 'f', 1));
        statusBar()->clearMessage();
    }
    setWindowTitle("ClipScope \u2014 " + state_->caption() +
                   (state_->isPending() ? " (" + state_->pendingText() + "\u2026)" : QString()));
}

}  // namespace clipscope::ui
