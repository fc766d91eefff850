#include "canvas_pane.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
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
    opacity_->setValue(80);
    opacity_->setToolTip(tr("Overlay opacity where |value| reaches the colour range (smaller values are fainter)"));
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

    // The colour range: per image (set by its first map, kept while ablating), auto, or a typed value.
    scale_mode_ = new QComboBox;
    scale_mode_->addItems({tr("Range: per image"), tr("Range: auto"), tr("Range: fixed")});
    scale_mode_->setToolTip(
        tr("Per image: the symmetric colour range is set by the image's first map along a direction and kept while "
           "you ablate, so only what changed changes colour. Auto: refit to every map. Fixed: the value typed."));
    range_ = new QDoubleSpinBox;
    range_->setDecimals(6);
    range_->setRange(1e-6, 1e3);
    range_->setSingleStep(0.001);
    range_->setPrefix(QStringLiteral("\u00b1"));
    range_->setToolTip(tr("Colour range: values at \u00b1 this are fully coloured (typing sets a fixed range)"));
    connect(scale_mode_, &QComboBox::activated, state, [state](int i) {
        state->setMapScaleMode(i == 0   ? SignedScale::Mode::PerSubject
                               : i == 1 ? SignedScale::Mode::Auto
                                        : SignedScale::Mode::Fixed);
    });
    connect(range_, &QDoubleSpinBox::editingFinished, state,
            [this, state] { state->setMapScaleRange(range_->value()); });
    auto show_scale = [this, state] {
        const SignedScale& sc = state->mapScale();
        const QSignalBlocker b1(scale_mode_), b2(range_);
        scale_mode_->setCurrentIndex(sc.mode() == SignedScale::Mode::PerSubject ? 0
                                     : sc.mode() == SignedScale::Mode::Auto     ? 1
                                                                                : 2);
        range_->setValue(sc.range());
    };
    connect(state, &ViewState::mapScaleChanged, this, show_scale);
    connect(state, &ViewState::liveChanged, this, show_scale);

    auto* controls = new QGridLayout;  // three rows: the map, its colour range, the segmentation mask
    controls->addWidget(map_source_, 0, 0);
    controls->addWidget(new QLabel(tr("Opacity")), 0, 1);
    controls->addWidget(opacity_, 0, 2);
    controls->addWidget(scale_mode_, 1, 0);
    controls->addWidget(new QLabel(tr("Range")), 1, 1);
    controls->addWidget(range_, 1, 2);
    controls->addWidget(mask_, 2, 0);
    controls->addWidget(new QLabel(tr("Threshold")), 2, 1);
    controls->addWidget(threshold, 2, 2);
    controls->addWidget(threshold_label, 2, 3);
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
