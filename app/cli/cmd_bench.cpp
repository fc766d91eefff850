#include <iostream>

#include "cli_common.h"
#include "clipscope/decompose/benchmark.h"
#include "clipscope/base/error.h"
#include "commands.h"

namespace clipscope::cli {

void register_bench(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "bench", "Time the plain image forward against the spatial and non-spatial decompositions and projected maps");
    struct Options {
        ModelOptions model;
        std::string random_arch;
        int64_t batch = 1;
        int runs = 5;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    add_model_options(*cmd, o->model, /*model_required=*/false);
    cmd->add_option("--random-arch", o->random_arch,
                    "Random weights of a built-in architecture (as random:ARCH: ViT-B-16, ViT-H-14-378, "
                    "ViT-B-32-quickgelu, DFN5B-ViT-H-14-378, MetaCLIP-ViT-L-14, tiny, ...)");
    cmd->add_option("--batch", o->batch, "Images per forward")->capture_default_str();
    cmd->add_option("--runs", o->runs, "Timed runs per variant (median reported)")->capture_default_str();
    cmd->add_flag("--json", o->json, "Print a JSON object");
    cmd->footer("Example:\n  clipscope-cli bench --random-arch ViT-B-16 --batch 8 --threads 2 --json");
    cmd->callback([o] {
        if (o->model.model.empty() == o->random_arch.empty()) throw_usage("give --model or --random-arch");
        ModelOptions mo = o->model;
        if (!o->random_arch.empty()) mo.model = "random:" + o->random_arch;
        if (o->batch < 1 || o->runs < 1) throw_usage("--batch and --runs must be at least 1");
        const ClipModel model = load_model(mo);
        const BenchResult r = run_benchmark(model, o->batch, o->runs);
        if (o->json) {
            print_json({{"model", mo.model},
                        {"arch", r.arch},
                        {"batch", r.batch},
                        {"threads", r.threads},
                        {"runs", r.runs},
                        {"device", model.info().device},
                        {"plain_ms", r.plain_ms},
                        {"spatial_ms", r.spatial_ms},
                        {"nonspatial_ms", r.nonspatial_ms},
                        {"spatial_ratio", r.spatial_ratio()},
                        {"nonspatial_ratio", r.nonspatial_ratio()},
                        {"maps_ms", r.maps_ms},
                        {"maps_ratio", r.maps_ratio()},
                        {"max_sum_error", r.max_sum_error}});
            return;
        }
        std::printf("%s (%s), batch %lld, %d threads, %s, median of %d runs\n", mo.model.c_str(), r.arch.c_str(),
                    static_cast<long long>(r.batch), r.threads, model.info().device.c_str(), r.runs);
        std::printf("  plain forward          %9.1f ms\n", r.plain_ms);
        std::printf("  spatial decomposition  %9.1f ms  (%.3fx)\n", r.spatial_ms, r.spatial_ratio());
        std::printf("  non-spatial            %9.1f ms  (%.3fx)\n", r.nonspatial_ms, r.nonspatial_ratio());
        std::printf(
            "  non-spatial + maps     %9.1f ms  (%.3fx)  each head's map toward 5 directions, as the app keeps "
            "them above its spatial budget\n",
            r.maps_ms, r.maps_ratio());
        std::printf("  self-check: sum of parts vs normalised embedding (and maps vs heads), max abs error %.2e\n",
                    r.max_sum_error);
    });
}

}  // namespace clipscope::cli
