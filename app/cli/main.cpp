// clipscope-cli: batch front end over clipscope_core. Only wiring lives here;
// each subcommand is in its own cmd_*.cpp.
#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "clipscope/model/clip_model.h"
#include "clipscope/base/error.h"
#include "clipscope/base/process_setup.h"
#include "cli_common.h"
#include "commands.h"
#include "console_progress.h"

int main(int argc, char** argv) {
    clipscope::prepare_process(argc, argv);
    // Logs go to stderr so stdout stays clean JSON for scripts.
    spdlog::set_default_logger(spdlog::stderr_color_mt("clipscope"));
    spdlog::set_pattern("%^[%l]%$ %v");
    spdlog::cfg::load_env_levels();

    CLI::App app{
        "clipscope-cli: decompose CLIP ViT image embeddings into text-interpretable parts (Gandelsman et al., ICLR "
        "2024)"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("clipscope-cli ") + CLIPSCOPE_VERSION);
    int threads = 0;
    bool quiet = false, verbose = false;
    app.add_option("--threads", threads, "Intra-op threads (0 = all cores)")->capture_default_str();
    app.add_flag("--quiet,-q", quiet, "Only errors on stderr");
    app.add_flag("--verbose,-v", verbose, "Debug logging");
    app.add_flag("--force", clipscope::cli::force_outputs(),
                 "Write outputs even where one is an input or lies inside a store or dataset that is read");
    app.fallthrough();  // the global flags also after the command: `clipscope-cli heatmap ... --force`
    app.footer(
        "Exit codes: 0 ok, 2 bad arguments, 3 bad or missing input file, 4 bad model/checkpoint,\n"
        "5 unsupported request (e.g. CUDA on a CPU-only build), 6 network or download failure,\n70 internal error, 130 "
        "cancelled.");
    clipscope::cli::install_interrupt_handlers();
    clipscope::cli::register_info(app);
    clipscope::cli::register_tokenize(app);
    clipscope::cli::register_embed(app);
    clipscope::cli::register_preprocess(app);
    clipscope::cli::register_decompose(app);
    clipscope::cli::register_classify(app);
    clipscope::cli::register_bench(app);
    clipscope::cli::register_make_random_model(app);
    clipscope::cli::register_textspan(app);
    clipscope::cli::register_index(app);
    clipscope::cli::register_store_commands(app);
    clipscope::cli::register_ablate(app);
    clipscope::cli::register_heatmap(app);
    clipscope::cli::register_neighbors(app);
    clipscope::cli::register_segment(app);
    clipscope::cli::register_spurious(app);
    clipscope::cli::register_world(app, argc, argv);
    clipscope::cli::register_demo_report(app);
    clipscope::cli::register_models(app);
    clipscope::cli::register_download(app);
    clipscope::cli::register_config_fields(app);
    clipscope::cli::register_manpage(app);
    app.parse_complete_callback([&] {
        if (quiet) spdlog::set_level(spdlog::level::err);
        if (verbose) spdlog::set_level(spdlog::level::debug);
        clipscope::configure_threads(threads);
    });

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
        // Every argument error exits 2 (the README's code), not CLI11's own 100+ codes.
        const std::string unknown = clipscope::cli::unknown_command(app, argc, argv);
        if (!unknown.empty()) {
            std::cerr << unknown << "\n";
            return 2;
        }
        app.exit(e);  // the parser's message, naming the flag or the missing option
        return 2;
    } catch (const std::filesystem::filesystem_error& e) {
        // A path that cannot be read or written (a parent that is a file, a full disk): exit 3, naming it.
        spdlog::error("{}: {}", e.path1().string(), e.code().message());
        return clipscope::exit_code_for(clipscope::ErrorKind::InputFile);
    } catch (const clipscope::Error& e) {
        spdlog::error("{}", e.what());
        return clipscope::exit_code_for(e.kind());
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return clipscope::exit_code_for(clipscope::ErrorKind::Internal);
    }
    return 0;
}
