#include "analysis_types.h"

namespace clipscope::ui {

FloatArray map_rows(const TextEmbeddings& texts, int64_t embed_dim) {
    std::vector<float> rows;
    if (!texts.a.empty()) rows.insert(rows.end(), texts.a.begin(), texts.a.end());
    if (!texts.b.empty()) rows.insert(rows.end(), texts.b.begin(), texts.b.end());
    if (texts.label_rows.rank() == 2 && texts.label_rows.shape[1] == embed_dim)
        rows.insert(rows.end(), texts.label_rows.data.begin(), texts.label_rows.data.end());
    const int64_t T = static_cast<int64_t>(rows.size()) / embed_dim;
    return FloatArray({T, embed_dim}, std::move(rows));
}

}  // namespace clipscope::ui
