#include "figure_export.h"

#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <QWidget>
#include <filesystem>
#include <system_error>

namespace clipscope::ui {
namespace {

constexpr int kCaptionHeight = 28;  // logical pixels

void paint_figure(QPainter& p, QWidget* widget, const QString& caption) {
    widget->render(&p, QPoint(0, 0), QRegion(), QWidget::DrawChildren | QWidget::DrawWindowBackground);
    const QRect strip(0, widget->height(), widget->width(), kCaptionHeight);
    p.fillRect(strip, Qt::white);
    p.setPen(QColor(30, 30, 30));
    QFont f = widget->font();
    f.setPointSizeF(f.pointSizeF() * 0.9);
    p.setFont(f);
    p.drawText(strip.adjusted(6, 0, -6, 0), Qt::AlignVCenter | Qt::AlignLeft | Qt::TextSingleLine,
               QFontMetrics(f).elidedText(caption, Qt::ElideRight, strip.width() - 12));
}

}  // namespace

QString export_widget(QWidget* widget, const QString& path, const QString& caption, double scale) {
    const QString ext = QFileInfo(path).suffix().toLower();
    const QSize logical(widget->width(), widget->height() + kCaptionHeight);
    const QString temp = path + ".part";
    QFile::remove(temp);
    if (ext == "png" || ext == "jpg") {
        QImage image(logical * scale, QImage::Format_ARGB32);
        image.setDevicePixelRatio(scale);
        image.fill(Qt::white);
        {
            QPainter p(&image);
            p.setRenderHint(QPainter::Antialiasing);
            paint_figure(p, widget, caption);
        }
        if (!image.save(temp, ext.toUtf8().constData())) return path + ": could not write the image";
    } else if (ext == "svg") {
        QSvgGenerator svg;
        svg.setFileName(temp);
        svg.setSize(logical);
        svg.setViewBox(QRect(QPoint(0, 0), logical));
        svg.setTitle("ClipScope figure");
        svg.setDescription(caption);
        QPainter p;
        if (!p.begin(&svg)) return path + ": could not write the SVG";
        paint_figure(p, widget, caption);
        p.end();
    } else if (ext == "pdf") {
        QPdfWriter pdf(temp);
        pdf.setTitle(caption);
        pdf.setCreator("ClipScope");
        pdf.setResolution(static_cast<int>(96 * scale));
        pdf.setPageSize(QPageSize(QSizeF(logical.width() / 96.0, logical.height() / 96.0), QPageSize::Inch));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        QPainter p;
        if (!p.begin(&pdf)) return path + ": could not write the PDF";
        p.scale(scale, scale);
        paint_figure(p, widget, caption);
        p.end();
    } else {
        return path + ": unknown figure format '" + ext + "' (use .png, .svg or .pdf)";
    }
    if (!QFileInfo(temp).exists() || QFileInfo(temp).size() == 0) return path + ": nothing was written";
    std::error_code ec;  // rename(2) replaces an existing figure atomically
    std::filesystem::rename(QFile::encodeName(temp).toStdString(), QFile::encodeName(path).toStdString(), ec);
    if (ec) return path + ": could not move the finished figure into place (" + QString::fromStdString(ec.message()) + ")";
    return {};
}

}  // namespace clipscope::ui
