#pragma once
// Layers x (heads + MLP) as a table: row 0 is the last layer (where the direct effect
// lives, docs/method.md §3), the last column is the layer's MLP. An attention-pooled model
// (SigLIP) has one more row on top, "pool", whose only term is the pooling head's MLP in
// the MLP column (layer index == layers). Each cell's value is the
// part's direct contribution along the current direction; cells know whether they are
// ablated and carry an optional text label (a head's top TextSpan description).
#include <QAbstractTableModel>
#include <QHash>
#include <QStringList>

#include "textspan_labels.h"

namespace clipscope::ui {

class ViewState;

// A description shortened for a grid cell: "a photo of a triangle" -> "triangle".
QString short_label(const QString& description);

class HeadGridModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Role { ContributionRole = Qt::UserRole + 1, ScaleRole, AblatedRole, LayerRole, HeadRole, SelectedRole };

    explicit HeadGridModel(ViewState* state, QObject* parent = nullptr);
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

    // Labels per head, e.g. TextSpan's picks (the first is shown in the cell).
    void setHeadLabels(const HeadLabels& labels);
    bool hasLabels() const { return !labels_.isEmpty(); }
    HeadTexts headTexts(int layer, int head) const { return labels_.value({layer, head}); }
    QStringList labelsOf(int layer, int head) const { return labels_.value({layer, head}).texts; }
    int layerOfRow(int row) const;
    int headOfColumn(int column) const;  // -1 = the MLP column
    bool isPoolingRow(int layer) const;
    QModelIndex indexOf(int layer, int head) const;
    float scale() const { return scale_; }  // the symmetric colour range of the cells
    // Cell numbers are value / 10^valueExponent() (0, -3, -6, ...); exponentSuffix() is " ×10⁻³" or "".
    int valueExponent() const;
    QString exponentSuffix() const;

private:
    void refresh();
    ViewState* state_;
    int layers_ = 0, heads_ = 0;
    int pool_rows_ = 0;  // 1 for an attention-pooled model
    float scale_ = 1.f;  // max |contribution| over the grid, for colours
    HeadLabels labels_;
};

}  // namespace clipscope::ui
