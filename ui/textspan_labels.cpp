#include "textspan_labels.h"

#include <exception>

#include "clipscope/analysis/textspan_record.h"

namespace clipscope::ui {

bool read_textspan_labels(const QString& path, HeadLabels& labels, QString& error, const QString& architecture,
                          int64_t layers, int64_t heads) {
    TextSpanRecord result;
    try {
        result = read_textspan_record(path.toStdString());
    } catch (const std::exception& e) {
        error = QString::fromStdString(e.what());
        return false;
    }
    if (layers > 0) {
        const std::string why = textspan_record_mismatch(result, architecture.toStdString(), layers, heads);
        if (!why.empty()) {
            error = path + ": " + QString::fromStdString(why) + " (the loaded model)";
            return false;
        }
    }
    HeadLabels out;
    for (const TextSpanHeadRecord& h : result.heads) {
        if (!h.layer) continue;  // a single-matrix result has no heads
        HeadTexts t;
        t.total_variance = h.total_variance_explained;
        for (const TextSpanPickRecord& p : h.texts) {
            t.texts << QString::fromStdString(p.text);
            t.variance << p.variance_explained;
        }
        out[{static_cast<int>(*h.layer), static_cast<int>(*h.head)}] = t;
    }
    if (out.isEmpty()) {
        error = path + ": the result has no per-head entries";
        return false;
    }
    labels = out;
    return true;
}

}  // namespace clipscope::ui
