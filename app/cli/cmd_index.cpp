#include <spdlog/spdlog.h>

#include "cli_common.h"
#include "clipscope/analysis/indexing.h"
#include "clipscope/io/dataset.h"
#include "clipscope/base/error.h"
#include "clipscope/analysis/store.h"
#include "commands.h"
#include "console_progress.h"

namespace clipscope::cli {
namespace {

struct IndexOptions {
    ModelOptions model;
    std::string images, list, out, shard, dtype = "f32";
    int64_t batch = 8;
    bool strict = false;
};

// "I/N" -> the contiguous range of shard I (0-based) of N over `count` items.
std::pair<int64_t, int64_t> shard_range(const std::string& spec, int64_t count) {
    const auto slash = spec.find('/');
    try {
        if (slash == std::string::npos) throw std::invalid_argument("no slash");
        const int64_t i = std::stoll(spec.substr(0, slash)), n = std::stoll(spec.substr(slash + 1));
        if (n < 1 || i < 0 || i >= n) throw std::invalid_argument("range");
        return {count * i / n, count * (i + 1) / n};
    } catch (const std::exception&) {
        throw_usage("--shard must be I/N with 0 <= I < N, got '" + spec + "'");
    }
}

void run_index(const IndexOptions& o) {
    if (o.images.empty() == o.list.empty()) throw_usage("give --images DIR or --list FILE");
    if (o.batch < 1) throw_usage("--batch must be at least 1");
    guard_outputs({with_model_inputs(o.model, {o.list}), {o.images}, {o.out}});  // not a store inside the images
    std::vector<ImageEntry> entries = o.images.empty() ? read_image_list(o.list) : list_image_folder(o.images);
    if (!o.shard.empty()) {
        const int64_t total = static_cast<int64_t>(entries.size());
        const auto [begin, end] = shard_range(o.shard, total);
        if (begin == end) throw_usage("shard " + o.shard + " of " + std::to_string(total) + " images is empty");
        entries = std::vector<ImageEntry>(entries.begin() + begin, entries.begin() + end);
    }
    const ClipModel model = load_model(o.model);
    StoreInfo info = store_info_for(model);
    info.batch = o.batch;
    info.dtype = o.dtype;
    info.shard = o.shard;
    const IndexList list = with_console_progress(
        "checking images", [&](RunControl& c) { return images_to_index(entries, o.out, o.strict, &c); });
    info.images = list.images;
    info.skipped = list.skipped;
    StoreWriter writer = StoreWriter::open(o.out, info);
    const int64_t N = writer.size();
    if (writer.done() == N) {
        spdlog::info("{}: already complete ({} images)", o.out, N);
        return;
    }
    if (writer.done() > 0) spdlog::info("{}: resuming after {} of {} images", o.out, writer.done(), N);
    const IndexReport r = with_console_progress(
        "index", [&](RunControl& c) { return index_into_store(model, writer, image_files_of(writer, model), &c); });
    spdlog::info(
        "indexed {} images into {} with {} ({}) in {:.1f} s ({:.1f} images/s); sum of parts = embedding within {:.2e}",
        r.indexed, o.out, info.model_spec, info.architecture, r.seconds, r.indexed / r.seconds, r.max_sum_error);
    if (!info.skipped.empty())
        spdlog::warn("{} of {} images could not be decoded and were skipped: listed in {}/skipped.txt",
                     info.skipped.size(), info.skipped.size() + info.images.size(), o.out);
}

}  // namespace

void register_index(CLI::App& app) {
    {
        auto* cmd = app.add_subcommand(
            "index", "Decompose every image of a set and stream the non-spatial terms into a store (resumable)");
        auto o = std::make_shared<IndexOptions>();
        add_model_options(*cmd, o->model);
        cmd->add_option("--images", o->images,
                        "Folder of images, searched recursively (ImageFolder sub-folders become labels)");
        cmd->add_option("--list", o->list,
                        "List file: one image path per line, optionally followed by a TAB and a label");
        cmd->add_option("--out,-o", o->out, "Store folder")->required();
        cmd->add_option("--batch", o->batch, "Images per forward pass (part of the store's identity)")
            ->capture_default_str();
        cmd->add_option("--shard", o->shard,
                        "I/N: index only the I-th of N contiguous parts (e.g. one per job of a Slurm array)");
        cmd->add_flag("--strict", o->strict,
                      "Stop at the first image that cannot be decoded (default: skip it, and list it in "
                      "STORE/skipped.txt and the manifest)");
        cmd->add_option("--dtype", o->dtype, "f32 or f16 storage")
            ->check(CLI::IsMember({"f32", "f16"}))
            ->capture_default_str();
        cmd->footer(
            "Stops cleanly on Ctrl+C; after a crash or kill, the same command resumes where it stopped and\n"
            "ends with the same files as an uninterrupted run.\n"
            "Example:\n  clipscope-cli index --model M --images ~/data/imagenet/val --out ~/stores/inval-b16");
        cmd->callback([o] { run_index(*o); });
    }
}

}  // namespace clipscope::cli
