#include "analysis_worker.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <exception>

#include "clipscope/clip_model.h"
#include "clipscope/error.h"
#include "clipscope/image.h"
#include "clipscope/resources.h"
#include "clipscope/zero_shot.h"

namespace clipscope::ui {

AnalysisWorker::AnalysisWorker() {
    qRegisterMetaType<ModelSummaryPtr>();
    qRegisterMetaType<ImageAnalysisPtr>();
    qRegisterMetaType<TextEmbeddingsPtr>();
    thread_.setObjectName("clipscope-worker");
    context_ = new QObject;
    context_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, context_, &QObject::deleteLater);
    thread_.start();
}

AnalysisWorker::~AnalysisWorker() {
    // Newer ids make every queued job a no-op; the running one finishes (a single image or
    // model load: well under the 2 s a closing window may take).
    latest_model_ = latest_image_ = latest_texts_ = UINT64_MAX;
    thread_.quit();
    thread_.wait();
}

template <typename Job>
void AnalysisWorker::post(const char* what, std::atomic<uint64_t>& latest, uint64_t id, Job job) {
    latest = id;
    if (++pending_ == 1) Q_EMIT busyChanged(true);
    QMetaObject::invokeMethod(context_, [this, what, &latest, id, job] {
        if (latest.load() == id) {  // else superseded before it started
            try {
                job();
            } catch (const std::exception& e) {
                Q_EMIT failed(QString::fromUtf8(what), QString::fromUtf8(e.what()));
            }
        }
        if (--pending_ == 0) Q_EMIT busyChanged(false);
    }, Qt::QueuedConnection);
}

uint64_t AnalysisWorker::loadModel(const QString& spec, const QString& device) {
    const uint64_t id = next_id_++;
    post("Loading the model", latest_model_, id, [this, spec, device] {
        QElapsedTimer timer;
        timer.start();
        LoadOptions options;
        options.device = device.toStdString();
        auto model = std::make_shared<ClipModel>(ClipModel::load(spec.toStdString(), options));
        auto s = std::make_shared<ModelSummary>();
        const ClipConfig& c = model->config();
        s->spec = spec;
        s->name = QString::fromStdString(c.name);
        if (s->name.isEmpty() || s->name == "custom") s->name = QFileInfo(spec).fileName();
        try {
            if (QFileInfo(spec).canonicalFilePath() == QFileInfo(QString::fromStdString(demo_model_directory())).canonicalFilePath())
                s->name = "ClipScope demo (shapes world)";
        } catch (const Error&) {
        }  // no data directory: not the demo
        s->format = QString::fromStdString(model->info().format);
        s->layers = c.vision.layers;
        s->heads = c.vision.heads;
        s->grid = c.vision.image_size / c.vision.patch_size;
        s->image_size = c.vision.image_size;
        s->embed_dim = c.embed_dim;
        s->parameters = model->info().parameter_count;
        s->logit_scale = model->logit_scale();
        model->tokenizer();  // a model without a vocabulary cannot serve the text panes: say so now
        model_ = std::move(model);
        s->load_seconds = timer.elapsed() / 1000.0;
        Q_EMIT modelLoaded(s);
    });
    return id;
}

uint64_t AnalysisWorker::analyseImage(const QString& path) {
    const uint64_t id = next_id_++;
    post("Analysing the image", latest_image_, id, [this, path, id] {
        if (!model_) throw Error(ErrorKind::Usage, "no model is loaded");
        QElapsedTimer timer;
        timer.start();
        auto a = std::make_shared<ImageAnalysis>();
        a->request = id;
        a->path = path;
        const Image image = load_image(path.toStdString());
        a->crop = resize_and_crop(image, model_->config().preprocess);
        a->decomposition = std::make_shared<Decomposition>(model_->decompose(normalize_crop(a->crop, model_->config().preprocess)));
        a->seconds = timer.elapsed() / 1000.0;
        Q_EMIT imageAnalysed(a);
    });
    return id;
}

uint64_t AnalysisWorker::embedTexts(const QString& text_a, const QString& text_b, const QStringList& labels) {
    const uint64_t id = next_id_++;
    post("Embedding the texts", latest_texts_, id, [this, text_a, text_b, labels, id] {
        if (!model_) throw Error(ErrorKind::Usage, "no model is loaded");
        auto t = std::make_shared<TextEmbeddings>();
        t->request = id;
        t->text_a = text_a.trimmed();
        t->text_b = text_b.trimmed();
        t->labels = labels;
        auto unit = [this](const QString& text) {
            if (text.isEmpty()) return std::vector<float>();
            FloatArray e = model_->encode_texts({text.toStdString()});
            normalize_rows(e);
            return std::vector<float>(e.data.begin(), e.data.end());
        };
        t->a = unit(t->text_a);
        t->b = unit(t->text_b);
        const int64_t E = model_->config().embed_dim;
        t->label_rows = FloatArray({static_cast<int64_t>(labels.size()), E});
        if (!labels.isEmpty()) {
            std::vector<std::string> names;
            for (const QString& l : labels) names.push_back(l.toStdString());
            const FloatArray classifier = build_classifier(*model_, names, default_templates());  // [E, C]
            const int64_t C = static_cast<int64_t>(names.size());
            for (int64_t c = 0; c < C; ++c)
                for (int64_t e = 0; e < E; ++e) t->label_rows.data[static_cast<size_t>(c * E + e)] = classifier.data[static_cast<size_t>(e * C + c)];
        }
        Q_EMIT textsEmbedded(t);
    });
    return id;
}

}  // namespace clipscope::ui
