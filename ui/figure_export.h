#pragma once
// Figures from any pane: the widget rendered at a chosen scale with a caption strip
// (model, image, texts, ablated heads) below it, as PNG (raster), SVG or PDF (vector
// where the widget paints vectors). The format follows the file's extension; the file
// is written to a temporary name and renamed, so a failed export leaves no half file.
#include <QString>

class QWidget;

namespace clipscope::ui {

// Returns "" on success, else a message naming the file and the problem.
QString export_widget(QWidget* widget, const QString& path, const QString& caption, double scale = 2.0);

}  // namespace clipscope::ui
