#include "data_export.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <sstream>

#include "clipscope/base/atomic_file.h"
#include "clipscope/io/csv_table.h"
#include "clipscope/io/npy.h"
#include "head_grid_model.h"
#include "view_state.h"

namespace clipscope::ui {

QString export_view_data(const ViewState& state, const HeadGridModel& grid, const NeighborsPtr& neighbors,
                         const QString& folder) {
    try {
        if (!QDir().mkpath(folder)) return folder + ": cannot create the folder";
        const QDir dir(folder);
        auto path = [&](const char* name) { return dir.filePath(name).toStdString(); };
        const LiveResult& live = state.live();
        const auto& model = state.model();
        const auto& analysis = state.analysis();
        QJsonObject view{{"caption", state.caption()},
                         {"model", model ? model->spec : QString()},
                         {"architecture", model ? model->name : QString()},
                         {"image", analysis ? analysis->path : QString()},
                         {"direction", live.valid ? live.direction_label : QString()},
                         {"ablated", state.ablationSummary()},
                         {"image_set", state.imageSet() ? state.imageSet()->name : QString()},
                         {"cosine_before", live.score_before},
                         {"cosine_after", live.score_after},
                         {"sum_of_parts_max_error", live.sum_error},
                         {"decompose_seconds", analysis ? analysis->seconds : 0.0},
                         {"label_scores", model ? QString::fromStdString(model->scoring.description()) : QString()}};
        // How the map was made: from the E-wide spatial terms, or projected on the texts inside
        // the decomposition (a model above the app's spatial budget; the same numbers up to rounding).
        if (analysis && model)
            view.insert("maps",
                        analysis->projected
                            ? QString("projected on the texts inside the decomposition (spatial terms "
                                      "would need %1 MB per image)")
                                  .arg(model->spatial_bytes >> 20)
                            : QString("from the spatial terms (%1 MB per image)").arg(model->spatial_bytes >> 20));
        write_text_atomically(path("view.json"), QJsonDocument(view).toJson().toStdString());

        std::ostringstream heads;
        heads << "layer,head,contribution,ablated,label\n";
        for (int row = 0; row < grid.rowCount(); ++row)
            for (int col = 0; col < grid.columnCount(); ++col) {
                const QModelIndex i = grid.index(row, col);
                if (!(grid.flags(i) & Qt::ItemIsEnabled)) continue;  // the pooling row's empty head cells
                const int layer = grid.layerOfRow(row), head = grid.headOfColumn(col);
                const QVariant v = grid.data(i, HeadGridModel::ContributionRole);
                const QStringList labels = head >= 0 ? grid.labelsOf(layer, head) : QStringList();
                heads << (grid.isPoolingRow(layer) ? std::string("pool") : std::to_string(layer)) << ","
                      << (head >= 0 ? std::to_string(head) : std::string("MLP")) << ","
                      << (v.isValid() ? std::to_string(v.toDouble()) : "") << ","
                      << (grid.data(i, HeadGridModel::AblatedRole).toBool() ? 1 : 0) << ","
                      << csv_field(labels.isEmpty() ? std::string() : labels.first().toStdString()) << "\n";
            }
        write_text_atomically(path("heads.csv"), heads.str());

        std::ostringstream scores;
        const bool sigmoid = model && model->scoring.rule == ScoreRule::Sigmoid;  // per label, not summing to 1
        scores << (sigmoid ? "label,sigmoid_score,sigmoid_score_ablated\n" : "label,probability,probability_ablated\n");
        if (const auto& t = state.texts())
            for (int c = 0; c < t->labels.size() && static_cast<size_t>(c) < live.probabilities_before.size(); ++c)
                scores << csv_field(t->labels[c].toStdString()) << ","
                       << live.probabilities_before[static_cast<size_t>(c)] << ","
                       << live.probabilities_after[static_cast<size_t>(c)] << "\n";
        write_text_atomically(path("scores.csv"), scores.str());

        if (live.valid && live.map.rank() == 2) write_npy(path("map.npy"), live.map);
        if (neighbors) {
            std::ostringstream n;
            n << "rank,image,score,query\n";
            for (int i = 0; i < neighbors->images.size(); ++i)
                n << i + 1 << "," << csv_field(neighbors->images[i].toStdString()) << "," << neighbors->scores[i] << ","
                  << csv_field(neighbors->query.toStdString()) << "\n";
            write_text_atomically(path("neighbours.csv"), n.str());
        }
    } catch (const std::exception& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

QStringList view_data_files(const QString& dir) {
    QStringList files;
    for (const char* name : {"view.json", "heads.csv", "scores.csv", "map.npy", "neighbours.csv"})
        files << QDir(dir).filePath(name);
    return files;
}

}  // namespace clipscope::ui
