#include "image_canvas.h"

#include <QDragEnterEvent>
#include <QMimeData>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <algorithm>
#include <cmath>

#include "colour_bar.h"
#include "map_overlay.h"
#include "view_state.h"

namespace clipscope::ui {

ImageCanvas::ImageCanvas(ViewState* state, QWidget* parent) : QWidget(parent), state_(state) {
    setMouseTracking(true);
    setAcceptDrops(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    connect(state_, &ViewState::liveChanged, this, &ImageCanvas::rebuild);
    connect(state_, &ViewState::analysisChanged, this, &ImageCanvas::rebuild);
    connect(state_, &ViewState::mapScaleChanged, this, &ImageCanvas::rebuild);
    connect(state_, &ViewState::pendingChanged, this, qOverload<>(&QWidget::update));
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
    overlay_ = QImage();
    mask_empty_ = false;
    const auto& a = state_->analysis();
    crop_ = a ? crop_image(a->crop) : QImage();
    const LiveResult& live = state_->live();
    if (!crop_.isNull() && live.valid) {
        const MapOverlay o = map_overlay(live.map, crop_.width(), overlayStyle(),
                                         state_->model() ? static_cast<int>(state_->model()->patch_size) : 0);
        overlay_ = o.image;
        mask_empty_ = o.mask_empty;
    }
    update();
}

OverlayStyle ImageCanvas::overlayStyle() const {
    OverlayStyle style;
    style.range = state_->mapScale().range();
    style.mask = show_mask_;
    style.threshold = threshold_;
    return style;
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

double ImageCanvas::cropPixelsPerPatch() const {
    const auto& m = state_->model();
    if (m && m->patch_size > 0) return static_cast<double>(m->patch_size);
    return m && m->grid > 0 && !crop_.isNull() ? static_cast<double>(crop_.width()) / m->grid : 1.0;
}

int ImageCanvas::patchAt(const QPoint& p) const {
    const auto& m = state_->model();
    const QRect r = imageRect();
    if (!m || crop_.isNull() || !r.contains(p) || m->grid <= 0) return -1;
    // In crop pixels, then patches: a floored grid leaves a strip on the right and at the bottom
    // that no patch covers.
    const double px = cropPixelsPerPatch();
    const int gx = static_cast<int>((p.x() - r.left()) * static_cast<double>(crop_.width()) / r.width() / px);
    const int gy = static_cast<int>((p.y() - r.top()) * static_cast<double>(crop_.height()) / r.height() / px);
    if (gx >= m->grid || gy >= m->grid) return -1;
    return static_cast<int>(std::clamp(gy, 0, int(m->grid) - 1) * m->grid + std::clamp(gx, 0, int(m->grid) - 1));
}

void ImageCanvas::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().window());
    const QRect r = imageRect();
    if (crop_.isNull()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap,
                   state_->isPending() ? state_->pendingText() + QStringLiteral("\u2026")
                                       : tr("Drop an image here, or File \u2192 Open images"));
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
    // A note centred on the image, white on a dark box.
    auto note = [&](const QString& text, int alpha) {
        const QRect box =
            p.fontMetrics().boundingRect(r, Qt::AlignCenter | Qt::TextWordWrap, text).adjusted(-10, -6, 10, 6);
        p.fillRect(box, QColor(0, 0, 0, alpha));
        p.setPen(Qt::white);
        p.drawText(box, Qt::AlignCenter | Qt::TextWordWrap, text);
    };
    if (state_->isPending()) {
        // What is shown is the previous result: grey it and name what is coming.
        p.fillRect(rect(), QColor(128, 128, 128, 150));
        note(state_->pendingText() + QStringLiteral("\u2026"), 190);
        return;
    }
    if (mask_empty_) note(tr("Empty mask: no patch is above the threshold"), 170);
    const auto& m = state_->model();
    if (!m || m->grid <= 0) return;
    const double cell =
        crop_.isNull() ? static_cast<double>(r.width()) / m->grid : r.width() * cropPixelsPerPatch() / crop_.width();
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
    // The map shows the kept heads, so the tooltip lists kept heads only.
    std::vector<std::tuple<int, int, float>> top;
    int skipped = 0;
    for (const auto& entry : state_->patchTopHeads(patch, 1 << 20)) {
        if (state_->isAblated(std::get<0>(entry), std::get<1>(entry))) {
            ++skipped;
            continue;
        }
        if (top.size() < 5) top.push_back(entry);
    }
    QString text = tr("<b>Patch %1</b> (row %2, column %3)")
                       .arg(patch)
                       .arg(patch / state_->model()->grid)
                       .arg(patch % state_->model()->grid);
    if (!top.empty()) {
        text += tr("<br>Top heads along %1:").arg(state_->live().direction_label.toHtmlEscaped());
        for (const auto& [l, h, v] : top) text += QString("<br>L%1.H%2: %3").arg(l).arg(h).arg(v, 0, 'g', 3);
        if (skipped) text += tr("<br><i>%n ablated head(s) not listed</i>", "", skipped);
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
