#include "message_log.h"

#include <QTime>

namespace clipscope::ui {

MessageLog::MessageLog(QWidget* parent) : QListWidget(parent) { setWordWrap(true); }

void MessageLog::add(const QString& message) {
    if (message.isEmpty() || message == last_) return;
    last_ = message;
    addItem(QTime::currentTime().toString("hh:mm:ss") + "  " + message);
    while (count() > 500) delete takeItem(0);
    scrollToBottom();
}

}  // namespace clipscope::ui
