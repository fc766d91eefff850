#pragma once
// Plain results that travel from the worker thread to the GUI thread (as shared
// pointers to const, so panes can keep them without copies or locks).
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <memory>

#include "clipscope/decomposition.h"
#include "clipscope/image.h"
#include "clipscope/ndarray.h"

namespace clipscope::ui {

struct ModelSummary {
    QString spec;          // what was asked for (folder, file, hf-hub:..., random:...)
    QString name;          // architecture name for captions
    QString format;
    int64_t layers = 0, heads = 0, grid = 0, image_size = 0, embed_dim = 0;
    int64_t parameters = 0;
    float logit_scale = 100.f;
    double load_seconds = 0;
};

struct ImageAnalysis {
    uint64_t request = 0;
    QString path;
    Image crop;                                           // the model's view: resized and centre-cropped RGB
    std::shared_ptr<const Decomposition> decomposition;   // batch of one, spatial terms for every layer
    double seconds = 0;
};

struct TextEmbeddings {
    uint64_t request = 0;
    QString text_a, text_b;     // "A" and the optional "rather than B"
    QStringList labels;         // zero-shot class names
    std::vector<float> a, b;    // unit [E]; empty when the text is empty
    FloatArray label_rows;      // [C, E] unit rows: each label's prompt-template ensemble
};

using ModelSummaryPtr = std::shared_ptr<const ModelSummary>;
using ImageAnalysisPtr = std::shared_ptr<const ImageAnalysis>;
using TextEmbeddingsPtr = std::shared_ptr<const TextEmbeddings>;

}  // namespace clipscope::ui

Q_DECLARE_METATYPE(clipscope::ui::ModelSummaryPtr)
Q_DECLARE_METATYPE(clipscope::ui::ImageAnalysisPtr)
Q_DECLARE_METATYPE(clipscope::ui::TextEmbeddingsPtr)
