// What the window is showing, as a session: starting from the command line or a
// session file, applying one, and saving the current one.
#include <QSettings>
#include <QTimer>
#include <algorithm>
#include <set>

#include "analysis_worker.h"
#include "canvas_pane.h"
#include "clipscope/analysis/head_list.h"
#include "clipscope/base/error.h"
#include "clipscope/base/resources.h"
#include "main_window.h"
#include "scores_pane.h"
#include "session_file.h"
#include "view_state.h"

namespace clipscope::ui {
namespace {

const char* kDemoLabels = "circle, square, triangle, star, cross";

}  // namespace

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
        s.text_a = options.text_a;
        s.text_b = options.text_b;
        // The demo keeps its labels when only texts are given (--text does not clear them).
        s.labels = demo && !options.labels_given ? QString(kDemoLabels) : options.labels;
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
    canvas_pane_->setControls(s.map_source, s.opacity, s.segment);
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
        s.head = state_->selectedHead() >= 0 ? QString("%1.%2").arg(state_->selectedLayer()).arg(state_->selectedHead())
                                             : QString("%1.MLP").arg(state_->selectedLayer());
    s.image_set = image_set_source_;
    s.map_source = canvas_pane_->mapSource();
    s.opacity = canvas_pane_->opacity();
    s.segment = canvas_pane_->segment();
    s.window_state = saveState();
    return s;
}

// The command line's or a session's selected head and ablation, read with core's
// strict parser: a malformed or out-of-range item is reported, never taken as head 0.0.
void MainWindow::applyPendingSelection(int layers, int heads) {
    // An attention-pooled model's pooling MLP is the MLP of row `layers` ("24.MLP" on a
    // 24-layer SigLIP), in the selection and in ablate_mlps.
    const bool pooled = state_->model() && state_->model()->pooled;
    try {
        if (pooled && pending_head_.trimmed() == QString("%1.MLP").arg(layers)) {
            state_->selectHead(layers, -1);
        } else if (!pending_head_.trimmed().isEmpty()) {
            const HeadRef ref = parse_head_ref(pending_head_.toStdString(), "the selected head (--head or session)",
                                               true, layers, heads);
            state_->selectHead(static_cast<int>(ref.layer), static_cast<int>(ref.head));
        }
        std::set<std::pair<int, int>> off;
        if (!pending_ablate_.trimmed().isEmpty())
            for (const auto& [l, h] : parse_head_list(pending_ablate_.toStdString(),
                                                      "the ablated heads (--ablate or session)", layers, heads))
                off.insert({static_cast<int>(l), static_cast<int>(h)});
        std::set<int> mlps;
        for (const QString& item : pending_mlps_.split(',', Qt::SkipEmptyParts)) {
            bool ok = false;
            const int layer = item.trimmed().toInt(&ok);
            const int last = pooled ? layers : layers - 1;
            if (!ok || layer < 0 || layer > last)
                throw Error(ErrorKind::Usage, "the session's ablate_mlps takes layer numbers 0.." +
                                                  std::to_string(last) +
                                                  (pooled ? " (the last: the pooling head's MLP)" : "") + ", got '" +
                                                  item.trimmed().toStdString() + "'");
            mlps.insert(layer);
        }
        state_->setAblated(off, mlps);
    } catch (const std::exception& e) {
        onFailed(tr("Selection"), QString::fromStdString(e.what()));
    }
}

void MainWindow::saveSettings() {
    if (headless_) return;
    QSettings settings;
    settings.setValue("geometry", saveGeometry());
    settings.setValue("windowState", saveState());
}

}  // namespace clipscope::ui
