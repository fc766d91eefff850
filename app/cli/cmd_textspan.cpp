#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "cli_common.h"
#include "clipscope/atomic_file.h"
#include "clipscope/error.h"
#include "clipscope/npy.h"
#include "clipscope/textspan.h"
#include "commands.h"
#include "console_progress.h"

namespace clipscope::cli {
namespace {

struct Options {
    ModelOptions model;
    std::string matrix;
    std::string text_embeddings;
    std::string descriptions;
    int64_t rank = 80;
    int64_t per_head = 20;
    std::string out;
    std::string csv;
    std::string markdown;
    std::string reconstruction;
};

// Lines of a description file, newline removed, other whitespace kept (the reference's labels).
std::vector<std::string> read_lines(const std::string& path) {
    std::istringstream in(read_file_bytes(path, size_t{256} << 20));
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    if (lines.empty()) throw_input(path, "no descriptions in the file");
    return lines;
}

// Unit-norm text embeddings of every description, in file order (method.md §5.2).
FloatArray embed_descriptions(const ClipModel& model, const std::vector<std::string>& lines) {
    const int64_t E = model.config().embed_dim, n = static_cast<int64_t>(lines.size()), chunk = 256;
    FloatArray out({n, E});
    ConsoleProgress progress("embedding descriptions");
    for (int64_t i0 = 0; i0 < n; i0 += chunk) {
        interrupt_control().check();
        const int64_t k = std::min(chunk, n - i0);
        const FloatArray e = model.encode_texts(std::vector<std::string>(lines.begin() + i0, lines.begin() + i0 + k));
        for (int64_t r = 0; r < k; ++r) {
            double norm = 0;
            for (int64_t c = 0; c < E; ++c) norm += double(e.data[r * E + c]) * e.data[r * E + c];
            const float inv = norm > 0 ? static_cast<float>(1.0 / std::sqrt(norm)) : 0.0f;
            for (int64_t c = 0; c < E; ++c) out.data[(i0 + r) * E + c] = e.data[r * E + c] * inv;
        }
        progress.update(i0 + k, n);
    }
    progress.finish();
    return out;
}

std::string csv_quote(const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

void run(const Options& o) {
    if (o.matrix.empty()) throw_usage("give --matrix D.npy (store-wide TextSpan over heads comes with `clipscope-cli index`)");
    if (o.text_embeddings.empty() == o.descriptions.empty() && o.text_embeddings.empty())
        throw_usage("give --text-embeddings T.npy, or --descriptions FILE with --model M");
    const FloatArray data = read_npy_float(o.matrix);
    if (data.rank() != 2) throw_input(o.matrix, "should be an [N, E] matrix, has shape " + shape_to_string(data.shape));
    std::vector<std::string> labels;
    if (!o.descriptions.empty()) labels = read_lines(o.descriptions);
    FloatArray texts;
    std::string text_source;
    nlohmann::json model_json = nullptr;
    if (!o.text_embeddings.empty()) {
        texts = read_npy_float(o.text_embeddings);
        text_source = o.text_embeddings;
        if (!labels.empty() && static_cast<int64_t>(labels.size()) != texts.shape.at(0))
            throw_input(o.descriptions, std::to_string(labels.size()) + " lines but " + o.text_embeddings + " has " + std::to_string(texts.shape.at(0)) + " rows");
    } else {
        if (o.model.model.empty()) throw_usage("--descriptions needs --model to embed them (or pass --text-embeddings)");
        const ClipModel model = load_model(o.model);
        model_json = model_summary(model);
        texts = embed_descriptions(model, labels);
        text_source = o.descriptions;
    }
    if (texts.rank() != 2 || texts.shape[1] != data.shape[1])
        throw_input(text_source, "text embeddings " + shape_to_string(texts.shape) + " do not match the data's width " + std::to_string(data.shape[1]));

    TextSpanOptions options;
    options.rank = o.rank;
    options.iterations = o.per_head;
    options.reconstruct = !o.reconstruction.empty();
    const auto t0 = std::chrono::steady_clock::now();
    const TextSpanResult r = text_span(data, texts, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    auto text_of = [&](int64_t index) { return labels.empty() ? "row " + std::to_string(index) : labels[static_cast<size_t>(index)]; };
    nlohmann::json picks = nlohmann::json::array();
    for (const auto& p : r.picks) picks.push_back({{"index", p.index}, {"text", text_of(p.index)}, {"variance_explained", p.variance_explained}});
    const nlohmann::json result = {
        {"model", model_json},
        {"settings",
         {{"matrix", o.matrix}, {"texts", text_source}, {"rank", o.rank}, {"per_head", o.per_head}, {"images", data.shape[0]}, {"seconds", seconds},
          {"variance_explained", "share of the head's total variance (sum of squares around its mean) removed by each pick"}}},
        {"heads", nlohmann::json::array({{{"layer", nullptr}, {"head", nullptr}, {"total_variance_explained", r.total_variance_explained}, {"texts", picks}}})},
    };
    write_text_atomically(o.out, result.dump(2));
    if (!o.csv.empty()) {
        std::string csv = "layer,head,rank,index,text,variance_explained\n";
        for (size_t i = 0; i < r.picks.size(); ++i)
            csv += ",," + std::to_string(i + 1) + "," + std::to_string(r.picks[i].index) + "," + csv_quote(text_of(r.picks[i].index)) + "," +
                   std::to_string(r.picks[i].variance_explained) + "\n";
        write_text_atomically(o.csv, csv);
    }
    if (!o.markdown.empty()) {
        std::ostringstream md;
        md << "# TextSpan of " << o.matrix << "\n\n" << data.shape[0] << " images, rank " << o.rank << ", " << o.per_head << " texts; total variance explained "
           << r.total_variance_explained << "\n\n| # | text | variance explained |\n|---|---|---|\n";
        for (size_t i = 0; i < r.picks.size(); ++i) md << "| " << i + 1 << " | " << text_of(r.picks[i].index) << " | " << r.picks[i].variance_explained << " |\n";
        write_text_atomically(o.markdown, md.str());
    }
    if (!o.reconstruction.empty()) write_npy(o.reconstruction, r.reconstruction);
    spdlog::info("TextSpan picked {} texts explaining {:.1f}% of the variance in {:.2f} s -> {}", r.picks.size(), 100 * r.total_variance_explained, seconds, o.out);
}

}  // namespace

void register_textspan(CLI::App& app) {
    auto* cmd = app.add_subcommand("textspan", "TextSpan (method.md §4): the text directions that span a head's outputs");
    auto o = std::make_shared<Options>();
    add_model_options(*cmd, o->model, /*model_required=*/false);
    cmd->add_option("--matrix", o->matrix, "One head's terms over N images, [N, E] float32 .npy")->required();
    cmd->add_option("--text-embeddings", o->text_embeddings, "Text directions [Ntext, E] .npy (rows named by --descriptions if given)");
    cmd->add_option("--descriptions", o->descriptions, "Description pool, one per line (embedded with --model unless --text-embeddings is given)");
    cmd->add_option("--rank", o->rank, "Dimension of the data span the texts are projected onto")->capture_default_str();
    cmd->add_option("--per-head", o->per_head, "Texts to pick")->capture_default_str();
    cmd->add_option("--out,-o", o->out, "RESULT.json")->required();
    cmd->add_option("--csv", o->csv, "Also write the picks as CSV");
    cmd->add_option("--markdown", o->markdown, "Also write the picks as a Markdown table");
    cmd->add_option("--reconstruction", o->reconstruction, "Also write the reconstructed [N, E] matrix (.npy)");
    cmd->footer(
        "Picks are the reference's (greedy by unbiased std of the projections, texts projected onto the\n"
        "top-rank right singular vectors of the uncentred data, orthogonalised after each pick), computed\n"
        "on the E x E Gram matrix in float64 instead of on all N rows per iteration.\n"
        "Example:\n  clipscope-cli textspan --matrix head_23_8.npy --text-embeddings pool.npy --descriptions pool.txt --out ts.json");
    cmd->callback([o] { run(*o); });
}

}  // namespace clipscope::cli
