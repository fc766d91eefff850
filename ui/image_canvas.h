#pragma once
// The image as the model sees it (its crop), with the current map overlaid: the
// diverging colour map over the view's symmetric range, its colour bar and units beside
// the image, or the segmentation mask (map above its mean after min-max scaling, the
// protocol of docs/method.md §6), which says so when it is empty. Hover shows the patch's top heads; click selects
// the patch; image files dropped on it are opened.
#include <QImage>
#include <QWidget>

#include "map_overlay.h"

namespace clipscope::ui {

class ViewState;

class ImageCanvas : public QWidget {
    Q_OBJECT
public:
    explicit ImageCanvas(ViewState* state, QWidget* parent = nullptr);
    void setOpacity(double opacity);
    void setShowMask(bool mask);
    // The mask's threshold on the min-max scaled map; < 0 = the map's mean (the protocol's).
    void setThreshold(double threshold);
    bool maskIsEmpty() const { return mask_empty_; }
    bool showsColourBar() const;
    // What the overlay shows now (figures draw the same).
    OverlayStyle overlayStyle() const;
    double opacity() const { return opacity_; }
    QSize sizeHint() const override { return {480, 420}; }
    QSize minimumSizeHint() const override { return {160, 160}; }

Q_SIGNALS:
    void filesDropped(const QStringList& paths);

protected:
    void paintEvent(QPaintEvent*) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void rebuild();
    QRect imageRect() const;
    int colourBarWidth() const;
    int patchAt(const QPoint& p) const;  // -1 off the image or where no patch covers it
    double cropPixelsPerPatch() const;

    ViewState* state_;
    QImage crop_, overlay_;
    double opacity_ = 0.8;  // at |value| = the range; smaller values are more transparent
    bool mask_empty_ = false;
    bool show_mask_ = false;
    double threshold_ = -1;
    int hover_patch_ = -1;
};

}  // namespace clipscope::ui
