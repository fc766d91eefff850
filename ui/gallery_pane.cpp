#include "gallery_pane.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include "view_state.h"

namespace clipscope::ui {

GalleryPane::GalleryPane(ViewState* state, QWidget* parent) : QWidget(parent), state_(state) {
    header_ = new QLabel(this);
    header_->setWordWrap(true);
    index_ = new QPushButton(tr("Index a folder\u2026"), this);
    cancel_ = new QPushButton(tr("Cancel"), this);
    cancel_->setEnabled(false);
    textspan_ = new QPushButton(tr("TextSpan labels\u2026"), this);
    textspan_->setToolTip(
        tr("Label every head with TextSpan over this image set, from a description file (one per line)"));
    textspan_->setEnabled(false);
    progress_ = new QProgressBar(this);
    progress_->setVisible(false);
    by_ = new QComboBox(this);
    by_->addItems({tr("by the selected head"), tr("by its layer"), tr("by the full embedding")});
    list_ = new QListWidget(this);
    list_->setViewMode(QListView::IconMode);
    list_->setIconSize(QSize(72, 72));
    list_->setResizeMode(QListView::Adjust);
    list_->setMovement(QListView::Static);
    list_->setSpacing(4);

    auto* top = new QHBoxLayout;
    top->addWidget(header_, 1);
    auto* buttons = new QVBoxLayout;
    buttons->addWidget(index_);
    buttons->addWidget(textspan_);
    buttons->addWidget(cancel_);
    top->addLayout(buttons);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(progress_);
    layout->addWidget(by_);
    scores_note_ = new QLabel(this);
    scores_note_->setWordWrap(true);
    layout->addWidget(scores_note_);
    layout->addWidget(list_, 1);

    connect(index_, &QPushButton::clicked, this, [this] {
        const QString dir =
            QFileDialog::getExistingDirectory(this, tr("Index a folder of images (searched recursively)"));
        if (!dir.isEmpty()) Q_EMIT indexFolderRequested(dir);
    });
    connect(cancel_, &QPushButton::clicked, this, &GalleryPane::cancelRequested);
    connect(textspan_, &QPushButton::clicked, this, [this] {
        const QString file =
            QFileDialog::getOpenFileName(this, tr("Descriptions for TextSpan (one per line, or FAMILY<TAB>text)"));
        if (!file.isEmpty()) Q_EMIT textSpanRequested(file);
    });
    connect(by_, &QComboBox::currentIndexChanged, this, &GalleryPane::queryChanged);
    connect(list_, &QListWidget::itemActivated, this,
            [this](QListWidgetItem* item) { Q_EMIT openImageRequested(item->data(Qt::UserRole).toString()); });
    connect(list_, &QListWidget::itemClicked, this,
            [this](QListWidgetItem* item) { Q_EMIT openImageRequested(item->data(Qt::UserRole).toString()); });
    connect(state_, &ViewState::imageSetChanged, this, &GalleryPane::updateHeader);
    connect(state_, &ViewState::modelChanged, this, [this] {
        list_->clear();
        shown_.reset();
        updateHeader();
    });
    updateHeader();
}

int GalleryPane::by() const { return by_->currentIndex(); }

void GalleryPane::updateHeader() {
    textspan_->setEnabled(state_->imageSet() != nullptr && !cancel_->isEnabled());
    const auto& set = state_->imageSet();
    header_->setText(
        set ? tr("Image set: <b>%1</b>. Ablation replaces terms by their mean over it.").arg(set->name.toHtmlEscaped())
            : tr("No image set indexed: ablation is zero-ablation and there is no gallery."));
}

void GalleryPane::setIndexing(bool running) {
    cancel_->setEnabled(running);
    index_->setEnabled(!running);
    textspan_->setEnabled(!running && state_->imageSet() != nullptr);
    progress_->setVisible(running);
}

void GalleryPane::showProgress(qint64 done, qint64 total, const QString& what) {
    progress_->setVisible(true);
    progress_->setMaximum(static_cast<int>(std::max<qint64>(1, total)));
    progress_->setValue(static_cast<int>(done));
    progress_->setFormat(what + " %v / %m");
}

void GalleryPane::showNeighbors(const NeighborsPtr& n) {
    shown_ = n;
    list_->clear();
    scores_note_->clear();
    if (!n) return;
    list_->setToolTip(tr("Nearest images of the set %1").arg(n->query));
    // The image being looked at is the query, not a neighbour of itself: it is named above the list instead.
    const QString query_path = state_->analysis() ? QFileInfo(state_->analysis()->path).canonicalFilePath() : QString();
    const bool by_embedding = n->query.contains("embedding");
    scores_note_->setText(
        tr("Nearest to %1 by %2. Numbers: %3.")
            .arg(state_->analysis() ? QFileInfo(state_->analysis()->path).fileName() : tr("the image"), n->query,
                 by_embedding ? tr("cosine similarity of the embeddings")
                              : tr("dot product of the terms divided by \u2016z\u2016 (the paper's similarity)")));
    int shown = 0;
    for (int i = 0; i < n->images.size() && shown < kShown; ++i) {
        if (!query_path.isEmpty() && QFileInfo(n->images[i]).canonicalFilePath() == query_path) continue;
        ++shown;
        auto* item = new QListWidgetItem(QIcon(n->images[i]), QString::number(n->scores[i], 'g', 3));
        item->setData(Qt::UserRole, n->images[i]);
        item->setToolTip(QString("%1\n%2: score %3")
                             .arg(i < n->names.size() ? n->names[i] : QFileInfo(n->images[i]).fileName(), n->query)
                             .arg(n->scores[i], 0, 'g', 4));
        list_->addItem(item);
    }
}

}  // namespace clipscope::ui
