#include "head_grid_pane.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QShortcut>
#include <QTableView>
#include <QVBoxLayout>

#include "colour_bar.h"
#include "head_grid_delegate.h"
#include "head_grid_model.h"
#include "view_state.h"

namespace clipscope::ui {

HeadGridPane::HeadGridPane(ViewState* state, HeadGridModel* model, QWidget* parent)
    : QWidget(parent), state_(state), model_(model) {
    table_ = new QTableView(this);
    table_->setModel(model_);
    table_->setItemDelegate(new HeadGridDelegate(table_));
    table_->setSelectionMode(QAbstractItemView::NoSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setContextMenuPolicy(Qt::CustomContextMenu);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    table_->verticalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    table_->setShowGrid(false);
    connect(table_, &QTableView::clicked, this, [this](const QModelIndex& i) {
        state_->selectHead(model_->layerOfRow(i.row()), model_->headOfColumn(i.column()));
    });
    connect(table_, &QTableView::doubleClicked, this, &HeadGridPane::toggle);
    connect(table_, &QTableView::customContextMenuRequested, this, &HeadGridPane::showContextMenu);
    auto* space = new QShortcut(QKeySequence(Qt::Key_Space), table_, nullptr, nullptr, Qt::WidgetShortcut);
    connect(space, &QShortcut::activated, this, [this] {
        if (state_->selectedLayer() >= 0) toggle(model_->indexOf(state_->selectedLayer(), state_->selectedHead()));
    });

    legend_ = new QLabel(this);
    legend_->setWordWrap(true);
    keywords_ = new QLineEdit(this);
    keywords_->setPlaceholderText(tr("ablate heads whose labels match: location, place"));
    auto* apply = new QPushButton(tr("Ablate matching"), this);
    auto* clear = new QPushButton(tr("Clear ablation"), this);
    auto* zero = new QCheckBox(tr("Zero"), this);
    zero->setToolTip(tr("Zero-ablate instead of replacing terms by their mean over the indexed image set"));
    connect(zero, &QCheckBox::toggled, state_, &ViewState::setForceZero);
    connect(apply, &QPushButton::clicked, this, [this] { ablateMatching(keywords_->text()); });
    connect(keywords_, &QLineEdit::returnPressed, apply, &QPushButton::click);
    connect(clear, &QPushButton::clicked, state_, &ViewState::clearAblation);

    auto* bulk = new QHBoxLayout;
    bulk->addWidget(keywords_, 1);
    bulk->addWidget(apply);
    bulk->addWidget(clear);
    bulk->addWidget(zero);
    colour_bar_ = new ColourBarWidget(this);
    auto* table_and_bar = new QHBoxLayout;
    table_and_bar->addWidget(table_, 1);
    table_and_bar->addWidget(colour_bar_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(table_and_bar, 1);
    layout->addWidget(legend_);
    layout->addLayout(bulk);
    connect(state_, &ViewState::liveChanged, this, &HeadGridPane::updateLegend);
    updateLegend();
}

void HeadGridPane::toggle(const QModelIndex& index) {
    if (!index.isValid()) return;
    const int layer = model_->layerOfRow(index.row()), head = model_->headOfColumn(index.column());
    if (head < 0)
        state_->toggleMlp(layer);
    else
        state_->toggleHead(layer, head);
}

void HeadGridPane::updateLegend() {
    const LiveResult& live = state_->live();
    legend_->setText(live.valid ? tr("Colour: each part's direct contribution along %1 (red toward, blue away; "
                                     "range \u00b1%2, the largest |value| in the grid). Ablated: %3.")
                                      .arg(live.direction_label, tick_text(model_->scale()), state_->ablationSummary())
                                : tr("Enter a text or labels to colour the heads by their contribution."));
    colour_bar_->setScale(live.valid ? model_->scale() : 0.0, live.units);
}

void HeadGridPane::showContextMenu(const QPoint& pos) {
    const QModelIndex index = table_->indexAt(pos);
    if (!index.isValid()) return;
    const int layer = model_->layerOfRow(index.row()), head = model_->headOfColumn(index.column());
    QMenu menu(this);
    menu.addAction(tr("Toggle ablation of this cell"), this, [this, index] { toggle(index); });
    menu.addAction(tr("Ablate every head of layer %1").arg(layer), this, [this, layer] {
        auto heads = state_->ablatedHeads();
        for (int h = 0; h < model_->columnCount() - 1; ++h) heads.insert({layer, h});
        state_->setAblated(heads, state_->ablatedMlps());
    });
    if (head >= 0)
        menu.addAction(tr("Ablate head %1 of every layer").arg(head), this, [this, head] {
            auto heads = state_->ablatedHeads();
            for (int l = 0; l < model_->rowCount(); ++l) heads.insert({l, head});
            state_->setAblated(heads, state_->ablatedMlps());
        });
    menu.addAction(tr("Clear ablation"), state_, &ViewState::clearAblation);
    menu.exec(table_->viewport()->mapToGlobal(pos));
}

int HeadGridPane::ablateMatching(const QString& keywords) {
    QStringList words;
    for (const QString& w : keywords.split(',', Qt::SkipEmptyParts))
        if (!w.trimmed().isEmpty()) words << w.trimmed();
    auto heads = state_->ablatedHeads();
    int matched = 0;
    for (int row = 0; row < model_->rowCount(); ++row)
        for (int column = 0; column + 1 < model_->columnCount(); ++column) {
            const QString labels = model_->labelsOf(model_->layerOfRow(row), column).join('\n');
            for (const QString& w : words)
                if (labels.contains(w, Qt::CaseInsensitive)) {
                    heads.insert({model_->layerOfRow(row), column});
                    ++matched;
                    break;
                }
        }
    state_->setAblated(heads, state_->ablatedMlps());
    return matched;
}

}  // namespace clipscope::ui
