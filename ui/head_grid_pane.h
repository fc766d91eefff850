#pragma once
// The head grid pane: the table, a legend of what the colours measure, and bulk
// ablation (a row, a column, all heads whose labels match a keyword, clear).
#include <QWidget>

class QLabel;
class QLineEdit;
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
    // Ablates every head whose labels contain one of the comma-separated keywords; returns the count.
    int ablateMatching(const QString& keywords);

private:
    void showContextMenu(const QPoint& pos);
    void toggle(const QModelIndex& index);
    void updateLegend();

    ViewState* state_;
    HeadGridModel* model_;
    QTableView* table_;
    QLabel* legend_;
    QLineEdit* keywords_;
    ColourBarWidget* colour_bar_;
};

}  // namespace clipscope::ui
