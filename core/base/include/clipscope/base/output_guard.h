#pragma once
// Before a command does any work: what it will write, checked against what it reads, so
// that a careless output path (the input image given as --out, a CSV inside the store it
// reads) is refused instead of replacing a user's file. One rule for the CLI's commands
// and the app's exports (docs/file-formats.md, "What a command may write").
#include <string>
#include <vector>

namespace clipscope {

struct OutputPlan {
    std::vector<std::string> inputs;         // files the command reads
    std::vector<std::string> input_folders;  // stores, datasets, image folders: nothing is written inside them
    std::vector<std::string> outputs;        // every file or folder it writes (prefix expansions one by one)
    std::vector<std::string> journals = {};  // files it appends to and resumes from (segment's .csv.partial):
                                             // checked as outputs, but an existing one is the command's to judge
    std::string override_hint = ", or pass --force";  // how the user may insist ("" where nothing can)
    bool replace_confirmed = false;                   // the user has agreed to replace existing files (a save dialog)
};

// Throws Error(InputFile), naming the path, when an input is missing or unreadable (an
// input folder: missing, a file, or unreadable), before any work. Then Error(Usage),
// naming the output and the input, when an output is an input (the
// same file by any path, hard links included) or lies inside an input folder, or is an
// existing file that ClipScope did not write (or that was changed since it wrote it:
// clipscope/base/output_ledger.h), unless `force` (or `replace_confirmed`, for that last
// case); and Error(InputFile), naming the path, when an output's folder cannot be made
// or written (a parent that is a file, a folder without write permission) or the output
// exists as something other than a file or folder (/dev/null, a pipe), force or not.
// The outputs are then expected: writing them records them as ClipScope's own.
void check_output_plan(const OutputPlan& plan, bool force);

// Throws Error(Usage) when `path` exists and is a file, or a folder that is not empty and
// holds none of `own_files` (so is no earlier output of `command`: a dataset, a store, a
// user's folder, a model). A generator that resumes (train-demo) checks just this.
void refuse_foreign_folder(const std::string& path, const std::vector<std::string>& own_files,
                           const std::string& command);

// A folder a generator fills (make-world, demo-report, make-random-model). Opening it
// refuses a foreign folder (refuse_foreign_folder) and, without `replace_earlier`, any
// non-empty one; a rerun replaces an earlier output whole, never mixing two runs' files.
//  - Staging::TemporarySibling: the files are written into .NAME.partial-PID beside the
//    folder (path() says where), which done() renames into place, replacing an earlier
//    output only then. Killed, even by SIGKILL, the run leaves the earlier output (or
//    nothing) where the output was asked for; the next run removes the dead run's sibling.
//  - Staging::InPlace, for outputs that record their own absolute paths (demo-report's
//    store): written in place, with a .clipscope-partial marker until done(). A failure or
//    Ctrl+C removes what this run wrote; after SIGKILL the marker lets the rerun replace it.
class GeneratedFolder {
public:
    enum class Staging { InPlace, TemporarySibling };
    GeneratedFolder(const std::string& path, const std::vector<std::string>& own_files, const std::string& command,
                    bool replace_earlier, Staging staging);
    ~GeneratedFolder();
    GeneratedFolder(const GeneratedFolder&) = delete;
    GeneratedFolder& operator=(const GeneratedFolder&) = delete;
    // Where to write until done().
    const std::string& path() const { return work_; }
    // The output is complete: it takes its place (Error(InputFile), naming the path, if it cannot).
    void done();

private:
    std::string target_, work_;
    Staging staging_;
    bool created_ = false, clear_on_failure_ = false, done_ = false;
};

}  // namespace clipscope
