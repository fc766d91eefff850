#pragma once
// Zero-shot classification (docs/method.md §5.1): every class name is put into
// every prompt template, the text embeddings are L2-normalised, averaged and
// normalised again, giving one unit column per class.
#include <string>
#include <vector>

#include "clipscope/model/clip_model.h"
#include "clipscope/base/ndarray.h"

namespace clipscope {

// Scales every row of [n, E] to unit L2 norm in place (all-zero rows stay zero).
void normalize_rows(FloatArray& rows);

// ClipScope's own short template list (each holds "{}" for the class name).
const std::vector<std::string>& default_templates();
// One template per line; blank lines skipped; each must contain "{}".
std::vector<std::string> read_templates(const std::string& path);
// One label per line, or comma-separated on one line.
std::vector<std::string> split_labels(const std::string& text);

// [E, C] with unit-norm columns.
FloatArray build_classifier(const ClipModel& model, const std::vector<std::string>& class_names,
                            const std::vector<std::string>& templates);

// Per image, cosine(image, class): [B, C]. Embeddings need not be normalised.
FloatArray zero_shot_cosines(const FloatArray& image_embeddings, const FloatArray& classifier);

// Per image, softmax over logit_scale * cosine(image, class) (pass the model's
// exp(logit_scale)): [B, C]. Embeddings need not be normalised.
FloatArray zero_shot_probabilities(const FloatArray& image_embeddings, const FloatArray& classifier, float logit_scale);

// How a model turns cosines into zero-shot scores: CLIP's softmax over the labels of
// exp(logit_scale) cos; SigLIP's sigmoid(exp(logit_scale) cos + logit_bias), per label on its
// own (scores need not sum to 1); or, for a checkpoint without a logit scale, the cosines.
enum class ScoreRule { Softmax, Sigmoid, Cosine };
struct ZeroShotScoring {
    ScoreRule rule = ScoreRule::Cosine;
    float logit_scale = 0;  // exp(logit_scale) for Softmax and Sigmoid
    float logit_bias = 0;   // Sigmoid only
    // What the numbers are, for outputs and captions ("sigmoid(exp(logit_scale) * cos + logit_bias) per label").
    std::string description() const;
};
ZeroShotScoring zero_shot_scoring(const ClipModel& model);
// SigLIP's score of one label from its cosine: sigmoid(logit_scale * cosine + logit_bias).
float sigmoid_score(float cosine, const ZeroShotScoring& scoring);
// [B, C] scores by the rule. Embeddings need not be normalised.
FloatArray zero_shot_scores(const FloatArray& image_embeddings, const FloatArray& classifier,
                            const ZeroShotScoring& scoring);

}  // namespace clipscope
