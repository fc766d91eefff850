#pragma once
// Figures drawn from the data, for papers: each is a logical size and a function that
// paints it, so PNG, SVG and PDF show the same thing (figure_export.h adds the caption).
// The map figure is the image as the model sees it with the map and its colour bar; the
// grid figure a labelled heat table with its colour bar; the sheet the image, the map
// and the top heads' own maps with their TextSpan labels, as the paper's panels show.
#include <QFont>
#include <QSize>
#include <QString>
#include <functional>

class QPainter;
class QWidget;

namespace clipscope::ui {

class HeadGridModel;
class ViewState;
struct OverlayStyle;

struct Figure {
    QSize size;  // logical pixels, before the export scale
    std::function<void(QPainter&)> paint;
    QString note;  // what the caption must add for this figure (its own colour ranges)
    bool empty() const { return !paint || size.isEmpty(); }
};

// The font figures are drawn with: `base` as resolved on screen, by its family's real name and
// at its pixel size. A point size is converted by each paint device's own resolution, and an
// alias such as "Sans Serif" is written into SVGs as it is, where viewers substitute a font
// of other widths.
QFont figure_font(const QFont& base);

Figure map_figure(const ViewState& state, const OverlayStyle& style, double opacity, const QFont& font);
Figure grid_figure(const ViewState& state, const HeadGridModel& grid, const QFont& font);
// The `count` heads with the largest |direct contribution| along the direction.
Figure sheet_figure(const ViewState& state, const HeadGridModel& grid, const OverlayStyle& style, double opacity,
                    const QFont& font, int count = 6);
// A pane as it is on screen (panes without a figure of their own: scores, gallery, the window).
Figure widget_figure(QWidget* widget);

}  // namespace clipscope::ui
