// Texts as rows of a file (text_embedding_table.h).
#include "clipscope/model/text_embedding_table.h"

#include <algorithm>
#include <cmath>

#include "clipscope/base/error.h"
#include "clipscope/base/file_digest.h"
#include "clipscope/base/text_file.h"
#include "clipscope/io/npy.h"

namespace clipscope {

TextEmbeddingTable TextEmbeddingTable::read(const std::string& embeddings_path, const std::string& texts_path,
                                            int64_t embed_dim) {
    TextEmbeddingTable t;
    t.embeddings_path_ = embeddings_path;
    t.texts_path_ = texts_path;
    t.rows_ = read_npy_float(embeddings_path);  // refuses truncated files and non-finite values
    const Shape& shape = t.rows_.shape;
    if (shape.size() != 2 || shape[0] == 0)
        throw_input(embeddings_path, "has shape " + shape_to_string(shape) +
                                         "; text embeddings are [N, E], one row per line of " + texts_path);
    if (shape[1] != embed_dim)
        throw_input(embeddings_path, "has rows of " + std::to_string(shape[1]) +
                                         " values, but the model's embeddings have " + std::to_string(embed_dim) +
                                         " (are these another model's text embeddings?)");
    t.texts_ = read_text_lines(texts_path, size_t{256} << 20);
    if (static_cast<int64_t>(t.texts_.size()) != shape[0])
        throw_input(texts_path, "has " + std::to_string(t.texts_.size()) + " lines but " + embeddings_path + " has " +
                                    std::to_string(shape[0]) + " rows (line i names row i)");
    for (int64_t i = 0; i < shape[0]; ++i) {
        const std::string& text = t.texts_[static_cast<size_t>(i)];
        const std::string line = "line " + std::to_string(i + 1);
        if (text.empty()) throw_input(texts_path, line + " is empty; every line names a row of " + embeddings_path);
        const auto [it, inserted] = t.row_of_.emplace(text, i);
        if (!inserted)
            throw_input(texts_path, line + " repeats line " + std::to_string(it->second + 1) + " ('" + text +
                                        "'): which row it names would be ambiguous");
        double norm = 0;
        for (int64_t e = 0; e < shape[1]; ++e) {
            const double v = t.rows_.data[static_cast<size_t>(i * shape[1] + e)];
            norm += v * v;
        }
        // A zero row has no direction: normalising it would give NaN in every score it meets.
        if (!(norm > 0)) throw_input(embeddings_path, "row " + std::to_string(i) + " ('" + text + "') is all zeros");
    }
    t.embeddings_fingerprint_ = fnv1a64_file_fingerprint(embeddings_path);
    t.texts_fingerprint_ = fnv1a64_file_fingerprint(texts_path);
    return t;
}

FloatArray TextEmbeddingTable::lookup(const std::vector<std::string>& texts) const {
    const int64_t E = rows_.shape[1];
    FloatArray out({static_cast<int64_t>(texts.size()), E});
    for (size_t i = 0; i < texts.size(); ++i) {
        const auto it = row_of_.find(texts[i]);
        if (it == row_of_.end()) {
            std::string some;
            for (size_t k = 0; k < std::min<size_t>(3, texts_.size()); ++k) some += (k ? "', '" : "'") + texts_[k];
            throw_input(texts_path_, "has no line '" + texts[i] + "', so its embedding is not in " + embeddings_path_ +
                                         " (texts come only from these files here; the first lines are " + some + "'" +
                                         (texts_.size() > 3 ? ", …" : "") +
                                         "). Embed it with the full checkpoint and add it to both files");
        }
        std::copy_n(rows_.data.begin() + it->second * E, E, out.data.begin() + static_cast<int64_t>(i) * E);
    }
    return out;
}

}  // namespace clipscope
