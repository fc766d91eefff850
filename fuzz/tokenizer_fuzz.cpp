// libFuzzer target: the BPE tokenizer on arbitrary text (invalid UTF-8, huge
// words, control characters), using a small vocabulary built once from the
// input's own merges file format. The first input byte picks the mode:
// even = the text is encoded with a fixed toy vocabulary; odd = the input is a
// merges/vocabulary file that must load or fail with clipscope::Error.
#include <fstream>
#include <memory>
#include <string>

#include "clipscope/base/error.h"
#include "clipscope/model/tokenizer.h"
#include "fuzz_input_file.h"

namespace {

// A tiny merges.txt-style vocabulary (bytes + a few merges) written once.
const clipscope::Tokenizer& toy_tokenizer() {
    static std::unique_ptr<clipscope::Tokenizer> tokenizer;
    if (!tokenizer) {
        const std::string path =
            std::string(getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") + "/clipscope-fuzz-vocab.txt";
        std::ofstream out(path);
        out << "#version: 0.2\nt h\nth e</w>\na </w>\np h\nph o\npho t\nphot o</w>\n";
        out.close();
        tokenizer = std::make_unique<clipscope::Tokenizer>(clipscope::Tokenizer::load(path));
    }
    return *tokenizer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        if (data[0] % 2 == 0) {
            (void)toy_tokenizer().tokenize({text}, 77);
        } else {
            const std::string path = clipscope::fuzz::input_file(data + 1, size - 1, ".txt");
            const auto t = clipscope::Tokenizer::load(path);
            (void)t.tokenize({"a photo of a cat"}, 77);
        }
    } catch (const clipscope::Error&) {
    }
    return 0;
}
