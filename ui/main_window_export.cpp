// Figure and data export from the window: the command line's headless exports once
// every job has finished, and the File -> Export figure dialog.
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMessageBox>
#include <QStatusBar>
#include <spdlog/spdlog.h>

#include "analysis_worker.h"
#include "clipscope/base/output_guard.h"
#include "data_export.h"
#include "canvas_pane.h"
#include "figure_export.h"
#include "figure_export_dialog.h"
#include "figure_panes.h"
#include "figures.h"
#include "image_canvas.h"
#include "gallery_pane.h"
#include "main_window.h"
#include "view_state.h"

namespace clipscope::ui {

// The check every CLI command makes before writing (clipscope/base/output_guard.h): a figure
// or data export never replaces an image that is open or the model's file.
QString MainWindow::outputRefusal(const QStringList& outputs, bool replace_confirmed) const {
    OutputPlan plan;
    plan.override_hint = "";  // the app has no --force
    plan.replace_confirmed = replace_confirmed;
    for (const QString& image : images_)  // one deleted since it was opened is no reason to refuse
        if (QFileInfo::exists(image)) plan.inputs.push_back(QFile::encodeName(image).toStdString());
    if (QFileInfo(model_spec_).isFile()) plan.inputs.push_back(QFile::encodeName(model_spec_).toStdString());
    for (const QString& out : outputs) plan.outputs.push_back(QFile::encodeName(out).toStdString());
    try {
        check_output_plan(plan, /*force=*/false);
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

std::optional<QString> MainWindow::confirmOutputs(const QStringList& outputs) {
    const QString refusal = outputRefusal(outputs);
    if (refusal.isEmpty() || !outputRefusal(outputs, /*replace_confirmed=*/true).isEmpty()) return refusal;
    QStringList existing;
    for (const QString& out : outputs)
        if (QFileInfo(out).isFile()) existing << QDir::toNativeSeparators(out);
    const auto answer = QMessageBox::question(
        this, tr("Replace files?"),
        tr("These files exist and were not written by ClipScope (or were changed since):\n\n%1\n\nReplace them?")
            .arg(existing.join("\n")),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer != QMessageBox::Yes) return std::nullopt;
    return outputRefusal(outputs, /*replace_confirmed=*/true);
}

void MainWindow::runStartupExports() {
    if (!startup_pending_ || worker_->pending() > 0) return;
    startup_pending_ = false;
    int code = failures_ > 0 ? 1 : 0;
    QApplication::processEvents();  // let the panes repaint with the final state
    if (!startup_.export_data.isEmpty()) {
        QString error = outputRefusal(view_data_files(startup_.export_data));
        if (error.isEmpty())
            error = export_view_data(*state_, *grid_model_, gallery_pane_->neighbors(), startup_.export_data);
        if (error.isEmpty())
            spdlog::info("wrote the view's data to {}", startup_.export_data.toStdString());
        else
            spdlog::error("export data: {}", error.toStdString());
        if (!error.isEmpty()) code = 1;
    }
    for (const auto& [name, file] : startup_.exports) {
        QString error = figure_pane_names().contains(name)
                            ? outputRefusal({file})
                            : tr("unknown pane '%1' (%2)").arg(name, figure_pane_names().join(", "));
        if (error.isEmpty())
            error = export_figure(figureOf(name), file, state_->caption(), font(), startup_.export_size);
        if (!error.isEmpty()) {
            spdlog::error("export {}: {}", name.toStdString(), error.toStdString());
            code = 1;
        } else {
            spdlog::info("wrote {} ({})", file.toStdString(), name.toStdString());
        }
    }
    Q_EMIT exportsDone(code);
}

Figure MainWindow::figureOf(const QString& name) {
    const ImageCanvas* canvas = canvas_pane_->canvas();
    const QFont font = figure_font(this->font());
    if (name == "canvas") return map_figure(*state_, canvas->overlayStyle(), canvas->opacity(), font);
    if (name == "grid") return grid_figure(*state_, *grid_model_, font);
    if (name == "sheet") return sheet_figure(*state_, *grid_model_, canvas->overlayStyle(), canvas->opacity(), font);
    return widget_figure(pane(name));
}

void MainWindow::exportDialog() {
    FigureExportDialog dialog(
        figure_pane_names(), "canvas",
        [this](const QString& name) {
            const Figure figure = figureOf(name);
            if (figure.empty()) return QSize();
            return export_logical_size(figure, figure_caption(state_->caption(), figure), font());
        },
        this);
    if (dialog.exec() != QDialog::Accepted) return;
    const std::optional<QString> refusal = confirmOutputs({dialog.file()});
    if (!refusal) return;
    QString error = *refusal;
    if (error.isEmpty())
        error = export_figure(figureOf(dialog.pane()), dialog.file(), state_->caption(), font(), dialog.size());
    if (!error.isEmpty()) {
        onFailed(tr("Exporting a figure"), error);
        return;
    }
    dialog.remember();
    statusBar()->showMessage(tr("Wrote %1").arg(dialog.file()), 5000);
}

}  // namespace clipscope::ui
