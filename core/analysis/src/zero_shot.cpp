#include "clipscope/analysis/zero_shot.h"

#include <map>

#include <cmath>
#include <sstream>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/base/text_file.h"
#include "clipscope/base/trim.h"

namespace clipscope {
namespace {

template <typename Vec>
void normalise_rows(Vec& data, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; ++r) {
        double n = 0;
        for (int64_t c = 0; c < cols; ++c) n += double(data[r * cols + c]) * data[r * cols + c];
        const float inv = n > 0 ? static_cast<float>(1.0 / std::sqrt(n)) : 0.0f;
        for (int64_t c = 0; c < cols; ++c) data[r * cols + c] *= inv;
    }
}

}  // namespace

void normalize_rows(FloatArray& rows) {
    if (rows.rank() != 2) throw Error(ErrorKind::Internal, "normalize_rows needs [n, E]");
    normalise_rows(rows.data, rows.shape[0], rows.shape[1]);
}

const std::vector<std::string>& default_templates() {
    static const std::vector<std::string> kTemplates = {
        "a photo of a {}.",         "a blurry photo of a {}.",  "a close-up photo of a {}.", "a drawing of a {}.",
        "a photo of the large {}.", "a photo of the small {}.", "a rendering of a {}.",      "art of the {}.",
    };
    return kTemplates;
}

namespace {
// How many "{}" a template holds: the class name fills exactly one.
size_t placeholders(const std::string& t) {
    size_t n = 0;
    for (size_t at = t.find("{}"); at != std::string::npos; at = t.find("{}", at + 2)) ++n;
    return n;
}
}  // namespace

std::vector<std::string> read_templates(const std::string& path) {
    std::istringstream in(read_text_file(path, 16 << 20));
    std::vector<std::string> out;
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        line = trim(line);
        if (line.empty()) continue;
        if (placeholders(line) == 0)
            throw_input(path, "line " + std::to_string(number) + " has no {} placeholder: '" + line + "'");
        if (placeholders(line) > 1)
            throw_input(path, "line " + std::to_string(number) +
                                  " has more than one {} placeholder (the class name fills one): '" + line + "'");
        out.push_back(line);
    }
    if (out.empty()) throw_input(path, "no templates in the file");
    return out;
}

std::vector<std::string> split_labels(const std::string& text) {
    std::vector<std::string> out;
    const char sep = text.find('\n') != std::string::npos ? '\n' : ',';
    std::istringstream in(text);
    std::string item;
    while (std::getline(in, item, sep)) {
        item = trim(item);
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

FloatArray build_classifier(const ClipModel& model, const std::vector<std::string>& class_names,
                            const std::vector<std::string>& templates) {
    if (class_names.empty()) throw_usage("no class names given");
    if (templates.empty()) throw_usage("no prompt templates given");
    for (const auto& t : templates)
        if (placeholders(t) != 1)
            throw_usage("the prompt template '" + t + "' should hold one {} placeholder for the class name");
    // A name given twice splits its probability between two identical rows (circle,circle,square:
    // scores summing to 0.51 for "circle") and shifts every mean over classes.
    std::map<std::string, size_t> first;
    for (size_t c = 0; c < class_names.size(); ++c) {
        const auto [it, fresh] = first.emplace(class_names[c], c);
        if (!fresh)
            throw_usage("the class '" + class_names[c] + "' is given twice (positions " +
                        std::to_string(it->second + 1) + " and " + std::to_string(c + 1) +
                        "); each class may appear once");
    }
    const int64_t C = static_cast<int64_t>(class_names.size()), E = model.config().embed_dim,
                  T = static_cast<int64_t>(templates.size());
    FloatArray classifier({E, C});
    for (int64_t c = 0; c < C; ++c) {
        std::vector<std::string> prompts;
        for (const auto& t : templates) {
            std::string p = t;
            p.replace(p.find("{}"), 2, class_names[static_cast<size_t>(c)]);
            prompts.push_back(p);
        }
        FloatArray e = model.encode_texts(prompts);
        normalise_rows(e.data, T, E);
        std::vector<float> mean(static_cast<size_t>(E), 0.0f);
        for (int64_t i = 0; i < T; ++i)
            for (int64_t k = 0; k < E; ++k) mean[static_cast<size_t>(k)] += e.data[i * E + k] / static_cast<float>(T);
        normalise_rows(mean, 1, E);
        for (int64_t k = 0; k < E; ++k) classifier.data[k * C + c] = mean[static_cast<size_t>(k)];
    }
    return classifier;
}

namespace {
// cosine(image b, class c) in double, [B * C] row-major.
std::vector<double> cosines_of(const FloatArray& images, const FloatArray& classifier) {
    const int64_t B = images.shape.at(0), E = images.shape.at(1), C = classifier.shape.at(1);
    if (classifier.shape.at(0) != E) throw Error(ErrorKind::Internal, "classifier and embeddings disagree on E");
    Buffer<float> unit = images.data;
    normalise_rows(unit, B, E);
    std::vector<double> out(static_cast<size_t>(B * C));
    for (int64_t b = 0; b < B; ++b)
        for (int64_t c = 0; c < C; ++c) {
            double dot = 0;
            for (int64_t k = 0; k < E; ++k) dot += double(unit[b * E + k]) * classifier.data[k * C + c];
            out[static_cast<size_t>(b * C + c)] = dot;
        }
    return out;
}
}  // namespace

FloatArray zero_shot_cosines(const FloatArray& images, const FloatArray& classifier) {
    const std::vector<double> cosines = cosines_of(images, classifier);
    FloatArray out({images.shape.at(0), classifier.shape.at(1)});
    for (size_t i = 0; i < cosines.size(); ++i) out.data[i] = static_cast<float>(cosines[i]);
    return out;
}

FloatArray zero_shot_probabilities(const FloatArray& images, const FloatArray& classifier, float logit_scale) {
    const std::vector<double> cosines = cosines_of(images, classifier);
    const int64_t B = images.shape.at(0), C = classifier.shape.at(1);
    FloatArray probs({B, C});
    for (int64_t b = 0; b < B; ++b) {
        std::vector<double> logits(static_cast<size_t>(C));
        double max_logit = -INFINITY;
        for (int64_t c = 0; c < C; ++c) {
            logits[static_cast<size_t>(c)] = logit_scale * cosines[static_cast<size_t>(b * C + c)];
            max_logit = std::max(max_logit, logits[static_cast<size_t>(c)]);
        }
        double sum = 0;
        for (auto& l : logits) sum += (l = std::exp(l - max_logit));
        for (int64_t c = 0; c < C; ++c)
            probs.data[b * C + c] = static_cast<float>(logits[static_cast<size_t>(c)] / sum);
    }
    return probs;
}

ZeroShotScoring zero_shot_scoring(const ClipModel& model) {
    ZeroShotScoring s;
    if (!model.has_logit_scale()) return s;  // no temperature to invent: the cosines are the scores
    s.logit_scale = model.logit_scale();
    s.rule = model.has_logit_bias() ? ScoreRule::Sigmoid : ScoreRule::Softmax;
    if (s.rule == ScoreRule::Sigmoid) s.logit_bias = model.logit_bias();
    return s;
}

std::string ZeroShotScoring::description() const {
    switch (rule) {
        case ScoreRule::Softmax:
            return "softmax(exp(logit_scale) * cosine(image, class)) over the labels";
        case ScoreRule::Sigmoid:
            return "sigmoid(exp(logit_scale) * cosine(image, class) + logit_bias), each label on its own (SigLIP)";
        case ScoreRule::Cosine:
            return "cosine(image, class): the checkpoint has no logit scale";
    }
    return "?";
}

float sigmoid_score(float cosine, const ZeroShotScoring& s) {
    const double logit = static_cast<double>(s.logit_scale) * cosine + s.logit_bias;
    return static_cast<float>(1.0 / (1.0 + std::exp(-logit)));
}

FloatArray zero_shot_scores(const FloatArray& images, const FloatArray& classifier, const ZeroShotScoring& s) {
    switch (s.rule) {
        case ScoreRule::Softmax:
            return zero_shot_probabilities(images, classifier, s.logit_scale);
        case ScoreRule::Cosine:
            return zero_shot_cosines(images, classifier);
        case ScoreRule::Sigmoid: {
            FloatArray scores = zero_shot_cosines(images, classifier);
            for (float& x : scores.data) x = sigmoid_score(x, s);
            return scores;
        }
    }
    throw_usage("unknown score rule");
}

}  // namespace clipscope
