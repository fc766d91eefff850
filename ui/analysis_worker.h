#pragma once
// Runs the model's jobs off the GUI thread, in two lanes sharing the loaded model
// read-only: the user's requests (loading, decomposing an image, embedding texts,
// neighbours) on one thread, long jobs (indexing, TextSpan) on another. A long job pauses
// at its next step (RunControl::check) while a request is waiting or running, so an image
// the user asks for never waits behind an index. Results come back as signals; a request
// superseded by a newer one of the same kind before it starts is dropped, and errors come
// back as readable messages rather than exceptions.
#include <QObject>
#include <QThread>
#include <atomic>
#include <condition_variable>
#include <functional>
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
    // allow_unknown_config_fields: load a config with fields ClipScope does not know (each is
    // recorded in ModelSummary::unknown_config_fields) instead of failing on the first.
    // text_files: texts are looked up there instead of embedded by the text tower.
    uint64_t loadModel(const QString& spec, const QString& device = "cpu", const QString& vocabulary = {},
                       bool allow_unknown_config_fields = false, const TextEmbeddingFiles& text_files = {});
    // texts: the current texts, which the maps are projected on when the model's spatial
    // terms exceed the budget (ImageAnalysis::projected); ignored below it.
    uint64_t analyseImage(const QString& path, TextEmbeddingsPtr texts = {});
    // Bytes of E-wide spatial terms an image may hold: 512 MB by default, or
    // CLIPSCOPE_SPATIAL_BUDGET_MB from the environment. Above it the app keeps each head's
    // maps toward the current texts only, and a new text re-runs the image (docs/method.md §6.1).
    void setSpatialBudget(int64_t bytes) { spatial_budget_ = bytes; }
    // CLIPSCOPE_SPATIAL_BUDGET_MB in bytes, or the 512 MB default when it is not set; a value
    // that is not a whole number of megabytes (0 or more) is a Usage error naming it, which
    // the app's start reports (exit 2).
    static int64_t spatialBudgetFromEnvironment();
    int64_t spatialBudget() const { return spatial_budget_.load(); }
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
    // The user's requests posted but not yet finished (a long job pauses while there are any).
    int interactivePending() const { return interactive_pending_.load(); }

Q_SIGNALS:
    void modelLoaded(clipscope::ui::ModelSummaryPtr summary);
    void imageAnalysed(clipscope::ui::ImageAnalysisPtr analysis);
    void textsEmbedded(clipscope::ui::TextEmbeddingsPtr texts);
    void imageSetReady(clipscope::ui::ImageSetPtr set);
    void neighborsFound(clipscope::ui::NeighborsPtr neighbors);
    void textSpanReady(const clipscope::ui::HeadLabels& labels, const QString& saved_to);
    void progress(qint64 done, qint64 total, const QString& what);
    // An image request's steps as they start (1 decoding, 2 resizing, 3 decomposing), so a
    // large image says what it is waiting for: "Decoding big.jpg (12000 × 12000 px, 41 MB)".
    // percent is how far the step is, -1 where it cannot be told (OpenCV decodes PNG, WebP,
    // TIFF, BMP and PNM in one call); a step that can tell is repeated as it advances.
    void imageStep(const QString& path, int step, int steps, const QString& what, int percent);
    void failed(const QString& what, const QString& message);
    void cancelled(const QString& what);
    void busyChanged(bool busy);

private:
    class JobScope;
    enum class Lane { Interactive, Long };
    template <typename Job>
    void post(const char* what, Lane lane, std::atomic<uint64_t>& latest, uint64_t id, Job job);
    std::shared_ptr<const ClipModel> model() const;
    std::shared_ptr<const Store> store() const;
    // A long job's wait: while the user's requests are pending, unless give_up() holds.
    void waitForRequests(const std::function<bool()>& give_up);

    QThread thread_, long_thread_;
    QObject* context_ = nullptr;       // lives on thread_: the user's requests run in its event loop
    QObject* long_context_ = nullptr;  // lives on long_thread_: indexing and TextSpan
    mutable std::mutex state_mutex_;   // guards model_ and store_ (read by both lanes)
    std::shared_ptr<const ClipModel> model_;
    std::shared_ptr<const Store> store_;  // the indexed set of the current model
    std::mutex control_mutex_;
    std::shared_ptr<RunControl> control_;  // the running long job's, for cancelJob()
    std::mutex lane_mutex_;
    std::condition_variable lane_cv_;  // signalled when a request finishes
    std::atomic<uint64_t> next_id_{1};
    std::atomic<uint64_t> latest_model_{0}, latest_image_{0}, latest_texts_{0}, latest_index_{0}, latest_neighbors_{0},
        latest_textspan_{0};
    std::atomic<int> pending_{0}, interactive_pending_{0};
    std::atomic<int64_t> spatial_budget_{int64_t{512} << 20};
    TextEmbeddingsPtr last_texts_;  // the latest texts embedded; read and written on thread_ only
};

}  // namespace clipscope::ui
