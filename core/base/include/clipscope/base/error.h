#pragma once
// Typed failures of the core. Every error names the file (and where it applies
// the key or field) so a user can act on it; front ends map the kind to an
// exit code or a dialog.
#include <stdexcept>
#include <string>

namespace clipscope {

enum class ErrorKind {
    Usage,        // bad arguments or options
    InputFile,    // a file is missing, unreadable, corrupt or of the wrong shape
    Model,        // a checkpoint/config is inconsistent or unsupported
    Unsupported,  // a valid request this build cannot serve (e.g. CUDA on a CPU build)
    Network,      // the hub could not be reached, refused the request, or sent a corrupt file
    Cancelled,    // the user stopped the job
    Internal,     // a broken invariant: a bug
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    ErrorKind kind() const { return kind_; }

private:
    ErrorKind kind_;
};

// Shorthands that read well at the throw site.
[[noreturn]] inline void throw_input(const std::string& file, const std::string& problem) {
    throw Error(ErrorKind::InputFile, file + ": " + problem);
}
[[noreturn]] inline void throw_model(const std::string& file, const std::string& problem) {
    throw Error(ErrorKind::Model, file + ": " + problem);
}
[[noreturn]] inline void throw_usage(const std::string& problem) { throw Error(ErrorKind::Usage, problem); }

// An error's message without the leading "FILE: " that the throw helpers above put there,
// for lists that name the file in a column of their own (skipped images).
inline std::string problem_without_file(const std::string& message, const std::string& file) {
    return message.rfind(file + ": ", 0) == 0 ? message.substr(file.size() + 2) : message;
}

// Process exit code for an error kind (documented in README "Exit codes").
int exit_code_for(ErrorKind kind);

}  // namespace clipscope
