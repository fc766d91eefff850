#pragma once
// The one contract every long job takes: a cancel flag polled between steps and
// a progress callback. Front ends adapt it (console bar + Ctrl+C, Qt signals).
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace clipscope {

class RunControl {
public:
    using ProgressFn = std::function<void(int64_t done, int64_t total, const std::string& what)>;

    void request_cancel() { cancelled_.store(true); }
    bool is_cancelled() const { return cancelled_.load(); }
    // Throws Error(Cancelled) if cancel was requested; call between steps. It is also
    // the job's pause point: a front end's pause callback runs here first (the app holds
    // its background jobs there while the user's own requests run).
    void check() const;
    void set_pause_callback(std::function<void()> fn) { pause_ = std::move(fn); }
    void set_progress_callback(ProgressFn fn) { progress_ = std::move(fn); }
    void report(int64_t done, int64_t total, const std::string& what) const {
        if (progress_) progress_(done, total, what);
    }

private:
    std::atomic<bool> cancelled_{false};
    ProgressFn progress_;
    std::function<void()> pause_;
};

}  // namespace clipscope
