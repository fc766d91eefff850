#include "clipscope/analysis/store_transfer.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <sstream>
#include <utility>

#include "clipscope/analysis/store.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/io/npy.h"

namespace clipscope {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kChunk = 256;

}  // namespace

std::string reference_array_path(const ReferenceLayout& layout, const std::string& what,
                                 const std::string& model_name) {
    return (fs::path(layout.folder) / (layout.dataset + "_" + what + "_" + model_name + ".npy")).string();
}

// The reference's layout (compute_prs.py): float32 arrays named {dataset}_attn_{model}.npy etc.
std::vector<std::string> reference_layout_files(const std::string& store_folder, const ReferenceLayout& o) {
    const std::string model = o.model_name.empty() ? Store::open(store_folder).info().architecture : o.model_name;
    return {reference_array_path(o, "attn", model), reference_array_path(o, "mlp", model),
            reference_array_path(o, "cls_attn", model), (fs::path(o.folder) / (o.dataset + "_images.txt")).string()};
}

std::string export_reference_layout(const std::string& store_folder, const ReferenceLayout& o) {
    const Store store = Store::open(store_folder);
    if (!store.complete())
        throw_input(store_folder, "is incomplete (" + std::to_string(store.done()) + " of " +
                                      std::to_string(store.size()) + " images); finish indexing first");
    if (store.info().attention_pooled())
        throw Error(ErrorKind::Unsupported,
                    store_folder +
                        " is attention-pooled (SigLIP): the reference's layout (compute_prs.py) has "
                        "no place for its pooling term and a cls_attn array it does not have");
    const std::string model = o.model_name.empty() ? store.info().architecture : o.model_name;
    fs::create_directories(o.folder);
    const std::pair<const char*, const char*> arrays[] = {{"heads", "attn"}, {"mlps", "mlp"}, {"cls_attn", "cls_attn"}};
    const int64_t N = store.size();
    for (const auto& [ours, theirs] : arrays) {
        Shape shape = store.read(ours, 0, 1).shape;
        shape[0] = N;
        NpyStreamWriter writer(reference_array_path(o, theirs, model), shape);
        for (int64_t i = 0; i < N; i += kChunk) {
            const FloatArray rows = store.read(ours, i, std::min(kChunk, N - i));
            writer.append(rows.data.data(), rows.data.size());
        }
        writer.finish();
    }
    std::string list;
    for (const auto& e : store.info().images) list += e.path + "\n";
    write_text_atomically((fs::path(o.folder) / (o.dataset + "_images.txt")).string(), list);
    return model;
}

// Arrays made by the reference's compute_prs.py, with the model that made them.
int64_t import_reference_layout(const ClipModel& model, const ReferenceLayout& o, const std::string& store_folder,
                                RunControl* control) {
    const auto& c = model.config();
    if (c.vision.pooling == VisionPooling::AttentionPool)
        throw Error(ErrorKind::Unsupported,
                    c.name +
                        " is attention-pooled (SigLIP): the reference's compute_prs.py decomposes class-token "
                        "CLIPs only, so its arrays cannot be this model's terms; index the images instead");
    const std::string name = o.model_name.empty() ? c.name : o.model_name;
    const NpyRowReader attn(reference_array_path(o, "attn", name));
    const NpyRowReader mlp(reference_array_path(o, "mlp", name));
    const NpyRowReader cls(reference_array_path(o, "cls_attn", name));
    const int64_t N = attn.shape()[0], L = c.vision.layers, H = c.vision.heads, E = c.embed_dim;
    auto expect = [&](const NpyRowReader& r, const Shape& want, const char* what) {
        if (r.shape() != want)
            throw_input(reference_array_path(o, what, name),
                        "has shape " + shape_to_string(r.shape()) + ", this model needs " + shape_to_string(want));
    };
    expect(attn, {N, L, H, E}, "attn");
    expect(mlp, {N, L + 1, E}, "mlp");
    expect(cls, {N, L, E}, "cls_attn");
    StoreInfo info = store_info_for(model);
    info.embedding_normalised = true;  // the reference stores no ||z||: the embedding is the sum of the parts
    const std::string list_path = (fs::path(o.folder) / (o.dataset + "_images.txt")).string();
    if (fs::exists(list_path)) {
        std::istringstream in(read_file_bytes(list_path, size_t{1} << 30));
        std::string line;
        while (std::getline(in, line))
            if (!line.empty()) info.images.push_back({line, ""});
        if (static_cast<int64_t>(info.images.size()) != N)
            throw_input(list_path, "lists " + std::to_string(info.images.size()) + " images, the arrays hold " +
                                       std::to_string(N));
    } else {
        for (int64_t i = 0; i < N; ++i) info.images.push_back({"row " + std::to_string(i), ""});
    }
    StoreWriter writer = StoreWriter::open(store_folder, info);
    while (writer.done() < N) {
        if (control) control->check();
        const int64_t i = writer.done(), n = std::min(kChunk, N - i);
        const FloatArray heads = attn.read_rows(i, n), mlps = mlp.read_rows(i, n), cls_rows = cls.read_rows(i, n);
        FloatArray embedding({n, E});
        for (int64_t r = 0; r < n; ++r)
            for (int64_t e = 0; e < E; ++e) {
                double sum = 0;
                for (int64_t k = 0; k < L * H; ++k) sum += heads.data[static_cast<size_t>((r * L * H + k) * E + e)];
                for (int64_t k = 0; k <= L; ++k) sum += mlps.data[static_cast<size_t>((r * (L + 1) + k) * E + e)];
                embedding.data[static_cast<size_t>(r * E + e)] = static_cast<float>(sum);
            }
        writer.append(embedding, heads, mlps, cls_rows);
        if (control) control->report(writer.done(), N, "importing");
    }
    return N;
}

// Shards of one `index --shard I/N` run, joined in shard order into one store.
int64_t merge_store_shards(const std::vector<std::string>& shards, const std::string& out, RunControl* control) {
    std::vector<std::pair<int64_t, std::string>> order;
    int64_t total_shards = -1;
    std::optional<StoreInfo> first;
    for (const auto& path : shards) {
        const Store s = Store::open(path);
        const StoreInfo& info = s.info();
        if (!s.complete()) throw_input(path, "is incomplete; finish indexing this shard first");
        const auto slash = info.shard.find('/');
        if (slash == std::string::npos) throw_input(path, "is not a shard (made without --shard)");
        const int64_t i = std::stoll(info.shard.substr(0, slash)), n = std::stoll(info.shard.substr(slash + 1));
        if (total_shards >= 0 && n != total_shards) throw_input(path, "is shard " + info.shard + " of another split");
        total_shards = n;
        if (first) {
            StoreInfo a = *first, b = info;
            a.images.clear();
            b.images.clear();
            a.shard = b.shard = "";
            if (!(a.model_spec == b.model_spec && a.weights_fingerprint == b.weights_fingerprint &&
                  a.layers == b.layers && a.heads == b.heads && a.embed_dim == b.embed_dim && a.batch == b.batch &&
                  a.dtype == b.dtype && a.pooling == b.pooling && same_preprocessing(a.preprocess, b.preprocess)))
                throw_input(path, "was made with another model or settings than " + shards.front());
        } else {
            first = info;
        }
        order.emplace_back(i, path);
    }
    std::sort(order.begin(), order.end());
    for (int64_t i = 0; i < total_shards; ++i)
        if (static_cast<int64_t>(order.size()) <= i || order[static_cast<size_t>(i)].first != i)
            throw_usage("shards must be exactly 0.." + std::to_string(total_shards - 1) + " of " +
                        std::to_string(total_shards) + ", each once");
    if (static_cast<int64_t>(order.size()) != total_shards) throw_usage("a shard is given twice");
    StoreInfo merged = *first;
    merged.shard = "";
    merged.images.clear();
    for (const auto& [i, path] : order) {
        const auto images = Store::open(path).info().images;
        merged.images.insert(merged.images.end(), images.begin(), images.end());
    }
    StoreWriter writer = StoreWriter::open(out, merged);
    int64_t offset = 0;
    for (const auto& [i, path] : order) {
        const Store s = Store::open(path);
        for (int64_t r = 0; r < s.size(); r += kChunk) {
            const int64_t n = std::min(kChunk, s.size() - r);
            if (offset + r + n <= writer.done()) continue;  // resumed merge: already copied
            if (control) control->check();
            writer.append(s.read("embedding", r, n), s.read("heads", r, n), s.read("mlps", r, n),
                          s.read(store_arrays(s.info()).back().name, r, n));  // cls_attn or pooling
            if (control) control->report(writer.done(), writer.size(), "merging");
        }
        offset += s.size();
    }
    return static_cast<int64_t>(merged.images.size());
}

}  // namespace clipscope
