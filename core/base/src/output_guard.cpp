#include "clipscope/base/output_guard.h"

#include <unistd.h>

#include <filesystem>
#include <system_error>
#include <vector>

#include "clipscope/base/error.h"

namespace clipscope {
namespace fs = std::filesystem;
namespace {

// The absolute, symlink-resolved form of a path whose tail may not exist yet.
fs::path resolved(const std::string& path) {
    std::error_code ec;
    fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
    return ec ? fs::absolute(path).lexically_normal() : p;
}

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
    for (const std::string& out : plan.outputs) {
        if (out.empty()) continue;
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
        check_writable(out);
    }
}

GeneratedFolder::GeneratedFolder(const std::string& path, const std::vector<std::string>& own_files,
                                 const std::string& command, bool replace_earlier)
    : path_(path) {
    std::error_code ec;
    if (fs::exists(path, ec)) {
        if (!fs::is_directory(path, ec))
            throw_usage(path + " is a file, not a folder; " + command + " writes a folder");
        const bool empty = fs::is_empty(path, ec);
        bool own = false;
        for (const auto& f : own_files) own = own || fs::exists(fs::path(path) / f, ec);
        if (!empty && !own) {
            std::string names;
            for (const auto& f : own_files) names += (names.empty() ? "" : " or ") + f;
            throw_usage(path + " is not empty and is no earlier output of " + command +
                        (names.empty() ? std::string() : " (it has no " + names + ")") +
                        "; give a new or empty folder");
        }
        check_writable(path);
        if (!empty && own && replace_earlier) {
            clear_folder(path);
        }
        clear_on_failure_ = empty || replace_earlier;  // what is in it now is this run's alone
        return;
    }
    check_writable(path);
    fs::create_directories(path);
    created_ = clear_on_failure_ = true;
}

GeneratedFolder::~GeneratedFolder() {
    if (done_ || !clear_on_failure_) return;
    // Nothing half-written is left where the output was asked for.
    std::error_code ec;
    if (created_) {
        fs::remove_all(path_, ec);
        return;
    }
    try {
        clear_folder(path_);
    } catch (const std::exception&) {  // a destructor reports nothing; what is left stays
    }
}

}  // namespace clipscope
