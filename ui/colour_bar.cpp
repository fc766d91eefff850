#include "colour_bar.h"

#include <QFontMetricsF>
#include <QLinearGradient>
#include <QPainter>
#include <QStringList>
#include <algorithm>
#include <cmath>

#include "colour_maps.h"
#include "signed_scale.h"

namespace clipscope::ui {
namespace {
constexpr double kBar = 12, kGap = 4;
}

namespace {
// The units as one line, or two split at the space nearest the middle when `length` is too short.
QStringList units_lines(const QFontMetricsF& fm, const QString& units, double length) {
    if (fm.horizontalAdvance(units) <= length) return {units};
    int split = -1;
    for (int i = 0; i < units.size(); ++i)
        if (units[i] == ' ' && (split < 0 || std::abs(i - units.size() / 2) < std::abs(split - units.size() / 2)))
            split = i;
    if (split <= 0) return {units};
    return {units.left(split), units.mid(split + 1)};
}
}  // namespace

double colour_bar_min_height(const QFont& font, const QString& units) {
    const QFontMetricsF fm(font);
    double longest = 0;
    for (const QString& line : units_lines(fm, units, 0)) longest = std::max(longest, fm.horizontalAdvance(line));
    return longest + 4;
}

QString tick_text(double value) { return std::fabs(value) < 1e-300 ? QString("0") : QString::number(value, 'g', 3); }

double colour_bar_width(const QFont& font, double range) {
    const QFontMetricsF fm(font);
    double labels = 0;
    for (double t : symmetric_ticks(range, 7)) labels = std::max(labels, fm.horizontalAdvance(tick_text(t)));
    return kBar + kGap + labels + kGap + fm.height() + fm.lineSpacing() + 2;  // room for two lines of units
}

void paint_colour_bar(QPainter& p, const QRectF& area, double range, const QString& units, const QFont& font,
                      const QColor& text) {
    p.save();
    p.setFont(font);
    const QFontMetricsF fm(font);
    const double half = fm.height() / 2;
    const QRectF bar(area.left(), area.top() + half, kBar, std::max(1.0, area.height() - 2 * half));
    QLinearGradient g(bar.topLeft(), bar.bottomLeft());
    for (int i = 0; i <= 20; ++i) g.setColorAt(i / 20.0, diverging_colour(1.0 - i / 10.0));
    p.fillRect(bar, g);
    p.setPen(QPen(text, 0.8));
    p.setBrush(Qt::NoBrush);
    p.drawRect(bar);
    // Labels at least two text lines apart.
    const int ticks = std::clamp(static_cast<int>(bar.height() / (2.0 * fm.height())) | 1, 3, 11);
    double label_right = bar.right() + kGap;
    for (double t : symmetric_ticks(range, ticks)) {
        const double y = bar.top() + (range - t) / (2 * range) * bar.height();
        p.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 3, y));
        const QString s = tick_text(t);
        p.drawText(QPointF(bar.right() + kGap + 1, y + fm.ascent() / 2 - 1), s);
        label_right = std::max(label_right, bar.right() + kGap + 1 + fm.horizontalAdvance(s));
    }
    // Units, rotated along the bar's right side: one line, or two split at the middle word
    // when the bar is shorter than the text.
    p.translate(label_right + kGap + fm.ascent(), bar.center().y());
    p.rotate(-90);
    const double length = bar.height() + 2 * half;
    const QStringList lines = units_lines(fm, units, length);
    for (int k = 0; k < lines.size(); ++k) {
        const QString shown = fm.elidedText(lines[k], Qt::ElideMiddle, length);
        p.drawText(QPointF(-fm.horizontalAdvance(shown) / 2, k * fm.lineSpacing()), shown);
    }
    p.restore();
}

ColourBarWidget::ColourBarWidget(QWidget* parent) : QWidget(parent) {
    setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Expanding);
}

void ColourBarWidget::setScale(double range, const QString& units) {
    range_ = range;
    units_ = units;
    updateGeometry();
    update();
}

QSize ColourBarWidget::sizeHint() const {
    return {static_cast<int>(colour_bar_width(font(), range_ > 0 ? range_ : 1.0)) + 6, 120};
}

void ColourBarWidget::paintEvent(QPaintEvent*) {
    if (!(range_ > 0)) return;
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    paint_colour_bar(p, QRectF(rect()).adjusted(2, 2, -2, -2), range_, units_, font(),
                     palette().color(QPalette::WindowText));
}

}  // namespace clipscope::ui
