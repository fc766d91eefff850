#pragma once
// The centre of the window: the image canvas, its map controls (which map, opacity,
// the colour range, the segmentation mask and its threshold) and the strip of opened images.
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QListWidget;
class QSlider;

namespace clipscope::ui {

class ImageCanvas;
class ViewState;

class CanvasPane : public QWidget {
    Q_OBJECT
public:
    explicit CanvasPane(ViewState* state, QWidget* parent = nullptr);

    ImageCanvas* canvas() const { return canvas_; }
    // Thumbnails of the opened images; shown when there is more than one.
    QListWidget* strip() const { return strip_; }

    // What a session keeps of the controls.
    int mapSource() const;  // 0 = text (kept heads), 1 = selected head
    int opacity() const;    // percent
    bool segment() const;
    void setControls(int map_source, int opacity, bool segment);

private:
    ImageCanvas* canvas_;
    QListWidget* strip_;
    QComboBox* map_source_;
    QSlider* opacity_;
    QCheckBox* mask_;
    QComboBox* scale_mode_;
    QDoubleSpinBox* range_;
};

}  // namespace clipscope::ui
