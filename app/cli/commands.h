#pragma once
// Each clipscope-cli subcommand registers itself on the app; its callback runs the job.
#include <CLI/CLI.hpp>

namespace clipscope::cli {

void register_info(CLI::App& app);
void register_tokenize(CLI::App& app);
void register_embed(CLI::App& app);
void register_preprocess(CLI::App& app);
void register_decompose(CLI::App& app);
void register_classify(CLI::App& app);
void register_bench(CLI::App& app);
void register_make_random_model(CLI::App& app);
void register_textspan(CLI::App& app);
void register_index(CLI::App& app);
void register_store_commands(CLI::App& app);
void register_ablate(CLI::App& app);
void register_heatmap(CLI::App& app);
void register_neighbors(CLI::App& app);
void register_segment(CLI::App& app);
void register_spurious(CLI::App& app);
void register_world(CLI::App& app, int argc, char** argv);
void register_demo_report(CLI::App& app);
void register_models(CLI::App& app);
void register_download(CLI::App& app);
void register_config_fields(CLI::App& app);
void register_manpage(CLI::App& app);  // walks the whole app: register last

}  // namespace clipscope::cli
