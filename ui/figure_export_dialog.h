#pragma once
// File -> Export figure: one dialog for the pane, the file (its extension picks PNG,
// SVG or PDF) and the resolution, opening in the folder used last.
#include <QDialog>
#include <QString>

class QComboBox;
class QDoubleSpinBox;
class QLineEdit;

namespace clipscope::ui {

class FigureExportDialog : public QDialog {
    Q_OBJECT
public:
    FigureExportDialog(const QStringList& panes, const QString& current_pane, QWidget* parent = nullptr);
    QString pane() const;
    QString file() const;
    double scale() const;
    // Remembers the file's folder for the next export.
    void remember() const;

private:
    void browse();
    void paneChanged();
    QComboBox* pane_;
    QLineEdit* file_;
    QDoubleSpinBox* scale_;
};

}  // namespace clipscope::ui
