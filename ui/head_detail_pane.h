#pragma once
// The selected head: its name, its direct contribution along the current direction,
// its labels (TextSpan descriptions when the model has them) and its own spatial map
// on the current image.
#include <QWidget>

class QLabel;
class QListWidget;

namespace clipscope::ui {

class HeadGridModel;
class ViewState;

class HeadDetailPane : public QWidget {
    Q_OBJECT
public:
    HeadDetailPane(ViewState* state, HeadGridModel* grid, QWidget* parent = nullptr);

private:
    void refresh();
    ViewState* state_;
    HeadGridModel* grid_;
    QLabel *title_, *value_, *map_;
    QListWidget* labels_;
};

}  // namespace clipscope::ui
