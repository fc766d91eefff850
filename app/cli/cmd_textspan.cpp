#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_common.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/io/csv_table.h"
#include "clipscope/base/error.h"
#include "clipscope/io/npy.h"
#include "clipscope/analysis/store.h"
#include "clipscope/analysis/store_textspan.h"
#include "clipscope/analysis/textspan.h"
#include "clipscope/analysis/textspan_record.h"
#include "clipscope/analysis/zero_shot.h"
#include "commands.h"
#include "description_texts.h"
#include "console_progress.h"

namespace clipscope::cli {
namespace {

struct Options {
    ModelOptions model;
    std::string matrix;
    std::string store;
    int64_t last_layers = 0;  // 0: min(4, the store's layers)
    std::string text_embeddings;
    std::string descriptions;
    int64_t rank = 80;
    int64_t per_head = 20;
    std::string out;
    std::string csv;
    std::string markdown;
    std::string reconstruction;
};

TextSpanHeadRecord head_record(std::optional<int64_t> layer, std::optional<int64_t> head, const TextSpanFit& fit,
                               const Texts& texts) {
    TextSpanHeadRecord h{layer, head, fit.total_variance_explained, {}};
    for (const auto& p : fit.picks)
        h.texts.push_back(
            {p.index,
             texts.labels.empty() ? "row " + std::to_string(p.index) : texts.labels[static_cast<size_t>(p.index)],
             p.variance_explained});
    return h;
}

// The model summary the commands print (cli_common's model_summary), as the result records it.
std::optional<TextSpanModelRecord> model_record(const nlohmann::json& m) {
    if (m.is_null()) return std::nullopt;
    TextSpanModelRecord r{m.value("spec", ""), m.value("format", ""), m.value("architecture", ""), std::nullopt};
    if (m.contains("weights")) r.weights = m.at("weights").get<std::string>();
    return r;
}

std::string head_name(const TextSpanHeadRecord& h) {
    return h.layer ? "Layer " + std::to_string(*h.layer) + ", head " + std::to_string(*h.head) : std::string("matrix");
}

void write_people_exports(const Options& o, const std::vector<TextSpanHeadRecord>& heads, const std::string& title) {
    if (!o.csv.empty()) {
        std::string csv = "layer,head,rank,index,text,variance_explained\n";
        for (const auto& h : heads) {
            const std::string l = h.layer ? std::to_string(*h.layer) : "";
            const std::string hd = h.head ? std::to_string(*h.head) : "";
            int rank = 0;
            for (const auto& t : h.texts)
                csv += l + "," + hd + "," + std::to_string(++rank) + "," + std::to_string(t.index) + "," +
                       csv_field(t.text) + "," + std::to_string(t.variance_explained) + "\n";
        }
        write_text_atomically(o.csv, csv);
    }
    if (!o.markdown.empty()) {
        std::ostringstream md;
        md << "# TextSpan of " << title << "\n\nrank " << o.rank << ", " << o.per_head << " texts per head\n";
        for (const auto& h : heads) {
            md << "\n## " << head_name(h) << " (total variance explained " << h.total_variance_explained
               << ")\n\n| # | text | variance explained |\n|---|---|---|\n";
            int rank = 0;
            for (const auto& t : h.texts)
                md << "| " << ++rank << " | " << t.text << " | " << t.variance_explained << " |\n";
        }
        write_text_atomically(o.markdown, md.str());
    }
}

// --per-head picks distinct texts: at most as many as the pool holds.
void require_enough_texts(const Options& o, const Texts& texts) {
    const int64_t m = texts.embeddings.rank() == 2 ? texts.embeddings.shape[0] : 0;
    if (o.per_head > m)
        throw_usage("--per-head " + std::to_string(o.per_head) + " asks for more texts than the " + std::to_string(m) +
                    " of " + texts.source);
}

void run(const Options& o) {
    if (o.matrix.empty() == o.store.empty()) throw_usage("give --matrix D.npy or --store STORE");
    guard_outputs({with_model_inputs(o.model, {o.matrix, o.text_embeddings, o.descriptions}),
                   {o.store},
                   {o.out, o.csv, o.markdown, o.reconstruction}});
    TextSpanOptions options;
    options.rank = o.rank;
    options.iterations = o.per_head;
    const auto t0 = std::chrono::steady_clock::now();
    TextSpanRecord result;
    result.settings.rank = o.rank;
    result.settings.per_head = o.per_head;
    Texts texts;
    if (!o.matrix.empty()) {
        const FloatArray data = read_npy_float(o.matrix);
        if (data.rank() != 2)
            throw_input(o.matrix, "should be an [N, E] matrix, has shape " + shape_to_string(data.shape));
        texts = load_texts(o.descriptions, o.text_embeddings, o.model, nullptr);
        require_enough_texts(o, texts);
        HeadStatistics stats(data.shape[1]);
        stats.add(data.data.data(), data.shape[0]);
        const TextSpanFit fit = text_span_fit(stats, texts.embeddings, options);
        result.heads.push_back(head_record(std::nullopt, std::nullopt, fit, texts));
        if (!o.reconstruction.empty()) write_npy(o.reconstruction, text_span_reconstruct(fit, data));
        result.settings.matrix = o.matrix;
        result.settings.images = data.shape[0];
    } else {
        if (!o.reconstruction.empty()) throw_usage("--reconstruction applies to --matrix");
        const Store store = Store::open(o.store);
        const StoreInfo& info = store.info();
        const int64_t last_layers = o.last_layers > 0 ? o.last_layers : std::min<int64_t>(4, info.layers);
        if (last_layers > info.layers)
            throw_usage("--last-layers must be between 1 and " + std::to_string(info.layers) + " (the store's layers)");
        texts = load_texts(o.descriptions, o.text_embeddings, o.model, &info);
        require_enough_texts(o, texts);  // before the scan of the store, not after it
        const auto spans = with_console_progress("textspan", [&](RunControl& c) {
            return text_span_store(store, texts.embeddings, options, last_layers, &c);
        });
        for (const auto& hs : spans) result.heads.push_back(head_record(hs.layer, hs.head, hs.fit, texts));
        result.settings.store = o.store;
        result.settings.last_layers = last_layers;
        result.settings.images = store.size();
        if (texts.model.is_null())
            texts.model = {
                {"spec", info.model_spec}, {"format", info.model_format}, {"architecture", info.architecture}};
    }
    result.model = model_record(texts.model);
    result.settings.texts = texts.source;
    result.settings.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    write_textspan_record(o.out, result);
    write_people_exports(o, result.heads, o.matrix.empty() ? o.store : o.matrix);
    spdlog::info("TextSpan of {} head(s), {} texts each, in {:.2f} s -> {}", result.heads.size(), o.per_head,
                 result.settings.seconds, o.out);
}

}  // namespace

void register_textspan(CLI::App& app) {
    auto* cmd =
        app.add_subcommand("textspan", "TextSpan (method.md §4): the text directions that span a head's outputs");
    auto o = std::make_shared<Options>();
    add_model_options(*cmd, o->model, /*model_required=*/false);
    cmd->add_option("--matrix", o->matrix, "One head's terms over N images, [N, E] float32 .npy");
    cmd->add_option("--store", o->store, "A store made by `index`: TextSpan of every head of the last layers");
    cmd->add_option("--last-layers", o->last_layers,
                    "With --store: how many of the last layers (default: 4, or all of a smaller model)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--text-embeddings", o->text_embeddings,
                    "Text directions [Ntext, E] .npy (rows named by --descriptions if given)");
    cmd->add_option("--descriptions", o->descriptions,
                    "Description pool, one per line (embedded with --model unless --text-embeddings is given)");
    cmd->add_option("--rank", o->rank, "Dimension of the data span the texts are projected onto")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--per-head", o->per_head, "Texts to pick")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--out,-o", o->out, "RESULT.json")->required();
    cmd->add_option("--csv", o->csv, "Also write the picks as CSV");
    cmd->add_option("--markdown", o->markdown, "Also write the picks as a Markdown table");
    cmd->add_option("--reconstruction", o->reconstruction, "Also write the reconstructed [N, E] matrix (.npy)");
    cmd->footer(
        "Picks are the reference's (greedy by unbiased std of the projections, texts projected onto the\n"
        "top-rank right singular vectors of the uncentred data, orthogonalised after each pick), computed\n"
        "on the E x E Gram matrix in float64 instead of on all N rows per iteration.\n"
        "Examples:\n  clipscope-cli textspan --store inval-b16 --model M --descriptions image_descriptions_general.txt "
        "--out ts.json --markdown ts.md\n"
        "  clipscope-cli textspan --matrix head_23_8.npy --text-embeddings pool.npy --descriptions pool.txt --out "
        "ts.json");
    cmd->callback([o] { run(*o); });
}

}  // namespace clipscope::cli
