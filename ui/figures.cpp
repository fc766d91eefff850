#include "figures.h"

#include <QFontInfo>
#include <QPainter>
#include <QWidget>
#include <algorithm>
#include <cmath>

#include "colour_bar.h"
#include "colour_maps.h"
#include "head_grid_model.h"
#include "map_overlay.h"
#include "view_state.h"

namespace clipscope::ui {
namespace {

constexpr int kMargin = 12;

QFont bold(QFont f) {
    f.setBold(true);
    return f;
}

// The crop and its overlay in `box`: the model's pixels unsmoothed, the map smoothed as
// the canvas shows it. Images are pre-scaled so that every viewer draws them alike.
void draw_image_with_map(QPainter& p, const QRect& box, const QImage& crop, const QImage& overlay, double opacity) {
    const int side = 2 * box.width();
    p.drawImage(box, crop.scaled(side, side, Qt::IgnoreAspectRatio, Qt::FastTransformation));
    if (!overlay.isNull()) {
        p.setOpacity(opacity);
        p.drawImage(box, overlay.scaled(side, side, Qt::IgnoreAspectRatio, Qt::SmoothTransformation));
        p.setOpacity(1.0);
    }
    p.setPen(QPen(QColor(60, 60, 60), 0.8));
    p.setBrush(Qt::NoBrush);
    p.drawRect(box);
}

bool has_map(const ViewState& state) {
    return state.live().valid && state.analysis() && state.analysis()->decomposition && state.model() &&
           !state.analysis()->crop.pixels.empty();
}

}  // namespace

QFont figure_font(const QFont& base) {
    const QFontInfo resolved(base);
    QFont f = base;
    f.setFamily(resolved.family());  // "DejaVu Sans", not Qt's alias "Sans Serif", which SVG viewers do not know
    f.setPixelSize(std::max(1, resolved.pixelSize()));
    return f;
}

Figure map_figure(const ViewState& state, const OverlayStyle& style, double opacity, const QFont& font) {
    if (!state.analysis() || state.analysis()->crop.pixels.empty()) return {};
    const QImage crop = crop_image(state.analysis()->crop);
    const int patch = state.model() ? static_cast<int>(state.model()->patch_size) : 0;
    const MapOverlay overlay =
        state.live().valid ? map_overlay(state.live().map, crop.width(), style, patch) : MapOverlay();
    const bool bar = state.live().valid && !style.mask;
    const int side = 360, title = QFontMetrics(bold(font)).height() + 6;
    const int bar_w = bar ? static_cast<int>(colour_bar_width(font, style.range)) + 10 : 0;
    const QString heading = state.live().valid
                                ? (style.mask ? QObject::tr("Segmentation along %1") : QObject::tr("Map along %1"))
                                      .arg(state.live().direction_label)
                                : QObject::tr("The model's view");
    const QString units = state.live().units;
    Figure f;
    f.size = QSize(2 * kMargin + side + bar_w, 2 * kMargin + title + side);
    f.paint = [=](QPainter& p) {
        p.setFont(bold(font));
        p.setPen(QColor(20, 20, 20));
        p.drawText(QRect(kMargin, kMargin, f.size.width() - 2 * kMargin, title), Qt::AlignLeft | Qt::AlignTop,
                   QFontMetrics(bold(font)).elidedText(heading, Qt::ElideRight, f.size.width() - 2 * kMargin));
        const QRect box(kMargin, kMargin + title, side, side);
        draw_image_with_map(p, box, crop, overlay.image, style.mask ? 1.0 : opacity);
        if (bar)
            paint_colour_bar(p, QRectF(box.right() + 10, box.top(), bar_w - 10, box.height()), style.range, units, font,
                             QColor(20, 20, 20));
        if (overlay.mask_empty) {
            p.setPen(Qt::white);
            p.drawText(box, Qt::AlignCenter, QObject::tr("Empty mask: no patch is above the threshold"));
        }
    };
    return f;
}

Figure grid_figure(const ViewState& state, const HeadGridModel& grid, const QFont& font) {
    const int rows = grid.rowCount(), cols = grid.columnCount();
    if (rows == 0 || cols == 0) return {};
    QFont small = font;
    small.setPixelSize(std::max(8, QFontInfo(font).pixelSize() - 2));
    const QFontMetrics fm(small);
    int cell_w = fm.horizontalAdvance("-0.0000") + 10;
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            cell_w = std::max(cell_w, std::min(110, fm.horizontalAdvance(grid.index(r, c).data().toString()) + 10));
    int header_lines = 1;  // "MLP" with its power of ten below it takes two
    for (int c = 0; c < cols; ++c)
        header_lines =
            std::max<int>(header_lines, grid.headerData(c, Qt::Horizontal, Qt::DisplayRole).toString().count('\n') + 1);
    const int cell_h = 2 * fm.height() + 8, head_w = fm.horizontalAdvance("L00") + 8,
              head_h = header_lines * fm.height() + 6;
    const double range = grid.scale();
    const bool valid = state.live().valid;
    const int bar_w = valid ? static_cast<int>(colour_bar_width(font, range)) + 10 : 0;
    const int title = QFontMetrics(bold(font)).height() + 6;
    const QString heading =
        valid ? QObject::tr("Direct contribution of each head and MLP along %1%2")
                    .arg(state.live().direction_label,
                         grid.valueExponent() ? QObject::tr(" (numbers") + grid.exponentSuffix() + ")" : QString())
              : QObject::tr("Heads");
    const QString units = state.live().units;
    // A short grid (few layers) still gives the bar room for its units, below the table if need be.
    const int bar_h =
        std::max(rows * cell_h, valid ? static_cast<int>(std::ceil(colour_bar_min_height(font, units))) : 0);
    Figure f;
    f.size = QSize(2 * kMargin + head_w + cols * cell_w + bar_w, 2 * kMargin + title + head_h + bar_h);
    // Copies of what is painted, so the figure does not depend on the model's later state.
    struct Cell {
        QString label, value;
        double v = 0;
        bool has = false, ablated = false;
    };
    std::vector<Cell> cells;
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            const QModelIndex i = grid.index(r, c);
            Cell cell;
            const QVariant v = i.data(HeadGridModel::ContributionRole);
            cell.has = v.isValid();
            cell.v = v.toDouble();
            cell.value = cell.has ? QString::number(cell.v / std::pow(10.0, grid.valueExponent()), 'g', 3) : QString();
            cell.label = grid.hasLabels() && c + 1 < cols ? i.data().toString() : QString();
            cell.ablated = i.data(HeadGridModel::AblatedRole).toBool();
            cells.push_back(cell);
        }
    QStringList row_names, col_names;
    for (int r = 0; r < rows; ++r) row_names << grid.headerData(r, Qt::Vertical, Qt::DisplayRole).toString();
    for (int c = 0; c < cols; ++c) col_names << grid.headerData(c, Qt::Horizontal, Qt::DisplayRole).toString();
    if (valid)
        f.note = QObject::tr("cells coloured over \u00b1%1 of %2 (the largest |value| in the grid)")
                     .arg(tick_text(range), units);
    f.paint = [=](QPainter& p) {
        p.setFont(bold(font));
        p.setPen(QColor(20, 20, 20));
        p.drawText(QRect(kMargin, kMargin, f.size.width() - 2 * kMargin, title), Qt::AlignLeft | Qt::AlignTop,
                   QFontMetrics(bold(font)).elidedText(heading, Qt::ElideRight, f.size.width() - 2 * kMargin));
        p.setFont(small);
        const int x0 = kMargin + head_w, y0 = kMargin + title + head_h;
        for (int c = 0; c < cols; ++c)
            p.drawText(QRect(x0 + c * cell_w, y0 - head_h, cell_w, head_h), Qt::AlignCenter, col_names[c]);
        for (int r = 0; r < rows; ++r) {
            p.setPen(QColor(20, 20, 20));
            p.drawText(QRect(kMargin, y0 + r * cell_h, head_w, cell_h), Qt::AlignVCenter | Qt::AlignLeft, row_names[r]);
            for (int c = 0; c < cols; ++c) {
                const Cell& cell = cells[static_cast<size_t>(r * cols + c)];
                const QRect box(x0 + c * cell_w, y0 + r * cell_h, cell_w - 1, cell_h - 1);
                QColor fill = cell.has && range > 0 ? diverging_colour(cell.v / range) : QColor(255, 255, 255);
                if (cell.ablated) fill = fill.darker(140);
                p.fillRect(box, fill);
                const QColor ink = readable_text_on(fill);
                if (cell.ablated) {
                    QColor cross = ink;
                    cross.setAlpha(90);
                    p.setPen(QPen(cross, 1));
                    p.drawLine(box.topLeft(), box.bottomRight());
                    p.drawLine(box.topRight(), box.bottomLeft());
                }
                p.setPen(ink);
                const QRect inner = box.adjusted(3, 2, -3, -2);
                if (!cell.label.isEmpty()) {
                    p.drawText(inner, Qt::AlignHCenter | Qt::AlignTop,
                               fm.elidedText(cell.label, Qt::ElideRight, inner.width()));
                    p.drawText(inner, Qt::AlignHCenter | Qt::AlignBottom, cell.value);
                } else {
                    p.drawText(inner, Qt::AlignCenter, cell.value);
                }
            }
        }
        if (valid)
            paint_colour_bar(p, QRectF(x0 + cols * cell_w + 10, y0, bar_w - 10, bar_h), range, units, font,
                             QColor(20, 20, 20));
    };
    return f;
}

Figure sheet_figure(const ViewState& state, const HeadGridModel& grid, const OverlayStyle& style, double opacity,
                    const QFont& font, int count) {
    if (!has_map(state)) return map_figure(state, style, opacity, font);
    const LiveResult& live = state.live();
    const int64_t H = state.model()->heads;
    std::vector<std::pair<int, int>> order;
    for (size_t i = 0; i < live.parts.heads.size(); ++i)
        order.emplace_back(static_cast<int>(i / static_cast<size_t>(H)), static_cast<int>(i % static_cast<size_t>(H)));
    std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
        return std::fabs(live.parts.heads[static_cast<size_t>(a.first * H + a.second)]) >
               std::fabs(live.parts.heads[static_cast<size_t>(b.first * H + b.second)]);
    });
    if (static_cast<int>(order.size()) > count) order.resize(static_cast<size_t>(count));
    if (state.headMap(order.empty() ? 0 : order.front().first, order.empty() ? 0 : order.front().second).rank() != 2)
        order.clear();  // no head maps to draw (none kept, or waiting for the current texts')

    const Figure main = map_figure(state, style, opacity, font);
    // The heads' own maps share one symmetric range, so they compare with each other.
    struct Panel {
        QString title, label;
        QImage overlay;
    };
    std::vector<FloatArray> maps;
    double largest = 0;
    for (const auto& [l, h] : order) {
        maps.push_back(state.headMap(l, h));
        largest = std::max(largest, max_abs(maps.back()));
    }
    const double range = usable_range(largest);
    const QImage crop = crop_image(state.analysis()->crop);
    std::vector<Panel> panels;
    for (size_t k = 0; k < order.size(); ++k) {
        const auto [l, h] = order[k];
        OverlayStyle s;
        s.range = range;
        Panel panel;
        panel.title = QString("L%1.H%2  %3%4")
                          .arg(l)
                          .arg(h)
                          .arg(tick_text(live.parts.heads[static_cast<size_t>(l * H + h)]))
                          .arg(state.isAblated(l, h) ? QObject::tr("  (ablated)") : QString());
        const QStringList labels = grid.labelsOf(l, h);
        panel.label = labels.isEmpty() ? QObject::tr("(no TextSpan labels loaded)") : labels.first();
        panel.overlay = map_overlay(maps[k], crop.width(), s, static_cast<int>(state.model()->patch_size)).image;
        panels.push_back(panel);
    }
    const int per_row = 3, tile = 150;
    const QFontMetrics fm(font);
    const int tile_h = tile + 2 * fm.height() + 8;
    const int bar_w = static_cast<int>(colour_bar_width(font, range)) + 10;
    const int rows = (static_cast<int>(panels.size()) + per_row - 1) / per_row;
    const int heads_w = per_row * (tile + kMargin) + bar_w;
    const int heads_title = QFontMetrics(bold(font)).height() + 6;
    Figure f;
    f.size = QSize(std::max(main.size.width(), kMargin + heads_w + kMargin),
                   main.size.height() + (panels.empty() ? 0 : heads_title + rows * tile_h + kMargin));
    const QString units = live.units;
    const QString heads_heading =
        QObject::tr("The %1 heads with the largest |direct contribution|, each head's own map").arg(panels.size());
    if (!panels.empty())
        f.note = QObject::tr(
                     "head maps coloured over \u00b1%1 (the largest |value| among them); under each, the head's "
                     "direct contribution and its first TextSpan description")
                     .arg(tick_text(range));
    f.paint = [=](QPainter& p) {
        main.paint(p);
        if (panels.empty()) return;
        const int y0 = main.size.height();
        p.setFont(bold(font));
        p.setPen(QColor(20, 20, 20));
        p.drawText(QRect(kMargin, y0, f.size.width() - 2 * kMargin, heads_title), Qt::AlignLeft | Qt::AlignVCenter,
                   heads_heading);
        p.setFont(font);
        for (size_t k = 0; k < panels.size(); ++k) {
            const int col = static_cast<int>(k) % per_row, row = static_cast<int>(k) / per_row;
            const QRect box(kMargin + col * (tile + kMargin), y0 + heads_title + row * tile_h, tile, tile);
            draw_image_with_map(p, box, crop, panels[k].overlay, opacity);
            p.setPen(QColor(20, 20, 20));
            p.drawText(QRect(box.left(), box.bottom() + 3, tile, fm.height()), Qt::AlignLeft, panels[k].title);
            p.drawText(QRect(box.left(), box.bottom() + 3 + fm.height(), tile, fm.height()), Qt::AlignLeft,
                       fm.elidedText(panels[k].label, Qt::ElideRight, tile));
        }
        paint_colour_bar(
            p,
            QRectF(kMargin + per_row * (tile + kMargin), y0 + heads_title, bar_w - 10, rows * tile_h - tile_h + tile),
            range, units, font, QColor(20, 20, 20));
    };
    return f;
}

Figure widget_figure(QWidget* widget) {
    Figure f;
    if (!widget) return f;
    f.size = widget->size();
    f.paint = [widget](QPainter& p) {
        widget->render(&p, QPoint(0, 0), QRegion(), QWidget::DrawChildren | QWidget::DrawWindowBackground);
    };
    return f;
}

}  // namespace clipscope::ui
