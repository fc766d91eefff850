#pragma once
// "Get a model": the CLIP models in the user's Hugging Face cache (loadable or
// not, and why), a curated list of known-good hub models to download with
// progress, cancel and resume, and any other repo by id. Downloads run on their
// own thread through core's hub client; the dialog asks the window to open a
// model with modelChosen(spec).
#include <QDialog>
#include <QString>
#include <atomic>
#include <memory>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTableWidget;
class QThread;
class QTreeWidget;

namespace clipscope {
class RunControl;
}

namespace clipscope::ui {

class ModelHubDialog : public QDialog {
    Q_OBJECT
public:
    explicit ModelHubDialog(QWidget* parent = nullptr);
    ~ModelHubDialog() override;

    // Re-reads the cache folder (cheap: safetensors headers only).
    void refreshCache();
    // Starts downloading ORG/NAME at a revision; one download at a time.
    void startDownload(const QString& repo_id, const QString& revision);
    bool downloading() const { return thread_ != nullptr; }

Q_SIGNALS:
    void modelChosen(const QString& spec);
    void downloadFinished(bool ok, const QString& message);

protected:
    void reject() override;

private:
    void onProgress(qint64 done, qint64 total, const QString& file);
    void onDownloadDone(bool ok, const QString& message, const QString& spec);
    void openSelectedCacheEntry();
    void cancelDownload();
    // Waits for the download thread (asking it to stop first if cancel) and releases it.
    void joinDownloadThread(bool cancel);

    QLabel* settings_label_;
    QTreeWidget* cache_tree_;
    QTableWidget* curated_;
    QLineEdit* repo_edit_;
    QLineEdit* revision_edit_;
    QPushButton* download_button_;
    QPushButton* cancel_button_;
    QPushButton* open_button_;
    QProgressBar* progress_;
    QLabel* status_;
    QThread* thread_ = nullptr;
    std::shared_ptr<RunControl> control_;
    QString last_spec_;
};

}  // namespace clipscope::ui
