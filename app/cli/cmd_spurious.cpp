// clipscope-cli spurious: per-group and worst-group zero-shot accuracy (Waterbirds
// and any dataset with a group column), with the heads that carry a spurious cue
// mean-ablated, the reference's protocol beside it, and a seeded random-heads control
// (docs/method.md §8).
#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "cli_common.h"
#include "clipscope/analysis/textspan_record.h"
#include "clipscope/analysis/ablation.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/base/text_file.h"
#include "clipscope/io/csv_table.h"
#include "clipscope/base/error.h"
#include "clipscope/analysis/spurious.h"
#include "clipscope/analysis/spurious_protocol.h"
#include "clipscope/analysis/store.h"
#include "clipscope/analysis/zero_shot.h"
#include "commands.h"
#include "console_progress.h"

namespace clipscope::cli {
namespace {
namespace fs = std::filesystem;

struct Options {
    ModelOptions model;
    std::string store, metadata, classes, templates;
    GroupedMetadataColumns
        columns;  // --filename-column, --label-column, --group-column, --split-column, --split, --root
    std::string heads, preset, keywords, textspan;
    int64_t random_draws = 10, last_layers = 0;  // 0: min(4, L)
    uint64_t seed = 0;
    std::string out;
};

// Which heads to ablate, and a description of where they came from.
std::pair<HeadList, std::string> chosen_heads(const Options& o, const StoreInfo& info) {
    const int ways = !o.heads.empty() + !o.preset.empty() + !o.keywords.empty();
    if (ways != 1)
        throw_usage(
            "choose the heads one way: --heads L.H,..., --preset NAME, or --keywords WORDS with --textspan "
            "RESULT.json");
    if (!o.heads.empty()) return {parse_head_list(o.heads), "--heads " + o.heads};
    if (!o.preset.empty())
        return {preset_heads(info.architecture, o.preset),
                "the reference's " + o.preset + " heads for " + info.architecture + " (method.md §8.2)"};
    if (o.textspan.empty()) throw_usage("--keywords needs --textspan RESULT.json (from `clipscope-cli textspan`)");
    const TextSpanRecord record = read_textspan_record(o.textspan);
    if (const std::string why = textspan_record_mismatch(record, info.architecture, info.layers, info.heads);
        !why.empty())
        throw_input(o.textspan, why + " (the store's model is " + info.model_spec + ")");
    std::vector<HeadDescriptions> described;
    for (const TextSpanHeadRecord& h : record.heads) {
        if (!h.layer) throw_input(o.textspan, "holds a --matrix result, not a store's heads");
        HeadDescriptions d{*h.layer, *h.head, {}};
        for (const TextSpanPickRecord& t : h.texts) d.texts.push_back(t.text);
        described.push_back(d);
    }
    std::vector<std::string> words;
    std::istringstream list(o.keywords);
    for (std::string w; std::getline(list, w, ',');) words.push_back(w);
    HeadList heads = heads_matching_keywords(described, words);
    if (heads.empty())
        throw_usage("no head's TextSpan descriptions in " + o.textspan + " contain any of: " + o.keywords);
    return {heads, "heads whose TextSpan texts (" + o.textspan + ") contain: " + o.keywords};
}

nlohmann::json report_json(const std::string& name, const HeadList& heads, const GroupReport& r) {
    nlohmann::json groups = nlohmann::json::array();
    for (const auto& g : r.groups)
        groups.push_back({{"group", g.group}, {"accuracy", g.accuracy()}, {"correct", g.correct}, {"total", g.total}});
    return {{"setting", name},
            {"heads", head_list_text(heads)},
            {"worst_group_accuracy", r.worst},
            {"worst_group", r.worst_group},
            {"mean_group_accuracy", r.group_mean},
            {"overall_accuracy", r.overall},
            {"groups", groups}};
}

// The class names in label order: --classes (a list or a file), else the dataset's
// classes.txt beside its metadata; a guess (Waterbirds' names) would silently pair the
// labels with the wrong texts.
std::vector<std::string> class_names(const Options& o) {
    std::string source = o.classes;
    if (source.empty()) {
        const fs::path beside = fs::path(o.metadata).parent_path() / "classes.txt";
        if (!fs::is_regular_file(beside))
            throw_usage("give --classes (names in label order, or a file): " + beside.string() + " does not exist");
        source = beside.string();
        spdlog::info("class names from {}", source);
    }
    const auto names = split_labels(fs::is_regular_file(source) ? read_text_file(source, 64 << 20) + "\n" : source);
    if (names.size() < 2) throw_usage("--classes needs at least 2 class names, got them from " + source);
    return names;
}

void run(const Options& o) {
    std::error_code ec;  // --classes is a file or a comma-separated list; only a file is read
    const std::string classes_file = std::filesystem::is_regular_file(o.classes, ec) ? o.classes : "";
    guard_outputs({with_model_inputs(o.model, {o.metadata, classes_file, o.templates, o.textspan}),
                   {o.store},
                   {o.out + ".json", o.out + ".csv"}});
    const Store store = Store::open(o.store);
    const StoreInfo& info = store.info();
    const CsvTable meta = read_csv(o.metadata);
    const std::vector<std::string> names = class_names(o);
    const GroupedLabels grouped = grouped_labels(info, meta, o.columns, static_cast<int64_t>(names.size()));
    const std::vector<int64_t>& labels = grouped.labels;
    const std::vector<std::string>& groups = grouped.groups;
    const bool all_splits = grouped.all_splits;

    const ClipModel model = load_store_model(o.model, info, "embedding the class names");
    const auto templates = o.templates.empty() ? default_templates() : read_templates(o.templates);
    const FloatArray classifier = build_classifier(model, names, templates);
    const auto [heads, heads_source] = chosen_heads(o, info);
    for (const auto& [l, h] : heads)
        if (l < 0 || l >= info.layers || h < 0 || h >= info.heads)
            throw_usage("head " + std::to_string(l) + "." + std::to_string(h) + " does not exist in " +
                        info.architecture);
    const int64_t random_last = o.last_layers == 0 ? std::min<int64_t>(4, info.layers) : o.last_layers;
    if (random_last < 1 || random_last > info.layers)
        throw_usage("--random-last-layers must be between 1 and " + std::to_string(info.layers));

    // The reference's "ablated" setting also mean-ablates all heads of layers 0..L-5 and every MLP (method.md §8.3).
    const SpuriousSettings settings =
        spurious_settings(heads, info.layers, info.heads, o.random_draws, random_last, o.seed);
    const std::vector<AblationSpec>& specs = settings.specs;
    const std::vector<HeadList>& draws = settings.draws;
    const auto results = with_console_progress(
        "spurious", [&](RunControl& c) { return evaluate_ablations(store, classifier, labels, specs, &c); });

    nlohmann::json settings_out = nlohmann::json::array();
    std::string csv = "setting,heads,group,accuracy,correct,total\n";
    auto add = [&](const std::string& name, const HeadList& h, const AblationResult& r) {
        const GroupReport g = group_report(r.predictions, labels, groups);
        settings_out.push_back(report_json(name, h, g));
        for (const auto& ga : g.groups)
            csv += csv_field(name) + "," + csv_field(head_list_text(h)) + "," + csv_field(ga.group) + "," +
                   std::to_string(ga.accuracy()) + "," + std::to_string(ga.correct) + "," + std::to_string(ga.total) +
                   "\n";
        csv += csv_field(name) + "," + csv_field(head_list_text(h)) + ",worst," + std::to_string(g.worst) + ",,\n";
        return g;
    };
    const GroupReport base = add("baseline", {}, results[0]);
    const GroupReport ablated = add(specs[0].name, heads, results[1]);
    add(specs[1].name, {}, results[2]);
    const GroupReport ref = add(specs[2].name, heads, results[3]);
    std::vector<double> random_worst, random_ref_worst;
    for (int64_t d = 0; d < o.random_draws; ++d) {
        random_worst.push_back(add(specs[3 + 2 * d].name, draws[static_cast<size_t>(d)], results[4 + 2 * d]).worst);
        random_ref_worst.push_back(add(specs[4 + 2 * d].name, draws[static_cast<size_t>(d)], results[5 + 2 * d]).worst);
    }
    auto summary = [](const std::vector<double>& v) -> nlohmann::json {
        if (v.empty()) return nullptr;
        double sum = 0;
        for (double x : v) sum += x;
        return {{"draws", v.size()},
                {"mean_worst_group_accuracy", sum / v.size()},
                {"max_worst_group_accuracy", *std::max_element(v.begin(), v.end())}};
    };
    const nlohmann::json out = {
        {"model", model_summary(model)},
        {"store", o.store},
        {"settings",
         {{"metadata", o.metadata},
          {"split", all_splits ? "all" : o.columns.split + " == " + o.columns.split_value},
          {"groups", o.columns.label + " x " + o.columns.group},
          {"classes", names},
          {"templates", templates.size()},
          {"heads", head_list_text(heads)},
          {"heads_from", heads_source},
          {"random_control",
           {{"draws", o.random_draws},
            {"seed", o.seed},
            {"from_last_layers", random_last},
            {"heads_per_draw", std::set(heads.begin(), heads.end()).size()}}},
          {"replacement", "mean over the evaluated images"}}},
        {"results", settings_out},
        {"random_control", {{"heads", summary(random_worst)}, {"reference_protocol", summary(random_ref_worst)}}}};
    write_text_atomically(o.out + ".json", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    write_text_atomically(o.out + ".csv", csv);
    print_json(out);
    std::ostringstream t;
    t.precision(4);
    t << "\n"
      << info.architecture << " (" << model.info().spec << "), " << base.groups.size()
      << " groups; worst-group / mean-group / overall accuracy (%)\n";
    auto line = [&](const std::string& name, const GroupReport& g) {
        t << "  " << name << ": " << g.worst << " / " << g.group_mean << " / " << g.overall << "\n";
    };
    line("baseline", base);
    line("heads " + head_list_text(heads), ablated);
    line("reference protocol", ref);
    if (!random_worst.empty())
        t << "  random heads (" << o.random_draws << " draws): worst-group mean "
          << summary(random_worst)["mean_worst_group_accuracy"].get<double>() << ", max "
          << summary(random_worst)["max_worst_group_accuracy"].get<double>() << "\n";
    spdlog::info("{}", t.str());
}

}  // namespace

void register_spurious(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "spurious", "Worst-group accuracy (Waterbirds and other grouped data) with spurious-cue heads mean-ablated");
    auto o = std::make_shared<Options>();
    add_model_options(*cmd, o->model, /*model_required=*/false);  // default: the store's own model
    add_text_embedding_options(*cmd, o->model);
    cmd->add_option("--store", o->store, "A store made by `index` over the dataset's images")->required();
    cmd->add_option("--metadata", o->metadata, "CSV with a header: file name, label, group (and split) columns")
        ->required();
    cmd->add_option(
        "--root", o->columns.root,
        "Folder the file names are relative to (only for messages; rows match the end of the store's paths)");
    cmd->add_option("--classes", o->classes,
                    "Class names in label order, comma-separated or a file (default: classes.txt beside --metadata)");
    cmd->add_option("--templates", o->templates,
                    "Prompt templates with {} (default: the built-in short list; the reference uses OpenAI's 80)");
    cmd->add_option("--filename-column", o->columns.filename)->capture_default_str();
    cmd->add_option("--label-column", o->columns.label, "Integer class index column")->capture_default_str();
    cmd->add_option("--group-column", o->columns.group, "The spurious attribute; groups are label x this")
        ->capture_default_str();
    cmd->add_option("--split-column", o->columns.split)->capture_default_str();
    cmd->add_option("--split", o->columns.split_value,
                    "Rows evaluated: this split value (Waterbirds test = 2), or 'all'")
        ->capture_default_str();
    cmd->add_option("--heads", o->heads, "Heads to mean-ablate: LAYER.HEAD,...");
    cmd->add_option("--preset", o->preset,
                    "The reference's heads for ViT-B-16/L-14/H-14: geolocation, image-setting or both");
    cmd->add_option(
        "--keywords", o->keywords,
        "Heads whose TextSpan texts contain any of these words (comma-separated, case-insensitive substrings)");
    cmd->add_option("--textspan", o->textspan, "RESULT.json of `clipscope-cli textspan` for --keywords");
    cmd->add_option("--random-draws", o->random_draws, "Random-heads control: draws of as many heads")
        ->capture_default_str();
    cmd->add_option("--random-last-layers", o->last_layers,
                    "Random heads come from these last layers (default min(4, layers))")
        ->capture_default_str();
    cmd->add_option("--seed", o->seed, "First seed of the random draws (draw d uses seed + d)")->capture_default_str();
    cmd->add_option("--out,-o", o->out, "Output prefix: PREFIX.json, PREFIX.csv (per setting and group)")->required();
    cmd->footer(
        "Settings: baseline; the chosen heads mean-ablated (nothing else); the reference's context alone (every head "
        "of\n"
        "layers 0..L-5 and every MLP mean-ablated); the reference's protocol (heads + that context, method.md §8.3);\n"
        "then the random-heads control, both ways. The reference compares its protocol with the plain baseline, so "
        "part\n"
        "of its change comes from the context, not the heads: the 'context only' line shows how much. It has no "
        "random\n"
        "control; ours draws the same number of distinct heads uniformly from the last layers with seeds "
        "seed..seed+D-1.\n"
        "Means are over the evaluated rows. Worst-group accuracy is the minimum over label x group.\n"
        "Example:\n  clipscope-cli spurious --store wb-b16 --model M --metadata waterbirds/metadata.csv --preset both "
        "--out wb");
    cmd->callback([o] { run(*o); });
}

}  // namespace clipscope::cli
