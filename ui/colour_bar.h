#pragma once
// The colour bar of a signed map: the diverging colour map over [-range, range], round
// ticks with their values, and the units along its side. One painter serves the panes
// on screen and the figures exported from the data.
#include <QColor>
#include <QFont>
#include <QRectF>
#include <QString>
#include <QWidget>

class QPainter;

namespace clipscope::ui {

// Width the bar, its tick labels and the rotated units need at this font.
double colour_bar_width(const QFont& font, double range);
// Height (with its end labels' margins) under which the units, split over two lines, no longer fit.
double colour_bar_min_height(const QFont& font, const QString& units);
// Paints the bar vertically in `area` (+range at the top).
void paint_colour_bar(QPainter& p, const QRectF& area, double range, const QString& units, const QFont& font,
                      const QColor& text);
// The bar as a widget beside a pane's table or image.
class ColourBarWidget : public QWidget {
    Q_OBJECT
public:
    explicit ColourBarWidget(QWidget* parent = nullptr);
    void setScale(double range, const QString& units);  // range <= 0 hides the bar's contents
    double range() const { return range_; }
    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent*) override;

private:
    double range_ = 0;
    QString units_;
};

// A tick value as the bar prints it (3 significant digits, "0" for zero).
QString tick_text(double value);

}  // namespace clipscope::ui
