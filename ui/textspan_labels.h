#pragma once
// Head labels from a TextSpan result (the JSON `clipscope-cli textspan` writes): per
// (layer, head) its picked descriptions in order, each with the variance it explains.
#include <QHash>
#include <QMetaType>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QVector>

namespace clipscope::ui {

struct HeadTexts {
    QStringList texts;
    QVector<double> variance;  // per pick, as in the result
    double total_variance = 0;
};
using HeadLabels = QHash<QPair<int, int>, HeadTexts>;

// Throws nothing: returns false and sets `error` (naming the file) when the file is
// missing, not JSON, or not a TextSpan result.
bool read_textspan_labels(const QString& path, HeadLabels& labels, QString& error);

}  // namespace clipscope::ui

Q_DECLARE_METATYPE(clipscope::ui::HeadLabels)
