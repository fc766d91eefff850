#include "error_reporter.h"

#include <QMessageBox>
#include <QWidget>
#include <algorithm>

namespace clipscope::ui {
namespace {
// Lower first: what other failures follow from.
int rank(const QString& what) {
    if (what.startsWith("Loading the model") || what.startsWith("Finding the demo")) return 0;
    if (what.startsWith("Opening")) return 1;
    return 2;
}
}  // namespace

bool is_follow_on_failure(const QString& message) { return message.contains("no model is loaded"); }

ErrorReporter::ErrorReporter(QWidget* window) : QObject(window), window_(window) {}

void ErrorReporter::report(const QString& what, const QString& message) {
    // A job that failed only because the model did not load adds nothing to that failure.
    if (is_follow_on_failure(message) &&
        std::any_of(problems_.keyBegin(), problems_.keyEnd(), [](const QString& k) { return rank(k) == 0; }))
        return;
    problems_[what] = message;
    show();
}

void ErrorReporter::resolved(const QString& what) {
    bool changed = problems_.remove(what) > 0;
    // A model that loads resolves what failed for want of one.
    if (rank(what) == 0) {
        for (auto it = problems_.begin(); it != problems_.end();) {
            if (is_follow_on_failure(it.value())) {
                it = problems_.erase(it);
                changed = true;
            } else {
                ++it;
            }
        }
    }
    if (changed) show();
}

QStringList ErrorReporter::current() const {
    QStringList keys = problems_.keys();
    std::stable_sort(keys.begin(), keys.end(), [](const QString& a, const QString& b) { return rank(a) < rank(b); });
    QStringList out;
    for (const QString& k : keys) out << k + ": " + problems_.value(k);
    return out;
}

bool ErrorReporter::dialogVisible() const { return box_ && box_->isVisible(); }

void ErrorReporter::show() {
    if (problems_.isEmpty()) {
        if (box_) box_->hide();
        return;
    }
    if (!interactive_ || !window_->isVisible()) return;
    if (!box_) {
        box_ = new QMessageBox(QMessageBox::Warning, QString(), QString(), QMessageBox::Close, window_);
        box_->setModal(false);
        box_->setWindowModality(Qt::NonModal);
    }
    const QStringList lines = current();
    const QString first = lines.first();
    const int cut = first.indexOf(": ");
    box_->setWindowTitle(first.left(cut));
    box_->setText(first.mid(cut + 2));
    box_->setInformativeText(lines.size() > 1 ? tr("Also:\n%1").arg(lines.mid(1).join("\n")) : QString());
    box_->show();
    box_->raise();
}

}  // namespace clipscope::ui
