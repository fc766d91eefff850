#pragma once
// The ClipScope window: the canvas pane in the middle, dockable panes around it (head
// grid, texts and scores, head detail, image set, messages), and a status bar with the
// model, timings and the sum-of-parts self-check. It composes the panes around one
// ViewState and forwards model work to the AnalysisWorker. Its menus
// (main_window_menus.cpp), sessions (main_window_session.cpp), exports
// (main_window_export.cpp) and status and failures (main_window_status.cpp) live in
// files of their own.
#include <QList>
#include <QElapsedTimer>
#include <QMainWindow>
#include <QPair>
#include <QSet>
#include <QStringList>
#include <optional>

#include "analysis_types.h"
#include "figure_export.h"
#include "session_file.h"

class QLabel;
class QProgressBar;
class QToolButton;

namespace clipscope::ui {

class AnalysisWorker;
class ErrorReporter;
struct Figure;
class CanvasPane;
class GalleryPane;
class HeadGridModel;
class HeadGridPane;
class HeadDetailPane;
class ScoresPane;
class ViewState;

struct StartupOptions {
    QString model;  // "" = the bundled demo model
    QString device = "cpu";
    QString vocabulary;                        // tokenizer file for a model without its own ("" = search)
    bool allow_unknown_config_fields = false;  // --allow-unknown-config-fields
    TextEmbeddingFiles text_files;             // --text-embeddings / --texts: texts from files
    QStringList images;                        // "" = the demo's first image (with the demo model)
    QString text_a, text_b, labels;
    bool labels_given = false;               // else the demo's labels with the demo model
    QString head;                            // "L.H" to select
    QString ablate;                          // "L.H,L.H,..."
    QString session;                         // a session file to open instead of the above
    QList<QPair<QString, QString>> exports;  // (pane, file)
    QString export_data;                     // a folder for the data behind the panes
    bool quit_after_export = false;
    ExportSize export_size;  // --export-scale, --export-width, --export-dpi
};

// The first-start window size: 1280 x 820, shrunk to 92% x 90% of `available` (the
// screen's available area in logical pixels) where that is smaller; `available` empty:
// 1280 x 820.
QSize initial_window_size(const QSize& available);

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    MainWindow();
    ~MainWindow() override;
    // Loads the model and images, sets texts/selection/ablation, then runs the exports
    // once every requested job has finished (and quits if asked).
    void start(const StartupOptions& options);
    // A pane by its command-line name (figure_panes.h); null if unknown.
    QWidget* pane(const QString& name);
    // The figure a pane exports: drawn from the data (canvas, grid, sheet) or the pane as shown.
    Figure figureOf(const QString& name);
    // The worker that runs model jobs (its own thread; not a child of the window), for tests.
    AnalysisWorker* worker() const { return worker_; }

Q_SIGNALS:
    void exportsDone(int exit_code);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildMenus();
    void openImages(const QStringList& paths);
    void showImage(int index);
    void addStripItem(const QString& path);
    void applySession(const SessionData& session);
    SessionData currentSession() const;
    // vocabulary: a tokenizer file for models shipped without one ("" = the model's own or a search).
    void loadModel(const QString& spec, const QString& vocabulary = {});
    // Asks for a tokenizer file and reloads the model with it.
    void chooseVocabulary();
    void loadTextSpan(const QString& path, bool quiet_if_missing);
    void requestTexts();
    void requestNeighbors();
    void indexImageSet(const QString& source);
    void openFromGallery(const QString& path);
    void pasteImage();
    void remapIfStale();  // re-runs a projected image whose maps are for other texts
    void selectStrongestHead();
    void onFailed(const QString& what, const QString& message);
    // A model refused for a config field ClipScope does not know: the error's dialog with a
    // "load anyway" checkbox. True when the dialog was shown (the failure is then handled).
    bool offerUnknownConfigFields(const QString& message);
    // A job of the image-set pane (indexing, TextSpan) ended without a result: the pane stops showing it.
    void endGalleryJob(const QString& what);
    void onBusy(bool busy);
    // The command line's or a session's head and ablation, once the model's size is known.
    void applyPendingSelection(int layers, int heads);
    void updateStatus();
    // The current image's request says which step it is on, and after a second how long it has taken.
    void showImageStep(const QString& path, int step, int steps, const QString& what, int percent);
    void refreshImagePending();
    void runStartupExports();
    // "" when the files may be written; else why not (one is an open image or the model's file,
    // or an existing file ClipScope did not write, unless `replace_confirmed`).
    QString outputRefusal(const QStringList& outputs, bool replace_confirmed = false) const;
    // outputRefusal for an export the user chose in a dialog: where the only objection is that
    // files exist that ClipScope did not write, the user is asked whether to replace them
    // (nullopt: the user said no, and nothing is to be written or reported).
    std::optional<QString> confirmOutputs(const QStringList& outputs);
    void exportDialog();
    void saveSettings();

    ViewState* state_;
    AnalysisWorker* worker_;
    ErrorReporter* errors_;
    HeadGridModel* grid_model_;
    CanvasPane* canvas_pane_;
    HeadGridPane* grid_pane_;
    ScoresPane* scores_pane_;
    HeadDetailPane* detail_pane_;
    GalleryPane* gallery_pane_;
    QLabel *status_model_, *status_check_;
    QProgressBar* busy_;
    QToolButton* cancel_;

    QStringList images_;
    QString model_spec_;  // as asked for ("" = the demo model), for sessions
    QString vocabulary_;  // tokenizer file chosen for it ("" = its own or a search)
    // Models the user chose to load despite config fields ClipScope does not know (the
    // checkbox of the load error's dialog), by spec as asked for.
    QSet<QString> unknown_fields_allowed_;
    QString pending_head_, pending_ablate_, pending_mlps_;
    bool pending_selection_ = false;
    QString image_set_source_;  // "demo:" or the indexed folder; re-indexed for a new model
    int current_ = -1;
    QElapsedTimer image_clock_;  // since the current image was asked for
    QString image_step_;         // its request's step, "Decoding big.png (…) · step 1 of 3"
    QTimer* image_ticker_;       // refreshes the elapsed seconds while it is pending
    StartupOptions startup_;
    bool startup_pending_ = false;
    int failures_ = 0;
    bool headless_ = false;  // figure export from the command line: no dialogs
};

}  // namespace clipscope::ui
