#include "image_canvas.h"

#include <QDragEnterEvent>
#include <QMimeData>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <algorithm>
#include <cmath>

#include "clipscope/analysis/heatmap.h"
#include "clipscope/analysis/segmentation.h"
#include "colour_bar.h"
#include "colour_maps.h"
#include "view_state.h"

namespace clipscope::ui {

ImageCanvas::ImageCanvas(ViewState* state, QWidget* parent) : QWidget(parent), state_(state) {
    setMouseTracking(true);
    setAcceptDrops(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    connect(state_, &ViewState::liveChanged, this, &ImageCanvas::rebuild);
    connect(state_, &ViewState::analysisChanged, this, &ImageCanvas::rebuild);
    connect(state_, &ViewState::mapScaleChanged, this, &ImageCanvas::rebuild);
    connect(state_, &ViewState::selectionChanged, this, qOverload<>(&QWidget::update));
}

void ImageCanvas::setOpacity(double opacity) {
    opacity_ = opacity;
    update();
}

void ImageCanvas::setShowMask(bool mask) {
    show_mask_ = mask;
    rebuild();
}

void ImageCanvas::setThreshold(double threshold) {
    threshold_ = threshold;
    if (show_mask_) rebuild();
}

void ImageCanvas::rebuild() {
    crop_ = QImage();
    overlay_ = QImage();
    const auto& a = state_->analysis();
    if (a && !a->crop.pixels.empty()) {
        crop_ = QImage(a->crop.pixels.data(), a->crop.width, a->crop.height, a->crop.width * 3, QImage::Format_RGB888)
                    .copy();
    }
    mask_empty_ = false;
    const LiveResult& live = state_->live();
    if (!crop_.isNull() && live.valid && live.map.rank() == 2 && live.map.shape[0] > 0) {
        // The reference's upsampling (bilinear, align_corners = false) to the crop. Colours are the
        // diverging map over the symmetric range of ViewState::mapScale, so zero is always the
        // neutral colour and a value keeps its colour while heads are ablated; the overlay's
        // opacity grows with |value|, so the image shows through where nothing pushes either way.
        // The mask is the segmentation protocol's (core's predict_foreground: clamped at 0,
        // min-max scaled, above its mean) or above the user's threshold on that scale.
        const int64_t G = live.map.shape[0];
        const int64_t factor = std::max<int64_t>(1, crop_.width() / G);
        const FloatArray up = upsample_bilinear(live.map, factor);
        const int64_t S = up.shape[0];
        const double range = state_->mapScale().range();
        const ForegroundPrediction mask = show_mask_ ? predict_foreground(live.map, factor) : ForegroundPrediction();
        overlay_ = QImage(static_cast<int>(S), static_cast<int>(S), QImage::Format_ARGB32);
        bool any_foreground = false;
        for (int64_t y = 0; y < S; ++y)
            for (int64_t x = 0; x < S; ++x) {
                const size_t i = static_cast<size_t>(y * S + x);
                QColor c;
                if (show_mask_) {
                    const bool foreground = threshold_ < 0 ? mask.foreground[i] != 0 : mask.heat[i] > threshold_;
                    any_foreground = any_foreground || foreground;
                    c = foreground ? QColor(255, 255, 255, 0) : QColor(0, 0, 0, 200);
                } else {
                    const double t = up.data[i] / range;
                    c = diverging_colour(t);
                    c.setAlphaF(static_cast<float>(std::min(1.0, std::fabs(t))));
                }
                overlay_.setPixelColor(static_cast<int>(x), static_cast<int>(y), c);
            }
        mask_empty_ = show_mask_ && !any_foreground;
    }
    update();
}

bool ImageCanvas::showsColourBar() const { return !overlay_.isNull() && !show_mask_; }

int ImageCanvas::colourBarWidth() const {
    return showsColourBar() ? static_cast<int>(colour_bar_width(font(), state_->mapScale().range())) + 10 : 0;
}

QRect ImageCanvas::imageRect() const {
    const int bar = colourBarWidth();
    const int side = std::max(16, std::min(width() - bar, height()) - 8);
    return {(width() - bar - side) / 2, (height() - side) / 2, side, side};
}

int ImageCanvas::patchAt(const QPoint& p) const {
    const auto& m = state_->model();
    const QRect r = imageRect();
    if (!m || crop_.isNull() || !r.contains(p) || m->grid <= 0) return -1;
    const int gx = static_cast<int>((p.x() - r.left()) * m->grid / r.width());
    const int gy = static_cast<int>((p.y() - r.top()) * m->grid / r.height());
    return static_cast<int>(std::clamp(gy, 0, int(m->grid) - 1) * m->grid + std::clamp(gx, 0, int(m->grid) - 1));
}

void ImageCanvas::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().window());
    const QRect r = imageRect();
    if (crop_.isNull()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, tr("Drop an image here, or File \u2192 Open image"));
        return;
    }
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);  // show the model's pixels as they are
    p.drawImage(r, crop_);
    if (!overlay_.isNull()) {
        p.setOpacity(show_mask_ ? 1.0 : opacity_);
        p.setRenderHint(QPainter::SmoothPixmapTransform, true);
        p.drawImage(r, overlay_);
        p.setOpacity(1.0);
    }
    if (showsColourBar()) {
        const QRectF bar(r.right() + 10, r.top(), colourBarWidth() - 10, r.height());
        paint_colour_bar(p, bar, state_->mapScale().range(), state_->live().units, font(),
                         palette().color(QPalette::WindowText));
    }
    if (mask_empty_) {
        const QString note = tr("Empty mask: no patch is above the threshold");
        const QRect box =
            p.fontMetrics().boundingRect(r, Qt::AlignCenter | Qt::TextWordWrap, note).adjusted(-8, -6, 8, 6);
        p.fillRect(box, QColor(0, 0, 0, 170));
        p.setPen(Qt::white);
        p.drawText(box, Qt::AlignCenter | Qt::TextWordWrap, note);
    }
    const auto& m = state_->model();
    if (!m || m->grid <= 0) return;
    const double cell = static_cast<double>(r.width()) / m->grid;
    auto patch_rect = [&](int patch) {
        return QRectF(r.left() + (patch % m->grid) * cell, r.top() + (patch / m->grid) * cell, cell, cell);
    };
    if (hover_patch_ >= 0) {
        p.setPen(QPen(QColor(255, 255, 255, 200), 1, Qt::DashLine));
        p.drawRect(patch_rect(hover_patch_));
    }
    if (state_->selectedPatch() >= 0) {
        p.setPen(QPen(QColor(255, 255, 0), 2));
        p.drawRect(patch_rect(state_->selectedPatch()));
    }
}

void ImageCanvas::mouseMoveEvent(QMouseEvent* event) {
    const int patch = patchAt(event->position().toPoint());
    if (patch == hover_patch_) return;
    hover_patch_ = patch;
    update();
    if (patch < 0) {
        QToolTip::hideText();
        return;
    }
    const auto top = state_->patchTopHeads(patch, 5);
    QString text = tr("<b>Patch %1</b> (row %2, column %3)")
                       .arg(patch)
                       .arg(patch / state_->model()->grid)
                       .arg(patch % state_->model()->grid);
    if (!top.empty()) {
        text += tr("<br>Top heads along %1:").arg(state_->live().direction_label.toHtmlEscaped());
        for (const auto& [l, h, v] : top) text += QString("<br>L%1.H%2: %3").arg(l).arg(h).arg(v, 0, 'g', 3);
    }
    QToolTip::showText(event->globalPosition().toPoint(), text, this);
}

void ImageCanvas::mousePressEvent(QMouseEvent* event) {
    if (event->button() == Qt::LeftButton) state_->selectPatch(patchAt(event->position().toPoint()));
}

void ImageCanvas::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void ImageCanvas::dropEvent(QDropEvent* event) {
    QStringList paths;
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile()) paths << url.toLocalFile();
    if (!paths.isEmpty()) Q_EMIT filesDropped(paths);
}

}  // namespace clipscope::ui
