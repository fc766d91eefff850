#pragma once
// The head grid pane: the table, its colour bar, a legend of what the colours measure,
// and bulk ablation (a row, a column, the heads whose TextSpan labels hold a keyword,
// previewed before it is applied; clear).
#include <QWidget>
#include <utility>
#include <vector>

class QLabel;
class QLineEdit;
class QSpinBox;
class QTableView;

namespace clipscope::ui {

class ColourBarWidget;
class HeadGridModel;
class ViewState;

class HeadGridPane : public QWidget {
    Q_OBJECT
public:
    HeadGridPane(ViewState* state, HeadGridModel* model, QWidget* parent = nullptr);
    QTableView* table() const { return table_; }
    // The heads whose first `top_k` TextSpan picks hold one of the comma-separated
    // keywords as whole words (case-insensitive), by layer and head.
    std::vector<std::pair<int, int>> matchingHeads(const QString& keywords, int top_k = 1) const;
    // Ablates them (on top of what is ablated); returns how many matched.
    int ablateMatching(const QString& keywords, int top_k = 1);

private:
    void showContextMenu(const QPoint& pos);
    void toggle(const QModelIndex& index);
    void updateLegend();
    void updatePreview();

    ViewState* state_;
    HeadGridModel* model_;
    QTableView* table_;
    QLabel* legend_;
    QLineEdit* keywords_;
    QSpinBox* top_k_;
    QLabel* preview_;
    ColourBarWidget* colour_bar_;
};

}  // namespace clipscope::ui
