#pragma once
// The option table's enforcement, for the config readers (model_config.cpp).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "clipscope/model/config_fields.h"
#include "clipscope/model/model_config.h"

namespace clipscope {

// Checks every key of `object` against the table's rows for `section`: a refused value, or a
// key in no row, throws a Model error naming `path`, the field and its value; with
// options.allow_unknown_fields an unknown key is appended to `unknown` ("vision_cfg.foo = 3").
// With `refused` given, a refused value is appended there ("field = value: why") instead
// of thrown: the open_clip reader drops a text tower it cannot run rather than the checkpoint.
// A JSON value as an error message quotes it (invalid UTF-8 replaced, never thrown on).
std::string json_in_message(const nlohmann::json& v);

void check_config_fields(const nlohmann::json& object, ConfigSection section, const std::string& path,
                         const ConfigReadOptions& options, std::vector<std::string>& unknown,
                         std::vector<std::string>* refused = nullptr);

}  // namespace clipscope
