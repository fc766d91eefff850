#pragma once
// Writing figures: a figure (figures.h: drawn from the data, or a pane as it is on
// screen) at a chosen width and resolution with the whole caption (model, image, direction, colour
// range, ablated heads) wrapped below it, as PNG (raster), SVG or PDF (vector). The format
// follows the file's extension; the file is written to a temporary name and renamed, so
// a failed export leaves no half file.
#include <QFont>
#include <QSize>
#include <QString>
#include <optional>

class QWidget;

namespace clipscope::ui {

struct Figure;

// How large a figure comes out. Its layout is drawn once in logical pixels (96 to the inch)
// and scaled as a whole, so text, lines and colour bars keep their proportions at any size.
struct ExportSize {
    double dpi = 192;         // a PNG's pixels per inch (also written into it); a PDF's image detail
    double width_inches = 0;  // printed width, caption included; 0 = as drawn (logical pixels / 96)
};
// The scale of the command line's --export-scale: S pixels per logical pixel, as drawn.
ExportSize export_size_for_scale(double scale);
// "89mm", "3.5in", "8.9cm" or "1200px" (pixels at `dpi`) as inches; nullopt and a message
// naming the text when it is not a positive width with one of those units.
std::optional<double> parse_export_width(const QString& text, double dpi, QString* error);
// The same for a number and its unit ("mm", "cm", "in", "px"); nullopt outside those rules.
std::optional<double> export_width_inches(double value, const QString& unit, double dpi);

// The caption written under a figure: the view's caption and what the figure adds (its note).
QString figure_caption(const QString& caption, const Figure& figure);
// A figure's size with its caption strip, in logical pixels, and once exported.
QSize export_logical_size(const Figure& figure, const QString& caption, const QFont& font);
QSize export_pixel_size(const QSize& logical, const ExportSize& size);  // a PNG's pixels
QSizeF export_size_mm(const QSize& logical, const ExportSize& size);    // printed size (SVG, PDF, PNG at its dpi)

// Returns "" on success, else a message naming the file and the problem.
QString export_figure(const Figure& figure, const QString& path, const QString& caption, const QFont& font,
                      const ExportSize& size);
QString export_figure(const Figure& figure, const QString& path, const QString& caption, const QFont& font,
                      double scale = 2.0);

// Returns "" on success, else a message naming the file and the problem.
QString export_widget(QWidget* widget, const QString& path, const QString& caption, double scale = 2.0);

}  // namespace clipscope::ui
