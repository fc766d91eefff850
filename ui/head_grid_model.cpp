#include "head_grid_model.h"

#include <algorithm>
#include <cmath>

#include "view_state.h"

namespace clipscope::ui {

QString short_label(const QString& description) {
    // Cells are small: drop the carrier phrases descriptions share ("a photo of a", "it is")
    // so the word that differs between heads is what shows.
    static const QStringList prefixes = {"a photo of a ", "a photo of an ",
                                         "a photo of ",   "an image of a ",
                                         "an image of ",  "a picture of a ",
                                         "there is a ",   "there is an ",
                                         "it is ",        "this is a ",
                                         "this is ",      "something ",
                                         "on a ",         "on the ",
                                         "in the ",       "a ",
                                         "an ",           "the "};
    QString s = description.trimmed();
    for (bool changed = true; changed;) {
        changed = false;
        for (const QString& p : prefixes)
            if (s.startsWith(p, Qt::CaseInsensitive) && s.size() > p.size()) {
                s = s.mid(p.size());
                changed = true;
                break;
            }
    }
    return s;
}

HeadGridModel::HeadGridModel(ViewState* state, QObject* parent) : QAbstractTableModel(parent), state_(state) {
    const auto take_shape = [this] {
        layers_ = state_->model() ? static_cast<int>(state_->model()->layers) : 0;
        heads_ = state_->model() ? static_cast<int>(state_->model()->heads) : 0;
        pool_rows_ = state_->model() && state_->model()->pooled ? 1 : 0;
    };
    take_shape();  // a grid made after the model was set shows it too
    refresh();
    connect(state_, &ViewState::modelChanged, this, [this, take_shape] {
        beginResetModel();
        take_shape();
        labels_.clear();
        endResetModel();
    });
    connect(state_, &ViewState::liveChanged, this,
            &HeadGridModel::refresh);  // ablation changes recompute, so they arrive here too
    connect(state_, &ViewState::selectionChanged, this, &HeadGridModel::refresh);
}

int HeadGridModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : layers_ + pool_rows_; }
int HeadGridModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() || layers_ == 0 ? 0 : heads_ + 1;
}
int HeadGridModel::layerOfRow(int row) const { return layers_ - 1 + pool_rows_ - row; }
int HeadGridModel::headOfColumn(int column) const { return column == heads_ ? -1 : column; }
QModelIndex HeadGridModel::indexOf(int layer, int head) const {
    return index(layers_ - 1 + pool_rows_ - layer, head < 0 ? heads_ : head);
}

bool HeadGridModel::isPoolingRow(int layer) const { return pool_rows_ > 0 && layer == layers_; }

Qt::ItemFlags HeadGridModel::flags(const QModelIndex& index) const {
    // The pooling row has one term, in the MLP column; its head cells are empty and inert.
    if (index.isValid() && isPoolingRow(layerOfRow(index.row())) && headOfColumn(index.column()) >= 0)
        return Qt::NoItemFlags;
    return QAbstractTableModel::flags(index);
}

int HeadGridModel::valueExponent() const {
    // A multiple of 3 that brings the largest value to 1..1000; none for values from 0.1 up.
    if (!(scale_ > 1e-11f) || scale_ >= 0.1f) return 0;
    return static_cast<int>(std::floor(std::log10(static_cast<double>(scale_)) / 3.0)) * 3;
}

QString HeadGridModel::exponentSuffix() const {
    const int e = valueExponent();
    if (e == 0) return {};
    static const QString digits = QString::fromUtf8("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079");
    QString power;
    for (QChar c : QString::number(-e)) power += digits[c.digitValue()];
    return QString::fromUtf8(" \u00d710\u207b") + power;
}

void HeadGridModel::setHeadLabels(const HeadLabels& labels) {
    labels_ = labels;
    refresh();
}

void HeadGridModel::refresh() {
    const LiveResult& live = state_->live();
    scale_ = 1e-12f;
    if (live.valid) {
        for (float v : live.parts.heads) scale_ = std::max(scale_, std::fabs(v));
        for (size_t m = 1; m < live.parts.mlps.size(); ++m) scale_ = std::max(scale_, std::fabs(live.parts.mlps[m]));
        for (float v : live.parts.pooling) scale_ = std::max(scale_, std::fabs(v));
    }
    if (rowCount() > 0) Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
}

QVariant HeadGridModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid()) return {};
    const int layer = layerOfRow(index.row()), head = headOfColumn(index.column());
    const bool pool = isPoolingRow(layer);
    if (pool && head >= 0) return {};
    const LiveResult& live = state_->live();
    float value = 0;
    bool has_value = false;
    if (live.valid && pool) {
        if (!live.parts.pooling.empty()) value = live.parts.pooling.front(), has_value = true;
    } else if (live.valid) {
        if (head >= 0 && static_cast<size_t>(layer * heads_ + head) < live.parts.heads.size())
            value = live.parts.heads[static_cast<size_t>(layer * heads_ + head)], has_value = true;
        if (head < 0 && static_cast<size_t>(layer + 1) < live.parts.mlps.size())
            value = live.parts.mlps[static_cast<size_t>(layer + 1)], has_value = true;
    }
    const HeadTexts texts = head >= 0 ? labels_.value({layer, head}) : HeadTexts();
    const QStringList& labels = texts.texts;
    const QString name = pool        ? QString("the attention pooling head's MLP")
                         : head >= 0 ? QString("L%1.H%2").arg(layer).arg(head)
                                     : QString("L%1 MLP").arg(layer);
    switch (role) {
        case Qt::DisplayRole:
            if (!labels.isEmpty()) return short_label(labels.first());
            // Small values in a stated power of ten (the MLP header and the legend say which), so they fit a cell.
            return has_value ? QString::number(value / std::pow(10.0, valueExponent()), 'g', 3) : QString();
        case Qt::ToolTipRole: {
            QString tip = "<b>" + name + "</b>";
            if (has_value)
                tip += QString("<br>direct contribution along %1: %2")
                           .arg(live.direction_label.toHtmlEscaped())
                           .arg(value, 0, 'g', 4);
            if (pool) tip += "<br>the pooling head's residual MLP, one term: not linear, so not split by head or patch";
            if (!labels.isEmpty())
                tip += QString("<br>TextSpan (%1 of the variance in %2 picks):")
                           .arg(texts.total_variance, 0, 'f', 3)
                           .arg(labels.size());
            for (int i = 0; i < std::min<int>(labels.size(), 5); ++i)
                tip += "<br>" + QString::number(i + 1) + ". " + labels[i].toHtmlEscaped() +
                       (i < texts.variance.size() ? QString(" (%1)").arg(texts.variance[i], 0, 'f', 3) : QString());
            const bool off = head >= 0 ? state_->isAblated(layer, head) : state_->isMlpAblated(layer);
            if (off)
                tip += state_->imageSet() ? "<br><i>ablated (replaced by its mean over the image set)</i>"
                                          : "<br><i>ablated (zero: no image set)</i>";
            tip += "<br><small>click: select \u00b7 double-click or Space: ablate</small>";
            return tip;
        }
        case ContributionRole:
            return has_value ? QVariant(value) : QVariant();
        case ScaleRole:
            return scale_;
        case AblatedRole:
            return head >= 0 ? state_->isAblated(layer, head) : state_->isMlpAblated(layer);
        case LayerRole:
            return layer;
        case HeadRole:
            return head;
        case SelectedRole:
            return state_->selectedLayer() == layer && state_->selectedHead() == head;
        default:
            return {};
    }
}

QVariant HeadGridModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole) return {};
    if (orientation == Qt::Horizontal)
        return section == heads_ ? QString("MLP") + (valueExponent() ? "\n" + exponentSuffix().trimmed() : QString())
                                 : QString("H%1").arg(section);
    return isPoolingRow(layerOfRow(section)) ? QString("pool") : QString("L%1").arg(layerOfRow(section));
}

}  // namespace clipscope::ui
