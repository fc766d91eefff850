#include "cli_common.h"

#include <spdlog/spdlog.h>

#include <iostream>
#include <sstream>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
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
    return ClipModel::load(model_spec(options), lo);
}

nlohmann::json model_summary(const ClipModel& model) {
    const auto& info = model.info();
    return {{"spec", info.spec},
            {"format", info.format},
            {"architecture", model.config().name},
            {"weights", info.weights_path}};
}

// Invalid UTF-8 in user text (labels, file names) is written as U+FFFD instead of aborting the command.
void print_json(const nlohmann::json& j) {
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

std::vector<std::string> collect_texts(const std::vector<std::string>& args, const std::string& file) {
    std::vector<std::string> texts = args;
    if (!file.empty()) {
        std::istringstream in(read_file_bytes(file, size_t{256} << 20));
        std::string line;
        while (std::getline(in, line)) texts.push_back(line);
    }
    if (texts.empty()) throw_usage("no texts given (pass TEXT arguments or --texts-file)");
    return texts;
}

}  // namespace clipscope::cli
