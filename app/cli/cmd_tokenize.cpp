#include <filesystem>

#include "cli_common.h"
#include "clipscope/base/error.h"
#include "clipscope/model/model_source.h"
#include "clipscope/model/tokenizer.h"
#include "commands.h"

namespace clipscope::cli {

void register_tokenize(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "tokenize",
        "Print the token ids of texts as a JSON array of id lists (CLIP: SOT + BPE ids + EOT, 0-padded; SigLIP: "
        "SentencePiece ids + </s>, padded with </s>)");
    struct Options {
        ModelOptions model;
        std::vector<std::string> texts;
        std::string texts_file;
        int64_t context_length = 77;
    };
    auto o = std::make_shared<Options>();
    add_model_options(*cmd, o->model, /*model_required=*/false);
    cmd->add_option("texts", o->texts, "Texts to tokenize");
    cmd->add_option("--texts-file", o->texts_file, "File with one text per line");
    auto* context = cmd->add_option("--context-length", o->context_length,
                                    "Context length when no model is given (a SigLIP spiece.model: 64)");
    context->capture_default_str();
    cmd->footer(
        "Examples:\n  clipscope-cli tokenize --vocab bpe_simple_vocab_16e6.txt.gz \"a photo of a cat\"\n"
        "  clipscope-cli tokenize --vocab spiece.model \"a photo of a cat\"   (SigLIP's SiglipTokenizer)\n"
        "  clipscope-cli tokenize --model hf-hub:laion/CLIP-ViT-B-16-laion2B-s34B-b88K --texts-file prompts.txt");
    cmd->callback([o, context] {
        const auto texts = collect_texts(o->texts, o->texts_file);
        Int64Array ids;
        if (!o->model.model.empty()) {
            const ClipModel model = load_model(o->model);
            ids = model.tokenizer().tokenize(texts, model.config().text.context_length);
        } else {
            if (o->model.vocab.empty()) throw_usage("tokenize needs --model or --vocab");
            // A SentencePiece model is SigLIP's (SiglipTokenizer), trained with a context of 64.
            const bool siglip = std::filesystem::path(o->model.vocab).extension() == ".model";
            const Tokenizer tokenizer =
                siglip ? Tokenizer::load_siglip(o->model.vocab) : Tokenizer::load(o->model.vocab);
            ids = tokenizer.tokenize(texts, siglip && context->count() == 0 ? 64 : o->context_length);
        }
        nlohmann::json out = nlohmann::json::array();
        const int64_t C = ids.shape[1];
        for (int64_t i = 0; i < ids.shape[0]; ++i)
            out.push_back(std::vector<int64_t>(ids.data.begin() + i * C, ids.data.begin() + (i + 1) * C));
        std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    });
}

}  // namespace clipscope::cli
