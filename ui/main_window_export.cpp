// Figure and data export from the window: the command line's headless exports once
// every job has finished, and the File -> Export figure dialog.
#include <QApplication>
#include <QFileDialog>
#include <QInputDialog>
#include <QStatusBar>
#include <spdlog/spdlog.h>

#include "analysis_worker.h"
#include "data_export.h"
#include "figure_export.h"
#include "figure_panes.h"
#include "gallery_pane.h"
#include "main_window.h"
#include "view_state.h"

namespace clipscope::ui {

void MainWindow::runStartupExports() {
    if (!startup_pending_ || worker_->pending() > 0) return;
    startup_pending_ = false;
    int code = failures_ > 0 ? 1 : 0;
    QApplication::processEvents();  // let the panes repaint with the final state
    if (!startup_.export_data.isEmpty()) {
        const QString error = export_view_data(*state_, *grid_model_, gallery_pane_->neighbors(), startup_.export_data);
        if (error.isEmpty())
            spdlog::info("wrote the view's data to {}", startup_.export_data.toStdString());
        else
            spdlog::error("export data: {}", error.toStdString());
        if (!error.isEmpty()) code = 1;
    }
    for (const auto& [name, file] : startup_.exports) {
        QWidget* w = pane(name);
        const QString error = w ? export_widget(w, file, state_->caption(), startup_.export_scale)
                                : tr("unknown or unavailable pane '%1' (%2)").arg(name, figure_pane_names().join(", "));
        if (!error.isEmpty()) {
            spdlog::error("export {}: {}", name.toStdString(), error.toStdString());
            code = 1;
        } else {
            spdlog::info("wrote {} ({})", file.toStdString(), name.toStdString());
        }
    }
    Q_EMIT exportsDone(code);
}

void MainWindow::exportDialog() {
    bool ok = false;
    const QString name =
        QInputDialog::getItem(this, tr("Export figure"), tr("Pane"), figure_pane_names(), 1, false, &ok);
    if (!ok) return;
    const QString file = QFileDialog::getSaveFileName(this, tr("Export %1").arg(name), name + ".png",
                                                      tr("PNG (*.png);;SVG (*.svg);;PDF (*.pdf)"));
    if (file.isEmpty()) return;
    const double scale = QInputDialog::getDouble(
        this, tr("Export figure"), tr("Resolution (pixels per screen pixel; PNG and PDF)"), 2.0, 0.25, 8.0, 2, &ok);
    if (!ok) return;
    const QString error = export_widget(pane(name), file, state_->caption(), scale);
    if (!error.isEmpty())
        onFailed(tr("Exporting a figure"), error);
    else
        statusBar()->showMessage(tr("Wrote %1").arg(file), 5000);
}

}  // namespace clipscope::ui
