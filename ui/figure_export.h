#pragma once
// Writing figures: a figure (figures.h: drawn from the data, or a pane as it is on
// screen) at a chosen scale with the whole caption (model, image, direction, colour
// range, ablated heads) wrapped below it, as PNG (raster), SVG or PDF (vector). The format
// follows the file's extension; the file is written to a temporary name and renamed, so
// a failed export leaves no half file.
#include <QFont>
#include <QString>

class QWidget;

namespace clipscope::ui {

struct Figure;

// Returns "" on success, else a message naming the file and the problem.
QString export_figure(const Figure& figure, const QString& path, const QString& caption, const QFont& font,
                      double scale = 2.0);

// Returns "" on success, else a message naming the file and the problem.
QString export_widget(QWidget* widget, const QString& path, const QString& caption, double scale = 2.0);

}  // namespace clipscope::ui
