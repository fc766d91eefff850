#include <spdlog/spdlog.h>

#include <map>
#include <set>
#include <sstream>

#include "cli_common.h"
#include "clipscope/analysis/ablation.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/analysis/store.h"
#include "clipscope/analysis/zero_shot.h"
#include "clipscope/analysis/store_textspan.h"
#include "clipscope/base/text_file.h"
#include "commands.h"
#include "description_texts.h"
#include "console_progress.h"

namespace clipscope::cli {
namespace {

struct Options {
    ModelOptions model;
    std::string store, classes, templates, heads, csv;
    bool zero = false;
    bool textspan = false;
    std::string descriptions, text_embeddings;
    int64_t last_layers = 4, per_head = 20, rank = 80;
};

void run(const Options& o) {
    guard_outputs({with_model_inputs(o.model, {o.classes, o.templates, o.descriptions, o.text_embeddings}),
                   {o.store},
                   {o.csv}});  // e.g. --csv STORE/manifest.json
    const Store store = Store::open(o.store);
    const StoreInfo& info = store.info();
    // Class names: the given file's order, else the store's labels sorted (ImageFolder order).
    std::vector<std::string> names;
    if (!o.classes.empty())
        names = split_labels(read_text_file(o.classes, 64 << 20) + "\n");
    else {
        std::set<std::string> unique;
        for (const auto& e : info.images)
            if (!e.label.empty()) unique.insert(e.label);
        names.assign(unique.begin(), unique.end());
    }
    if (names.size() < 2)
        throw_usage(o.store +
                    " has fewer than 2 labelled classes; index an ImageFolder or a labelled list, or pass --classes");
    std::map<std::string, int64_t> index;
    for (size_t i = 0; i < names.size(); ++i) index.emplace(names[i], static_cast<int64_t>(i));
    std::vector<int64_t> labels;
    int64_t unlabelled = 0;
    for (const auto& e : info.images) {
        auto it = index.find(e.label);
        labels.push_back(it == index.end() ? -1 : it->second);
        unlabelled += it == index.end();
    }
    if (unlabelled) spdlog::warn("{} images have no label among the classes and are skipped", unlabelled);

    const ClipModel model = load_store_model(o.model, info, "embedding the class names");
    const auto templates = o.templates.empty() ? default_templates() : read_templates(o.templates);
    const FloatArray classifier = build_classifier(model, names, templates);

    // The reference's settings (method.md §3), then the requested heads. An attention-pooled
    // store has no class token: its MLP row includes the pooling head's MLP.
    std::vector<AblationSpec> specs;
    if (info.attention_pooled()) {
        AblationSpec mlps{"MLPs + the pooling head's MLP"};
        mlps.mlps = true;
        specs = {mlps};
    } else {
        AblationSpec mlps{"MLPs"}, cls{"class-token attention"}, both{"MLPs + class-token attention"};
        mlps.mlps = both.mlps = true;
        cls.cls = both.cls = true;
        specs = {mlps, cls, both};
    }
    for (const auto& s : cumulative_layer_sweep(info.layers)) specs.push_back(s);
    if (!o.heads.empty()) {
        AblationSpec heads{"heads " + o.heads};
        heads.heads = parse_head_list(o.heads);
        specs.push_back(heads);
    }
    for (auto& s : specs) s.zero = o.zero;
    nlohmann::json textspan_settings = nullptr;
    if (o.textspan) {
        // method.md §4.3: heads of the last K layers replaced by their TextSpan reconstruction,
        // every head of the earlier layers mean-ablated, MLPs intact.
        if (o.last_layers < 1 || o.last_layers > info.layers)
            throw_usage("--last-layers must be between 1 and " + std::to_string(info.layers));
        const Texts texts = load_texts(o.descriptions, o.text_embeddings, o.model, &info);
        TextSpanOptions options;
        options.rank = o.rank;
        options.iterations = o.per_head;
        options.reconstruct = false;
        const auto spans = with_console_progress("textspan", [&](RunControl& c) {
            return text_span_store(store, texts.embeddings, options, o.last_layers, &c);
        });
        const int64_t first = info.layers - o.last_layers;
        AblationSpec recon{"TextSpan reconstruction: layers " + std::to_string(first) + ".." +
                           std::to_string(info.layers - 1) + ", " + std::to_string(o.per_head) +
                           " texts per head; earlier layers mean-ablated"};
        AblationSpec early{"earlier layers 0.." + std::to_string(first - 1) +
                           " mean-ablated (reference for the line above)"};
        for (int64_t l = 0; l < first; ++l) recon.layers.push_back(l), early.layers.push_back(l);
        std::set<int64_t> distinct;
        for (const auto& hs : spans) {
            recon.reconstructed.push_back({hs.layer, hs.head,
                                           std::vector<float>(hs.fit.mean.data.begin(), hs.fit.mean.data.end()),
                                           hs.fit.basis});
            for (const auto& p : hs.fit.picks) distinct.insert(p.index);
        }
        if (first > 0) specs.push_back(early);
        specs.push_back(recon);
        textspan_settings = {
            {"texts", texts.source}, {"last_layers", o.last_layers},      {"per_head", o.per_head},
            {"rank", o.rank},        {"distinct_texts", distinct.size()}, {"fitted_on", "the store's images"}};
    }

    const auto results = with_console_progress(
        "ablate", [&](RunControl& c) { return evaluate_ablations(store, classifier, labels, specs, &c); });

    nlohmann::json rows = nlohmann::json::array();
    std::string csv = "setting,accuracy,correct,total,drop\n";
    for (const auto& r : results) {
        const double drop = results[0].accuracy() - r.accuracy();
        rows.push_back(
            {{"name", r.name}, {"accuracy", r.accuracy()}, {"correct", r.correct}, {"total", r.total}, {"drop", drop}});
        csv += "\"" + r.name + "\"," + std::to_string(r.accuracy()) + "," + std::to_string(r.correct) + "," +
               std::to_string(r.total) + "," + std::to_string(drop) + "\n";
    }
    print_json({{"model", model_summary(model)},
                {"store", o.store},
                {"settings",
                 {{"replacement", o.zero ? "zero" : "mean over the store's images"},
                  {"classes", names.size()},
                  {"templates", templates.size()},
                  {"sum", info.attention_pooled()
                              ? "heads + mlps + the pooling head's MLP term, not renormalised; top-1 by argmax "
                                "(the same under the sigmoid scores), ties to the lowest class"
                              : "all terms added up, not renormalised; top-1 by argmax, ties to the lowest class"},
                  {"means", "over the evaluated (labelled) images"},
                  {"textspan", textspan_settings}}},
                {"results", rows}});
    if (!o.csv.empty()) write_text_atomically(o.csv, csv);
}

}  // namespace

void register_ablate(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "ablate",
        "Zero-shot accuracy of a labelled store with layers, MLPs, the class-token term or heads mean-ablated");
    auto o = std::make_shared<Options>();
    add_model_options(*cmd, o->model, /*model_required=*/false);  // default: the store's own model
    cmd->add_option("--store", o->store, "A store made by `index` on a labelled image set")->required();
    cmd->add_option("--classes", o->classes,
                    "Class names, one per line, in class-index order (default: the store's labels, sorted)");
    cmd->add_option("--templates", o->templates, "Prompt templates with {} (default: the built-in short list)");
    cmd->add_option("--heads", o->heads, "Also ablate these heads together: LAYER.HEAD,... (0-based)");
    cmd->add_flag("--zero", o->zero, "Replace terms by zero instead of their mean");
    cmd->add_option("--csv", o->csv, "Also write the table as CSV");
    cmd->add_flag("--textspan", o->textspan,
                  "Also: heads of the last layers replaced by their TextSpan reconstruction (method.md §4.3)");
    cmd->add_option("--descriptions", o->descriptions, "With --textspan: description pool, one per line");
    cmd->add_option("--text-embeddings", o->text_embeddings,
                    "With --textspan: text directions [Ntext, E] .npy instead");
    cmd->add_option("--last-layers", o->last_layers, "With --textspan: layers reconstructed")->capture_default_str();
    cmd->add_option("--per-head", o->per_head, "With --textspan: texts per head")->capture_default_str();
    cmd->add_option("--rank", o->rank, "With --textspan: TextSpan rank")->capture_default_str();
    cmd->footer(
        "Settings: baseline; MLPs (ln_pre included); class-token attention; both; then the reference's\n"
        "cumulative sweep (attention layers 0..k mean-ablated, MLPs intact); then --heads if given.\n"
        "Means are over the same images that are evaluated, as in the reference.\n"
        "--textspan adds the reference's completeness check: heads of the last layers replaced by mean + projection "
        "on\n"
        "their TextSpan texts (fitted on the store), earlier heads mean-ablated, MLPs intact; the reference prints "
        "this\n"
        "with ImageNet labels floor(i/50) whatever the dataset, here the store's own labels are used.\n"
        "Example:\n  clipscope-cli ablate --store val-store --model M --heads 11.6,11.0 --csv ablations.csv");
    cmd->callback([o] { run(*o); });
}

}  // namespace clipscope::cli
