#pragma once
// Runs tests/hub/fake_hub.py (a loopback stand-in for the Hugging Face hub) for the
// life of the object; shared by the core and UI tests. Header-only.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace clipscope::test {

// Starts fake_hub.py on a free port for the life of the object.
class FakeHub {
public:
    explicit FakeHub(const std::string& root) : root_(root) {
        int out[2];
        if (::pipe(out) != 0) return;
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(out[1], STDOUT_FILENO);
            ::close(out[0]);
            ::execlp("python3", "python3", CLIPSCOPE_FAKE_HUB, root.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(out[1]);
        FILE* f = ::fdopen(out[0], "r");
        char line[64] = {0};
        if (f && std::fgets(line, sizeof line, f)) std::sscanf(line, "PORT %d", &port_);
        if (f) std::fclose(f);
    }
    ~FakeHub() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    bool running() const { return port_ > 0; }
    // The hub under "localhost"; its CDN redirects go to "127.0.0.1", another origin.
    std::string endpoint() const { return "http://localhost:" + std::to_string(port_); }
    void set_control(const nlohmann::json& j) const { std::ofstream(root_ + "/control.json") << j.dump(); }
    // Every request the server saw (method, path, host, range, authorization).
    nlohmann::json log() const {
        std::ifstream in(root_ + "/log.json");
        return nlohmann::json::parse(in);
    }

private:
    std::string root_;
    pid_t pid_ = -1;
    int port_ = 0;
};

}  // namespace clipscope::test
