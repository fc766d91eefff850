#include "sentencepiece_model.h"

#include <dlfcn.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "sentencepiece_abi.h"

namespace clipscope {

namespace fs = std::filesystem;

// The module's entry points, resolved once per process; the module stays loaded.
struct SentencePieceModel::Module {
    clipscope_spm_load_fn load = nullptr;
    clipscope_spm_free_fn free = nullptr;
    clipscope_spm_vocab_size_fn vocab_size = nullptr;
    clipscope_spm_piece_id_fn piece_id = nullptr;
    clipscope_spm_encode_fn encode = nullptr;
};

namespace {

constexpr const char* kModuleName = "libclipscope_sentencepiece.so";

// Where the module may be: CLIPSCOPE_SENTENCEPIECE_MODULE (a file), beside the executable's
// PREFIX/bin in PREFIX/lib/clipscope (an install, and build/app -> build/lib/clipscope), and
// the build tree it was built in (tests run from other folders).
std::vector<std::string> module_candidates() {
    std::vector<std::string> out;
    if (const char* env = std::getenv("CLIPSCOPE_SENTENCEPIECE_MODULE"); env && *env) out.emplace_back(env);
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) out.push_back((exe.parent_path().parent_path() / "lib" / "clipscope" / kModuleName).string());
#ifdef CLIPSCOPE_SENTENCEPIECE_BUILD_DIR
    out.push_back((fs::path(CLIPSCOPE_SENTENCEPIECE_BUILD_DIR) / kModuleName).string());
#endif
    return out;
}

std::shared_ptr<const SentencePieceModel::Module> load_module() {
    static std::mutex mutex;
    static std::shared_ptr<const SentencePieceModel::Module> loaded;
    const std::lock_guard<std::mutex> lock(mutex);
    if (loaded) return loaded;
    std::string tried;
    for (const std::string& path : module_candidates()) {
        std::error_code ec;
        if (!fs::is_regular_file(path, ec)) {
            tried += "\n  " + path + " (not there)";
            continue;
        }
        // A link namespace of its own: libsentencepiece's bundled protobuf-lite must bind to
        // itself, not to the libprotobuf already loaded for LibTorch (sentencepiece_abi.h).
        // RTLD_DEEPBIND did that too, but sanitizer runtimes refuse it.
        void* so = dlmopen(LM_ID_NEWLM, path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!so) {
            tried += "\n  " + path + " (" + dlerror() + ")";
            continue;
        }
        const auto version = reinterpret_cast<clipscope_spm_abi_version_fn>(dlsym(so, "clipscope_spm_abi_version"));
        auto m = std::make_shared<SentencePieceModel::Module>();
        m->load = reinterpret_cast<clipscope_spm_load_fn>(dlsym(so, "clipscope_spm_load"));
        m->free = reinterpret_cast<clipscope_spm_free_fn>(dlsym(so, "clipscope_spm_free"));
        m->vocab_size = reinterpret_cast<clipscope_spm_vocab_size_fn>(dlsym(so, "clipscope_spm_vocab_size"));
        m->piece_id = reinterpret_cast<clipscope_spm_piece_id_fn>(dlsym(so, "clipscope_spm_piece_id"));
        m->encode = reinterpret_cast<clipscope_spm_encode_fn>(dlsym(so, "clipscope_spm_encode"));
        if (!version || version() != CLIPSCOPE_SPM_ABI_VERSION || !m->load || !m->free || !m->vocab_size ||
            !m->piece_id || !m->encode) {
            tried += "\n  " + path + " (another version of the module)";
            dlclose(so);
            continue;
        }
        loaded = m;
        return loaded;
    }
    throw Error(ErrorKind::Unsupported, "SentencePiece tokenizers need ClipScope's SentencePiece module (" +
                                            std::string(kModuleName) +
                                            ", built with libsentencepiece), which was not found:" + tried +
                                            "\nReinstall ClipScope, or set CLIPSCOPE_SENTENCEPIECE_MODULE to the file");
}

}  // namespace

std::shared_ptr<const SentencePieceModel> SentencePieceModel::load(const std::string& path, bool no_dummy_prefix) {
    // Google's SentencePiece models are under 5 MB; Gemma's 256k-piece one about 4.2 MB.
    const std::string bytes = read_file_bytes(path, 64 << 20);
    if (bytes.empty()) throw_input(path, "is empty: not a SentencePiece model");
    std::shared_ptr<SentencePieceModel> model(new SentencePieceModel());
    model->module_ = load_module();
    model->source_ = path;
    char error[512] = {0};
    model->handle_ = model->module_->load(bytes.data(), bytes.size(), no_dummy_prefix ? 1 : 0, error, sizeof error);
    if (!model->handle_) {
        // libsentencepiece names its own source line; a file that does not parse is the usual cause.
        const std::string why =
            std::string(error).find("ParseFromArray") != std::string::npos
                ? "its bytes do not parse as a SentencePiece ModelProto (cut short or another file?)"
                : std::string(error);
        throw_input(path, "is not a SentencePiece model: " + why);
    }
    model->pieces_ = read_sentencepiece_pieces(bytes, path);
    if (static_cast<int64_t>(model->pieces_.size()) != model->vocab_size())
        throw_input(path, "lists " + std::to_string(model->pieces_.size()) + " pieces where libsentencepiece reads " +
                              std::to_string(model->vocab_size()));
    return model;
}

SentencePieceModel::~SentencePieceModel() {
    if (handle_) module_->free(handle_);
}

int64_t SentencePieceModel::vocab_size() const { return module_->vocab_size(handle_); }

int64_t SentencePieceModel::piece_id(const std::string& piece) const {
    return module_->piece_id(handle_, piece.c_str());
}

std::vector<int64_t> SentencePieceModel::encode(const std::string& text) const {
    std::vector<int> ids(text.size() + 16);
    char error[512] = {0};
    long n = module_->encode(handle_, text.data(), text.size(), ids.data(), ids.size(), error, sizeof error);
    if (n > static_cast<long>(ids.size())) {  // more pieces than bytes cannot happen, but ask again if so
        ids.resize(static_cast<size_t>(n));
        n = module_->encode(handle_, text.data(), text.size(), ids.data(), ids.size(), error, sizeof error);
    }
    if (n < 0) throw Error(ErrorKind::Unsupported, source_ + ": SentencePiece could not encode a text: " + error);
    return std::vector<int64_t>(ids.begin(), ids.begin() + n);
}

}  // namespace clipscope
