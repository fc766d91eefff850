#include "head_detail_pane.h"

#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QListWidget>
#include <QPixmap>
#include <QVBoxLayout>
#include <algorithm>

#include "clipscope/heatmap.h"
#include "colour_maps.h"
#include "head_grid_model.h"
#include "view_state.h"

namespace clipscope::ui {

HeadDetailPane::HeadDetailPane(ViewState* state, HeadGridModel* grid, QWidget* parent) : QWidget(parent), state_(state), grid_(grid) {
    title_ = new QLabel(this);
    QFont f = title_->font();
    f.setBold(true);
    title_->setFont(f);
    value_ = new QLabel(this);
    value_->setWordWrap(true);
    map_ = new QLabel(this);
    map_->setFixedSize(128, 128);
    map_->setAlignment(Qt::AlignCenter);
    map_->setFrameShape(QFrame::StyledPanel);
    labels_ = new QListWidget(this);
    auto* top = new QHBoxLayout;
    auto* text = new QVBoxLayout;
    text->addWidget(title_);
    text->addWidget(value_);
    text->addStretch(1);
    top->addLayout(text, 1);
    top->addWidget(map_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(labels_, 1);
    connect(state_, &ViewState::selectionChanged, this, &HeadDetailPane::refresh);
    connect(state_, &ViewState::liveChanged, this, &HeadDetailPane::refresh);
    refresh();
}

void HeadDetailPane::refresh() {
    const int layer = state_->selectedLayer(), head = state_->selectedHead();
    labels_->clear();
    map_->clear();
    if (layer < 0 || !state_->model()) {
        title_->setText(tr("No head selected"));
        value_->setText(tr("Click a cell of the head grid."));
        return;
    }
    title_->setText(head >= 0 ? tr("Layer %1, head %2").arg(layer).arg(head) : tr("Layer %1, MLP").arg(layer));
    const LiveResult& live = state_->live();
    const QVariant v = grid_->data(grid_->indexOf(layer, head), HeadGridModel::ContributionRole);
    value_->setText(v.isValid() ? tr("Direct contribution along %1: %2").arg(live.direction_label).arg(v.toDouble(), 0, 'g', 4)
                                : tr("Enter a text or labels to see its contribution."));
    const QStringList labels = head >= 0 ? grid_->labelsOf(layer, head) : QStringList();
    if (labels.isEmpty()) labels_->addItem(tr("(no TextSpan descriptions for this model yet)"));
    for (const QString& l : labels) labels_->addItem(l);

    // The head's own map along the direction, min-max coloured.
    const auto& a = state_->analysis();
    if (head < 0 || !live.valid || !a || a->decomposition->attentions.rank() != 5) return;
    MapSelection sel;
    sel.heads = {{layer, head}};
    FloatArray dir({1, static_cast<int64_t>(live.direction.size())}, live.direction);
    const int64_t G = state_->model()->grid;
    const FloatArray m = token_maps(*a->decomposition, 0, dir, sel, G);
    const auto [lo, hi] = std::minmax_element(m.data.begin(), m.data.end());
    QImage img(static_cast<int>(G), static_cast<int>(G), QImage::Format_RGB32);
    for (int64_t i = 0; i < G * G; ++i)
        img.setPixelColor(static_cast<int>(i % G), static_cast<int>(i / G), heat_colour(*hi > *lo ? (m.data[size_t(i)] - *lo) / (*hi - *lo) : 0.5));
    map_->setPixmap(QPixmap::fromImage(img.scaled(map_->size(), Qt::KeepAspectRatio, Qt::FastTransformation)));
    map_->setToolTip(tr("This head's own map along %1 (patch grid %2\u00d7%2)").arg(live.direction_label).arg(G));
}

}  // namespace clipscope::ui
