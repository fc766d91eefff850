#include "head_grid_delegate.h"

#include <QPainter>
#include <algorithm>

#include "colour_maps.h"
#include "head_grid_model.h"

namespace clipscope::ui {

void HeadGridDelegate::paint(QPainter* p, const QStyleOptionViewItem& option, const QModelIndex& index) const {
    p->save();
    const QRect r = option.rect.adjusted(1, 1, -1, -1);
    const QVariant value = index.data(HeadGridModel::ContributionRole);
    const double scale = index.data(HeadGridModel::ScaleRole).toDouble();
    const bool ablated = index.data(HeadGridModel::AblatedRole).toBool();
    QColor fill = value.isValid() && scale > 0 ? diverging_colour(value.toDouble() / scale)
                                               : option.palette.color(QPalette::Base);
    if (ablated) fill = fill.darker(140);
    p->fillRect(r, fill);
    // The text takes black or white by the fill's luminance, so strong and ablated cells stay readable.
    const QColor ink = readable_text_on(fill);
    p->setPen(ink);
    QFont font = option.font;
    font.setPointSizeF(font.pointSizeF() * 0.85);
    p->setFont(font);
    // Up to two lines, word-wrapped, elided after that.
    const QFontMetrics fm(font);
    const QRect box = r.adjusted(2, 1, -2, -1);
    const QString full = index.data(Qt::DisplayRole).toString();
    const QRect needed = fm.boundingRect(box, Qt::AlignCenter | Qt::TextWordWrap, full);
    if (needed.height() <= std::min(box.height(), 2 * fm.lineSpacing()) && needed.width() <= box.width())
        p->drawText(box, Qt::AlignCenter | Qt::TextWordWrap, full);
    else
        p->drawText(box, Qt::AlignCenter, fm.elidedText(full, Qt::ElideRight, box.width()));
    if (ablated) {
        QColor cross = ink;
        cross.setAlpha(110);  // under the label, not over it
        p->setPen(QPen(cross, 1.5));
        p->drawLine(r.topLeft(), r.bottomRight());
        p->drawLine(r.topRight(), r.bottomLeft());
    }
    if (index.data(HeadGridModel::SelectedRole).toBool()) {
        p->setPen(QPen(option.palette.color(QPalette::Highlight), 3));
        p->drawRect(r.adjusted(1, 1, -1, -1));
    }
    p->restore();
}

QSize HeadGridDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex&) const {
    return {option.fontMetrics.horizontalAdvance("0.000") + 14, option.fontMetrics.height() + 10};
}

}  // namespace clipscope::ui
