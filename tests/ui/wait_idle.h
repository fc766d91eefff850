#pragma once
// Waits for the app's asynchronous work in UI tests: the worker's jobs, or a condition on
// the view state.
#include <QCoreApplication>
#include <QSignalSpy>

#include "analysis_worker.h"
#include "view_state.h"

namespace clipscope::ui {

inline bool wait_idle(AnalysisWorker& w, int ms = 60000) {
    QSignalSpy busy(&w, &AnalysisWorker::busyChanged);
    while (w.pending() > 0)
        if (!busy.wait(ms)) return false;
    QCoreApplication::processEvents();
    return true;
}

// Waits (event loop running) until `done` holds or 60 s pass.
template <typename Done>
bool wait_until(ViewState* state, Done done) {
    QSignalSpy live(state, &ViewState::liveChanged);
    for (int i = 0; i < 600 && !done(); ++i) live.wait(100);
    return done();
}

}  // namespace clipscope::ui
