#pragma once
// Head labels from a TextSpan result (the JSON `clipscope-cli textspan` writes): per
// (layer, head) its picked descriptions in order, each with the variance it explains.
#include <cstdint>

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
// missing, not JSON, or not a TextSpan result. With the loaded model's architecture
// and shape (layers > 0), a result for another model is refused too: its labels would
// sit on the wrong heads.
bool read_textspan_labels(const QString& path, HeadLabels& labels, QString& error, const QString& architecture = {},
                          int64_t layers = 0, int64_t heads = 0);

}  // namespace clipscope::ui

Q_DECLARE_METATYPE(clipscope::ui::HeadLabels)
