#pragma once
// The one object every pane observes (docs/architecture.md): the model, the analysed
// image, the text queries, the ablated heads, the selection. Panes change it and react
// to its signals; they never call each other. Live results (scores, head contributions,
// the map) are recomputed here from stored terms whenever an input changes: no model
// re-run, a few milliseconds for ViT-B-16 sizes.
#include <QMap>
#include <QObject>
#include <QString>
#include <set>
#include <utility>
#include <vector>

#include "analysis_types.h"
#include "clipscope/analysis/live_ablation.h"
#include "signed_scale.h"

namespace clipscope::ui {

enum class MapSource { Text, SelectedHead };

struct LiveResult {
    bool valid = false;            // a model, an image and a direction are present
    QString direction_label;       // what the map and the grid colours measure
    QString units;                 // what a map value is: "direct contribution to cos(image, A)"
    std::vector<float> direction;  // [E]
    PartScores parts;              // unablated terms along the direction: heads [L*H], MLPs [L+1], pooling [1] or none
    float score_before = 0, score_after = 0;  // cosine with the direction
    // Zero-shot scores of the labels by the model's rule (ModelSummary::scoring): softmax
    // probabilities for CLIP, a sigmoid per label for SigLIP.
    std::vector<float> probabilities_before, probabilities_after;
    FloatArray map;  // [G, G]: kept heads (or the selected head) along the direction
    // A projected decomposition (ImageAnalysis::projected): the direction as coefficients over
    // its map rows, and whether its maps were made for other texts (the map is then blank
    // until the image is re-run for the current ones).
    std::vector<float> coefficients;
    bool map_waiting = false;
    double map_max_abs = 0;
    double sum_error = 0;  // |sum of parts - embedding|, shown as the self-check
    double compute_ms = 0;
};

class ViewState : public QObject {
    Q_OBJECT
public:
    explicit ViewState(QObject* parent = nullptr);

    void setModel(ModelSummaryPtr model);
    void setAnalysis(ImageAnalysisPtr analysis);
    void setTexts(TextEmbeddingsPtr texts);
    void setMapSource(MapSource source);
    // The indexed image set: its term means turn ablation into mean-ablation.
    void setImageSet(ImageSetPtr set);
    const ImageSetPtr& imageSet() const { return image_set_; }

    // Ablation (zero-ablation: no image set provides means yet).
    void toggleHead(int layer, int head);
    void toggleMlp(int layer);
    void setAblated(const std::set<std::pair<int, int>>& heads, const std::set<int>& mlp_layers);
    void clearAblation();
    // Zero-ablation even when an image set provides means (the reference's --zero).
    void setForceZero(bool zero);
    bool forceZero() const { return force_zero_; }
    bool isAblated(int layer, int head) const { return heads_off_.count({layer, head}) > 0; }
    bool isMlpAblated(int layer) const { return mlps_off_.count(layer) > 0; }
    // The attention pooling head's MLP (SigLIP) is ablated as the MLP of the row above the
    // last layer: toggleMlp(layers), isMlpAblated(layers).
    bool isPoolingRow(int layer) const { return model_ && model_->pooled && layer == model_->layers; }
    const std::set<std::pair<int, int>>& ablatedHeads() const { return heads_off_; }
    const std::set<int>& ablatedMlps() const { return mlps_off_; }
    QString ablationSummary()
        const;  // "L5.H2, L4.MLP (mean over demo world (400 images))", "... (zero: no image set)" or "none"

    // Selection: a head (head == -1 for the layer's MLP) and a patch (-1 = none).
    void selectHead(int layer, int head);
    void selectPatch(int patch);
    int selectedLayer() const { return sel_layer_; }
    int selectedHead() const { return sel_head_; }
    int selectedPatch() const { return sel_patch_; }

    const ModelSummaryPtr& model() const { return model_; }
    const ImageAnalysisPtr& analysis() const { return analysis_; }
    const TextEmbeddingsPtr& texts() const { return texts_; }
    MapSource mapSource() const { return map_source_; }
    const LiveResult& live() const { return live_; }

    // The symmetric colour range of the map (canvas, its colour bar, figures): kept per
    // image and direction unless the user picks auto or a fixed range.
    const SignedScale& mapScale() const { return map_scale_; }
    void setMapScaleMode(SignedScale::Mode mode);
    void setMapScaleRange(double range);  // a fixed range

    // One head's own map [G, G] along the direction (the head detail, figures); empty when
    // there is no direction or the decomposition has no spatial terms for that layer.
    FloatArray headMap(int layer, int head) const;
    // The heads of the selected patch ranked by their contribution along the direction: (layer, head, value).
    std::vector<std::tuple<int, int, float>> patchTopHeads(int patch, int count) const;
    // One caption for figures and the window title: model, image, texts, ablated heads.
    QString caption() const;

    // Requests on their way (key "image" or "texts" -> "Decomposing cat.png"): panes that
    // show their results grey out and say so until the result replaces the old one.
    void setPending(const QString& key, const QString& what);
    void clearPending(const QString& key);
    bool isPending() const { return !pending_.isEmpty(); }
    QString pendingText() const;  // "Decomposing cat.png · Embedding the texts", "" when none

Q_SIGNALS:
    void modelChanged();
    void analysisChanged();
    void textsChanged();
    void imageSetChanged();
    void ablationChanged();  // always followed by liveChanged (every ablation change recomputes)
    void selectionChanged();
    void liveChanged();
    void mapScaleChanged();
    void pendingChanged();

private:
    void recompute();
    LiveAblation currentAblation() const;

    ModelSummaryPtr model_;
    ImageAnalysisPtr analysis_;
    TextEmbeddingsPtr texts_;
    ImageSetPtr image_set_;
    MapSource map_source_ = MapSource::Text;
    bool force_zero_ = false;
    std::set<std::pair<int, int>> heads_off_;
    std::set<int> mlps_off_;
    int sel_layer_ = -1, sel_head_ = -1, sel_patch_ = -1;
    LiveResult live_;
    SignedScale map_scale_;
    QMap<QString, QString> pending_;
    QString map_subject_;  // image, direction and map source the scale was set for
};

}  // namespace clipscope::ui
