#pragma once
// Before a command does any work: what it will write, checked against what it reads, so
// that a careless output path (the input image given as --out, a CSV inside the store it
// reads) is refused instead of replacing a user's file. One rule for the CLI's commands
// and the app's exports (docs/file-formats.md, "What a command may write").
#include <string>
#include <vector>

namespace clipscope {

struct OutputPlan {
    std::vector<std::string> inputs;                  // files the command reads
    std::vector<std::string> input_folders;           // stores, datasets, image folders: nothing is written inside them
    std::vector<std::string> outputs;                 // every file or folder it writes (prefix expansions one by one)
    std::string override_hint = ", or pass --force";  // how the user may insist ("" where nothing can)
};

// Throws Error(Usage), naming the output and the input, when an output is an input (the
// same file by any path, hard links included) or lies inside an input folder, unless
// `force`; and Error(InputFile), naming the path, when an output's folder cannot be made
// or written (a parent that is a file, a folder without write permission), force or not.
void check_output_plan(const OutputPlan& plan, bool force);

// A folder a generator fills (make-world, demo-report, make-random-model, train-demo).
// Opening it refuses a folder that exists, is not empty and holds none of `own_files`
// (so is no earlier output of this command: a dataset, a store, a user's folder), and with
// `replace_earlier` clears an earlier output, so a rerun never mixes two runs' files. If the
// command then fails or is interrupted before done(), a folder this object created is
// removed again: Ctrl+C leaves nothing behind.
class GeneratedFolder {
public:
    GeneratedFolder(const std::string& path, const std::vector<std::string>& own_files, const std::string& command,
                    bool replace_earlier);
    ~GeneratedFolder();
    GeneratedFolder(const GeneratedFolder&) = delete;
    GeneratedFolder& operator=(const GeneratedFolder&) = delete;
    void done() { done_ = true; }

private:
    std::string path_;
    bool created_ = false, clear_on_failure_ = false, done_ = false;
};

}  // namespace clipscope
