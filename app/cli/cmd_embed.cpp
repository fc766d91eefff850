#include "cli_common.h"
#include "clipscope/io/image.h"
#include "clipscope/io/npy.h"
#include "commands.h"

#include <spdlog/spdlog.h>

namespace clipscope::cli {

void register_embed(CLI::App& app) {
    {
        auto* cmd = app.add_subcommand("embed-text",
                                       "Write unnormalised text embeddings [n, E] (float32 .npy), like encode_text");
        struct Options {
            ModelOptions model;
            std::string out;
            std::vector<std::string> texts;
            std::string texts_file;
        };
        auto o = std::make_shared<Options>();
        add_model_options(*cmd, o->model);
        add_text_embedding_options(*cmd, o->model);  // rows of the given files: a subset, reordered
        cmd->add_option("--out,-o", o->out, "Output .npy")->required();
        // Positional "text", not "texts": that is the long option --texts (with --text-embeddings).
        cmd->add_option("text", o->texts, "Texts");
        cmd->add_option("--texts-file", o->texts_file, "File with one text per line");
        cmd->footer(
            "Example:\n  clipscope-cli embed-text --model M --out t.npy \"a photo of a dog\" \"a photo of a cat\"");
        cmd->callback([o] {
            guard_outputs({with_model_inputs(o->model, {o->texts_file}), {}, {o->out}});
            const auto texts = collect_texts(o->texts, o->texts_file);
            const ClipModel model = load_model(o->model);
            const FloatArray e = model.encode_texts(texts);
            write_npy(o->out, e);
            spdlog::info("wrote {} {} ({}, {})", o->out, shape_to_string(e.shape), model.info().spec,
                         model.config().name);
        });
    }
    {
        auto* cmd = app.add_subcommand("embed-image",
                                       "Write unnormalised image embeddings [n, E] (float32 .npy), like encode_image");
        struct Options {
            ModelOptions model;
            std::string out;
            std::vector<std::string> images;
        };
        auto o = std::make_shared<Options>();
        add_model_options(*cmd, o->model);
        cmd->add_option("--out,-o", o->out, "Output .npy")->required();
        cmd->add_option("images", o->images, "Image files")->required();
        cmd->footer("Example:\n  clipscope-cli embed-image --model M --out img.npy dog.jpg cat.png");
        cmd->callback([o] {
            guard_outputs({with_model_inputs(o->model, o->images), {}, {o->out}});  // --out img.png img.png
            const ClipModel model = load_model(o->model);
            const FloatArray e = model.encode_image(load_preprocessed_batch(o->images, model.config().preprocess));
            write_npy(o->out, e);
            spdlog::info("wrote {} {} ({}, {})", o->out, shape_to_string(e.shape), model.info().spec,
                         model.config().name);
        });
    }
}

}  // namespace clipscope::cli
