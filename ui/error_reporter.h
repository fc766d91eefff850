#pragma once
// The window's failures, reported once each: one non-modal dialog lists the problems
// that are still current, root causes (the model, the demo data) first; a failure that a
// later success resolves (the image analysed after all, the model loaded) leaves the list,
// and the dialog closes when the list is empty, so no stale dialog comes back later.
// Follow-on failures of a missing model ("no model is loaded") are not shown on their own.
#include <QMap>
#include <QObject>
#include <QString>

class QMessageBox;
class QWidget;

namespace clipscope::ui {

class ErrorReporter : public QObject {
    Q_OBJECT
public:
    explicit ErrorReporter(QWidget* window);
    // `what` names the job ("Loading the model", "Analysing the image"); the same job's
    // newer failure replaces its older one.
    void report(const QString& what, const QString& message);
    // The job succeeded: its failure is no longer current.
    void resolved(const QString& what);
    void setInteractive(bool interactive) { interactive_ = interactive; }
    QStringList current() const;  // "what: message", root causes first
    bool dialogVisible() const;

private:
    void show();
    QWidget* window_;
    QMessageBox* box_ = nullptr;
    QMap<QString, QString> problems_;
    bool interactive_ = true;
};

// Whether a failure is the consequence of another one (a job that needed the model).
bool is_follow_on_failure(const QString& message);

}  // namespace clipscope::ui
