#pragma once
// The CLI's adapter of the core RunControl contract: Ctrl+C (SIGINT) or SIGTERM
// requests cancellation, and progress goes to stderr as a redrawn bar on a
// terminal or as plain lines when piped (logs stay readable).
#include <chrono>
#include <string>

#include "clipscope/run_control.h"

namespace clipscope::cli {

// The process-wide control the signal handlers cancel.
RunControl& interrupt_control();
void install_interrupt_handlers();

class ConsoleProgress {
public:
    explicit ConsoleProgress(std::string label);
    void update(int64_t done, int64_t total);
    void finish();

private:
    std::string label_;
    bool tty_;
    std::chrono::steady_clock::time_point start_, last_print_;
    int last_percent_ = -1;
};

}  // namespace clipscope::cli
