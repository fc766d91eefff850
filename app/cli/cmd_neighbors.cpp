#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "cli_common.h"
#include "clipscope/analysis/indexing.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/io/image.h"
#include "clipscope/analysis/neighbor_index.h"
#include "clipscope/analysis/neighbors.h"
#include "commands.h"
#include "console_progress.h"

namespace clipscope::cli {
namespace {

struct Options {
    ModelOptions model;
    std::string store, query_image, heads, sheet;
    int64_t query_index = -1, layer = -1, head = -1, k = 15;
    bool embedding = false, json = false, build_index = false;
};

// The end of a name that fits `chars` characters, e.g. "…ds/cat/0012.png": the file
// name and its nearest folders are what tell two results apart.
std::string name_tail(const std::string& name, size_t chars) {
    return name.size() <= chars ? name : ".." + name.substr(name.size() - (chars - 2));
}

// Thumbnails of the results in a grid, each captioned with its rank, score and name.
void write_sheet(const std::string& path, const Store& store, const std::vector<Neighbor>& results,
                 const PreprocessConfig& preprocess) {
    constexpr int kThumb = 128, kColumns = 5, kCaption = 32;
    const int rows = static_cast<int>((results.size() + kColumns - 1) / kColumns);
    cv::Mat sheet(rows * (kThumb + kCaption), kColumns * kThumb, CV_8UC3, cv::Scalar(255, 255, 255));
    for (size_t i = 0; i < results.size(); ++i) {
        const int x = static_cast<int>(i % kColumns) * kThumb, y = static_cast<int>(i / kColumns) * (kThumb + kCaption);
        const ImageEntry& entry = store.info().images[static_cast<size_t>(results[i].index)];
        const std::string& file = entry.path;
        try {
            const Image crop = resize_and_crop(load_image(file), preprocess);
            const Image thumb = resize_bicubic_pillow(crop, kThumb, kThumb);
            cv::Mat rgb(kThumb, kThumb, CV_8UC3, const_cast<uint8_t*>(thumb.pixels.data()));
            cv::Mat bgr;
            cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
            bgr.copyTo(sheet(cv::Rect(x, y, kThumb, kThumb)));
        } catch (const Error& e) {
            spdlog::warn("{}", e.what());  // a missing image leaves a blank cell
        }
        char caption[64];
        std::snprintf(caption, sizeof(caption), "#%zu  %.4f", i + 1, results[i].score);
        cv::putText(sheet, caption, cv::Point(x + 4, y + kThumb + 13), cv::FONT_HERSHEY_SIMPLEX, 0.4,
                    cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
        cv::putText(sheet, name_tail(shown_name(entry), 22), cv::Point(x + 4, y + kThumb + 27),
                    cv::FONT_HERSHEY_SIMPLEX, 0.33, cv::Scalar(80, 80, 80), 1, cv::LINE_AA);
    }
    std::vector<uchar> png;
    cv::imencode(".png", sheet, png);
    write_file_atomically(path, [&](std::ostream& out) {
        out.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
    });
}

void run(const Options& o) {
    guard_outputs({with_model_inputs(o.model, {o.query_image}), {o.store}, {o.sheet}});
    const Store store = Store::open(o.store);
    const StoreInfo& info = store.info();
    if (o.build_index) {
        const std::string where =
            with_console_progress("neighbour index", [&](RunControl& c) { return build_neighbor_index(store, &c); });
        spdlog::info("neighbour index of {} written to {}", o.store, where);
        if (o.query_index < 0 && o.query_image.empty()) return;
    }
    NeighborQuery q;
    const int ways = (o.layer >= 0) + !o.heads.empty() + o.embedding;
    if (ways != 1) throw_usage("choose one of --layer [--head], --heads, --embedding");
    if (o.embedding)
        q.by = NeighborQuery::By::Embedding;
    else if (!o.heads.empty()) {
        q.by = NeighborQuery::By::Heads;
        q.heads = parse_head_list(o.heads);
    } else {
        q.by = o.head >= 0 ? NeighborQuery::By::Head : NeighborQuery::By::Layer;
        q.layer = o.layer;
        q.head = std::max<int64_t>(o.head, 0);
    }
    if ((o.query_index >= 0) == !o.query_image.empty()) throw_usage("give --query-index I or --query-image IMG");
    std::vector<float> key;
    nlohmann::json query;
    if (o.query_index >= 0) {
        if (o.query_index >= store.size()) throw_usage("--query-index must be below " + std::to_string(store.size()));
        key = neighbor_key(store.read("heads", o.query_index, 1), store.read("embedding", o.query_index, 1), q);
        const ImageEntry& e = info.images[static_cast<size_t>(o.query_index)];
        query = {{"index", o.query_index}, {"image", e.path}, {"display", shown_name(e)}};
    } else {
        const ClipModel model = load_store_model(o.model, info, "decomposing --query-image");
        const StoreTerms t = store_terms_of(model, load_preprocessed_batch({o.query_image}, model.config().preprocess));
        key = neighbor_key(t.heads, t.embedding, q);
        query = {{"image", o.query_image}, {"display", o.query_image}};
    }
    const NeighborIndexStatus index =
        q.by == NeighborQuery::By::Embedding ? NeighborIndexStatus{} : neighbor_index_status(store);
    const bool indexed = index.usable;
    if (!index.usable && !index.problem.empty())
        spdlog::warn(
            "not using the neighbour index in {}: {}; the store is scanned instead (rebuild the index with "
            "`neighbors --store {} --build-index`)",
            index.folder, index.problem, o.store);
    if (q.by != NeighborQuery::By::Embedding && !indexed && store.size() > 20000)
        spdlog::warn(
            "{} has no neighbour index: this query reads every image's head terms; `neighbors --store {} "
            "--build-index` makes head queries fast",
            o.store, o.store);
    const auto t0 = std::chrono::steady_clock::now();
    const auto results = nearest_neighbors(store, key, q, o.k, &interrupt_control());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& n : results) {
        const ImageEntry& e = info.images[static_cast<size_t>(n.index)];
        rows.push_back({{"index", n.index}, {"image", e.path}, {"display", shown_name(e)}, {"score", n.score}});
    }
    const nlohmann::json out = {{"query", query},           {"by", q.describe()},    {"store", o.store},
                                {"model", info.model_spec}, {"used_index", indexed}, {"search_seconds", seconds},
                                {"results", rows}};
    if (!o.sheet.empty()) write_sheet(o.sheet, store, results, info.preprocess);
    if (o.json) {
        print_json(out);
        return;
    }
    std::printf("nearest to %s by %s in %s (%s):\n", query["display"].get<std::string>().c_str(), q.describe().c_str(),
                o.store.c_str(), info.model_spec.c_str());
    for (size_t i = 0; i < results.size(); ++i)
        std::printf("%3zu  %10.5f  %s\n", i + 1, results[i].score,
                    shown_name(info.images[static_cast<size_t>(results[i].index)]).c_str());
}

}  // namespace

void register_neighbors(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "neighbors", "Nearest images of a store according to one head, one layer, a set of heads, or the embedding");
    auto o = std::make_shared<Options>();
    add_model_options(*cmd, o->model, /*model_required=*/false);
    cmd->add_option("--store", o->store, "A store made by `index`")->required();
    cmd->add_option("--query-index", o->query_index, "Query: an image of the store, by index");
    cmd->add_option("--query-image", o->query_image, "Query: an image file (decomposed with --model)");
    cmd->add_option("--layer", o->layer, "Compare by this layer (all heads summed), or with --head by one head");
    cmd->add_option("--head", o->head, "With --layer: compare by this head");
    cmd->add_option("--heads", o->heads, "Compare by these heads summed: LAYER.HEAD,...");
    cmd->add_flag("--embedding", o->embedding, "Compare by the whole embedding (cosine)");
    cmd->add_option("-k", o->k, "How many neighbours")->capture_default_str();
    cmd->add_flag("--json", o->json, "JSON on stdout");
    cmd->add_option("--sheet", o->sheet, "Also write a contact sheet PNG of the results");
    cmd->add_flag(
        "--build-index", o->build_index,
        "(Re)build the store's head-major neighbour index first (as large as its head terms; fast head/layer queries)");
    cmd->footer(
        "Head and layer terms are compared by plain dot product, as the reference's nns notebook does.\n"
        "With a neighbour index (--build-index once), head and layer queries read one contiguous slab per head.\n"
        "Example:\n  clipscope-cli neighbors --store val --query-index 42 --layer 11 --head 4 -k 15 --sheet nn.png");
    cmd->callback([o] { run(*o); });
}

}  // namespace clipscope::cli
