#include "clipscope/model/cached_models.h"

#include <exception>

#include "clipscope/model/model_source.h"

namespace clipscope {

std::vector<HfCachedRepo> list_cached_models(const std::string& cache_dir) {
    std::vector<HfCachedRepo> repos = list_hf_cache(cache_dir);
    for (HfCachedRepo& repo : repos)
        for (HfCachedRevision& rev : repo.revisions) {
            if (!rev.missing_files.empty()) continue;  // the layout already says what is wrong
            try {
                const ModelLocation loc = resolve_model(rev.snapshot_folder);
                rev.loadable = true;
                rev.format = format_name(loc.format);
                rev.has_tokenizer = !find_vocabulary(loc, "").empty();
                if (!rev.has_tokenizer)
                    rev.problem =
                        "no tokenizer files in the snapshot; a CLIP vocabulary is looked for elsewhere when the model "
                        "loads";
            } catch (const std::exception& e) {
                rev.problem = e.what();
            }
        }
    return repos;
}

}  // namespace clipscope
