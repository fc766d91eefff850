#include "figure_export_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>

namespace clipscope::ui {
namespace {
QString last_folder() {
    const QString saved = QSettings().value("figureExport/folder").toString();
    if (!saved.isEmpty() && QFileInfo(saved).isDir()) return saved;
    const QString pictures = QStandardPaths::writableLocation(QStandardPaths::PicturesLocation);
    return QFileInfo(pictures).isDir() ? pictures : QDir::homePath();
}
}  // namespace

FigureExportDialog::FigureExportDialog(const QStringList& panes, const QString& current_pane, QWidget* parent)
    : QDialog(parent) {
    setWindowTitle(tr("Export figure"));
    pane_ = new QComboBox;
    pane_->addItems(panes);
    pane_->setCurrentText(current_pane);
    file_ = new QLineEdit;
    file_->setMinimumWidth(360);
    file_->setToolTip(tr("The extension chooses the format: .png, .svg or .pdf"));
    auto* browse = new QPushButton(tr("Browse\u2026"));
    auto* file_row = new QHBoxLayout;
    file_row->addWidget(file_, 1);
    file_row->addWidget(browse);
    scale_ = new QDoubleSpinBox;
    scale_->setRange(0.25, 8.0);
    scale_->setDecimals(2);
    scale_->setValue(QSettings().value("figureExport/scale", 2.0).toDouble());
    scale_->setSuffix(tr(" \u00d7"));
    scale_->setToolTip(
        tr("Pixels per logical pixel: the PNG's resolution and the PDF's image detail (2 \u00d7 = 192 dpi)"));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel);
    auto* form = new QFormLayout(this);
    form->addRow(tr("Pane"), pane_);
    form->addRow(tr("File"), file_row);
    form->addRow(tr("Resolution"), scale_);
    form->addRow(buttons);
    connect(browse, &QPushButton::clicked, this, &FigureExportDialog::browse);
    connect(pane_, &QComboBox::currentTextChanged, this, &FigureExportDialog::paneChanged);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(file_, &QLineEdit::textChanged, this, [this, buttons](const QString& text) {
        const QString ext = QFileInfo(text).suffix().toLower();
        buttons->button(QDialogButtonBox::Save)->setEnabled(ext == "png" || ext == "svg" || ext == "pdf");
    });
    paneChanged();
}

void FigureExportDialog::paneChanged() {
    const QFileInfo old(file_->text());
    const QString folder = file_->text().isEmpty() ? last_folder() : old.absolutePath();
    const QString ext = file_->text().isEmpty() ? QString("png") : old.suffix();
    file_->setText(QDir(folder).filePath(pane_->currentText() + "." + ext));
}

void FigureExportDialog::browse() {
    const QString chosen = QFileDialog::getSaveFileName(this, tr("Export %1").arg(pane_->currentText()), file_->text(),
                                                        tr("PNG (*.png);;SVG (*.svg);;PDF (*.pdf)"));
    if (!chosen.isEmpty()) file_->setText(chosen);
}

QString FigureExportDialog::pane() const { return pane_->currentText(); }
QString FigureExportDialog::file() const { return file_->text(); }
double FigureExportDialog::scale() const { return scale_->value(); }

void FigureExportDialog::remember() const {
    QSettings().setValue("figureExport/folder", QFileInfo(file()).absolutePath());
    QSettings().setValue("figureExport/scale", scale());
}

}  // namespace clipscope::ui
