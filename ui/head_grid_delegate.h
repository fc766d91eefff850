#pragma once
// Paints a head-grid cell: its contribution as a diverging colour (red pushes toward the
// direction, blue away), its label, a cross when ablated, a frame when selected.
#include <QStyledItemDelegate>

namespace clipscope::ui {

class HeadGridDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

}  // namespace clipscope::ui
