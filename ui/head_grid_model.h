#pragma once
// Layers x (heads + MLP) as a table: row 0 is the last layer (where the direct effect
// lives, docs/method.md §3), the last column is the layer's MLP. Each cell's value is the
// part's direct contribution along the current direction; cells know whether they are
// ablated and carry an optional text label (a head's top TextSpan description).
#include <QAbstractTableModel>
#include <QHash>
#include <QStringList>

namespace clipscope::ui {

class ViewState;

class HeadGridModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Role { ContributionRole = Qt::UserRole + 1, ScaleRole, AblatedRole, LayerRole, HeadRole, SelectedRole };

    explicit HeadGridModel(ViewState* state, QObject* parent = nullptr);
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    // Labels per head, e.g. TextSpan's top descriptions (first = shown in the cell).
    void setHeadLabels(const QHash<QPair<int, int>, QStringList>& labels);
    QStringList labelsOf(int layer, int head) const { return labels_.value({layer, head}); }
    int layerOfRow(int row) const;
    int headOfColumn(int column) const;  // -1 = the MLP column
    QModelIndex indexOf(int layer, int head) const;

private:
    void refresh();
    ViewState* state_;
    int layers_ = 0, heads_ = 0;
    float scale_ = 1.f;  // max |contribution| over the grid, for colours
    QHash<QPair<int, int>, QStringList> labels_;
};

}  // namespace clipscope::ui
