#include "clipscope/analysis/textspan_record.h"

#include <nlohmann/json.hpp>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"

namespace clipscope {
namespace {

using nlohmann::json;

json settings_json(const TextSpanSettings& s) {
    json j = {{"rank", s.rank},
              {"per_head", s.per_head},
              {"texts", s.texts},
              {"images", s.images},
              {"seconds", s.seconds},
              {"variance_explained",
               "share of the head's total variance (sum of squares around its mean) removed by each pick"}};
    if (!s.store.empty()) {
        j["store"] = s.store;
        j["last_layers"] = s.last_layers;
    }
    if (!s.matrix.empty()) j["matrix"] = s.matrix;
    return j;
}

json optional_index(const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

std::string textspan_record_json(const TextSpanRecord& r) {
    json model = nullptr;
    if (r.model) {
        model = {{"spec", r.model->spec}, {"format", r.model->format}, {"architecture", r.model->architecture}};
        if (r.model->weights) model["weights"] = *r.model->weights;
    }
    json heads = json::array();
    for (const TextSpanHeadRecord& h : r.heads) {
        json picks = json::array();
        for (const TextSpanPickRecord& p : h.texts)
            picks.push_back({{"index", p.index}, {"text", p.text}, {"variance_explained", p.variance_explained}});
        heads.push_back({{"layer", optional_index(h.layer)},
                         {"head", optional_index(h.head)},
                         {"total_variance_explained", h.total_variance_explained},
                         {"texts", picks}});
    }
    // Invalid UTF-8 in a description is written as U+FFFD rather than failing the write.
    return json({{"model", model}, {"settings", settings_json(r.settings)}, {"heads", heads}})
        .dump(2, ' ', false, json::error_handler_t::replace);
}

void write_textspan_record(const std::string& path, const TextSpanRecord& result) {
    write_text_atomically(path, textspan_record_json(result));
}

TextSpanRecord read_textspan_record(const std::string& path) {
    json j;
    try {
        j = json::parse(read_file_bytes(path, size_t{256} << 20));
    } catch (const json::exception& e) {
        throw_input(path, std::string("is not JSON: ") + e.what());
    }
    TextSpanRecord r;
    try {
        if (!j.is_object() || !j.contains("heads") || !j.at("heads").is_array())
            throw_input(path, "has no \"heads\" list (expected the output of clipscope-cli textspan)");
        const json& m = j.value("model", json(nullptr));
        if (m.is_string())
            r.model = TextSpanModelRecord{m.get<std::string>(), "", "", std::nullopt};
        else if (m.is_object()) {
            TextSpanModelRecord rec{m.value("spec", ""), m.value("format", ""), m.value("architecture", ""),
                                    std::nullopt};
            if (m.contains("weights")) rec.weights = m.at("weights").get<std::string>();
            r.model = rec;
        }
        const json& s = j.value("settings", json::object());
        r.settings.rank = s.value("rank", int64_t{0});
        r.settings.per_head = s.value("per_head", int64_t{0});
        r.settings.texts = s.value("texts", j.value("descriptions", std::string()));
        r.settings.images = s.value("images", int64_t{0});
        r.settings.store = s.value("store", "");
        r.settings.last_layers = s.value("last_layers", int64_t{0});
        r.settings.matrix = s.value("matrix", "");
        r.settings.seconds = s.value("seconds", 0.0);
        for (const json& h : j.at("heads")) {
            TextSpanHeadRecord rec;
            if (!h.at("layer").is_null()) rec.layer = h.at("layer").get<int64_t>();
            if (!h.at("head").is_null()) rec.head = h.at("head").get<int64_t>();
            if (rec.layer.has_value() != rec.head.has_value())
                throw_input(path, "a head entry has a layer without a head, or a head without a layer");
            if ((rec.layer && *rec.layer < 0) || (rec.head && *rec.head < 0))
                throw_input(path, "a head entry has a negative layer or head");
            rec.total_variance_explained = h.at("total_variance_explained").get<double>();
            for (const json& p : h.at("texts"))
                rec.texts.push_back({p.value("index", int64_t{-1}), p.at("text").get<std::string>(),
                                     p.at("variance_explained").get<double>()});
            r.heads.push_back(std::move(rec));
        }
    } catch (const json::exception& e) {
        throw_input(path, std::string("is not a TextSpan result: ") + e.what());
    }
    return r;
}

std::string textspan_record_mismatch(const TextSpanRecord& result, const std::string& architecture, int64_t layers,
                                     int64_t heads) {
    if (result.model && !result.model->architecture.empty() && !architecture.empty() &&
        result.model->architecture != architecture)
        return "describes the heads of a " + result.model->architecture + " model, not of " + architecture;
    for (const TextSpanHeadRecord& h : result.heads)
        if (h.layer && (*h.layer < 0 || *h.layer >= layers || *h.head < 0 || *h.head >= heads))
            return "holds layer " + std::to_string(*h.layer) + ", head " + std::to_string(*h.head) +
                   ", which a model of " + std::to_string(layers) + " layers x " + std::to_string(heads) +
                   " heads does not have";
    return "";
}

}  // namespace clipscope
