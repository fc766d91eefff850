#pragma once
// Shared plumbing of the clipscope-cli commands: the options every command that
// loads a model takes, model loading, image batches and JSON output.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "clipscope/analysis/head_list.h"
#include "clipscope/model/clip_model.h"
#include "clipscope/base/ndarray.h"

namespace clipscope::cli {

struct ModelOptions {
    std::string model;
    std::string device = "cpu";
    std::string vocab;
    bool default_to_demo = true;  // no --model: the bundled demo model (commands that need one)
};

// Adds --model/--device/--vocab to a subcommand. A command that needs a model
// (model_required) uses the bundled demo model when --model is absent; the others
// treat an absent --model as "no model".
void add_model_options(CLI::App& cmd, ModelOptions& options, bool model_required = true);
// The model to load: --model, or the demo model's folder (logged) where that is the default.
std::string model_spec(const ModelOptions& options);
ClipModel load_model(const ModelOptions& options);

// A short description of the model for every printed result ("every number carries its model").
nlohmann::json model_summary(const ClipModel& model);

void print_json(const nlohmann::json& j);

// Texts from positional arguments and/or a file (one per line, kept verbatim but for the newline).
std::vector<std::string> collect_texts(const std::vector<std::string>& args, const std::string& file);

}  // namespace clipscope::cli
