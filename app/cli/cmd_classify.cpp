#include "cli_common.h"
#include "clipscope/io/image.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/base/text_file.h"
#include "clipscope/analysis/zero_shot.h"
#include "commands.h"

namespace clipscope::cli {

void register_classify(CLI::App& app) {
    auto* cmd =
        app.add_subcommand("classify", "Zero-shot classification of images against class names (JSON on stdout)");
    struct Options {
        ModelOptions model;
        std::string labels;
        std::string labels_file;
        std::string templates_file;
        std::vector<std::string> images;
    };
    auto o = std::make_shared<Options>();
    add_model_options(*cmd, o->model);
    add_text_embedding_options(*cmd, o->model);
    auto* labels = cmd->add_option("--labels", o->labels, "Comma-separated class names");
    auto* labels_file = cmd->add_option("--labels-file", o->labels_file, "File with one class name per line");
    labels->excludes(labels_file);
    cmd->add_option("--templates", o->templates_file,
                    "Prompt templates, one per line with {} for the class name (default: a built-in short list)");
    cmd->add_option("images", o->images, "Image files")->required();
    cmd->footer(
        "Scores are softmax(exp(logit_scale) * cosine) over the labels (CLIP), or per label\n"
        "sigmoid(exp(logit_scale) * cosine + logit_bias) (SigLIP); each class is the mean of its\n"
        "normalised template embeddings, normalised again. A checkpoint without a text tower has no\n"
        "logit scale: with --text-embeddings its scores are the cosines themselves (\"scores_are\" says which).\n"
        "Example:\n  clipscope-cli classify --model M --labels \"cat,dog,bird\" photo.jpg");
    cmd->callback([o] {
        std::vector<std::string> names;
        if (!o->labels.empty())
            names = split_labels(o->labels);
        else if (!o->labels_file.empty())
            names = split_labels(read_text_file(o->labels_file, 64 << 20) + "\n");
        else
            throw_usage("give --labels or --labels-file");
        if (names.empty()) throw_usage("no class names found");
        const auto templates = o->templates_file.empty() ? default_templates() : read_templates(o->templates_file);
        const ClipModel model = load_model(o->model);
        const FloatArray classifier = build_classifier(model, names, templates);
        const FloatArray embeddings = model.encode_image(load_preprocessed_batch(o->images, model.config().preprocess));
        const ZeroShotScoring scoring = zero_shot_scoring(model);
        const FloatArray probs = zero_shot_scores(embeddings, classifier, scoring);
        nlohmann::json results = nlohmann::json::array();
        const int64_t C = static_cast<int64_t>(names.size());
        for (size_t i = 0; i < o->images.size(); ++i) {
            nlohmann::json scores = nlohmann::json::object();
            int64_t best = 0;
            for (int64_t c = 0; c < C; ++c) {
                const float p = probs.data[static_cast<int64_t>(i) * C + c];
                scores[names[static_cast<size_t>(c)]] = p;
                if (p > probs.data[static_cast<int64_t>(i) * C + best])
                    best = c;  // first index wins ties, as torch's top-1
            }
            results.push_back({{"image", o->images[i]}, {"scores", scores}, {"top", names[static_cast<size_t>(best)]}});
        }
        nlohmann::json out = {
            {"model", model.info().spec},
            {"architecture", model.config().name},
            {"templates", templates.size()},
            {"logit_scale", scoring.rule != ScoreRule::Cosine ? nlohmann::json(scoring.logit_scale) : nlohmann::json()},
            {"scores_are", scoring.description()},
            {"labels", names},
            {"logit_bias", scoring.rule == ScoreRule::Sigmoid ? nlohmann::json(scoring.logit_bias) : nlohmann::json()},
            {"results", results}};
        if (!model.config().unknown_fields.empty()) out["unknown_config_fields"] = model.config().unknown_fields;
        const nlohmann::json summary = model_summary(model);
        for (const char* key : {"text_tower", "text_embeddings"})
            if (summary.contains(key)) out[key] = summary[key];
        print_json(out);
    });
}

}  // namespace clipscope::cli
