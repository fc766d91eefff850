#include "console_progress.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>

#include <spdlog/spdlog.h>

namespace clipscope::cli {
namespace {

RunControl* g_control = nullptr;

// Only an atomic store happens in the handler, which is async-signal-safe.
extern "C" void on_interrupt(int) {
    if (g_control) g_control->request_cancel();
}

}  // namespace

RunControl& interrupt_control() {
    static RunControl control;
    return control;
}

void install_interrupt_handlers() {
    g_control = &interrupt_control();
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
}

ConsoleProgress::ConsoleProgress(std::string label, bool in_bytes)
    : label_(std::move(label)),
      in_bytes_(in_bytes),
      tty_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

void ConsoleProgress::update(int64_t done, int64_t total) {
    if (spdlog::get_level() > spdlog::level::info) return;  // --quiet: errors only
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const int percent = total > 0 ? static_cast<int>(100 * done / total) : 0;
    const double rate = elapsed > 0 ? done / elapsed : 0;
    const double eta = rate > 0 ? (total - done) / rate : 0;
    // Counts as text: "12/400" items, or "120.5/605.0 MB" for downloads.
    char amount[64], speed[32];
    if (in_bytes_) {
        std::snprintf(amount, sizeof amount, "%.1f/%.1f MB", done / 1e6, total / 1e6);
        std::snprintf(speed, sizeof speed, "%.1f MB/s", rate / 1e6);
    } else {
        std::snprintf(amount, sizeof amount, "%lld/%lld", static_cast<long long>(done), static_cast<long long>(total));
        std::snprintf(speed, sizeof speed, "%.1f/s", rate);
    }
    if (tty_) {
        char bar[31];
        const int filled = total > 0 ? static_cast<int>(30 * done / total) : 0;
        for (int i = 0; i < 30; ++i) bar[i] = i < filled ? '#' : '.';
        bar[30] = '\0';
        std::fprintf(stderr, "\r%s [%s] %s %3d%%  %s  ETA %.0fs ", label_.c_str(), bar, amount, percent, speed, eta);
        std::fflush(stderr);
    } else if (percent / 10 != last_percent_ / 10 || std::chrono::duration<double>(now - last_print_).count() > 30) {
        // Piped: a line every 10% or 30 s.
        std::fprintf(stderr, "%s: %s (%d%%), %s, ETA %.0fs\n", label_.c_str(), amount, percent, speed, eta);
        last_print_ = now;
    }
    last_percent_ = percent;
}

void ConsoleProgress::finish() {
    if (tty_ && last_percent_ >= 0) std::fprintf(stderr, "\n");
}

}  // namespace clipscope::cli
