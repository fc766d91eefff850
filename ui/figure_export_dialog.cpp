#include "figure_export_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <algorithm>

namespace clipscope::ui {
namespace {
QString last_folder() {
    const QString saved = QSettings().value("figureExport/folder").toString();
    if (!saved.isEmpty() && QFileInfo(saved).isDir()) return saved;
    const QString pictures = QStandardPaths::writableLocation(QStandardPaths::PicturesLocation);
    return QFileInfo(pictures).isDir() ? pictures : QDir::homePath();
}
}  // namespace

FigureExportDialog::FigureExportDialog(const QStringList& panes, const QString& current_pane,
                                       std::function<QSize(const QString& pane)> logical_size, QWidget* parent)
    : QDialog(parent), logical_size_(std::move(logical_size)) {
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
    // Width: as drawn (the figure's own size at 96 logical pixels to the inch), or a printed
    // width such as a journal column (89 mm) or a pixel width at the resolution.
    width_unit_ = new QComboBox;
    width_unit_->setObjectName("widthUnit");
    width_unit_->addItem(tr("as drawn"), "");
    width_unit_->addItem(tr("mm"), "mm");
    width_unit_->addItem(tr("in"), "in");
    width_unit_->addItem(tr("px"), "px");
    width_ = new QDoubleSpinBox;
    width_->setObjectName("width");
    width_->setRange(1, 20000);
    width_->setDecimals(1);
    QSettings settings;
    width_->setValue(settings.value("figureExport/width", 89.0).toDouble());
    width_unit_->setCurrentIndex(std::max(0, width_unit_->findData(settings.value("figureExport/widthUnit", ""))));
    auto* width_row = new QHBoxLayout;
    width_row->addWidget(width_, 1);
    width_row->addWidget(width_unit_);
    width_->setToolTip(
        tr("The figure's width with its caption; its height follows (the layout is scaled, not "
           "reflowed)"));
    dpi_ = new QSpinBox;
    dpi_->setObjectName("dpi");
    dpi_->setRange(72, 1200);
    dpi_->setSingleStep(24);
    dpi_->setValue(settings.value("figureExport/dpi", 192).toInt());
    dpi_->setSuffix(tr(" dpi"));
    dpi_->setToolTip(
        tr("Pixels per inch: the PNG's resolution (written into the file) and the detail of the "
           "images inside a PDF"));
    result_ = new QLabel;
    result_->setObjectName("exportSize");
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel);
    auto* form = new QFormLayout(this);
    form->addRow(tr("Pane"), pane_);
    form->addRow(tr("File"), file_row);
    form->addRow(tr("Width"), width_row);
    form->addRow(tr("Resolution"), dpi_);
    form->addRow(tr("Result"), result_);
    form->addRow(buttons);
    connect(browse, &QPushButton::clicked, this, &FigureExportDialog::browse);
    connect(pane_, &QComboBox::currentTextChanged, this, &FigureExportDialog::paneChanged);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(file_, &QLineEdit::textChanged, this, [this, buttons](const QString& text) {
        const QString ext = QFileInfo(text).suffix().toLower();
        buttons->button(QDialogButtonBox::Save)->setEnabled(ext == "png" || ext == "svg" || ext == "pdf");
    });
    connect(width_unit_, &QComboBox::currentIndexChanged, this, &FigureExportDialog::updateSize);
    connect(width_, &QDoubleSpinBox::valueChanged, this, &FigureExportDialog::updateSize);
    connect(dpi_, &QSpinBox::valueChanged, this, &FigureExportDialog::updateSize);
    paneChanged();
}

ExportSize FigureExportDialog::size() const {
    ExportSize s;
    s.dpi = dpi_->value();
    const QString unit = width_unit_->currentData().toString();
    if (!unit.isEmpty()) s.width_inches = export_width_inches(width_->value(), unit, s.dpi).value_or(0);
    return s;
}

QString FigureExportDialog::sizeText() const {
    const QSize logical = logical_size_ ? logical_size_(pane()) : QSize();
    if (logical.isEmpty()) return tr("nothing to draw yet (open an image first)");
    const ExportSize s = size();
    const QSize px = export_pixel_size(logical, s);
    const QSizeF mm = export_size_mm(logical, s);
    return tr("%1 \u00d7 %2 px at %3 dpi \u00b7 %4 \u00d7 %5 mm")
        .arg(px.width())
        .arg(px.height())
        .arg(dpi_->value())
        .arg(mm.width(), 0, 'f', 0)
        .arg(mm.height(), 0, 'f', 0);
}

void FigureExportDialog::updateSize() {
    width_->setEnabled(!width_unit_->currentData().toString().isEmpty());
    result_->setText(sizeText());
}

void FigureExportDialog::paneChanged() {
    const QFileInfo old(file_->text());
    const QString folder = file_->text().isEmpty() ? last_folder() : old.absolutePath();
    const QString ext = file_->text().isEmpty() ? QString("png") : old.suffix();
    file_->setText(QDir(folder).filePath(pane_->currentText() + "." + ext));
    updateSize();
}

void FigureExportDialog::browse() {
    const QString chosen = QFileDialog::getSaveFileName(this, tr("Export %1").arg(pane_->currentText()), file_->text(),
                                                        tr("PNG (*.png);;SVG (*.svg);;PDF (*.pdf)"));
    if (!chosen.isEmpty()) file_->setText(chosen);
}

QString FigureExportDialog::pane() const { return pane_->currentText(); }
QString FigureExportDialog::file() const { return file_->text(); }

void FigureExportDialog::remember() const {
    QSettings().setValue("figureExport/folder", QFileInfo(file()).absolutePath());
    QSettings settings;
    settings.setValue("figureExport/width", width_->value());
    settings.setValue("figureExport/widthUnit", width_unit_->currentData());
    settings.setValue("figureExport/dpi", dpi_->value());
}

}  // namespace clipscope::ui
