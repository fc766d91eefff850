#include "config_json.h"

#include <cmath>
#include <map>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "config_field_check.h"

namespace clipscope {

using nlohmann::json;
json load_json(const std::string& path) {
    const std::string text = read_file_bytes(path, 16 << 20);
    try {
        json j = json::parse(text);
        if (!j.is_object()) throw_model(path, "expected a JSON object at the top level");
        return j;
    } catch (const json::exception& e) {
        throw_model(path, std::string("not valid JSON: ") + e.what());
    }
}

// Reads an integer field with a default; wrong types are errors that name the field.
int64_t get_int(const json& obj, const std::string& key, int64_t fallback, const std::string& path,
                const std::string& where) {
    if (!obj.contains(key) || obj[key].is_null()) return fallback;
    const auto& v = obj[key];
    if (v.is_number_integer()) return v.get<int64_t>();
    // A whole float within +-2^53 is an exact integer; beyond (1e999 parses as inf) the cast
    // would be undefined.
    if (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>() &&
        std::abs(v.get<double>()) <= 9007199254740992.0)
        return static_cast<int64_t>(v.get<double>());
    throw_model(path, where + key + " should be an integer, found " + json_in_message(v));
}

// Reads a true/false field with a default; a string such as "true" is an error naming the field.
bool get_bool(const json& obj, const std::string& key, bool fallback, const std::string& path,
              const std::string& where) {
    if (!obj.contains(key) || obj[key].is_null()) return fallback;
    if (!obj[key].is_boolean())
        throw_model(path, where + key + " should be true or false, found " + json_in_message(obj[key]));
    return obj[key].get<bool>();
}

std::string get_string(const json& obj, const std::string& key, const std::string& fallback, const std::string& path,
                       const std::string& where) {
    if (!obj.contains(key) || obj[key].is_null()) return fallback;
    if (!obj[key].is_string())
        throw_model(path, where + key + " should be a string, found " + json_in_message(obj[key]));
    return obj[key].get<std::string>();
}

double get_number(const json& obj, const std::string& key, double fallback, const std::string& path,
                  const std::string& where) {
    if (!obj.contains(key) || obj[key].is_null()) return fallback;
    if (!obj[key].is_number())
        throw_model(path, where + key + " should be a number, found " + json_in_message(obj[key]));
    return obj[key].get<double>();
}

std::array<float, 3> get_triplet(const json& obj, const std::string& key, std::array<float, 3> fallback,
                                 const std::string& path) {
    if (!obj.contains(key) || obj[key].is_null()) return fallback;
    const auto& v = obj[key];
    if (v.is_number()) {  // a scalar applies to all channels
        const float x = v.get<float>();
        return {x, x, x};
    }
    if (!v.is_array() || v.size() != 3 || !v[0].is_number() || !v[1].is_number() || !v[2].is_number())
        throw_model(path, key + " should be a list of 3 numbers, found " + json_in_message(v));
    return {v[0].get<float>(), v[1].get<float>(), v[2].get<float>()};
}

void read_hf_activation(const json& cfg, TowerConfig& tower, const std::string& where, const std::string& fallback_act,
                        double fallback_eps, const std::string& path) {
    const std::string act = get_string(cfg, "hidden_act", fallback_act, path, where);
    if (act == "quick_gelu")
        tower.activation = Activation::QuickGelu;
    else if (act == "gelu")
        tower.activation = Activation::Gelu;
    else if (act == "gelu_pytorch_tanh")
        tower.activation = Activation::GeluTanh;
    else
        throw_model(path, where + "hidden_act '" + act + "' is not supported (gelu, quick_gelu, gelu_pytorch_tanh)");
    tower.norm_eps = get_number(cfg, "layer_norm_eps", fallback_eps, path, where);
}

void read_hf_preprocessor(ClipConfig& c, const std::string& preprocessor_path, const ConfigReadOptions& options,
                          HfProcessorDefaults defaults) {
    c.preprocess.image_size = c.vision.image_size;
    if (defaults == HfProcessorDefaults::Siglip) {  // resize the whole image to S x S, bicubic, mean = std = 0.5
        c.preprocess.resize_mode = "squash";
        c.preprocess.mean = c.preprocess.std = {0.5f, 0.5f, 0.5f};
    }
    c.preprocess.crop_rounding = "floor";  // transformers' CLIPImageProcessor floors the crop offset
    if (!preprocessor_path.empty()) {
        const json p = load_json(preprocessor_path);
        check_config_fields(p, ConfigSection::HfPreprocessor, preprocessor_path, options, c.unknown_fields);
        c.preprocess.mean = get_triplet(p, "image_mean", c.preprocess.mean, preprocessor_path);
        c.preprocess.std = get_triplet(p, "image_std", c.preprocess.std, preprocessor_path);
        // CLIPImageProcessor: convert to RGB first, resize (shortest_edge, or exactly
        // height x width), centre crop (offset floored), x rescale_factor, normalise.
        c.preprocess.convert_rgb_first = true;
        const auto flag = [&](const char* key) {
            if (!p.contains(key)) return true;
            if (!p[key].is_boolean()) throw_model(preprocessor_path, std::string(key) + " must be true or false");
            return p[key].get<bool>();
        };
        for (const char* key : {"do_resize", "do_rescale", "do_normalize", "do_convert_rgb"})
            if (!flag(key)) throw_model(preprocessor_path, std::string(key) + ": false is not supported");
        if (p.contains("rescale_factor") &&
            !(p["rescale_factor"].is_number() && std::abs(p["rescale_factor"].get<double>() - 1.0 / 255) < 1e-12))
            throw_model(preprocessor_path,
                        "rescale_factor " + json_in_message(p["rescale_factor"]) + " is not supported (only 1/255)");
        const int64_t S = c.vision.image_size;
        const auto square = [&](const json& s, int64_t side) {
            return s.is_object() && s.contains("height") && s.contains("width") && s["height"] == side &&
                   s["width"] == side;
        };
        const json size = p.value("size", defaults == HfProcessorDefaults::Clip ? json{{"shortest_edge", S}}
                                                                                : json{{"height", S}, {"width", S}});
        const json crop = p.value("crop_size", json{{"height", S}, {"width", S}});
        // SiglipImageProcessor has no crop at all.
        const bool centre_crop = defaults == HfProcessorDefaults::Clip && flag("do_center_crop");
        const bool crop_is_s = crop.is_number_integer() ? crop == S : square(crop, S);
        const bool shortest_is_s =
            size.is_number_integer()
                ? size == S
                : size.is_object() && size.size() == 1 && size.contains("shortest_edge") && size["shortest_edge"] == S;
        if (shortest_is_s && centre_crop && crop_is_s) {
            c.preprocess.resize_mode = "shortest";
        } else if (square(size, S) && (!centre_crop || crop_is_s)) {
            c.preprocess.resize_mode = "squash";  // resized to exactly S x S; a crop of S changes nothing
        } else {
            throw_model(preprocessor_path, "size " + json_in_message(size) + " with crop_size " +
                                               json_in_message(crop) + " and do_center_crop " +
                                               (centre_crop ? "true" : "false") + " for a model of image size " +
                                               std::to_string(S) +
                                               " is not supported (shortest_edge S with a centre crop of S, or "
                                               "height = width = S)");
        }
        // PIL's resampling filters by number: 0 NEAREST, 2 BILINEAR, 3 BICUBIC (1 LANCZOS, 4 BOX
        // and 5 HAMMING are not implemented).
        const int64_t resample = get_int(p, "resample", 3, preprocessor_path, "");
        static const std::map<int64_t, const char*> kFilters = {{0, "nearest"}, {2, "bilinear"}, {3, "bicubic"}};
        const auto filter = kFilters.find(resample);
        if (filter == kFilters.end())
            throw_model(preprocessor_path, "resample " + std::to_string(resample) +
                                               " is not supported (0 nearest, 2 bilinear, 3 bicubic)");
        c.preprocess.interpolation = filter->second;
    }
}

}  // namespace clipscope
