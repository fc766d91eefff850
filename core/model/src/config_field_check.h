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
void check_config_fields(const nlohmann::json& object, ConfigSection section, const std::string& path,
                         const ConfigReadOptions& options, std::vector<std::string>& unknown);

}  // namespace clipscope
