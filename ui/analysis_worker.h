#pragma once
// Runs every model job (loading, decomposing an image, embedding texts) on one worker
// thread, so the GUI thread never waits on the model. Requests are posted, results come
// back as signals; a request superseded by a newer one of the same kind before it starts
// is dropped, and errors come back as readable messages rather than exceptions.
#include <QObject>
#include <QThread>
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "analysis_types.h"
#include "clipscope/analysis/neighbors.h"
#include "textspan_labels.h"

namespace clipscope {
class ClipModel;
class RunControl;
class Store;
}  // namespace clipscope

namespace clipscope::ui {

class AnalysisWorker : public QObject {
    Q_OBJECT
public:
    AnalysisWorker();
    ~AnalysisWorker() override;  // stops the thread after the running job

    // Each returns the request's id; results carry it back.
    uint64_t loadModel(const QString& spec, const QString& device = "cpu", const QString& vocabulary = {});
    uint64_t analyseImage(const QString& path);
    uint64_t embedTexts(const QString& text_a, const QString& text_b, const QStringList& labels);
    // Indexes a folder of images (recursively) into a store under `cache_root`, keyed by the
    // model's weights and the folder, resuming a partial one; "demo:" indexes a generated
    // set of shapes-world scenes. Progress comes as `progress`, cancelJob() stops it
    // (what was written stays and resumes next time).
    uint64_t indexImageSet(const QString& folder, const QString& cache_root);
    // TextSpan for every head over the indexed set (docs/method.md §4), from a description
    // file (one per line; FAMILY<TAB>text lines use the text); the result is also written
    // as `textspan-*.json` beside the set's store, in clipscope-cli textspan's format.
    uint64_t computeTextSpan(const QString& descriptions, int per_head = 10);
    // Nearest images of the indexed set to the current key (see core/neighbors.h).
    uint64_t findNeighbors(const std::vector<float>& key, const NeighborQuery& query, int k);
    void cancelJob();
    // Jobs posted but not yet finished (the GUI's busy indicator, and headless export).
    int pending() const { return pending_.load(); }

Q_SIGNALS:
    void modelLoaded(clipscope::ui::ModelSummaryPtr summary);
    void imageAnalysed(clipscope::ui::ImageAnalysisPtr analysis);
    void textsEmbedded(clipscope::ui::TextEmbeddingsPtr texts);
    void imageSetReady(clipscope::ui::ImageSetPtr set);
    void neighborsFound(clipscope::ui::NeighborsPtr neighbors);
    void textSpanReady(const clipscope::ui::HeadLabels& labels, const QString& saved_to);
    void progress(qint64 done, qint64 total, const QString& what);
    void failed(const QString& what, const QString& message);
    void cancelled(const QString& what);
    void busyChanged(bool busy);

private:
    class JobScope;
    template <typename Job>
    void post(const char* what, std::atomic<uint64_t>& latest, uint64_t id, Job job);

    QThread thread_;
    QObject* context_ = nullptr;        // lives on thread_; jobs run in its event loop
    std::shared_ptr<ClipModel> model_;  // touched on the worker thread only
    std::shared_ptr<Store> store_;      // the indexed set of the current model (worker thread only)
    std::mutex control_mutex_;
    std::shared_ptr<RunControl> control_;  // the running long job's, for cancelJob()
    std::atomic<uint64_t> next_id_{1};
    std::atomic<uint64_t> latest_model_{0}, latest_image_{0}, latest_texts_{0}, latest_index_{0}, latest_neighbors_{0},
        latest_textspan_{0};
    std::atomic<int> pending_{0};
};

}  // namespace clipscope::ui
