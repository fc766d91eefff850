#include "clipscope/analysis/spurious_protocol.h"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <map>
#include <set>

#include "clipscope/base/error.h"

namespace clipscope {
namespace {
namespace fs = std::filesystem;

// Store image -> metadata row, matching the row's file name against the end of the store's path.
std::vector<int64_t> match_rows(const StoreInfo& info, const CsvTable& meta, const std::vector<size_t>& wanted_rows,
                                size_t filename_col, const std::string& root) {
    std::map<std::string, int64_t> by_path;
    // A file listed twice, or matched by two store images, would be counted twice (and
    // with rows that disagree, under whichever label came last): refused.
    for (size_t r : wanted_rows) {
        const auto [it, fresh] = by_path.emplace(
            fs::path(meta.rows[r][filename_col]).lexically_normal().generic_string(), static_cast<int64_t>(r));
        if (!fresh) throw_input(meta.path, "lists " + meta.rows[r][filename_col] + " in two selected rows");
    }
    std::vector<int64_t> row_of(info.images.size(), -1);
    std::map<int64_t, size_t> image_of_row;
    std::vector<bool> found(meta.rows.size(), false);
    const std::string root_prefix = root.empty() ? "" : fs::path(root).lexically_normal().generic_string();
    for (size_t i = 0; i < info.images.size(); ++i) {
        const fs::path p = fs::path(info.images[i].path).lexically_normal();
        // Try every suffix of the path (a/b/c.jpg, b/c.jpg, c.jpg), longest first.
        std::vector<std::string> parts;
        for (const auto& part : p) parts.push_back(part.generic_string());
        for (size_t k = 0; k < parts.size(); ++k) {
            std::string suffix;
            for (size_t m = k; m < parts.size(); ++m) suffix += (suffix.empty() ? "" : "/") + parts[m];
            const auto it = by_path.find(suffix);
            if (it != by_path.end()) {
                const auto [seen, fresh] = image_of_row.emplace(it->second, i);
                if (!fresh)
                    throw_input(meta.path, "its row for " + meta.rows[static_cast<size_t>(it->second)][filename_col] +
                                               " matches two images of the store: " + info.images[seen->second].path +
                                               " and " + info.images[i].path);
                row_of[i] = it->second;
                found[static_cast<size_t>(it->second)] = true;
                break;
            }
        }
    }
    int64_t missing = 0;
    std::string first_missing;
    for (size_t r : wanted_rows)
        if (!found[r]) {
            if (!missing++) first_missing = meta.rows[r][filename_col];
        }
    if (missing)
        throw_input(meta.path, std::to_string(missing) + " of its " + std::to_string(wanted_rows.size()) +
                                   " selected rows have no image in the store (first: " + first_missing +
                                   (root_prefix.empty() ? "" : " under " + root_prefix) +
                                   "); index the dataset's images first");
    return row_of;
}

}  // namespace

GroupedLabels grouped_labels(const StoreInfo& info, const CsvTable& meta, const GroupedMetadataColumns& o,
                             int64_t class_count) {
    const size_t fcol = meta.column(o.filename), ycol = meta.column(o.label), gcol = meta.column(o.group);
    GroupedLabels out;
    out.all_splits = o.split_value == "all" || !meta.has_column(o.split);
    const size_t scol = out.all_splits ? 0 : meta.column(o.split);
    std::vector<size_t> rows;
    for (size_t r = 0; r < meta.rows.size(); ++r)
        if (out.all_splits || meta.rows[r][scol] == o.split_value) rows.push_back(r);
    if (rows.empty()) throw_input(meta.path, "no row has " + o.split + " == " + o.split_value);
    const std::vector<int64_t> row_of = match_rows(info, meta, rows, fcol, o.root);
    out.labels.assign(info.images.size(), -1);
    out.groups.assign(info.images.size(), "");
    for (size_t i = 0; i < info.images.size(); ++i) {
        if (row_of[i] < 0) continue;
        const auto& row = meta.rows[static_cast<size_t>(row_of[i])];
        int64_t y = -1;
        try {
            size_t used = 0;
            y = std::stoll(row[ycol], &used);
            if (used != row[ycol].size()) y = -1;
        } catch (const std::exception&) {
        }
        if (y < 0 || y >= class_count)
            throw_input(meta.path, "row for " + row[fcol] + ": " + o.label + " = '" + row[ycol] +
                                       "' is not a class index 0.." + std::to_string(class_count - 1));
        out.labels[i] = y;
        out.groups[i] = o.label + "=" + row[ycol] + "," + o.group + "=" + row[gcol];
    }
    return out;
}

SpuriousSettings spurious_settings(const HeadList& heads, int64_t layers, int64_t heads_per_layer, int64_t random_draws,
                                   int64_t random_last, uint64_t seed) {
    SpuriousSettings s;
    const int64_t first_kept = std::max<int64_t>(0, layers - 4);
    auto with_reference_context = [&](AblationSpec spec) {
        spec.mlps = true;
        for (int64_t l = 0; l < first_kept; ++l) spec.layers.push_back(l);
        return spec;
    };
    AblationSpec listed{"heads"};
    listed.heads = heads;
    s.specs.push_back(listed);
    s.context_text = first_kept > 0 ? "layers 0.." + std::to_string(first_kept - 1) + " + MLPs" : "MLPs";
    AblationSpec context{"reference context only (" + s.context_text + ")"};
    s.specs.push_back(with_reference_context(context));
    AblationSpec reference{"reference protocol (heads + " + s.context_text + ")"};
    reference.heads = heads;
    s.specs.push_back(with_reference_context(reference));
    for (int64_t d = 0; d < random_draws; ++d) {
        // Heads already ablated by the reference context are outside the last layers' pool, so counts match.
        s.draws.push_back(random_heads(layers, heads_per_layer, random_last,
                                       static_cast<int64_t>(std::set(heads.begin(), heads.end()).size()),
                                       seed + static_cast<uint64_t>(d)));
        AblationSpec r{"random heads #" + std::to_string(d)};
        r.heads = s.draws.back();
        s.specs.push_back(r);
        AblationSpec rr{"random heads #" + std::to_string(d) + ", reference protocol"};
        rr.heads = s.draws.back();
        s.specs.push_back(with_reference_context(rr));
    }
    return s;
}

}  // namespace clipscope
