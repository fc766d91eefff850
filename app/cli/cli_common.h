#pragma once
// Shared plumbing of the clipscope-cli commands: the options every command that
// loads a model takes, model loading, image batches and JSON output.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "clipscope/analysis/head_list.h"
#include "clipscope/analysis/store.h"
#include "clipscope/model/clip_model.h"
#include "clipscope/base/ndarray.h"
#include "clipscope/base/output_guard.h"

namespace clipscope::cli {

struct ModelOptions {
    std::string model;
    std::string device = "cpu";
    std::string vocab;
    bool allow_unknown_config_fields = false;  // --allow-unknown-config-fields
    std::string text_embeddings;               // --text-embeddings T.npy
    std::string texts;                         // --texts FILE (names T.npy's rows)
    bool default_to_demo = true;               // no --model: the bundled demo model (commands that need one)
};

// Adds --model/--device/--vocab/--allow-unknown-config-fields to a subcommand. A command that needs a model
// (model_required) uses the bundled demo model when --model is absent; the others
// treat an absent --model as "no model".
void add_model_options(CLI::App& cmd, ModelOptions& options, bool model_required = true);
// Adds --text-embeddings T.npy / --texts FILE to a command that embeds texts: its texts are
// then looked up in those files instead of computed (for checkpoints without a runnable text
// tower, or embeddings made elsewhere).
void add_text_embedding_options(CLI::App& cmd, ModelOptions& options);
// The model to load: --model, or the demo model's folder (logged) where that is the default.
std::string model_spec(const ModelOptions& options);
ClipModel load_model(const ModelOptions& options);

// The model for work on a store: --model when given (it must be the model that made the
// store: refused otherwise), else the store's own model (logged), never the demo model.
ClipModel load_store_model(const ModelOptions& options, const StoreInfo& store, const std::string& why);

// A short description of the model for every printed result ("every number carries its model").
nlohmann::json model_summary(const ClipModel& model);

void print_json(const nlohmann::json& j);

// The global --force: outputs may replace inputs (check_output_plan).
bool& force_outputs();
// Refuses, before any work, outputs that would replace what the command reads or cannot be
// written (clipscope/base/output_guard.h), honouring --force.
void guard_outputs(const OutputPlan& plan);
// `inputs` plus the model's own files where --model/--vocab name files (a model folder may
// take outputs: a TextSpan result beside the model labels its heads in the app).
std::vector<std::string> with_model_inputs(const ModelOptions& model, std::vector<std::string> inputs);
// "unknown command 'X' (commands: …)" when the first word after the global options is no
// command; "" otherwise.
std::string unknown_command(const CLI::App& app, int argc, char** argv);

// Texts from positional arguments and/or a file (one per line, kept verbatim but for the newline).
std::vector<std::string> collect_texts(const std::vector<std::string>& args, const std::string& file);

}  // namespace clipscope::cli
