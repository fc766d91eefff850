#pragma once
// The panes a figure can show, by the names used on the command line
// (--export-figure PANE=FILE), in the export dialog and in help texts: one table.
#include <QList>
#include <QString>
#include <QStringList>

namespace clipscope::ui {

struct FigurePane {
    QString name;   // "canvas"
    QString title;  // "the image with its map"
};

const QList<FigurePane>& figure_panes();
QStringList figure_pane_names();
// "window, canvas, grid, head, scores or gallery"
QString figure_pane_names_text();

}  // namespace clipscope::ui
