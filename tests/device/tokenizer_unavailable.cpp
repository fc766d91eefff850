// The device check links the core without its tokenizer (ICU and zlib are not on
// the GPU machine). Loading a vocabulary there is an explicit error.
#include "clipscope/base/error.h"
#include "clipscope/model/tokenizer.h"

namespace clipscope {
struct Tokenizer::Impl {};
Tokenizer::Tokenizer() = default;
Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer Tokenizer::load(const std::string& path) {
    throw Error(ErrorKind::Unsupported, path + ": no tokenizer in the device check build");
}
int64_t Tokenizer::sot_id() const { return 0; }
int64_t Tokenizer::eot_id() const { return 0; }
int64_t Tokenizer::vocab_size() const { return 0; }
const std::string& Tokenizer::source() const {
    static const std::string none;
    return none;
}
std::vector<int64_t> Tokenizer::encode(const std::string&) const { return {}; }
Int64Array Tokenizer::tokenize(const std::vector<std::string>&, int64_t) const { return {}; }
std::string Tokenizer::clean(const std::string& text) { return text; }
}  // namespace clipscope
