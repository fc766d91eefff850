#include "clipscope/analysis/segmentation_run.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/io/csv_table.h"
#include "clipscope/io/image.h"

namespace clipscope {
namespace {

constexpr const char* kColumns =
    "index,image,method,predicted_class,correct,labeled,inter_bg,union_bg,inter_fg,union_fg,ap,pixel_accuracy,iou_bg,"
    "iou_fg,self_check";

std::string row_text(int64_t index, const std::string& image, const std::string& method, int64_t predicted,
                     const SegmentationCounts& c, double self_check) {
    std::ostringstream s;
    s.precision(17);  // round-trips doubles: a resumed run sums exactly what an uninterrupted one does
    SegmentationTotals one;
    one.add(c);
    s << index << "," << csv_field(image) << "," << method << "," << predicted << "," << c.correct << "," << c.labeled
      << "," << c.intersection[0] << "," << c.union_[0] << "," << c.intersection[1] << "," << c.union_[1] << "," << c.ap
      << "," << one.pixel_accuracy() << "," << one.iou(0) << "," << one.iou(1) << "," << self_check;
    return s.str();
}

// Rows of a previous run with the same settings: (index, method) -> counts.
struct JournalRow {
    int64_t predicted = -1;
    SegmentationCounts counts;
    double self_check = 0;
};
std::map<std::pair<int64_t, std::string>, JournalRow> read_journal(const std::string& path,
                                                                   const std::string& settings_line) {
    std::map<std::pair<int64_t, std::string>, JournalRow> rows;
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line) || line != settings_line) return rows;  // other settings: start over
    std::getline(in, line);                                                    // column names
    while (std::getline(in, line)) {
        // index,"image",method,predicted,correct,labeled,ib,ub,if,uf,ap,...  (the quoted name may hold commas)
        const auto q1 = line.find(",\""), q2 = line.rfind("\",");
        if (q1 == std::string::npos || q2 == std::string::npos || q2 <= q1)
            break;  // a torn last line: recompute from there
        std::istringstream head(line.substr(0, q1)), tail(line.substr(q2 + 2));
        int64_t index = -1;
        head >> index;
        std::string method, field;
        std::vector<std::string> f;
        while (std::getline(tail, field, ',')) f.push_back(field);
        if (f.size() != 13) break;
        try {
            JournalRow r;
            r.predicted = std::stoll(f[1]);
            r.counts.correct = std::stoll(f[2]);
            r.counts.labeled = std::stoll(f[3]);
            r.counts.intersection = {std::stoll(f[4]), std::stoll(f[6])};
            r.counts.union_ = {std::stoll(f[5]), std::stoll(f[7])};
            r.counts.ap = std::stod(f[8]);
            r.self_check = std::stod(f[12]);
            rows[{index, f[0]}] = r;
        } catch (const std::exception&) {
            break;
        }
    }
    return rows;
}

}  // namespace

SegmentationRunResult run_segmentation(const ClipModel& model, const SegmentationDataset& dataset,
                                       const FloatArray& classifier, const SegmentationRunOptions& o,
                                       RunControl* control) {
    const auto& c = model.config();
    const std::vector<SegmentationMethod>& methods = o.methods;
    const int64_t count = o.count;
    const std::string journal = o.out_prefix + ".csv.partial";
    // The journal is rewritten atomically below; a run killed during that left its temporary.
    remove_stale_temporaries(std::filesystem::path(journal).parent_path().empty()
                                 ? "."
                                 : std::filesystem::path(journal).parent_path().string());
    auto done = read_journal(journal, o.settings_line);
    // Rewrite the journal with only the complete rows kept, then append to it.
    {
        std::ostringstream kept;
        kept << o.settings_line << "\n" << kColumns << "\n";
        for (const auto& [key, r] : done)
            kept << row_text(key.first, dataset.name(key.first), key.second, r.predicted, r.counts, r.self_check)
                 << "\n";
        write_text_atomically(journal, kept.str());
    }
    std::ofstream append(journal, std::ios::app);
    if (!append) throw_input(journal, "cannot append to the journal");

    SegmentationRunResult result;
    result.resumed_rows = static_cast<int64_t>(done.size());
    result.totals.resize(methods.size());
    std::string csv = std::string(kColumns) + "\n";  // in dataset order, whichever run computed the rows
    for (int64_t i = 0; i < count; ++i) {
        if (control) control->check();
        bool all_done = true;
        for (auto m : methods) all_done = all_done && done.count({i, method_name(m)});
        if (all_done) {
            for (size_t k = 0; k < methods.size(); ++k) {
                const JournalRow& r = done.at({i, method_name(methods[k])});
                result.totals[k].add(r.counts);
                result.worst_self_check = std::max(result.worst_self_check, r.self_check);
                csv +=
                    row_text(i, dataset.name(i), method_name(methods[k]), r.predicted, r.counts, r.self_check) + "\n";
            }
        } else {
            // One unreadable image (or a mask of another size) is skipped and named, not the end of the run.
            SegmentationSample sample;
            try {
                sample = dataset.load(i);
                if (o.alignment == MaskAlignment::Crop &&
                    (sample.mask.width != sample.image.width || sample.mask.height != sample.image.height))
                    throw_input(sample.name, "mask is " + std::to_string(sample.mask.width) + "x" +
                                                 std::to_string(sample.mask.height) + " but the image is " +
                                                 std::to_string(sample.image.width) + "x" +
                                                 std::to_string(sample.image.height));
            } catch (const Error& e) {
                if (o.strict || e.kind() != ErrorKind::InputFile) throw;
                spdlog::warn("skipping image {}: {}", i, e.what());
                const std::string name = dataset.name(i);
                result.skipped.push_back({i, name, problem_without_file(e.what(), name)});
                if (control) control->report(i + 1, count, "segmenting");
                continue;
            }
            const Image crop = resize_and_crop(sample.image, c.preprocess);
            FloatArray pixels = normalize_crop(crop, c.preprocess);
            pixels.shape.insert(pixels.shape.begin(), 1);
            const std::vector<uint8_t> mask = align_mask(sample.mask, c.preprocess, o.alignment);
            const SegmentationMaps maps = segmentation_maps(model, pixels, classifier, methods);
            result.worst_self_check = std::max(result.worst_self_check, maps.self_check);
            for (size_t k = 0; k < methods.size(); ++k) {
                const SegmentationCounts counts =
                    score_segmentation(predict_foreground(maps.grids[k], c.vision.patch_size), mask);
                result.totals[k].add(counts);
                const double check = methods[k] == SegmentationMethod::Decomposition ? maps.self_check : 0.0;
                const std::string row =
                    row_text(i, sample.name, method_name(methods[k]), maps.predicted_class, counts, check);
                csv += row + "\n";
                if (!done.count({i, method_name(methods[k])})) append << row << "\n";
            }
            append.flush();
        }
        if (control) control->report(i + 1, count, "segmenting");
    }
    append.close();
    if (count > 0 && static_cast<int64_t>(result.skipped.size()) == count)
        throw_input(result.skipped.front().name,
                    "none of the " + std::to_string(count) +
                        " images could be used; the first: " + result.skipped.front().reason);

    // The finished per-image table, then the journal goes.
    write_text_atomically(o.out_prefix + ".csv", csv);
    std::filesystem::remove(journal);
    return result;
}

}  // namespace clipscope
