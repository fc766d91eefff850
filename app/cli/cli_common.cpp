#include "cli_common.h"

#include <spdlog/spdlog.h>

#include <iostream>
#include <sstream>

#include "clipscope/atomic_file.h"
#include "clipscope/error.h"
#include "clipscope/image.h"
#include "clipscope/resources.h"

namespace clipscope::cli {

void add_model_options(CLI::App& cmd, ModelOptions& options, bool model_required) {
    const std::string what =
        "Model: a folder (open_clip or transformers layout), an OpenAI .pt file, hf-hub:ORG/NAME[@REV] "
        "(read from the local Hugging Face cache), or random:ARCH[@SEED]";
    // Commands that need a model fall back to the bundled demo model, so they run offline out of the box.
    options.default_to_demo = model_required;
    cmd.add_option("--model,-m", options.model, model_required ? what + " (default: the bundled shapes-world demo model)" : what);
    cmd.add_option("--device", options.device, "cpu or cuda:N")->capture_default_str();
    cmd.add_option("--vocab", options.vocab, "Tokenizer vocabulary (bpe_simple_vocab_16e6.txt.gz, or vocab.json with merges.txt beside it)");
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

FloatArray load_image_batch(const std::vector<std::string>& paths, const ClipModel& model) {
    std::vector<FloatArray> images;
    for (const auto& p : paths) images.push_back(preprocess_image(load_image(p), model.config().preprocess));
    return stack_images(images);
}

nlohmann::json model_summary(const ClipModel& model) {
    const auto& info = model.info();
    return {{"spec", info.spec}, {"format", info.format}, {"architecture", model.config().name}, {"weights", info.weights_path}};
}

// Invalid UTF-8 in user text (labels, file names) is written as U+FFFD instead of aborting the command.
void print_json(const nlohmann::json& j) { std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl; }

std::vector<std::pair<int64_t, int64_t>> parse_head_list(const std::string& text) {
    std::vector<std::pair<int64_t, int64_t>> out;
    std::istringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        const auto dot = item.find('.');
        try {
            if (dot == std::string::npos) throw std::invalid_argument("no dot");
            out.emplace_back(std::stoll(item.substr(0, dot)), std::stoll(item.substr(dot + 1)));
        } catch (const std::exception&) {
            throw_usage("--heads takes LAYER.HEAD items separated by commas, got '" + item + "'");
        }
    }
    return out;
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
