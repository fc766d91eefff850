#pragma once
// The panes a figure can show, by the names used on the command line
// (--export-figure PANE=FILE), in the export dialog and in help texts: one list.
#include <QString>
#include <QStringList>

namespace clipscope::ui {

// window, canvas, grid, sheet, head, scores, gallery (MainWindow::figureOf draws each: canvas,
// grid and sheet from the data, the others as the pane is on screen)
const QStringList& figure_pane_names();
// "window, canvas, grid, sheet, head, scores or gallery"
QString figure_pane_names_text();

}  // namespace clipscope::ui
