#pragma once
// A TextSpan result as a file (docs/file-formats.md): what `clipscope-cli textspan`
// and the app's image-set TextSpan write, and what the app's head labels and
// `spurious --keywords` read. One writer, one reader.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace clipscope {

struct TextSpanPickRecord {
    int64_t index = 0;  // row of the description pool (or of the text-embedding matrix); -1 if the file omits it
    std::string text;
    double variance_explained = 0;
};

struct TextSpanHeadRecord {
    std::optional<int64_t> layer, head;  // absent for a single --matrix result
    double total_variance_explained = 0;
    std::vector<TextSpanPickRecord> texts;  // in pick order
};

// The model that embedded the texts (or made the store); "weights" only when loaded.
struct TextSpanModelRecord {
    std::string spec, format, architecture;
    std::optional<std::string> weights;
};

struct TextSpanSettings {
    int64_t rank = 0, per_head = 0;
    std::string texts;  // the description file or text-embedding .npy
    int64_t images = 0;
    std::string store;  // a store result: the store and how many last layers
    int64_t last_layers = 0;
    std::string matrix;  // a --matrix result: the [N, E] file
    double seconds = 0;
};

struct TextSpanRecord {
    std::optional<TextSpanModelRecord> model;  // absent when only a text-embedding matrix was given
    TextSpanSettings settings;
    std::vector<TextSpanHeadRecord> heads;
};

std::string textspan_record_json(const TextSpanRecord& result);
// Atomic (temporary + rename).
void write_textspan_record(const std::string& path, const TextSpanRecord& result);
// Throws an input error naming the file when it is unreadable, not JSON or not a
// TextSpan result. Files the app wrote before this format (model as a plain string)
// are read too.
TextSpanRecord read_textspan_record(const std::string& path);

// Why a result's heads cannot describe a model of this architecture and shape (its
// heads would be another model's): a different recorded architecture, or a head the
// model does not have. Empty when it fits. Results without a model record are judged
// by their heads alone.
std::string textspan_record_mismatch(const TextSpanRecord& result, const std::string& architecture, int64_t layers,
                                     int64_t heads);

}  // namespace clipscope
