#pragma once
// Plain results that travel from the worker thread to the GUI thread (as shared
// pointers to const, so panes can keep them without copies or locks).
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVector>
#include <memory>

#include "clipscope/analysis/zero_shot.h"
#include "clipscope/decompose/decomposition.h"
#include "clipscope/io/image.h"
#include "clipscope/base/ndarray.h"

namespace clipscope::ui {

struct ModelSummary {
    QString spec;          // what was asked for (folder, file, hf-hub:..., random:...)
    QString name;          // architecture name for captions
    QString architecture;  // the config's name ("ViT-B-16", "custom"), as result files record it
    QString format;
    QString weights_digest;  // the weights file's fingerprint (as stores record it), for captions
    QString preprocessing;   // how an image becomes the model's input (describe_preprocessing), for captions
    int64_t layers = 0, heads = 0, grid = 0, image_size = 0, embed_dim = 0;
    // Pixels per patch. grid * patch_size < image_size where the grid is floored (so400m at 384
    // px: 27 x 14 = 378): the patches cover the crop's top-left corner only.
    int64_t patch_size = 0;
    int64_t parameters = 0;
    // How label cosines become scores: CLIP's softmax over the labels, SigLIP's sigmoid per
    // label, or the cosines when the checkpoint has no logit scale (then no zero-shot chart).
    ZeroShotScoring scoring;
    bool hasLogitScale() const { return scoring.rule != ScoreRule::Cosine; }
    // An attention pooling head pools the image (SigLIP): no class token, and the head's MLP is
    // one more term, shown as the grid's "pool" row (layer index == layers).
    bool pooled = false;
    bool has_vocabulary = true;
    bool has_text_tower = true;     // false: a vision-only checkpoint; texts are off, with its reason
    QString text_unavailable;       // why a checkpoint's text tower is not run ("" if it is, or has none)
    QString tokenizer_unsupported;  // why texts cannot be tokenized (MetaCLIP 2); "" for CLIP's BPE
    // Where texts come from when not the text tower: "T.npy (N texts named by F, fingerprint ...)".
    QString text_embeddings;
    QString vocabulary;          // the tokenizer file in use ("" when none)
    QString vocabulary_problem;  // without one: where it was looked for
    double load_seconds = 0;
    // Bytes of one image's E-wide spatial terms (layers x tokens x heads x embed_dim floats):
    // above the worker's budget the app keeps projected maps instead.
    int64_t spatial_bytes = 0;
    // Config fields loaded only because the user allowed unknown fields ("vision_cfg.foo = 3"):
    // every caption names them, since they may change the numbers.
    QStringList unknown_config_fields;
};

struct TextEmbeddings {
    uint64_t request = 0;
    QString text_a, text_b;   // "A" and the optional "rather than B"
    QStringList labels;       // zero-shot class names
    std::vector<float> a, b;  // unit [E]; empty when the text is empty
    FloatArray label_rows;    // [C, E] unit rows: each label's prompt-template ensemble
    QString labels_note;      // why the labels were left out ("" when they were embedded)
};

// The rows a projected decomposition maps toward, in this order: A (if given), B (if given),
// then every label. Any direction the view draws is a combination of them. [T, E], T may be 0.
FloatArray map_rows(const TextEmbeddings& texts, int64_t embed_dim);

struct ImageAnalysis {
    uint64_t request = 0;
    QString path;
    Image crop;  // the model's view: resized and centre-cropped RGB
    // Batch of one. Spatial terms for every layer, or, when `projected`, none: each head's
    // map toward the rows of map_rows(*map_texts) instead (Decomposition::head_maps), since
    // the E-wide terms would not fit (AnalysisWorker::setSpatialBudget).
    std::shared_ptr<const Decomposition> decomposition;
    bool projected = false;
    std::shared_ptr<const TextEmbeddings> map_texts;  // what the maps were projected on (null: no maps yet)
    double seconds = 0;
};

// Texts given as files instead of the text tower (--text-embeddings / --texts); both or neither.
struct TextEmbeddingFiles {
    QString embeddings;  // [N, E] .npy
    QString texts;       // one text per line, line i naming row i
};

// An indexed image set: its store (non-spatial terms of every image, on disk, resumable)
// and the mean of every term over the set (what mean-ablation substitutes).
struct ImageSet {
    QString name;             // shown in captions ("demo world (400 images)", a folder name)
    QString source;           // the folder that was indexed
    QString store_folder;     // the store in the cache
    QStringList images;       // store row order
    FloatArray head_means;    // [L, H, E]
    FloatArray mlp_means;     // [L + 1, E]
    FloatArray pooling_mean;  // [E] for an attention-pooled model, else empty
};

struct Neighbors {
    uint64_t request = 0;
    QString query;  // "head 5.2", "layer 5", "embedding"
    QStringList images;
    QStringList names;  // as shown: relative to the folder that was indexed, e.g. "cat/001.png"
    QVector<double> scores;
};

using ModelSummaryPtr = std::shared_ptr<const ModelSummary>;
using ImageSetPtr = std::shared_ptr<const ImageSet>;
using NeighborsPtr = std::shared_ptr<const Neighbors>;
using ImageAnalysisPtr = std::shared_ptr<const ImageAnalysis>;
using TextEmbeddingsPtr = std::shared_ptr<const TextEmbeddings>;

}  // namespace clipscope::ui

Q_DECLARE_METATYPE(clipscope::ui::ModelSummaryPtr)
Q_DECLARE_METATYPE(clipscope::ui::ImageAnalysisPtr)
Q_DECLARE_METATYPE(clipscope::ui::TextEmbeddingsPtr)
Q_DECLARE_METATYPE(clipscope::ui::ImageSetPtr)
Q_DECLARE_METATYPE(clipscope::ui::NeighborsPtr)
