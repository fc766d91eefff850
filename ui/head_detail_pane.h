#pragma once
// The selected head: its name, its direct contribution along the current direction,
// its TextSpan descriptions with a chart of the variance they explain (cumulative), and
// its own spatial map on the current image.
#include <QWidget>

class QChartView;
class QLabel;
class QListWidget;

namespace clipscope::ui {

class HeadGridModel;
class ViewState;

class HeadDetailPane : public QWidget {
    Q_OBJECT
public:
    HeadDetailPane(ViewState* state, HeadGridModel* grid, QWidget* parent = nullptr);
    void refresh();

protected:
    void changeEvent(QEvent* event) override;

private:
    ViewState* state_;
    HeadGridModel* grid_;
    QLabel *title_, *value_, *map_;
    QListWidget* labels_;
    QChartView* chart_;
};

}  // namespace clipscope::ui
