#pragma once
// Text queries and zero-shot scores: text A, optional text B ("A rather than B"), a
// labels list, and a bar chart of the label probabilities before and after ablation.
#include <QWidget>

class QChart;
class QChartView;
class QLabel;
class QLineEdit;

namespace clipscope::ui {

class ViewState;

class ScoresPane : public QWidget {
    Q_OBJECT
public:
    explicit ScoresPane(ViewState* state, QWidget* parent = nullptr);
    void setQuery(const QString& text_a, const QString& text_b, const QString& labels);
    QString textA() const;
    QString textB() const;
    QStringList labels() const;
    QChartView* chartView() const { return chart_view_; }

Q_SIGNALS:
    // The user changed a text; the window asks the worker to embed them.
    void queryChanged();

protected:
    void changeEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void updateChart();
    bool valuesFitInNames() const;

    ViewState* state_;
    QLineEdit *text_a_, *text_b_, *labels_;
    QLabel* summary_;
    QChartView* chart_view_;
    bool values_in_names_ = false;  // the category names hold the probabilities (when they fit)
};

}  // namespace clipscope::ui
