#include "figure_export.h"

#include <QFile>
#include <QFileInfo>
#include <QFontInfo>
#include <QImage>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <QWidget>
#include <algorithm>
#include <filesystem>
#include <system_error>

#include "figures.h"

namespace clipscope::ui {
namespace {

// In pixels, not points: a PDF writer converts points with its own resolution (96 dpi
// times the export scale) on top of the painter's scale, so a point-sized caption came
// out `scale` times larger than the strip measured for it and was cut.
QFont caption_font(const QFont& base) {
    QFont f = base;
    f.setPointSizeF(f.pointSizeF() * 0.9);
    f.setPixelSize(std::max(1, QFontInfo(f).pixelSize()));
    return f;
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

QString export_figure(const Figure& figure, const QString& path, const QString& caption, const QFont& font,
                      double scale) {
    if (figure.empty()) return path + ": there is nothing to draw yet (open an image first)";
    const QString full_caption = figure.note.isEmpty() ? caption : caption + " \u00b7 " + figure.note;
    const QString ext = QFileInfo(path).suffix().toLower();
    const QSize logical(figure.size.width(),
                        figure.size.height() + caption_height(font, figure.size.width(), full_caption));
    const QString temp = path + ".part";
    QFile::remove(temp);
    if (ext == "png" || ext == "jpg") {
        QImage image(logical * scale, QImage::Format_ARGB32);
        image.setDevicePixelRatio(scale);
        image.fill(Qt::white);
        {
            QPainter p(&image);
            p.setRenderHint(QPainter::Antialiasing);
            paint_figure(p, figure, font, full_caption);
        }
        if (!image.save(temp, ext.toUtf8().constData())) return path + ": could not write the image";
    } else if (ext == "svg") {
        QSvgGenerator svg;
        svg.setFileName(temp);
        svg.setSize(logical);
        svg.setViewBox(QRect(QPoint(0, 0), logical));
        svg.setTitle("ClipScope figure");
        svg.setDescription(full_caption);
        QPainter p;
        if (!p.begin(&svg)) return path + ": could not write the SVG";
        paint_figure(p, figure, font, full_caption);
        p.end();
    } else if (ext == "pdf") {
        QPdfWriter pdf(temp);
        pdf.setTitle(full_caption);
        pdf.setCreator("ClipScope");
        pdf.setResolution(static_cast<int>(96 * scale));
        pdf.setPageSize(QPageSize(QSizeF(logical.width() / 96.0, logical.height() / 96.0), QPageSize::Inch));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        QPainter p;
        if (!p.begin(&pdf)) return path + ": could not write the PDF";
        p.scale(scale, scale);
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
    return {};
}

QString export_widget(QWidget* widget, const QString& path, const QString& caption, double scale) {
    return export_figure(widget_figure(widget), path, caption, widget->font(), scale);
}

}  // namespace clipscope::ui
