// The window's menus and their actions (File, Go, Ablation, View, Help).
#include <QAction>
#include <QApplication>
#include <QDockWidget>
#include <QDir>
#include <QFileDialog>
#include <QInputDialog>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>

#include "clipscope/io/dataset.h"
#include "data_export.h"
#include "gallery_pane.h"
#include "head_grid_model.h"
#include "main_window.h"
#include "model_hub_dialog.h"
#include "palette.h"
#include "session_file.h"
#include "view_state.h"

namespace clipscope::ui {
namespace {

// "Images (*.png *.jpg ...)" from core's one list of image suffixes.
QString image_file_filter() {
    QStringList patterns;
    for (const std::string& suffix : image_file_suffixes()) patterns << "*." + QString::fromStdString(suffix);
    return QObject::tr("Images (%1)").arg(patterns.join(' '));
}

}  // namespace

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open images\u2026"), QKeySequence::Open, this, [this] {
        const QStringList paths = QFileDialog::getOpenFileNames(this, tr("Open images"), {}, image_file_filter());
        if (!paths.isEmpty()) openImages(paths);
    });
    file->addAction(tr("Open &folder of images\u2026"), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a folder of images"));
        if (!dir.isEmpty()) openImages({dir});
    });
    // Everything about the model in one menu; File keeps images, sessions and exports.
    QMenu* model = menuBar()->addMenu(tr("&Model"));
    model->addAction(tr("Open &model folder\u2026"), QKeySequence(tr("Ctrl+Shift+O")), this, [this] {
        const QString dir =
            QFileDialog::getExistingDirectory(this, tr("Open a model folder (open_clip or transformers layout)"));
        if (!dir.isEmpty()) loadModel(dir);
    });
    model->addAction(tr("Open model &file\u2026"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open a model file (OpenAI .pt)"), {},
                                                          tr("Models (*.pt *.safetensors);;All files (*)"));
        if (!path.isEmpty()) loadModel(path);
    });
    model->addAction(tr("Open model by &name\u2026"), this, [this] {
        bool ok = false;
        const QString spec = QInputDialog::getText(
            this, tr("Open model"), tr("Folder, .pt file, hf-hub:ORG/NAME or random:ARCH"), QLineEdit::Normal, {}, &ok);
        if (ok && !spec.trimmed().isEmpty()) loadModel(spec.trimmed());
    });
    model->addAction(tr("&Get a model (Hugging Face)\u2026"), QKeySequence(tr("Ctrl+Shift+G")), this, [this] {
        auto* dialog = new ModelHubDialog(this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog, &ModelHubDialog::modelChosen, this, [this](const QString& spec) { loadModel(spec); });
        dialog->open();
    });
    model->addAction(tr("Use the &demo model"), this, [this] { loadModel({}); });
    QMenu* recent = model->addMenu(tr("&Recent models"));
    connect(recent, &QMenu::aboutToShow, this, [this, recent] {
        recent->clear();
        for (const QString& spec : QSettings().value("recentModels").toStringList())
            recent->addAction(spec, this, [this, spec] { loadModel(spec); });
    });
    model->addAction(tr("Choose tokenizer &vocabulary\u2026"), this, &MainWindow::chooseVocabulary);
    model->addAction(tr("Load &TextSpan labels\u2026"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("TextSpan result (clipscope-cli textspan --out R.json)"), {}, tr("JSON (*.json)"));
        if (!path.isEmpty()) loadTextSpan(path, false);
    });
    file->addSeparator();
    file->addAction(tr("Open &session\u2026"), QKeySequence(tr("Ctrl+Shift+S")), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open session"), {},
                                                          tr("ClipScope sessions (*.clipscope.json *.json)"));
        if (path.isEmpty()) return;
        SessionData s;
        const QString error = read_session(path, s);
        if (!error.isEmpty())
            onFailed(tr("Opening the session"), error);
        else
            applySession(s);
    });
    file->addAction(tr("&Save session\u2026"), QKeySequence::Save, this, [this] {
        QString path = QFileDialog::getSaveFileName(this, tr("Save session"), "session.clipscope.json",
                                                    tr("ClipScope sessions (*.clipscope.json)"));
        if (path.isEmpty()) return;
        const QString error = write_session(path, currentSession());
        if (!error.isEmpty())
            onFailed(tr("Saving the session"), error);
        else
            statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
    });
    file->addSeparator();
    file->addAction(tr("&Export figure\u2026"), QKeySequence(tr("Ctrl+E")), this, &MainWindow::exportDialog);
    file->addAction(tr("Export &data\u2026"), QKeySequence(tr("Ctrl+Shift+E")), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(
            this, tr("Export the data behind the panes (CSV, JSON, .npy) into a folder"));
        if (dir.isEmpty()) return;
        const std::optional<QString> refusal = confirmOutputs(view_data_files(dir));
        if (!refusal) return;
        QString error = *refusal;
        if (error.isEmpty()) error = export_view_data(*state_, *grid_model_, gallery_pane_->neighbors(), dir);
        if (!error.isEmpty())
            onFailed(tr("Exporting data"), error);
        else
            statusBar()->showMessage(tr("Wrote view.json, heads.csv, scores.csv, map.npy to %1").arg(dir), 5000);
    });
    file->addAction(tr("&Paste image"), QKeySequence::Paste, this, &MainWindow::pasteImage);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* go = menuBar()->addMenu(tr("&Go"));
    // Ctrl+Left/Right move the cursor by words in a text field, which takes them first:
    // Ctrl+PgDown/PgUp step through the images whatever has the focus.
    QAction* next = go->addAction(tr("&Next image"), this, [this] {
        if (current_ + 1 < images_.size()) showImage(current_ + 1);
    });
    next->setObjectName("nextImage");
    next->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_PageDown), QKeySequence(Qt::CTRL | Qt::Key_Right)});
    QAction* previous = go->addAction(tr("&Previous image"), this, [this] {
        if (current_ > 0) showImage(current_ - 1);
    });
    previous->setObjectName("previousImage");
    previous->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_PageUp), QKeySequence(Qt::CTRL | Qt::Key_Left)});
    QMenu* ablation = menuBar()->addMenu(tr("&Ablation"));
    ablation->addAction(tr("&Toggle the selected head"), QKeySequence(tr("Ctrl+T")), this, [this] {
        if (state_->selectedLayer() < 0) return;
        if (state_->selectedHead() < 0)
            state_->toggleMlp(state_->selectedLayer());
        else
            state_->toggleHead(state_->selectedLayer(), state_->selectedHead());
    });
    ablation->addAction(tr("&Clear all ablation"), QKeySequence(tr("Ctrl+Shift+C")), state_, &ViewState::clearAblation);
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
    model->addAction(tr("&Information about this model"), this, [this] {
        const auto& m = state_->model();
        if (!m) return;
        QMessageBox::information(
            this, tr("Model"),
            tr("<b>%1</b><br>%2<br>format: %3<br>%4 layers \u00d7 %5 heads, %6\u00d7%6 patches, %7-d joint space<br>"
               "%8 parameters, zero-shot scores: %9<br>loaded in %10 s")
                .arg(m->name.toHtmlEscaped(), m->spec.toHtmlEscaped(), m->format)
                .arg(m->layers)
                .arg(m->heads)
                .arg(m->grid)
                .arg(m->embed_dim)
                .arg(m->parameters)
                .arg(m->hasLogitScale() ? QString::fromStdString(m->scoring.description()).toHtmlEscaped() +
                                              tr(" with exp(logit_scale) = %1").arg(m->scoring.logit_scale, 0, 'f', 2) +
                                              (m->scoring.rule == ScoreRule::Sigmoid
                                                   ? tr(", logit_bias = %1").arg(m->scoring.logit_bias, 0, 'f', 3)
                                                   : QString())
                                        : tr("none (no logit scale: no text tower)"))
                .arg(m->load_seconds, 0, 'f', 2));
    });
    help->addAction(tr("&About ClipScope"), this, [this] {
        QMessageBox::about(
            this, tr("About ClipScope"),
            tr("<b>ClipScope</b> %1<br>Inside CLIP's image representation: every image embedding as the sum of "
               "its heads' and MLPs' direct contributions (Gandelsman, Efros, Steinhardt, ICLR 2024).")
                .arg(QApplication::applicationVersion()));
    });
}

}  // namespace clipscope::ui
