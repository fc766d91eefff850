#include "analysis_worker.h"

#include <QElapsedTimer>
#include <QDir>
#include <QFileInfo>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>

#include "clipscope/analysis/textspan_record.h"
#include "clipscope/analysis/indexing.h"
#include "clipscope/base/text_file.h"
#include "clipscope/io/description_pool.h"
#include "clipscope/decompose/decompose.h"
#include "clipscope/decompose/pooled_decomposition.h"
#include "clipscope/analysis/ablation.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/model/clip_model.h"
#include "clipscope/io/dataset.h"
#include "clipscope/analysis/neighbors.h"
#include "clipscope/base/run_control.h"
#include "clipscope/analysis/store.h"
#include "clipscope/analysis/store_textspan.h"
#include "clipscope/demo/world_dataset.h"
#include "clipscope/base/error.h"
#include "clipscope/io/image.h"
#include "clipscope/base/resources.h"
#include "clipscope/analysis/zero_shot.h"

namespace clipscope::ui {
namespace {
// "12000 × 12000 px, 41.2 MB" from the header; only the file's size where it gives none.
QString image_size_text(const ImageFileInfo& info) {
    const double b = static_cast<double>(info.file_bytes);
    const QString bytes = b < 1e6 ? QString::number(std::max(1.0, std::round(b / 1e3))) + " kB"
                                  : QString::number(b / 1e6, 'f', 1) + " MB";
    if (info.width <= 0 || info.height <= 0) return bytes;
    return QString("%1 \u00d7 %2 px, %3").arg(info.width).arg(info.height).arg(bytes);
}

// One image's E-wide spatial terms (Decomposition::attentions), in bytes.
int64_t spatial_bytes(const ClipConfig& c) {
    return c.vision.layers * c.vision.tokens() * c.vision.heads * c.embed_dim * static_cast<int64_t>(sizeof(float));
}
}  // namespace

int64_t AnalysisWorker::spatialBudgetFromEnvironment() {
    constexpr const char* kName = "CLIPSCOPE_SPATIAL_BUDGET_MB";
    constexpr int64_t kDefault = int64_t{512} << 20;
    if (!qEnvironmentVariableIsSet(kName)) return kDefault;
    const QByteArray value = qgetenv(kName);
    bool ok = false;
    const qint64 mb = value.trimmed().toLongLong(&ok);
    // Up to 1 TB: beyond it the shift would overflow, and no machine holds such terms.
    if (!ok || mb < 0 || mb > (int64_t{1} << 20))
        throw_usage(std::string(kName) + "=" + value.toStdString() +
                    " is not a whole number of megabytes from 0 to 1048576 (the budget for an image's spatial "
                    "terms; unset, it is 512)");
    return static_cast<int64_t>(mb) << 20;
}

AnalysisWorker::AnalysisWorker() {
    qRegisterMetaType<ModelSummaryPtr>();
    qRegisterMetaType<ImageAnalysisPtr>();
    qRegisterMetaType<TextEmbeddingsPtr>();
    qRegisterMetaType<ImageSetPtr>();
    qRegisterMetaType<NeighborsPtr>();
    qRegisterMetaType<HeadLabels>();
    try {
        spatial_budget_ = spatialBudgetFromEnvironment();
    } catch (const Error& e) {
        // The app's start refuses it before a worker exists; a test's worker keeps the default.
        qWarning("%s", e.what());
    }
    thread_.setObjectName("clipscope-requests");
    context_ = new QObject;
    context_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, context_, &QObject::deleteLater);
    thread_.start();
    long_thread_.setObjectName("clipscope-long-jobs");
    long_context_ = new QObject;
    long_context_->moveToThread(&long_thread_);
    connect(&long_thread_, &QThread::finished, long_context_, &QObject::deleteLater);
    long_thread_.start();
}

AnalysisWorker::~AnalysisWorker() {
    // Newer ids make every queued job a no-op; the running one finishes (a single image or
    // model load: well under the 2 s a closing window may take).
    latest_model_ = latest_image_ = latest_texts_ = latest_index_ = latest_neighbors_ = latest_textspan_ = UINT64_MAX;
    cancelJob();
    lane_cv_.notify_all();
    thread_.quit();
    long_thread_.quit();
    thread_.wait();
    long_thread_.wait();
}

std::shared_ptr<const ClipModel> AnalysisWorker::model() const {
    const std::lock_guard<std::mutex> lock(state_mutex_);
    return model_;
}

std::shared_ptr<const Store> AnalysisWorker::store() const {
    const std::lock_guard<std::mutex> lock(state_mutex_);
    return store_;
}

void AnalysisWorker::waitForRequests(const std::function<bool()>& give_up) {
    std::unique_lock<std::mutex> lock(lane_mutex_);
    // Woken when a request finishes; the timeout re-checks give_up (a cancel, a newer job).
    while (interactive_pending_.load() > 0 && !give_up()) lane_cv_.wait_for(lock, std::chrono::milliseconds(50));
}

template <typename Job>
void AnalysisWorker::post(const char* what, Lane lane, std::atomic<uint64_t>& latest, uint64_t id, Job job) {
    latest = id;
    const bool interactive = lane == Lane::Interactive;
    if (interactive) ++interactive_pending_;
    if (++pending_ == 1) Q_EMIT busyChanged(true);
    QMetaObject::invokeMethod(
        interactive ? context_ : long_context_,
        [this, what, &latest, id, job, interactive] {
            if (!interactive) {
                // A long job starts after the requests posted before it (the model it needs
                // may still be loading), and pauses for later ones at each of its steps.
                waitForRequests([&latest, id] { return latest.load() != id; });
            }
            if (latest.load() == id) {  // else superseded before it started
                try {
                    job();
                } catch (const Error& e) {
                    // A cancelled job is the user's choice, not a failure: no error dialog.
                    if (e.kind() == ErrorKind::Cancelled)
                        Q_EMIT cancelled(QString::fromUtf8(what));
                    else
                        Q_EMIT failed(QString::fromUtf8(what), QString::fromUtf8(e.what()));
                } catch (const std::exception& e) {
                    Q_EMIT failed(QString::fromUtf8(what), QString::fromUtf8(e.what()));
                }
            }
            if (interactive) {
                {
                    const std::lock_guard<std::mutex> lock(lane_mutex_);
                    --interactive_pending_;
                }
                lane_cv_.notify_all();
            }
            if (--pending_ == 0) Q_EMIT busyChanged(false);
        },
        Qt::QueuedConnection);
}

uint64_t AnalysisWorker::loadModel(const QString& spec, const QString& device, const QString& vocabulary,
                                   bool allow_unknown_config_fields, const TextEmbeddingFiles& text_files) {
    const uint64_t id = next_id_++;
    post("Loading the model", Lane::Interactive, latest_model_, id,
         [this, spec, device, vocabulary, allow_unknown_config_fields, text_files] {
             last_texts_.reset();  // embedded by the model this one replaces
             QElapsedTimer timer;
             timer.start();
             LoadOptions options;
             options.device = device.toStdString();
             options.vocab_path = vocabulary.toStdString();
             options.allow_unknown_config_fields = allow_unknown_config_fields;
             options.text_embeddings = text_files.embeddings.toStdString();
             options.text_embedding_texts = text_files.texts.toStdString();
             auto model = std::make_shared<ClipModel>(ClipModel::load(spec.toStdString(), options));
             auto s = std::make_shared<ModelSummary>();
             const ClipConfig& c = model->config();
             s->spec = spec;
             s->name = QString::fromStdString(c.name);
             s->architecture = s->name;
             if (s->name.isEmpty() || s->name == "custom") s->name = QFileInfo(spec).fileName();
             try {
                 if (QFileInfo(spec).canonicalFilePath() ==
                     QFileInfo(QString::fromStdString(demo_model_directory())).canonicalFilePath())
                     s->name = "ClipScope demo (shapes world)";
             } catch (const Error&) {
             }  // no data directory: not the demo
             s->format = QString::fromStdString(model->info().format);
             // Every figure names the exact weights; the file is already in the page cache after loading.
             s->weights_digest = QString::fromStdString(model->weights_fingerprint());
             s->preprocessing = QString::fromStdString(describe_preprocessing(model->config().preprocess));
             for (const std::string& field : c.unknown_fields)
                 s->unknown_config_fields << QString::fromStdString(field);
             s->layers = c.vision.layers;
             s->heads = c.vision.heads;
             s->grid = c.vision.image_size / c.vision.patch_size;
             s->image_size = c.vision.image_size;
             s->patch_size = c.vision.patch_size;
             s->embed_dim = c.embed_dim;
             s->parameters = model->info().parameter_count;
             s->spatial_bytes = spatial_bytes(c);
             s->has_text_tower = c.text_tower;
             s->text_unavailable = QString::fromStdString(c.text_unavailable);
             s->tokenizer_unsupported = QString::fromStdString(c.tokenizer_unsupported);
             s->scoring = zero_shot_scoring(*model);
             s->pooled = c.vision.pooling == VisionPooling::AttentionPool;
             if (const TextEmbeddingTable* table = model->text_embeddings())
                 s->text_embeddings = QString("%1 (%2 texts named by %3, %4)")
                                          .arg(QFileInfo(QString::fromStdString(table->embeddings_path())).fileName())
                                          .arg(table->size())
                                          .arg(QFileInfo(QString::fromStdString(table->texts_path())).fileName(),
                                               QString::fromStdString(table->embeddings_fingerprint()));
             s->has_vocabulary =
                 model->has_tokenizer();  // without one, images work and text queries report the missing vocabulary
             s->vocabulary = QString::fromStdString(model->info().vocab_path);
             if (!s->has_vocabulary) {
                 try {
                     model->tokenizer();
                 } catch (const std::exception& e) {
                     s->vocabulary_problem = QString::fromUtf8(e.what());
                 }
             }
             {
                 const std::lock_guard<std::mutex> lock(state_mutex_);
                 model_ = std::move(model);
                 store_.reset();  // an image set indexed by another model does not apply
             }
             s->load_seconds = timer.elapsed() / 1000.0;
             Q_EMIT modelLoaded(s);
         });
    return id;
}

uint64_t AnalysisWorker::analyseImage(const QString& path, TextEmbeddingsPtr texts) {
    const uint64_t id = next_id_++;
    post("Analysing the image", Lane::Interactive, latest_image_, id, [this, path, id, texts] {
        const auto model = this->model();
        if (!model) throw Error(ErrorKind::Usage, "no model is loaded");
        QElapsedTimer timer;
        timer.start();
        auto a = std::make_shared<ImageAnalysis>();
        a->request = id;
        a->path = path;
        const QString name = QFileInfo(path).fileName();
        constexpr int kSteps = 3;
        QString what = tr("Reading %1").arg(name);
        Q_EMIT imageStep(path, 1, kSteps, what, -1);
        // The decode's and the resize's own progress, repeated with the step's text.
        const auto advance = [&](int step) {
            return [&, step](double fraction) {
                Q_EMIT imageStep(path, step, kSteps, what, static_cast<int>(fraction * 100.0));
            };
        };
        const Image image = load_image(
            path.toStdString(),
            [&](const ImageFileInfo& info) {
                what = tr("Decoding %1 (%2)").arg(name, image_size_text(info));
                Q_EMIT imageStep(path, 1, kSteps, what, -1);
            },
            advance(1));
        what = tr("Resizing %1 from %2 × %3 px").arg(name).arg(image.width).arg(image.height);
        Q_EMIT imageStep(path, 2, kSteps, what, -1);
        a->crop = resize_and_crop(image, model->config().preprocess, advance(2));
        what = tr("Decomposing %1").arg(name);
        Q_EMIT imageStep(path, 3, kSteps, what, -1);
        DecomposeOptions options;
        const ClipConfig& c = model->config();
        a->projected = spatial_bytes(c) > spatial_budget_.load();
        FloatArray rows;
        if (a->projected) {
            // The maps toward the current texts only, computed inside the decomposition.
            options.spatial = false;
            // Texts embedded after the request was posted (both run on this thread, in order)
            // are newer than the ones it carries: mapping toward them spares a second run.
            a->map_texts = last_texts_ && (!texts || last_texts_->request > texts->request) ? last_texts_ : texts;
            if (a->map_texts) rows = map_rows(*a->map_texts, c.embed_dim);
            if (rows.rank() == 2 && rows.shape[0] > 0) options.map_directions = &rows;
        }
        a->decomposition = std::make_shared<Decomposition>(
            decompose_image_terms(*model, normalize_crop(a->crop, c.preprocess), options));
        a->seconds = timer.elapsed() / 1000.0;
        Q_EMIT imageAnalysed(a);
    });
    return id;
}

uint64_t AnalysisWorker::embedTexts(const QString& text_a, const QString& text_b, const QStringList& labels) {
    const uint64_t id = next_id_++;
    post("Embedding the texts", Lane::Interactive, latest_texts_, id, [this, text_a, text_b, labels, id] {
        const auto model = this->model();
        if (!model) throw Error(ErrorKind::Usage, "no model is loaded");
        auto t = std::make_shared<TextEmbeddings>();
        t->request = id;
        t->text_a = text_a.trimmed();
        t->text_b = text_b.trimmed();
        t->labels = labels;
        auto unit = [&model](const QString& text) {
            if (text.isEmpty()) return std::vector<float>();
            FloatArray e = model->encode_texts({text.toStdString()});
            normalize_rows(e);
            return std::vector<float>(e.data.begin(), e.data.end());
        };
        t->a = unit(t->text_a);
        t->b = unit(t->text_b);
        const int64_t E = model->config().embed_dim;
        t->label_rows = FloatArray({static_cast<int64_t>(labels.size()), E});
        if (!labels.isEmpty() && !model->has_logit_scale()) {
            // Probabilities need CLIP's temperature, which lives in the text tower.
            t->labels_note =
                tr("Zero-shot labels are off: this checkpoint has no text tower, so no logit scale "
                   "to turn cosines into probabilities; maps of text A (rather than B) work");
            t->label_rows = FloatArray({0, E});  // the labels stay, so the result matches its request
        } else if (!labels.isEmpty()) {
            std::vector<std::string> names;
            for (const QString& l : labels) names.push_back(l.toStdString());
            const FloatArray classifier = build_classifier(*model, names, default_templates());  // [E, C]
            const int64_t C = static_cast<int64_t>(names.size());
            for (int64_t c = 0; c < C; ++c)
                for (int64_t e = 0; e < E; ++e)
                    t->label_rows.data[static_cast<size_t>(c * E + e)] =
                        classifier.data[static_cast<size_t>(e * C + c)];
        }
        last_texts_ = t;
        Q_EMIT textsEmbedded(t);
    });
    return id;
}

// While a long job runs, its RunControl is registered for cancelJob() and reports progress.
class AnalysisWorker::JobScope {
public:
    explicit JobScope(AnalysisWorker* w) : w_(w), control_(std::make_shared<RunControl>()) {
        control_->set_progress_callback([w](int64_t done, int64_t total, const std::string& what) {
            Q_EMIT w->progress(done, total, QString::fromStdString(what));
        });
        RunControl* control = control_.get();
        control_->set_pause_callback(
            [w, control] { w->waitForRequests([control] { return control->is_cancelled(); }); });
        std::lock_guard<std::mutex> lock(w_->control_mutex_);
        w_->control_ = control_;
    }
    ~JobScope() {
        std::lock_guard<std::mutex> lock(w_->control_mutex_);
        w_->control_.reset();
    }
    JobScope(const JobScope&) = delete;
    JobScope& operator=(const JobScope&) = delete;
    RunControl* control() const { return control_.get(); }

private:
    AnalysisWorker* w_;
    std::shared_ptr<RunControl> control_;
};

void AnalysisWorker::cancelJob() {
    std::lock_guard<std::mutex> lock(control_mutex_);
    if (control_) control_->request_cancel();
}

uint64_t AnalysisWorker::indexImageSet(const QString& folder, const QString& cache_root) {
    const uint64_t id = next_id_++;
    post("Indexing the image set", Lane::Long, latest_index_, id, [this, folder, cache_root] {
        const auto model = this->model();  // this job's model, whatever the user loads meanwhile
        if (!model) throw Error(ErrorKind::Usage, "no model is loaded");
        const JobScope job(this);
        RunControl* control = job.control();

        const QDir cache(cache_root);
        QString source = folder, name = QFileInfo(folder).fileName();
        if (folder == "demo:") {
            // The demo's image set: held-out shapes-world scenes, generated once into the cache.
            WorldDatasetOptions w;
            w.out = cache.filePath("demo-world").toStdString();
            w.count = 400;
            w.seed = 777;
            w.size = 64;
            w.two_objects = 0.25;
            source = QString::fromStdString(w.out);
            name = "demo world";
            if (!QFileInfo::exists(QDir(source).filePath("labels.csv"))) write_world_dataset(w, control);
        }
        StoreInfo info = store_info_for(*model);
        info.batch = 8;
        const QString key = QString::fromStdString(info.weights_fingerprint).left(16) + "-" +
                            QString::number(fnv1a64(QFileInfo(source).absoluteFilePath().toStdString()), 16);
        const QString store_folder = cache.filePath("stores/" + key);
        QDir().mkpath(QFileInfo(store_folder).path());
        // An image that cannot be decoded is skipped and named, as `clipscope-cli index` does.
        const IndexList list = images_to_index(list_image_folder(source.toStdString()), store_folder.toStdString(),
                                               /*strict=*/false, control);
        info.images = list.images;
        info.skipped = list.skipped;
        {
            StoreWriter writer = StoreWriter::open(store_folder.toStdString(), info);
            index_into_store(*model, writer, image_files_of(writer, *model), control);
        }
        auto store = std::make_shared<Store>(Store::open(store_folder.toStdString()));
        const TermMeans means = store_term_means(*store, {}, control);
        auto set = std::make_shared<ImageSet>();
        set->source = source;
        set->store_folder = store_folder;
        set->name = store->info().skipped.empty() ? QString("%1 (%2 images)").arg(name).arg(store->size())
                                                  : QString("%1 (%2 images, %3 skipped: see %4/skipped.txt)")
                                                        .arg(name)
                                                        .arg(store->size())
                                                        .arg(store->info().skipped.size())
                                                        .arg(store_folder);
        for (const ImageEntry& e : store->info().images) set->images << QString::fromStdString(e.path);
        const int64_t L = store->info().layers, H = store->info().heads, E = store->info().embed_dim;
        set->head_means = FloatArray({L, H, E}, std::vector<float>(means.heads.begin(), means.heads.end()));
        set->mlp_means = FloatArray({L + 1, E}, std::vector<float>(means.mlps.begin(), means.mlps.end()));
        if (!means.pooling.empty())
            set->pooling_mean = FloatArray({E}, std::vector<float>(means.pooling.begin(), means.pooling.end()));
        {
            const std::lock_guard<std::mutex> lock(state_mutex_);
            if (model != model_) return;  // another model was loaded meanwhile: its sets only
            store_ = std::move(store);
        }
        Q_EMIT imageSetReady(set);
    });
    return id;
}

uint64_t AnalysisWorker::computeTextSpan(const QString& descriptions, int per_head) {
    const uint64_t id = next_id_++;
    post("Computing TextSpan labels", Lane::Long, latest_textspan_, id, [this, descriptions, per_head] {
        const auto model = this->model();
        const auto store = this->store();
        if (!model) throw Error(ErrorKind::Usage, "no model is loaded");
        if (!store) throw Error(ErrorKind::Usage, "TextSpan needs an indexed image set: index a folder first");
        const JobScope job(this);
        RunControl* control = job.control();
        const std::string bytes = read_text_file(descriptions.toStdString(), size_t{64} << 20);
        const std::vector<std::string> texts = parse_description_pool(bytes, descriptions.toStdString()).texts;
        FloatArray pool = model->encode_texts(texts);
        normalize_rows(pool);
        TextSpanOptions options;
        options.rank = std::min<int64_t>(80, model->config().embed_dim);
        options.iterations = std::min<int64_t>(per_head, static_cast<int64_t>(texts.size()));
        options.reconstruct = false;
        const auto t0 = std::chrono::steady_clock::now();
        const auto spans = text_span_store(*store, pool, options, store->info().layers, control);
        // Saved in clipscope-cli textspan's format, so the CLI (spurious --keywords) reads it too.
        const StoreInfo& info = store->info();
        TextSpanRecord result;
        result.model = TextSpanModelRecord{info.model_spec, info.model_format, info.architecture, std::nullopt};
        result.settings.rank = options.rank;
        result.settings.per_head = options.iterations;
        result.settings.texts = descriptions.toStdString();
        result.settings.images = store->size();
        result.settings.store = store->folder();
        result.settings.last_layers = info.layers;
        HeadLabels labels;
        for (const HeadSpan& hs : spans) {
            HeadTexts t;
            t.total_variance = hs.fit.total_variance_explained;
            TextSpanHeadRecord record{hs.layer, hs.head, hs.fit.total_variance_explained, {}};
            for (const TextSpanPick& p : hs.fit.picks) {
                const std::string& text = texts[static_cast<size_t>(p.index)];
                t.texts << QString::fromStdString(text);
                t.variance << p.variance_explained;
                record.texts.push_back({p.index, text, p.variance_explained});
            }
            labels[{static_cast<int>(hs.layer), static_cast<int>(hs.head)}] = t;
            result.heads.push_back(std::move(record));
        }
        result.settings.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const QString saved = QDir(QString::fromStdString(store->folder()))
                                  .filePath(QString("textspan-%1.json").arg(QString::number(fnv1a64(bytes), 16)));
        write_textspan_record(saved.toStdString(), result);
        Q_EMIT textSpanReady(labels, saved);
    });
    return id;
}

uint64_t AnalysisWorker::findNeighbors(const std::vector<float>& key, const NeighborQuery& q, int k) {
    const uint64_t id = next_id_++;
    post("Finding neighbours", Lane::Interactive, latest_neighbors_, id, [this, key, q, k, id] {
        const auto store = this->store();
        if (!store) return;  // no image set yet: nothing to show
        auto out = std::make_shared<Neighbors>();
        out->request = id;
        out->query = QString::fromStdString(q.describe());
        for (const Neighbor& n : nearest_neighbors(*store, key, q, k)) {
            const ImageEntry& e = store->info().images[static_cast<size_t>(n.index)];
            out->images << QString::fromStdString(e.path);
            out->names << QString::fromStdString(shown_name(e));
            out->scores << n.score;
        }
        Q_EMIT neighborsFound(out);
    });
    return id;
}

}  // namespace clipscope::ui
