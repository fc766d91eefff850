#include "figure_export.h"

#include <QFile>
#include <QFileInfo>
#include <QFontInfo>
#include <QImage>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <QWidget>
#include <QStringList>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <system_error>

#include "clipscope/base/output_ledger.h"
#include "figures.h"

namespace clipscope::ui {
namespace {

// In pixels, not points: a PDF writer converts points with its own resolution (96 dpi
// times the export scale) on top of the painter's scale, so a point-sized caption came
// out `scale` times larger than the strip measured for it and was cut.
QFont caption_font(const QFont& base) {
    QFont f = base;
    if (f.pointSizeF() > 0)
        f.setPointSizeF(f.pointSizeF() * 0.9);
    else
        f.setPixelSize(std::max(1, static_cast<int>(std::lround(f.pixelSize() * 0.9))));
    return figure_font(f);
}

// The caption wraps (never elides: it names what the figure shows) in a strip below the figure.
int caption_height(const QFont& font, int width, const QString& caption) {
    const QRect box = QFontMetrics(caption_font(font))
                          .boundingRect(QRect(0, 0, std::max(40, width - 12), 10000), Qt::TextWordWrap, caption);
    return box.height() + 12;
}

void paint_figure(QPainter& p, const Figure& figure, const QFont& font, const QString& caption) {
    p.fillRect(QRect(QPoint(0, 0), figure.size), Qt::white);
    figure.paint(p);
    const int w = figure.size.width();
    const QRect strip(0, figure.size.height(), w, caption_height(font, w, caption));
    p.fillRect(strip, Qt::white);
    p.setPen(QColor(30, 30, 30));
    p.setFont(caption_font(font));
    p.drawText(strip.adjusted(6, 6, -6, -6), Qt::AlignTop | Qt::AlignLeft | Qt::TextWordWrap, caption);
}

}  // namespace

ExportSize export_size_for_scale(double scale) { return ExportSize{96.0 * scale, 0.0}; }

namespace {
const QStringList kWidthUnits = {"mm", "cm", "in", "px"};
}

std::optional<double> export_width_inches(double value, const QString& unit, double dpi) {
    const double inches = unit == "mm"   ? value / 25.4
                          : unit == "cm" ? value / 2.54
                          : unit == "in" ? value
                          : unit == "px" ? value / dpi
                                         : std::nan("");
    if (std::isfinite(inches) && inches > 0 && inches <= 200) return inches;
    return std::nullopt;
}

std::optional<double> parse_export_width(const QString& text, double dpi, QString* error) {
    const QString t = text.trimmed().toLower();
    for (const QString& unit : kWidthUnits) {
        if (!t.endsWith(unit)) continue;
        bool ok = false;
        const double value = t.chopped(unit.size()).trimmed().toDouble(&ok);
        if (ok)
            if (const auto inches = export_width_inches(value, unit, dpi)) return inches;
        break;
    }
    if (error)
        *error = QString(
                     "'%1' is not a width: give a positive number with mm, cm, in or px (e.g. 89mm, 3.5in, "
                     "1200px), at most 200 in")
                     .arg(text);
    return std::nullopt;
}

QString figure_caption(const QString& caption, const Figure& figure) {
    return figure.note.isEmpty() ? caption : caption + " \u00b7 " + figure.note;
}

QSize export_logical_size(const Figure& figure, const QString& caption, const QFont& font) {
    return {figure.size.width(), figure.size.height() + caption_height(font, figure.size.width(), caption)};
}

namespace {
double printed_inches(const QSize& logical, const ExportSize& size) {
    return size.width_inches > 0 ? size.width_inches : logical.width() / 96.0;
}
// Pixels per logical pixel in a PNG.
double pixel_factor(const QSize& logical, const ExportSize& size) {
    return printed_inches(logical, size) * size.dpi / std::max(1, logical.width());
}
}  // namespace

QSize export_pixel_size(const QSize& logical, const ExportSize& size) {
    const double f = pixel_factor(logical, size);
    return {std::max(1, static_cast<int>(std::lround(logical.width() * f))),
            std::max(1, static_cast<int>(std::lround(logical.height() * f)))};
}

QSizeF export_size_mm(const QSize& logical, const ExportSize& size) {
    const double w = printed_inches(logical, size) * 25.4;
    return {w, w * logical.height() / std::max(1, logical.width())};
}

QString export_figure(const Figure& figure, const QString& path, const QString& caption, const QFont& font,
                      double scale) {
    return export_figure(figure, path, caption, font, export_size_for_scale(scale));
}

QString export_figure(const Figure& figure, const QString& path, const QString& caption, const QFont& font,
                      const ExportSize& size) {
    if (figure.empty()) return path + ": there is nothing to draw yet (open an image first)";
    if (!(size.dpi >= 10 && size.dpi <= 2400)) return path + ": resolution outside 10 to 2400 dpi";
    const QString full_caption = figure_caption(caption, figure);
    const QString ext = QFileInfo(path).suffix().toLower();
    const QSize logical = export_logical_size(figure, full_caption, font);
    const double inches = printed_inches(logical, size);
    const QString temp = path + ".part";
    QFile::remove(temp);
    if (ext == "png" || ext == "jpg") {
        const QSize pixels = export_pixel_size(logical, size);
        if (static_cast<double>(pixels.width()) * pixels.height() > 400e6)
            return path + QString(": %1 \u00d7 %2 px is too large (at most 400 megapixels)")
                              .arg(pixels.width())
                              .arg(pixels.height());
        QImage image(pixels, QImage::Format_ARGB32);
        if (image.isNull()) return path + ": not enough memory for the image";
        image.setDevicePixelRatio(pixel_factor(logical, size));
        const int per_metre = static_cast<int>(std::lround(size.dpi / 0.0254));
        image.setDotsPerMeterX(per_metre);
        image.setDotsPerMeterY(per_metre);
        image.fill(Qt::white);
        {
            QPainter p(&image);
            p.setRenderHint(QPainter::Antialiasing);
            paint_figure(p, figure, font, full_caption);
        }
        if (!image.save(temp, ext.toUtf8().constData())) return path + ": could not write the image";
    } else if (ext == "svg") {
        // The drawing stays in logical units (the viewBox); width and height give its printed size.
        const double m = inches * 96.0 / std::max(1, logical.width());
        QSvgGenerator svg;
        svg.setFileName(temp);
        svg.setResolution(96);
        svg.setSize(QSize(static_cast<int>(std::lround(logical.width() * m)),
                          static_cast<int>(std::lround(logical.height() * m))));
        svg.setViewBox(QRect(QPoint(0, 0), logical));
        svg.setTitle("ClipScope figure");
        svg.setDescription(full_caption);
        QPainter p;
        if (!p.begin(&svg)) return path + ": could not write the SVG";
        paint_figure(p, figure, font, full_caption);
        p.end();
    } else if (ext == "pdf") {
        const double page_height = inches * logical.height() / std::max(1, logical.width());
        QPdfWriter pdf(temp);
        pdf.setTitle(full_caption);
        pdf.setCreator("ClipScope");
        pdf.setResolution(static_cast<int>(std::lround(size.dpi)));
        pdf.setPageSize(QPageSize(QSizeF(inches, page_height), QPageSize::Inch));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        QPainter p;
        if (!p.begin(&pdf)) return path + ": could not write the PDF";
        const double s = std::lround(size.dpi) * inches / std::max(1, logical.width());
        p.scale(s, s);
        paint_figure(p, figure, font, full_caption);
        p.end();
    } else {
        return path + ": unknown figure format '" + ext + "' (use .png, .svg or .pdf)";
    }
    if (!QFileInfo(temp).exists() || QFileInfo(temp).size() == 0) return path + ": nothing was written";
    std::error_code ec;  // rename(2) replaces an existing figure atomically
    std::filesystem::rename(QFile::encodeName(temp).toStdString(), QFile::encodeName(path).toStdString(), ec);
    if (ec)
        return path + ": could not move the finished figure into place (" + QString::fromStdString(ec.message()) + ")";
    note_file_written(QFile::encodeName(path).toStdString());
    return {};
}

QString export_widget(QWidget* widget, const QString& path, const QString& caption, double scale) {
    return export_figure(widget_figure(widget), path, caption, widget->font(), scale);
}

}  // namespace clipscope::ui
