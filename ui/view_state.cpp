#include "view_state.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <algorithm>
#include <cmath>

#include "clipscope/analysis/direction_maps.h"
#include "clipscope/analysis/heatmap.h"

namespace clipscope::ui {

ViewState::ViewState(QObject* parent) : QObject(parent) {}

void ViewState::setModel(ModelSummaryPtr model) {
    model_ = std::move(model);
    analysis_.reset();
    texts_.reset();
    image_set_.reset();
    heads_off_.clear();
    mlps_off_.clear();
    sel_layer_ = sel_head_ = sel_patch_ = -1;
    Q_EMIT modelChanged();
    recompute();
}

void ViewState::setAnalysis(ImageAnalysisPtr analysis) {
    analysis_ = std::move(analysis);
    sel_patch_ = -1;
    Q_EMIT analysisChanged();
    recompute();
}

void ViewState::setTexts(TextEmbeddingsPtr texts) {
    texts_ = std::move(texts);
    Q_EMIT textsChanged();
    recompute();
}

void ViewState::setImageSet(ImageSetPtr set) {
    image_set_ = std::move(set);
    Q_EMIT imageSetChanged();
    Q_EMIT ablationChanged();  // the same heads now mean-ablate
    recompute();
}

void ViewState::setMapSource(MapSource source) {
    if (source == map_source_) return;
    map_source_ = source;
    recompute();
}

void ViewState::toggleHead(int layer, int head) {
    if (!heads_off_.erase({layer, head})) heads_off_.insert({layer, head});
    Q_EMIT ablationChanged();
    recompute();
}

void ViewState::toggleMlp(int layer) {
    if (!mlps_off_.erase(layer)) mlps_off_.insert(layer);
    Q_EMIT ablationChanged();
    recompute();
}

void ViewState::setAblated(const std::set<std::pair<int, int>>& heads, const std::set<int>& mlp_layers) {
    heads_off_ = heads;
    mlps_off_ = mlp_layers;
    Q_EMIT ablationChanged();
    recompute();
}

void ViewState::clearAblation() { setAblated({}, {}); }

void ViewState::setForceZero(bool zero) {
    if (zero == force_zero_) return;
    force_zero_ = zero;
    Q_EMIT ablationChanged();
    recompute();
}

QString ViewState::ablationSummary() const {
    QStringList parts;
    for (const auto& [l, h] : heads_off_) parts << QString("L%1.H%2").arg(l).arg(h);
    for (int l : mlps_off_) parts << (isPoolingRow(l) ? QString("pooling MLP") : QString("L%1.MLP").arg(l));
    if (parts.isEmpty()) return "none";
    if (force_zero_) return parts.join(", ") + " (zero-ablated)";
    return parts.join(", ") +
           (image_set_ ? " (mean over " + image_set_->name + ")" : QString(" (zero: no image set indexed)"));
}

void ViewState::selectHead(int layer, int head) {
    sel_layer_ = layer;
    sel_head_ = head;
    Q_EMIT selectionChanged();
    if (map_source_ == MapSource::SelectedHead) recompute();
}

void ViewState::selectPatch(int patch) {
    sel_patch_ = patch;
    Q_EMIT selectionChanged();
}

LiveAblation ViewState::currentAblation() const {
    LiveAblation a;
    for (const auto& [l, h] : heads_off_) a.heads.emplace_back(l, h);
    for (int l : mlps_off_) {
        if (isPoolingRow(l))
            a.pooling = true;
        else
            a.mlps.push_back(l + 1);  // MLP term 0 is ln_pre
    }
    if (image_set_ && !force_zero_) {
        a.head_means = &image_set_->head_means;
        a.mlp_means = &image_set_->mlp_means;
        if (image_set_->pooling_mean.rank() == 1) a.pooling_mean = &image_set_->pooling_mean;
    }
    return a;
}

void ViewState::recompute() {
    QElapsedTimer timer;
    timer.start();
    LiveResult r;
    if (model_ && analysis_ && analysis_->decomposition) {
        const Decomposition& d = *analysis_->decomposition;
        r.sum_error = d.max_sum_error();
        const LiveAblation ablation = currentAblation();
        const std::vector<float> before = ablated_embedding(d, 0, {}), after = ablated_embedding(d, 0, ablation);
        if (texts_ && texts_->label_rows.rank() == 2 && texts_->label_rows.shape[0] > 0) {
            r.probabilities_before = label_scores(cosine_scores(before, texts_->label_rows), model_->scoring);
            r.probabilities_after = label_scores(cosine_scores(after, texts_->label_rows), model_->scoring);
        }
        // The direction: text A (minus B), else the predicted label. Terms are divided by
        // ||z|| and text rows are unit, so values along it add up to cosines.
        // The same direction as coefficients over map_rows(*texts_) (A, B, labels), for a
        // projected decomposition's maps.
        const int64_t lead_rows = texts_ ? (texts_->a.empty() ? 0 : 1) + (texts_->b.empty() ? 0 : 1) : 0;
        const int64_t label_count = texts_ && texts_->label_rows.rank() == 2 ? texts_->label_rows.shape[0] : 0;
        std::vector<float> coefficients(static_cast<size_t>(lead_rows + label_count), 0.0f);
        if (texts_ && !texts_->a.empty()) {
            coefficients[0] = 1.0f;
            if (!texts_->b.empty()) coefficients[1] = -1.0f;
            r.direction = texts_->a;
            r.direction_label = "\u201c" + texts_->text_a + "\u201d";
            r.units = "direct contribution to cos(image, A)";
            if (!texts_->b.empty()) {
                for (size_t e = 0; e < r.direction.size(); ++e) r.direction[e] -= texts_->b[e];
                r.direction_label += " rather than \u201c" + texts_->text_b + "\u201d";
                r.units = "direct contribution to cos(image, A) \u2212 cos(image, B)";
            }
        } else if (!r.probabilities_before.empty()) {
            const auto top = std::max_element(r.probabilities_before.begin(), r.probabilities_before.end()) -
                             r.probabilities_before.begin();
            // The predicted label against the labels' mean (the segmentation protocol's contrast,
            // docs/method.md §6): a lone text direction shares a large component with every
            // caption, so its map mostly shows where the image is "an image" at all.
            const int64_t E = texts_->label_rows.shape[1], C = texts_->label_rows.shape[0];
            coefficients[static_cast<size_t>(lead_rows + top)] += 1.0f;
            for (int64_t c = 0; c < C; ++c)
                coefficients[static_cast<size_t>(lead_rows + c)] -= 1.0f / static_cast<float>(C);
            r.direction.assign(texts_->label_rows.data.begin() + top * E,
                               texts_->label_rows.data.begin() + (top + 1) * E);
            for (int64_t c = 0; c < C; ++c)
                for (int64_t e = 0; e < E; ++e)
                    r.direction[static_cast<size_t>(e)] -=
                        texts_->label_rows.data[static_cast<size_t>(c * E + e)] / static_cast<float>(C);
            r.direction_label =
                "\u201c" + texts_->labels.at(static_cast<int>(top)) + "\u201d (predicted) vs the labels' mean";
            r.units = "direct contribution to cos(image, label) \u2212 mean over labels";
        }
        if (!r.direction.empty()) {
            r.valid = true;
            r.parts = part_scores(d, 0, r.direction);
            FloatArray dir({1, static_cast<int64_t>(r.direction.size())}, r.direction);
            r.score_before = cosine_scores(before, dir)[0];
            r.score_after = cosine_scores(after, dir)[0];
            std::vector<std::pair<int64_t, int64_t>> heads;
            if (map_source_ == MapSource::SelectedHead) {
                if (sel_layer_ >= 0 && sel_head_ >= 0) heads = {{sel_layer_, sel_head_}};
            } else {
                heads = kept_heads(d, ablation);
            }
            if (analysis_->projected) {
                // Maps projected on the texts the image was decomposed with: drawn only when
                // those are the current texts (the window re-runs the image for new ones).
                r.map_waiting = analysis_->map_texts != texts_ || d.head_maps.rank() != 5;
                if (!r.map_waiting) r.coefficients = std::move(coefficients);
            }
            r.map = FloatArray({model_->grid, model_->grid});
            if (!heads.empty() && !r.map_waiting) {
                if (analysis_->projected) {
                    r.map = combined_head_map(d, 0, r.coefficients, heads, model_->grid);
                } else {
                    MapSelection selection;
                    selection.heads = heads;
                    r.map = token_maps(d, 0, dir, selection, model_->grid);
                }
            }
            r.map.shape = {model_->grid, model_->grid};
            r.map_max_abs = max_abs(r.map);
        }
    }
    r.compute_ms = timer.nsecsElapsed() / 1e6;
    // Ablation and selection of a patch keep the subject; a new image, direction or map source is a new one.
    QString subject;
    if (r.valid) {
        subject = QString("%1|%2|%3|%4")
                      .arg(analysis_->path)
                      .arg(analysis_->request)
                      .arg(r.direction_label)
                      .arg(map_source_ == MapSource::SelectedHead ? QString("head %1.%2").arg(sel_layer_).arg(sel_head_)
                                                                  : QString("kept heads"));
        map_scale_.observe(r.map_max_abs, subject != map_subject_);
        map_subject_ = subject;
    }
    live_ = std::move(r);
    Q_EMIT liveChanged();
}

void ViewState::setMapScaleMode(SignedScale::Mode mode) {
    map_scale_.setMode(mode);
    if (mode == SignedScale::Mode::PerSubject) map_scale_.observe(live_.map_max_abs, true);
    Q_EMIT mapScaleChanged();
}

void ViewState::setMapScaleRange(double range) {
    map_scale_.setFixed(range);
    Q_EMIT mapScaleChanged();
}

FloatArray ViewState::headMap(int layer, int head) const {
    if (!live_.valid || live_.map_waiting || !analysis_ || !analysis_->decomposition ||
        !has_head_maps(*analysis_->decomposition))
        return {};
    if (analysis_->projected)
        return combined_head_map(*analysis_->decomposition, 0, live_.coefficients, {{layer, head}}, model_->grid);
    MapSelection selection;
    selection.heads = {{layer, head}};
    const FloatArray dir({1, static_cast<int64_t>(live_.direction.size())}, live_.direction);
    FloatArray m = token_maps(*analysis_->decomposition, 0, dir, selection, model_->grid);
    m.shape = {model_->grid, model_->grid};
    return m;
}

std::vector<std::tuple<int, int, float>> ViewState::patchTopHeads(int patch, int count) const {
    std::vector<std::tuple<int, int, float>> out;
    if (!live_.valid || live_.map_waiting || !analysis_ || patch < 0) return out;
    const Decomposition& d = *analysis_->decomposition;
    if (analysis_->projected) {
        if (d.head_maps.rank() != 5 || patch >= d.head_maps.shape[4]) return out;
        const std::vector<float> values = head_values_at_patch(d, 0, live_.coefficients, patch);
        const int64_t H = d.head_maps.shape[3];
        for (int64_t i = 0; i < static_cast<int64_t>(values.size()); ++i)
            out.emplace_back(static_cast<int>(i / H), static_cast<int>(i % H), values[static_cast<size_t>(i)]);
    } else {
        if (d.attentions.rank() != 5) return out;
        const int64_t Ls = d.attentions.shape[1], N = d.attentions.shape[2], H = d.attentions.shape[3],
                      E = d.attentions.shape[4], token = patch + d.leading_tokens;
        if (token >= N) return out;
        for (int64_t l = 0; l < Ls; ++l)
            for (int64_t h = 0; h < H; ++h) {
                const float* v = d.attentions.data.data() + ((l * N + token) * H + h) * E;
                double dot = 0;
                for (int64_t e = 0; e < E; ++e)
                    dot += static_cast<double>(v[e]) * live_.direction[static_cast<size_t>(e)];
                out.emplace_back(static_cast<int>(l + d.first_spatial_layer), static_cast<int>(h),
                                 static_cast<float>(dot));
            }
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return std::fabs(std::get<2>(a)) > std::fabs(std::get<2>(b)); });
    if (static_cast<int>(out.size()) > count) out.resize(static_cast<size_t>(count));
    return out;
}

void ViewState::setPending(const QString& key, const QString& what) {
    pending_[key] = what;
    Q_EMIT pendingChanged();
}

void ViewState::clearPending(const QString& key) {
    if (pending_.remove(key)) Q_EMIT pendingChanged();
}

QString ViewState::pendingText() const { return QStringList(pending_.values()).join(" \u00b7 "); }

QString ViewState::caption() const {
    QStringList parts;
    parts << "model: " + (model_ ? model_->name : QString("none"));
    if (model_ && !model_->weights_digest.isEmpty())
        parts << "weights " + model_->weights_digest + " (" + model_->format + ")";
    if (analysis_) parts << "image: " + QFileInfo(analysis_->path).fileName();
    if (model_ && !model_->preprocessing.isEmpty()) parts << "input: " + model_->preprocessing;
    if (model_ && model_->patch_size > 0 && model_->grid * model_->patch_size < model_->image_size)
        parts << QString("patches cover the top-left %1 \u00d7 %1 of %2 px (the patch convolution drops the rest)")
                     .arg(model_->grid * model_->patch_size)
                     .arg(model_->image_size);
    if (model_ && !model_->text_embeddings.isEmpty()) parts << "texts from " + model_->text_embeddings;
    if (model_ && !model_->unknown_config_fields.isEmpty())
        parts << "loaded with unknown config fields: " + model_->unknown_config_fields.join(", ");
    if (live_.valid && live_.map_waiting) parts << "map: being computed for the current texts";
    if (live_.valid && !live_.map_waiting) {
        parts << "map: " + live_.direction_label;
        const char* how = map_scale_.mode() == SignedScale::Mode::Fixed  ? "fixed"
                          : map_scale_.mode() == SignedScale::Mode::Auto ? "fitted to this map"
                                                                         : "set by the image's first map";
        parts << QString("colour range: \u00b1%1 of %2 (%3)")
                     .arg(QString::number(map_scale_.range(), 'g', 3), live_.units, how);
    }
    if (!live_.probabilities_before.empty() && model_)
        parts << "label scores: " + QString::fromStdString(model_->scoring.description());
    parts << "ablated: " + ablationSummary();
    return parts.join(" \u00b7 ");
}

}  // namespace clipscope::ui
