#pragma once
// Text embeddings given as files instead of computed by a text tower: row i of an [N, E]
// .npy is the embedding of line i of a texts file. This is how texts reach a checkpoint
// whose text side ClipScope cannot run (a vision-only checkpoint, a Hugging Face text
// tower, an unsupported tokenizer), or a text encoder run elsewhere. Every text a command
// asks for must be a line of the file: none is computed or approximated.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "clipscope/base/ndarray.h"

namespace clipscope {

class TextEmbeddingTable {
public:
    // Reads and checks both files (Error InputFile naming the file): the .npy is [N, E] float
    // with finite, nonzero rows and E == embed_dim; the texts file has N lines, none empty
    // and none repeated (a repeat would make the row a text names ambiguous).
    static TextEmbeddingTable read(const std::string& embeddings_path, const std::string& texts_path,
                                   int64_t embed_dim);

    // The rows of `texts` in order ([n, E], as stored: callers normalise as they do a
    // tower's output). A text that is no line of the file is refused (Error InputFile naming
    // the texts file and the text).
    FloatArray lookup(const std::vector<std::string>& texts) const;

    const std::string& embeddings_path() const { return embeddings_path_; }
    const std::string& texts_path() const { return texts_path_; }
    int64_t size() const { return static_cast<int64_t>(texts_.size()); }
    const std::vector<std::string>& texts() const { return texts_; }
    // fnv1a64 fingerprints of both files, for every output's metadata.
    const std::string& embeddings_fingerprint() const { return embeddings_fingerprint_; }
    const std::string& texts_fingerprint() const { return texts_fingerprint_; }

private:
    std::string embeddings_path_, texts_path_, embeddings_fingerprint_, texts_fingerprint_;
    std::vector<std::string> texts_;
    std::map<std::string, int64_t> row_of_;
    FloatArray rows_;
};

}  // namespace clipscope
