#include "model_hub_dialog.h"

#include <QDialogButtonBox>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QThread>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "clipscope/base/error.h"
#include "clipscope/hub/hf_cache.h"
#include "clipscope/hub/hf_download.h"
#include "clipscope/model/cached_models.h"
#include "clipscope/base/run_control.h"

namespace clipscope::ui {
namespace {

QString megabytes(uint64_t bytes) {
    return bytes >= 1'000'000'000 ? QString("%1 GB").arg(bytes / 1e9, 0, 'f', 2)
                                  : QString("%1 MB").arg(bytes / 1e6, 0, 'f', 0);
}

bool repo_is_cached(const std::vector<HfCachedRepo>& repos, const std::string& repo_id) {
    for (const auto& r : repos)
        if (r.repo_id == repo_id)
            for (const auto& rev : r.revisions)
                if (rev.loadable) return true;
    return false;
}

}  // namespace

ModelHubDialog::ModelHubDialog(QWidget* parent) : QDialog(parent), control_(std::make_shared<RunControl>()) {
    setWindowTitle(tr("Get a model"));
    resize(860, 620);
    auto* layout = new QVBoxLayout(this);
    settings_label_ = new QLabel(this);
    settings_label_->setWordWrap(true);
    settings_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(settings_label_);

    auto* cache_box = new QGroupBox(tr("In your Hugging Face cache (shared with Python)"), this);
    auto* cache_layout = new QVBoxLayout(cache_box);
    cache_tree_ = new QTreeWidget(cache_box);
    cache_tree_->setHeaderLabels({tr("Repo / revision"), tr("Format"), tr("Size"), tr("Status")});
    cache_tree_->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    cache_tree_->setAlternatingRowColors(true);
    cache_layout->addWidget(cache_tree_);
    layout->addWidget(cache_box, 3);

    auto* get_box = new QGroupBox(tr("Download from the hub"), this);
    auto* get_layout = new QVBoxLayout(get_box);
    curated_ = new QTableWidget(0, 4, get_box);
    curated_->setHorizontalHeaderLabels({tr("Model"), tr("Hub repo"), tr("Weights"), tr("In cache")});
    curated_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    curated_->verticalHeader()->hide();
    curated_->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    curated_->setSelectionBehavior(QAbstractItemView::SelectRows);
    curated_->setSelectionMode(QAbstractItemView::SingleSelection);
    curated_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    get_layout->addWidget(curated_);
    auto* repo_row = new QHBoxLayout;
    repo_edit_ = new QLineEdit(get_box);
    repo_edit_->setPlaceholderText(tr("ORG/NAME, e.g. laion/CLIP-ViT-B-16-laion2B-s34B-b88K"));
    revision_edit_ = new QLineEdit(QStringLiteral("main"), get_box);
    revision_edit_->setMaximumWidth(140);
    download_button_ = new QPushButton(tr("&Download"), get_box);
    cancel_button_ = new QPushButton(tr("&Cancel download"), get_box);
    cancel_button_->setEnabled(false);
    repo_row->addWidget(new QLabel(tr("Repo:"), get_box));
    repo_row->addWidget(repo_edit_, 1);
    repo_row->addWidget(new QLabel(tr("Revision:"), get_box));
    repo_row->addWidget(revision_edit_);
    repo_row->addWidget(download_button_);
    repo_row->addWidget(cancel_button_);
    get_layout->addLayout(repo_row);
    progress_ = new QProgressBar(get_box);
    progress_->setRange(0, 1000);
    progress_->setValue(0);
    status_ = new QLabel(
        tr("Only the safetensors weights, configs and tokenizer files are fetched; an interrupted download resumes."),
        get_box);
    status_->setWordWrap(true);
    get_layout->addWidget(progress_);
    get_layout->addWidget(status_);
    layout->addWidget(get_box, 3);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    open_button_ = buttons->addButton(tr("&Open selected model"), QDialogButtonBox::AcceptRole);
    open_button_->setEnabled(false);
    layout->addWidget(buttons);

    for (const auto& m : curated_models()) {
        const int row = curated_->rowCount();
        curated_->insertRow(row);
        curated_->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(m.title)));
        curated_->setItem(row, 1, new QTableWidgetItem(QString::fromStdString(m.repo_id)));
        curated_->setItem(row, 2, new QTableWidgetItem(megabytes(m.approx_bytes)));
        curated_->setItem(row, 3, new QTableWidgetItem);
    }
    curated_->resizeColumnsToContents();
    connect(curated_, &QTableWidget::itemSelectionChanged, this, [this] {
        const auto rows = curated_->selectionModel()->selectedRows();
        if (!rows.isEmpty()) repo_edit_->setText(curated_->item(rows.first().row(), 1)->text());
    });
    connect(curated_, &QTableWidget::cellDoubleClicked, this,
            [this](int row, int) { startDownload(curated_->item(row, 1)->text(), QStringLiteral("main")); });
    connect(download_button_, &QPushButton::clicked, this,
            [this] { startDownload(repo_edit_->text().trimmed(), revision_edit_->text().trimmed()); });
    connect(cancel_button_, &QPushButton::clicked, this, &ModelHubDialog::cancelDownload);
    connect(cache_tree_, &QTreeWidget::itemSelectionChanged, this, [this] {
        const auto items = cache_tree_->selectedItems();
        open_button_->setEnabled(!items.isEmpty() && !items.first()->data(0, Qt::UserRole).toString().isEmpty());
    });
    connect(cache_tree_, &QTreeWidget::itemDoubleClicked, this, [this] { openSelectedCacheEntry(); });
    connect(open_button_, &QPushButton::clicked, this, &ModelHubDialog::openSelectedCacheEntry);
    connect(buttons, &QDialogButtonBox::rejected, this, &ModelHubDialog::reject);
    refreshCache();
}

ModelHubDialog::~ModelHubDialog() { joinDownloadThread(true); }

void ModelHubDialog::joinDownloadThread(bool cancel) {
    if (!thread_) return;
    if (cancel) control_->request_cancel();
    thread_->wait();  // every request, lock wait and checksum polls the flag, so this is short
    delete thread_;
    thread_ = nullptr;
}

void ModelHubDialog::refreshCache() {
    HubSettings settings;
    QString settings_error;
    try {
        settings = hub_settings_from_environment();
    } catch (const std::exception& e) {
        settings_error = "<br><b>" + QString::fromUtf8(e.what()).toHtmlEscaped() + "</b>";
        settings.cache_dir = hf_hub_cache_dir();
    }
    settings_label_->setText(
        tr("Cache: %1<br>Hub: %2%3 · %4%5")
            .arg(QString::fromStdString(settings.cache_dir).toHtmlEscaped(),
                 QString::fromStdString(settings.endpoint).toHtmlEscaped(),
                 settings.offline ? tr(" <b>(HF_HUB_OFFLINE is set: downloads are off)</b>") : QString(),
                 settings.token.empty()
                     ? tr("no token (public repos only; set HF_TOKEN for gated ones)")
                     : tr("token from %1").arg(QString::fromStdString(settings.token_source).toHtmlEscaped()),
                 settings_error));
    cache_tree_->clear();
    const auto repos = list_cached_models(settings.cache_dir);
    for (const auto& repo : repos) {
        auto* top = new QTreeWidgetItem(
            cache_tree_, {QString::fromStdString(repo.repo_id),
                          {},
                          megabytes(repo.blobs_bytes),
                          repo.incomplete_downloads ? tr("partial download: Download again to resume") : QString()});
        for (const auto& rev : repo.revisions) {
            QString label = QString::fromStdString(rev.commit.substr(0, 12));
            for (const auto& ref : rev.refs) label += QStringLiteral(" [%1]").arg(QString::fromStdString(ref));
            auto* item = new QTreeWidgetItem(
                top, {label, QString::fromStdString(rev.format), megabytes(rev.size_bytes),
                      rev.loadable ? (rev.problem.empty() ? tr("loadable")
                                                          : tr("loadable; %1").arg(QString::fromStdString(rev.problem)))
                                   : QString::fromStdString(rev.problem)});
            item->setToolTip(3, QString::fromStdString(rev.problem));
            if (rev.loadable)
                item->setData(0, Qt::UserRole,
                              QString::fromStdString("hf-hub:" + repo.repo_id + "@" +
                                                     (rev.refs.empty() ? rev.commit : rev.refs.front())));
            else
                item->setForeground(3, palette().color(QPalette::Disabled, QPalette::Text));
        }
        top->setExpanded(true);
    }
    if (repos.empty()) new QTreeWidgetItem(cache_tree_, {tr("(no models in the cache yet)")});
    for (int row = 0; row < curated_->rowCount(); ++row)
        curated_->item(row, 3)->setText(
            repo_is_cached(repos, curated_->item(row, 1)->text().toStdString()) ? tr("yes") : QString());
}

void ModelHubDialog::startDownload(const QString& repo_id, const QString& revision) {
    if (thread_ || repo_id.isEmpty()) return;
    HubSettings settings;
    try {
        check_repo_id(repo_id.toStdString());
        settings = hub_settings_from_environment();
    } catch (const std::exception& e) {
        status_->setText(QString::fromUtf8(e.what()));
        return;
    }
    control_ = std::make_shared<RunControl>();
    download_button_->setEnabled(false);
    cancel_button_->setEnabled(true);
    progress_->setValue(0);
    status_->setText(tr("Asking %1 for %2\u2026").arg(QString::fromStdString(settings.endpoint), repo_id));
    QPointer<ModelHubDialog> self(this);
    auto control = control_;
    control->set_progress_callback([self](int64_t done, int64_t total, const std::string& file) {
        // Called on the download thread: hop to the dialog's thread.
        if (self)
            QMetaObject::invokeMethod(
                self,
                [self, done, total, f = QString::fromStdString(file)] {
                    if (self) self->onProgress(done, total, f);
                },
                Qt::QueuedConnection);
    });
    const DownloadRequest request{repo_id.toStdString(), revision.isEmpty() ? "main" : revision.toStdString(), {}};
    thread_ = QThread::create([self, control, request, settings] {
        bool ok = false;
        QString message, spec;
        try {
            const DownloadResult r = download_model(request, settings, *control);
            ok = true;
            spec = QString::fromStdString("hf-hub:" + r.repo_id + (r.revision == "main" ? "" : "@" + r.revision));
            message = QObject::tr("%1 at commit %2: %3 file(s), %4 transferred, checksums verified.")
                          .arg(QString::fromStdString(r.repo_id), QString::fromStdString(r.commit.substr(0, 12)))
                          .arg(r.files.size())
                          .arg(megabytes(r.bytes_transferred));
        } catch (const Error& e) {
            message = e.kind() == ErrorKind::Cancelled
                          ? QObject::tr("Cancelled; the partial file is kept and the next download resumes it.")
                          : QString::fromUtf8(e.what());
        } catch (const std::exception& e) {
            message = QString::fromUtf8(e.what());
        }
        if (self)
            QMetaObject::invokeMethod(
                self,
                [self, ok, message, spec] {
                    if (self) self->onDownloadDone(ok, message, spec);
                },
                Qt::QueuedConnection);
    });
    thread_->start();
}

void ModelHubDialog::onProgress(qint64 done, qint64 total, const QString& file) {
    if (total > 0) progress_->setValue(static_cast<int>(1000 * done / total));
    status_->setText(
        tr("%1: %2 of %3").arg(file, megabytes(static_cast<uint64_t>(done)), megabytes(static_cast<uint64_t>(total))));
}

void ModelHubDialog::onDownloadDone(bool ok, const QString& message, const QString& spec) {
    joinDownloadThread(false);  // it has just posted this result and is ending
    download_button_->setEnabled(true);
    cancel_button_->setEnabled(false);
    if (ok) progress_->setValue(1000);
    status_->setText(message);
    refreshCache();
    Q_EMIT downloadFinished(ok, message);
    if (ok && isVisible() &&
        QMessageBox::question(this, tr("Download finished"), message + "\n\n" + tr("Open %1 now?").arg(spec)) ==
            QMessageBox::Yes) {
        Q_EMIT modelChosen(spec);
        accept();
    }
}

void ModelHubDialog::openSelectedCacheEntry() {
    const auto items = cache_tree_->selectedItems();
    if (items.isEmpty()) return;
    const QString spec = items.first()->data(0, Qt::UserRole).toString();
    if (spec.isEmpty()) return;
    Q_EMIT modelChosen(spec);
    accept();
}

void ModelHubDialog::cancelDownload() {
    if (control_) control_->request_cancel();
    status_->setText(tr("Cancelling\u2026"));
}

void ModelHubDialog::reject() {
    joinDownloadThread(true);  // closing the dialog stops a running download (it resumes next time)
    QDialog::reject();
}

}  // namespace clipscope::ui
