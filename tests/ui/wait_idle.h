#pragma once
// Waits until the worker has finished every job posted so far (false after `ms` without a
// change), then delivers the queued result signals.
#include <QCoreApplication>
#include <QSignalSpy>

#include "analysis_worker.h"

namespace clipscope::ui {

inline bool wait_idle(AnalysisWorker& w, int ms = 60000) {
    QSignalSpy busy(&w, &AnalysisWorker::busyChanged);
    while (w.pending() > 0)
        if (!busy.wait(ms)) return false;
    QCoreApplication::processEvents();
    return true;
}

}  // namespace clipscope::ui
