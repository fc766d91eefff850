#include "cli_common.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/base/text_file.h"
#include "clipscope/io/image.h"
#include "clipscope/base/resources.h"

namespace clipscope::cli {

void add_model_options(CLI::App& cmd, ModelOptions& options, bool model_required) {
    const std::string what =
        "Model: a folder (open_clip or transformers layout), an OpenAI .pt file, hf-hub:ORG/NAME[@REV] "
        "(read from the local Hugging Face cache), or random:ARCH[@SEED]";
    // Commands that need a model fall back to the bundled demo model, so they run offline out of the box.
    options.default_to_demo = model_required;
    cmd.add_option("--model,-m", options.model,
                   model_required ? what + " (default: the bundled shapes-world demo model)" : what);
    cmd.add_option("--device", options.device, "cpu or cuda:N")->capture_default_str();
    cmd.add_option("--vocab", options.vocab,
                   "Tokenizer vocabulary (bpe_simple_vocab_16e6.txt.gz, or vocab.json with merges.txt beside it)");
    cmd.add_flag("--allow-unknown-config-fields", options.allow_unknown_config_fields,
                 "Load a checkpoint whose config has fields ClipScope does not know (see `config-fields`): each is "
                 "warned about and recorded in every output, since it may change the numbers");
}

void add_text_embedding_options(CLI::App& cmd, ModelOptions& options) {
    auto* embeddings = cmd.add_option("--text-embeddings", options.text_embeddings,
                                      "Texts' embeddings [N, E] .npy (e.g. from embed-text with the full checkpoint), "
                                      "used instead of the text tower; needs --texts");
    auto* texts = cmd.add_option("--texts", options.texts,
                                 "With --text-embeddings: one text per line, line i naming row i; every text the "
                                 "command uses (prompts included) must be one of them");
    embeddings->needs(texts);
    texts->needs(embeddings);
}

std::string model_spec(const ModelOptions& options) {
    if (!options.model.empty() || !options.default_to_demo) return options.model;
    const std::string demo = demo_model_directory();
    spdlog::info("no --model given: using the bundled demo model {}", demo);
    return demo;
}

ClipModel load_model(const ModelOptions& options) {
    LoadOptions lo;
    lo.device = options.device;
    lo.vocab_path = options.vocab;
    lo.allow_unknown_config_fields = options.allow_unknown_config_fields;
    lo.text_embeddings = options.text_embeddings;
    lo.text_embedding_texts = options.texts;
    return ClipModel::load(model_spec(options), lo);
}

ClipModel load_store_model(const ModelOptions& options, const StoreInfo& store, const std::string& why) {
    ModelOptions effective = options;
    if (effective.model.empty()) {
        effective.model = store.model_spec;
        spdlog::info("no --model given: {} with the store's own model {}", why, store.model_spec);
    }
    // The store was made with unknown config fields let through: its own model loads the same way.
    if (!store.unknown_config_fields.empty() && !effective.allow_unknown_config_fields) {
        spdlog::info("the store was made with unknown config fields allowed ({}); loading its model the same way",
                     store.unknown_config_fields.front());
        effective.allow_unknown_config_fields = true;
    }
    ClipModel model = load_model(effective);
    if (!store_made_by(store, model))
        throw_usage("--model " + effective.model + " is not the model that made the store (" + store.model_spec +
                    ", weights " + store.weights_fingerprint + "): " + why + " needs that model");
    return model;
}

nlohmann::json model_summary(const ClipModel& model) {
    const auto& info = model.info();
    nlohmann::json summary = {{"spec", info.spec},
                              {"format", info.format},
                              {"architecture", model.config().name},
                              {"preprocessing", describe_preprocessing(model.config().preprocess)},
                              {"weights", info.weights_path}};
    // Fields loaded only because the user allowed them: they may change every number below.
    if (!model.config().unknown_fields.empty()) summary["unknown_config_fields"] = model.config().unknown_fields;
    if (!model.config().text_tower)
        summary["text_tower"] = model.config().text_unavailable.empty() ? "none (a vision-only checkpoint)"
                                                                        : "not run: " + model.config().text_unavailable;
    if (!model.config().tokenizer_unsupported.empty())
        summary["tokenizer"] = "not implemented: " + model.config().tokenizer_unsupported;
    // Where the texts' numbers come from when it is not the text tower.
    if (const TextEmbeddingTable* table = model.text_embeddings())
        summary["text_embeddings"] = {{"file", table->embeddings_path()},
                                      {"fingerprint", table->embeddings_fingerprint()},
                                      {"texts", table->texts_path()},
                                      {"texts_fingerprint", table->texts_fingerprint()},
                                      {"rows", table->size()}};
    return summary;
}

// Invalid UTF-8 in user text (labels, file names) is written as U+FFFD instead of aborting the command.
void print_json(const nlohmann::json& j) {
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

std::vector<std::string> collect_texts(const std::vector<std::string>& args, const std::string& file) {
    std::vector<std::string> texts = args;
    if (!file.empty()) {
        // One text per line, blank lines included, so row i of an output is line i.
        const auto lines = read_text_lines(file, size_t{256} << 20);
        if (lines.empty()) throw_input(file, "is empty (one text per line is expected)");
        texts.insert(texts.end(), lines.begin(), lines.end());
    }
    if (texts.empty()) throw_usage("no texts given (pass TEXT arguments or --texts-file)");
    return texts;
}

bool& force_outputs() {
    static bool force = false;
    return force;
}

void guard_outputs(const OutputPlan& plan) { check_output_plan(plan, force_outputs()); }

std::vector<std::string> with_model_inputs(const ModelOptions& model, std::vector<std::string> inputs) {
    std::error_code ec;
    for (const std::string* file : {&model.text_embeddings, &model.texts})
        if (!file->empty()) inputs.push_back(*file);
    if (!model.model.empty() && std::filesystem::is_regular_file(model.model, ec)) inputs.push_back(model.model);
    if (!model.vocab.empty()) inputs.push_back(model.vocab);
    return inputs;
}

std::string unknown_command(const CLI::App& app, int argc, char** argv) {
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
        names.push_back(sub->get_name());
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--threads") {  // the one global option with a value
            ++i;
            continue;
        }
        if (arg.rfind("-", 0) == 0) continue;
        if (std::find(names.begin(), names.end(), arg) != names.end()) return {};
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        return "unknown command '" + arg + "' (commands: " + list + "; clipscope-cli --help describes them)";
    }
    return {};
}

}  // namespace clipscope::cli
