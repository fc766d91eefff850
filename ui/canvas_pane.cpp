#include "canvas_pane.h"

#include <QCheckBox>
#include <QComboBox>
#include <QGridLayout>
#include <QLabel>
#include <QListWidget>
#include <QSlider>
#include <QVBoxLayout>
#include <algorithm>

#include "image_canvas.h"
#include "view_state.h"

namespace clipscope::ui {

CanvasPane::CanvasPane(ViewState* state, QWidget* parent) : QWidget(parent) {
    canvas_ = new ImageCanvas(state);
    map_source_ = new QComboBox;
    map_source_->addItems({tr("Map: text (kept heads)"), tr("Map: selected head")});
    opacity_ = new QSlider(Qt::Horizontal);
    opacity_->setRange(0, 100);
    opacity_->setValue(55);
    opacity_->setToolTip(tr("Overlay opacity"));
    mask_ = new QCheckBox(tr("Segment"));
    mask_->setToolTip(tr("Show the map thresholded at its mean (the zero-shot segmentation protocol)"));
    auto* threshold = new QSlider(Qt::Horizontal);
    threshold->setRange(0, 100);  // 0 = the protocol's threshold (the map's mean), else a share of the min-max range
    threshold->setEnabled(false);
    auto* threshold_label = new QLabel(tr("at the mean"));
    threshold_label->setMinimumWidth(threshold_label->fontMetrics().horizontalAdvance("at the mean "));
    threshold->setToolTip(
        tr("Segmentation threshold on the min-max scaled map; leftmost = the map's mean (the protocol)"));
    connect(threshold, &QSlider::valueChanged, this, [this, threshold_label](int v) {
        canvas_->setThreshold(v == 0 ? -1.0 : v / 100.0);
        threshold_label->setText(v == 0 ? tr("at the mean") : QString("at %1").arg(v / 100.0, 0, 'f', 2));
    });
    connect(mask_, &QCheckBox::toggled, threshold, &QSlider::setEnabled);
    connect(map_source_, &QComboBox::currentIndexChanged, state,
            [state](int i) { state->setMapSource(i == 1 ? MapSource::SelectedHead : MapSource::Text); });
    connect(opacity_, &QSlider::valueChanged, canvas_, [this](int v) { canvas_->setOpacity(v / 100.0); });
    connect(mask_, &QCheckBox::toggled, canvas_, &ImageCanvas::setShowMask);

    auto* controls = new QGridLayout;  // two rows: the map, then the segmentation mask
    controls->addWidget(map_source_, 0, 0);
    controls->addWidget(new QLabel(tr("Opacity")), 0, 1);
    controls->addWidget(opacity_, 0, 2);
    controls->addWidget(mask_, 1, 0);
    controls->addWidget(new QLabel(tr("Threshold")), 1, 1);
    controls->addWidget(threshold, 1, 2);
    controls->addWidget(threshold_label, 1, 3);
    controls->setColumnStretch(2, 1);
    strip_ = new QListWidget;
    strip_->setViewMode(QListView::IconMode);
    strip_->setFlow(QListView::LeftToRight);
    strip_->setWrapping(false);
    strip_->setIconSize(QSize(48, 48));
    strip_->setFixedHeight(76);
    strip_->setVisible(false);
    auto* centre = new QVBoxLayout(this);
    centre->addWidget(canvas_, 1);
    centre->addLayout(controls);
    centre->addWidget(strip_);
}

int CanvasPane::mapSource() const { return map_source_->currentIndex(); }
int CanvasPane::opacity() const { return opacity_->value(); }
bool CanvasPane::segment() const { return mask_->isChecked(); }

void CanvasPane::setControls(int map_source, int opacity, bool segment) {
    map_source_->setCurrentIndex(std::clamp(map_source, 0, 1));
    opacity_->setValue(std::clamp(opacity, 0, 100));
    mask_->setChecked(segment);
}

}  // namespace clipscope::ui
