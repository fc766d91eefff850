#pragma once
// The image set and its neighbour gallery: which set is indexed (index a folder, with
// progress and cancel), and the images of the set most similar to the current one
// according to the selected head, its layer, or the whole embedding. Clicking a
// thumbnail opens that image in the canvas.
#include <QWidget>

#include "analysis_types.h"

class QComboBox;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;

namespace clipscope::ui {

class ViewState;

class GalleryPane : public QWidget {
    Q_OBJECT
public:
    static constexpr int kShown = 16;  // neighbours shown (one more is asked for: the query may be among them)
    explicit GalleryPane(ViewState* state, QWidget* parent = nullptr);
    // 0 = selected head, 1 = its layer, 2 = full embedding (NeighborQuery's order).
    int by() const;
    void showNeighbors(const NeighborsPtr& neighbors);
    const NeighborsPtr& neighbors() const { return shown_; }
    void showProgress(qint64 done, qint64 total, const QString& what);
    void setIndexing(bool running);

Q_SIGNALS:
    void indexFolderRequested(const QString& folder);
    void textSpanRequested(const QString& descriptions);
    void cancelRequested();
    void queryChanged();
    void openImageRequested(const QString& path);

private:
    void updateHeader();
    ViewState* state_;
    QLabel* header_;
    QLabel* scores_note_;  // what the query is and what the numbers under the images mean
    QComboBox* by_;
    QListWidget* list_;
    QProgressBar* progress_;
    QPushButton *index_, *cancel_, *textspan_;
    NeighborsPtr shown_;
};

}  // namespace clipscope::ui
