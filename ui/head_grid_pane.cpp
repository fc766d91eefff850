#include "head_grid_pane.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QRegularExpression>
#include <QShortcut>
#include <QSpinBox>
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
    keywords_->setPlaceholderText(tr("ablate heads whose labels hold: location, place"));
    top_k_ = new QSpinBox(this);
    top_k_->setRange(1, 10);
    top_k_->setValue(1);
    top_k_->setPrefix(tr("in top "));
    top_k_->setToolTip(
        tr("Match the keywords against each head's first TextSpan pick (the label the grid shows), or "
           "against its first k picks"));
    preview_ = new QLabel(this);
    preview_->setWordWrap(true);
    connect(keywords_, &QLineEdit::textChanged, this, &HeadGridPane::updatePreview);
    connect(top_k_, &QSpinBox::valueChanged, this, &HeadGridPane::updatePreview);
    connect(model_, &QAbstractItemModel::modelReset, this, &HeadGridPane::updatePreview);
    connect(model_, &QAbstractItemModel::dataChanged, this, &HeadGridPane::updatePreview);
    auto* apply = new QPushButton(tr("Ablate matching"), this);
    auto* clear = new QPushButton(tr("Clear ablation"), this);
    auto* zero = new QCheckBox(tr("Zero"), this);
    zero->setToolTip(tr("Zero-ablate instead of replacing terms by their mean over the indexed image set"));
    connect(zero, &QCheckBox::toggled, state_, &ViewState::setForceZero);
    connect(apply, &QPushButton::clicked, this, [this] { ablateMatching(keywords_->text(), top_k_->value()); });
    connect(keywords_, &QLineEdit::returnPressed, apply, &QPushButton::click);
    connect(clear, &QPushButton::clicked, state_, &ViewState::clearAblation);

    auto* bulk = new QHBoxLayout;
    bulk->addWidget(keywords_, 1);
    bulk->addWidget(top_k_);
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
    layout->addWidget(preview_);
    connect(state_, &ViewState::liveChanged, this, &HeadGridPane::updateLegend);
    updateLegend();
    updatePreview();
}

void HeadGridPane::toggle(const QModelIndex& index) {
    if (!index.isValid() || !(model_->flags(index) & Qt::ItemIsEnabled)) return;  // the pooling row's empty cells
    const int layer = model_->layerOfRow(index.row()), head = model_->headOfColumn(index.column());
    if (head < 0)
        state_->toggleMlp(layer);
    else
        state_->toggleHead(layer, head);
}

void HeadGridPane::updateLegend() {
    const LiveResult& live = state_->live();
    legend_->setText(
        live.valid ? tr("Colour: each part's direct contribution along %1 (red toward, blue away; "
                        "range \u00b1%2, the largest |value| in the grid)%3. Ablated: %4.")
                         .arg(live.direction_label, tick_text(model_->scale()),
                              model_->valueExponent() ? tr("; numbers in cells") + model_->exponentSuffix() : QString(),
                              state_->ablationSummary())
                   : tr("Enter a text or labels to colour the heads by their contribution."));
    colour_bar_->setScale(live.valid ? model_->scale() : 0.0, live.units);
}

void HeadGridPane::showContextMenu(const QPoint& pos) {
    const QModelIndex index = table_->indexAt(pos);
    if (!index.isValid() || !(model_->flags(index) & Qt::ItemIsEnabled)) return;
    const int layer = model_->layerOfRow(index.row()), head = model_->headOfColumn(index.column());
    QMenu menu(this);
    menu.addAction(tr("Toggle ablation of this cell"), this, [this, index] { toggle(index); });
    const int layers = static_cast<int>(state_->model() ? state_->model()->layers : 0);
    if (!model_->isPoolingRow(layer))
        menu.addAction(tr("Ablate every head of layer %1").arg(layer), this, [this, layer] {
            auto heads = state_->ablatedHeads();
            for (int h = 0; h < model_->columnCount() - 1; ++h) heads.insert({layer, h});
            state_->setAblated(heads, state_->ablatedMlps());
        });
    if (head >= 0)
        menu.addAction(tr("Ablate head %1 of every layer").arg(head), this, [this, head, layers] {
            auto heads = state_->ablatedHeads();
            for (int l = 0; l < layers; ++l) heads.insert({l, head});
            state_->setAblated(heads, state_->ablatedMlps());
        });
    menu.addAction(tr("Clear ablation"), state_, &ViewState::clearAblation);
    menu.exec(table_->viewport()->mapToGlobal(pos));
}

std::vector<std::pair<int, int>> HeadGridPane::matchingHeads(const QString& keywords, int top_k) const {
    // Whole words, case-insensitive: "water" matches "a glass of water", not "waterfall".
    std::vector<QRegularExpression> patterns;
    for (const QString& w : keywords.split(',', Qt::SkipEmptyParts))
        if (!w.trimmed().isEmpty())
            patterns.emplace_back("\\b" + QRegularExpression::escape(w.trimmed()) + "\\b",
                                  QRegularExpression::CaseInsensitiveOption);
    std::vector<std::pair<int, int>> out;
    if (patterns.empty()) return out;
    for (int row = 0; row < model_->rowCount(); ++row)
        for (int head = 0; head + 1 < model_->columnCount(); ++head) {
            const int layer = model_->layerOfRow(row);
            const QStringList picks = model_->labelsOf(layer, head).mid(0, std::max(1, top_k));
            const bool hit = std::any_of(picks.begin(), picks.end(), [&](const QString& pick) {
                return std::any_of(patterns.begin(), patterns.end(),
                                   [&](const QRegularExpression& re) { return re.match(pick).hasMatch(); });
            });
            if (hit) out.emplace_back(layer, head);
        }
    std::sort(out.begin(), out.end());
    return out;
}

int HeadGridPane::ablateMatching(const QString& keywords, int top_k) {
    const auto matched = matchingHeads(keywords, top_k);
    auto heads = state_->ablatedHeads();
    heads.insert(matched.begin(), matched.end());
    state_->setAblated(heads, state_->ablatedMlps());
    return static_cast<int>(matched.size());
}

void HeadGridPane::updatePreview() {
    if (keywords_->text().trimmed().isEmpty()) {
        preview_->setText(model_->hasLabels() ? tr("Type keywords to ablate the heads whose TextSpan labels hold them.")
                                              : tr("Load TextSpan labels to ablate heads by keyword."));
        return;
    }
    const auto matched = matchingHeads(keywords_->text(), top_k_->value());
    QStringList names;
    for (const auto& [l, h] : matched) {
        const QStringList labels = model_->labelsOf(l, h);
        names << QString("L%1.H%2 (%3)").arg(l).arg(h).arg(labels.isEmpty() ? QString() : short_label(labels.first()));
    }
    const QString where = top_k_->value() == 1 ? tr("first pick") : tr("top %1 picks").arg(top_k_->value());
    preview_->setText(matched.empty()
                          ? tr("No head has it in its %1.").arg(where)
                          : tr("Ablates %n head(s) (keyword in the %1): %2", "", static_cast<int>(matched.size()))
                                .arg(where, names.join(", ")));
}

}  // namespace clipscope::ui
