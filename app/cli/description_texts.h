#pragma once
// Description pools for TextSpan and the commands built on it: unit-norm text
// embeddings of every line of a file (docs/method.md §5.2), or a ready matrix.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_common.h"
#include "clipscope/base/ndarray.h"
#include "clipscope/analysis/store.h"

namespace clipscope::cli {

struct Texts {
    FloatArray embeddings;
    std::vector<std::string> labels;  // empty: entries are named by row
    std::string source;
    nlohmann::json model = nullptr;
};

// Text directions from `text_embeddings` (.npy), or the `descriptions` file embedded
// with the model. With a store, computed embeddings are cached in the user's cache folder
// (user_cache_directory()/text_cache, never the store), keyed by the model's weights
// fingerprint and the description file's bytes, and checked by a checksum when reused.
Texts load_texts(const std::string& descriptions, const std::string& text_embeddings, const ModelOptions& model_options,
                 const StoreInfo* store_info);

}  // namespace clipscope::cli
