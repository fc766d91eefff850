#include "clipscope/base/output_guard.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <vector>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/base/output_ledger.h"

namespace clipscope {
namespace fs = std::filesystem;
namespace {

fs::path resolved(const std::string& path) { return canonical_output_path(path); }

bool same_file(const std::string& a, const std::string& b) {
    std::error_code ec;
    if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec) && !ec;
    return resolved(a) == resolved(b);
}

bool inside(const fs::path& path, const fs::path& folder) {
    auto f = folder.begin(), p = path.begin();
    for (; f != folder.end(); ++f, ++p)
        if (p == path.end() || *p != *f) return false;
    return true;  // the folder itself, or below it
}

// The output's nearest existing ancestor must be a folder this process may write in.
void check_writable(const std::string& output) {
    fs::path p = resolved(output);
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
        if (::access(p.c_str(), W_OK) != 0) throw_input(output, "this folder is not writable");
        return;
    }
    fs::path parent = p.parent_path();
    while (!parent.empty() && !fs::exists(parent, ec) && parent != parent.parent_path()) parent = parent.parent_path();
    if (!fs::is_directory(parent, ec))
        throw_input(output, "cannot be created: " + parent.string() + " is a file, not a folder");
    if (::access(parent.c_str(), W_OK) != 0)
        throw_input(output, "cannot be written: " + parent.string() + " is not writable");
}

void clear_folder(const std::string& path) {
    std::vector<fs::path> entries;  // listed first: removing while iterating may skip entries
    for (const auto& entry : fs::directory_iterator(path)) entries.push_back(entry.path());
    for (const auto& e : entries) fs::remove_all(e);
}

}  // namespace

void check_output_plan(const OutputPlan& plan, bool force) {
    // Inputs first: a missing or unreadable file fails now, not after the model has loaded.
    std::error_code ec;
    for (const std::string& in : plan.inputs) {
        if (in.empty()) continue;
        if (!fs::exists(in, ec)) throw_input(in, "file not found");
        if (::access(in.c_str(), R_OK) != 0) throw_input(in, "cannot be read (permission denied)");
    }
    for (const std::string& folder : plan.input_folders) {
        if (folder.empty()) continue;
        if (!fs::is_directory(folder, ec))
            throw_input(folder, fs::exists(folder, ec) ? "is a file, expected a folder" : "folder not found");
        if (::access(folder.c_str(), R_OK | X_OK) != 0) throw_input(folder, "cannot be read (permission denied)");
    }
    std::vector<std::string> outputs = plan.outputs;
    outputs.insert(outputs.end(), plan.journals.begin(), plan.journals.end());
    for (const std::string& out : outputs) {
        if (out.empty()) continue;
        const bool journal = std::find(plan.journals.begin(), plan.journals.end(), out) != plan.journals.end();
        if (!force) {
            for (const std::string& in : plan.inputs)
                if (!in.empty() && same_file(out, in))
                    throw_usage(out + (out == in ? " is an input of this command" : " is the input " + in) +
                                ": writing it would replace what is read; choose another output" + plan.override_hint);
            for (const std::string& folder : plan.input_folders)
                if (!folder.empty() && inside(resolved(out), resolved(folder)))
                    throw_usage(out + " lies inside " + folder + ", which this command reads: write elsewhere" +
                                plan.override_hint);
        }
        const fs::file_status status = fs::status(out, ec);
        if (fs::exists(status) && !fs::is_regular_file(status) && !fs::is_directory(status))
            throw_input(out,
                        "exists and is not a regular file or folder (a device, a pipe): outputs are written to"
                        " a temporary file renamed over the target, which would replace it");
        if (!force && !plan.replace_confirmed && !journal && fs::is_regular_file(status) && !written_by_clipscope(out))
            throw_usage(out +
                        " already exists and is not an unchanged earlier output of ClipScope: writing would"
                        " replace it; choose another output or delete it first" +
                        plan.override_hint);
        check_writable(out);
    }
    expect_outputs(plan.outputs);
}

namespace {

constexpr const char* kPartialMarker = ".clipscope-partial";

// .NAME.partial-PID beside the folder NAME; stagings of runs that are no longer alive are
// removed (and .NAME.partial-PID-replaced, which a run killed while replacing an earlier
// output on a file system without RENAME_EXCHANGE may leave) (a live run's, e.g. a second make-world into the same
// folder, is left alone).
std::string staging_sibling(const fs::path& target) {
    const fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    const std::string prefix = "." + target.filename().string() + ".partial-";
    std::error_code ec;
    std::vector<fs::path> stale;
    for (auto it = fs::directory_iterator(parent, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.rfind(prefix, 0) != 0) continue;
        std::string pid = name.substr(prefix.size());
        if (pid.size() > 9 && pid.compare(pid.size() - 9, 9, "-replaced") == 0) pid.resize(pid.size() - 9);
        if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
        if (::kill(static_cast<pid_t>(std::stol(pid)), 0) != 0 && errno == ESRCH) stale.push_back(it->path());
    }
    for (const auto& p : stale) fs::remove_all(p, ec);
    return (parent / (prefix + std::to_string(::getpid()))).string();
}

}  // namespace

void refuse_foreign_folder(const std::string& path, const std::vector<std::string>& own_files,
                           const std::string& command) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return;
    if (!fs::is_directory(path, ec)) throw_usage(path + " is a file, not a folder; " + command + " writes a folder");
    if (fs::is_empty(path, ec)) return;
    bool own = fs::exists(fs::path(path) / kPartialMarker, ec);  // an earlier run killed before it finished
    for (const auto& f : own_files) own = own || fs::exists(fs::path(path) / f, ec);
    if (own) return;
    std::string names;
    for (const auto& f : own_files) names += (names.empty() ? "" : " or ") + f;
    throw_usage(path + " is not empty and is no earlier output of " + command +
                (names.empty() ? std::string() : " (it has no " + names + ")") + "; give a new or empty folder");
}

GeneratedFolder::GeneratedFolder(const std::string& path, const std::vector<std::string>& own_files,
                                 const std::string& command, bool replace_earlier, Staging staging)
    : target_(path), work_(path), staging_(staging) {
    refuse_foreign_folder(path, own_files, command);
    std::error_code ec;
    const bool exists = fs::exists(path, ec), empty = exists && fs::is_empty(path, ec);
    if (exists && !empty && !replace_earlier)
        throw_usage(path + " is not empty; " + command + " never replaces files there: give a new or empty folder");
    check_writable(path);
    if (staging == Staging::TemporarySibling) {
        work_ = staging_sibling(fs::absolute(path).lexically_normal());
        fs::create_directories(work_);
        created_ = clear_on_failure_ = true;
        return;
    }
    if (exists) {
        if (!empty) clear_folder(path);  // an earlier output of this command (checked above)
    } else {
        fs::create_directories(path);
        created_ = true;
    }
    clear_on_failure_ = true;  // what is in it now is this run's alone
    write_text_atomically((fs::path(path) / kPartialMarker).string(), command + " has not finished writing here\n");
}

void GeneratedFolder::done() {
    if (done_) return;
    if (staging_ == Staging::InPlace) {
        fs::remove(fs::path(target_) / kPartialMarker);
        done_ = true;
        return;
    }
    std::error_code ec;
    if (fs::exists(target_, ec)) {
        // Swapped in one step: at every moment the folder holds the earlier output or the new
        // one; the earlier one, now in the staging folder, is then removed.
        if (::renameat2(AT_FDCWD, work_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) == 0) {
            done_ = true;
            fs::remove_all(work_, ec);
            return;
        }
        // A file system without the exchange (EINVAL): aside, then into place.
        const std::string aside = work_ + "-replaced";
        fs::rename(target_, aside, ec);
        if (ec) throw_input(target_, "cannot move the earlier output aside: " + ec.message());
        fs::rename(work_, target_, ec);
        if (ec) {
            std::error_code back;
            fs::rename(aside, target_, back);
            throw_input(target_, "cannot move the finished output into place from " + work_ + ": " + ec.message());
        }
        done_ = true;
        fs::remove_all(aside, ec);
        return;
    }
    fs::rename(work_, target_, ec);
    if (ec) throw_input(target_, "cannot move the finished output into place from " + work_ + ": " + ec.message());
    done_ = true;
}

GeneratedFolder::~GeneratedFolder() {
    if (done_ || !clear_on_failure_) return;
    // Nothing half-written is left where the output was asked for.
    std::error_code ec;
    if (created_) {
        fs::remove_all(work_, ec);
        return;
    }
    try {
        clear_folder(work_);
    } catch (const std::exception&) {  // a destructor reports nothing; what is left stays
    }
}

}  // namespace clipscope
