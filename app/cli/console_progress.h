#pragma once
// The CLI's adapter of the core RunControl contract: Ctrl+C (SIGINT) or SIGTERM
// requests cancellation, and progress goes to stderr as a redrawn bar on a
// terminal or as plain lines when piped (logs stay readable).
#include <chrono>
#include <string>
#include <type_traits>

#include "clipscope/base/run_control.h"

namespace clipscope::cli {

// The process-wide control the signal handlers cancel.
RunControl& interrupt_control();
void install_interrupt_handlers();

class ConsoleProgress {
public:
    // in_bytes: counts are bytes, shown as MB and MB/s.
    explicit ConsoleProgress(std::string label, bool in_bytes = false);
    void update(int64_t done, int64_t total);
    void finish();

private:
    std::string label_;
    bool in_bytes_;
    bool tty_;
    std::chrono::steady_clock::time_point start_, last_print_;
    int last_percent_ = -1;
};

// Runs work(control) with the process-wide control's progress drawn as a console
// bar labelled `label`; the callback is detached again however work ends.
template <typename Work>
auto with_console_progress(const std::string& label, Work&& work, bool in_bytes = false) {
    ConsoleProgress progress(label, in_bytes);
    RunControl& control = interrupt_control();
    control.set_progress_callback(
        [&progress](int64_t done, int64_t total, const std::string&) { progress.update(done, total); });
    struct Detach {
        RunControl& c;
        ~Detach() { c.set_progress_callback(nullptr); }
    } detach{control};
    if constexpr (std::is_void_v<decltype(work(control))>) {
        work(control);
        progress.finish();
    } else {
        auto result = work(control);
        progress.finish();
        return result;
    }
}

}  // namespace clipscope::cli
