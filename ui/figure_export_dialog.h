#pragma once
// File -> Export figure: one dialog for the pane, the file (its extension picks PNG,
// SVG or PDF), the printed width and the resolution, opening in the folder used last.
// It shows the size that will come out (pixels and millimetres) before anything is written.
#include <QDialog>
#include <QSize>
#include <QString>
#include <functional>

#include "figure_export.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace clipscope::ui {

class FigureExportDialog : public QDialog {
    Q_OBJECT
public:
    // logical_size: a pane's figure with its caption, in logical pixels (export_logical_size).
    FigureExportDialog(const QStringList& panes, const QString& current_pane,
                       std::function<QSize(const QString& pane)> logical_size, QWidget* parent = nullptr);
    QString pane() const;
    QString file() const;
    ExportSize size() const;
    // What the chosen settings give, e.g. "1512 × 2210 px at 192 dpi · 200 × 292 mm".
    QString sizeText() const;
    // Remembers the file's folder, the width and the resolution for the next export.
    void remember() const;

private:
    void browse();
    void paneChanged();
    void updateSize();
    std::function<QSize(const QString&)> logical_size_;
    QComboBox* pane_;
    QLineEdit* file_;
    QComboBox* width_unit_;
    QDoubleSpinBox* width_;
    QSpinBox* dpi_;
    QLabel* result_;
};

}  // namespace clipscope::ui
