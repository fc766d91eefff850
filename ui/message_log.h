#pragma once
// View -> Messages: the status bar's messages kept in order with their time, so one
// replacing another is not lost (the last 500).
#include <QListWidget>

namespace clipscope::ui {

class MessageLog : public QListWidget {
    Q_OBJECT
public:
    explicit MessageLog(QWidget* parent = nullptr);
    // Adds "hh:mm:ss message"; empty messages (the bar clearing) and repeats of the last one are skipped.
    void add(const QString& message);

private:
    QString last_;
};

}  // namespace clipscope::ui
