#pragma once
// The Hugging Face cache as ClipScope sees it: every cached revision, marked loadable
// (with its format) or not (with the reason), for `clipscope-cli models` and the app's
// model dialog.
#include <string>
#include <vector>

#include "clipscope/hub/hf_cache.h"

namespace clipscope {

std::vector<HfCachedRepo> list_cached_models(const std::string& cache_dir);

}  // namespace clipscope
