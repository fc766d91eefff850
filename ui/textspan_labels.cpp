#include "textspan_labels.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace clipscope::ui {

bool read_textspan_labels(const QString& path, HeadLabels& labels, QString& error) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        error = path + ": " + file.errorString();
        return false;
    }
    if (file.size() > (64 << 20)) {
        error = path + ": larger than 64 MB, not a TextSpan result";
        return false;
    }
    QJsonParseError parse;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parse);
    if (doc.isNull()) {
        error = path + ": not JSON (" + parse.errorString() + ")";
        return false;
    }
    const QJsonArray heads = doc.object().value("heads").toArray();
    if (heads.isEmpty()) {
        error = path + ": no \"heads\" list (expected the output of clipscope-cli textspan)";
        return false;
    }
    HeadLabels out;
    for (const QJsonValue& h : heads) {
        const QJsonObject o = h.toObject();
        if (!o.value("layer").isDouble() || !o.value("head").isDouble()) continue;  // a single-matrix result has no heads
        HeadTexts t;
        t.total_variance = o.value("total_variance_explained").toDouble();
        for (const QJsonValue& p : o.value("texts").toArray()) {
            t.texts << p.toObject().value("text").toString();
            t.variance << p.toObject().value("variance_explained").toDouble();
        }
        out[{o.value("layer").toInt(), o.value("head").toInt()}] = t;
    }
    if (out.isEmpty()) {
        error = path + ": the result has no per-head entries";
        return false;
    }
    labels = out;
    return true;
}

}  // namespace clipscope::ui
