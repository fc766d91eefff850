// Texts from files (--text-embeddings / --texts) and checkpoints whose text side is not run.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

#include "clipscope/base/error.h"
#include "clipscope/io/npy.h"
#include "clipscope/io/safetensors.h"
#include "clipscope/model/clip_model.h"
#include "clipscope/model/text_embedding_table.h"
#include "test_support.h"

namespace clipscope {
namespace {

FloatArray rows(int64_t n, int64_t E, float offset = 0.f) {
    FloatArray a({n, E});
    for (size_t i = 0; i < a.data.size(); ++i) a.data[i] = offset + 0.01f * static_cast<float>(i % 97) - 0.3f;
    return a;
}

// Runs `f`, expecting an Error of `kind` whose message holds every needle.
template <typename F>
void expect_error(F&& f, ErrorKind kind, const std::vector<std::string>& needles) {
    try {
        f();
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), kind) << e.what();
        for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
    }
}

struct Files {
    test::TempDir dir;
    std::string npy = dir.path("t.npy"), texts = dir.path("t.txt");
    Files(const FloatArray& a, const std::string& lines) {
        write_npy(npy, a);
        test::write_bytes(texts, lines);
    }
};

TEST(TextEmbeddingTable, RowsAreLookedUpByTheirLine) {
    const FloatArray a = rows(3, 8);
    Files f(a, "a cat\na dog\r\na bird\n");
    const TextEmbeddingTable t = TextEmbeddingTable::read(f.npy, f.texts, 8);
    EXPECT_EQ(t.size(), 3);
    const FloatArray got = t.lookup({"a bird", "a cat", "a bird"});
    ASSERT_EQ(got.shape, (Shape{3, 8}));
    for (int64_t e = 0; e < 8; ++e) {
        EXPECT_EQ(got.data[e], a.data[2 * 8 + e]);
        EXPECT_EQ(got.data[8 + e], a.data[e]);
        EXPECT_EQ(got.data[16 + e], a.data[2 * 8 + e]);
    }
    EXPECT_FALSE(t.embeddings_fingerprint().empty());
    // A text that is no line is refused naming the texts file and the text; no near match is used.
    expect_error([&] { t.lookup({"a cat "}); }, ErrorKind::InputFile, {f.texts, "has no line 'a cat '"});
}

TEST(TextEmbeddingTable, FilesThatDoNotFitAreRefusedNamingTheFile) {
    {
        Files f(rows(2, 8), "a\nb\n");
        expect_error([&] { TextEmbeddingTable::read(f.npy, f.texts, 16); }, ErrorKind::InputFile,
                     {f.npy, "rows of 8 values", "have 16"});
    }
    {
        Files f(rows(3, 8), "a\nb\n");
        expect_error([&] { TextEmbeddingTable::read(f.npy, f.texts, 8); }, ErrorKind::InputFile,
                     {f.texts, "2 lines", "3 rows"});
    }
    {
        Files f(rows(3, 8), "a\n\nc\n");
        expect_error([&] { TextEmbeddingTable::read(f.npy, f.texts, 8); }, ErrorKind::InputFile,
                     {f.texts, "line 2 is empty"});
    }
    {
        Files f(rows(3, 8), "a\nb\na\n");
        expect_error([&] { TextEmbeddingTable::read(f.npy, f.texts, 8); }, ErrorKind::InputFile,
                     {f.texts, "line 3 repeats line 1"});
    }
    {
        FloatArray a = rows(2, 8);
        std::fill(a.data.begin() + 8, a.data.end(), 0.f);
        Files f(a, "a\nb\n");
        expect_error([&] { TextEmbeddingTable::read(f.npy, f.texts, 8); }, ErrorKind::InputFile,
                     {f.npy, "row 1 ('b') is all zeros"});
    }
    {
        Files f(FloatArray({8}, std::vector<float>(8, 1.f)), "a\n");
        expect_error([&] { TextEmbeddingTable::read(f.npy, f.texts, 8); }, ErrorKind::InputFile, {f.npy, "[N, E]"});
    }
    {
        FloatArray a = rows(2, 8);
        a.data[3] = std::nanf("");
        Files f(a, "a\nb\n");
        expect_error([&] { TextEmbeddingTable::read(f.npy, f.texts, 8); }, ErrorKind::InputFile, {f.npy, "non-finite"});
    }
}

ClipModel tiny_model(const LoadOptions& options = {}) {
    const ClipConfig c = builtin_architecture("tiny");
    return ClipModel::create(c, random_state_dict(c, 3), options);
}

TEST(TextEmbeddingTable, AModelTakesItsTextsFromTheFilesWhenGiven) {
    const ClipModel plain = tiny_model();
    const int64_t E = plain.config().embed_dim;
    Files f(rows(2, E, 0.5f), "one\ntwo\n");
    LoadOptions o;
    o.text_embeddings = f.npy;
    o.text_embedding_texts = f.texts;
    const ClipModel model = tiny_model(o);
    ASSERT_NE(model.text_embeddings(), nullptr);
    EXPECT_EQ(test::max_abs_diff(model.encode_texts({"two"}), model.text_embeddings()->lookup({"two"})), 0.0);
    // The tower still embeds token ids, and the image side is the same model.
    EXPECT_TRUE(model.has_logit_scale());
    EXPECT_EQ(test::max_abs_diff(model.encode_image(test::random_pixels(1, model.config().vision.image_size, 1)),
                                 plain.encode_image(test::random_pixels(1, plain.config().vision.image_size, 1))),
              0.0);
    // Half of the pair is a usage error naming the missing flag.
    LoadOptions half;
    half.text_embeddings = f.npy;
    expect_error([&] { tiny_model(half); }, ErrorKind::Usage, {"needs --texts"});
    half = {};
    half.text_embedding_texts = f.texts;
    expect_error([&] { tiny_model(half); }, ErrorKind::Usage, {"--text-embeddings"});
}

// An open_clip checkpoint whose text tower is a Hugging Face model: written as open_clip
// does (visual.*, text.transformer.*, text.proj.*, logit_scale), loaded without its text tower.
TEST(TextTowerNotRun, AHuggingFaceTextTowerLoadsTheImageTowerAlone) {
    const ClipConfig c = builtin_architecture("tiny");
    const auto weights = random_state_dict(c, 5);
    test::TempDir dir;
    write_checkpoint(dir.path("full"), ModelFormat::OpenClipSafetensors, c, weights);
    const ClipModel full = ClipModel::load(dir.path("full"));

    std::map<std::string, FloatArray> hf;
    for (const auto& [key, value] : weights)
        if (key.rfind("visual.", 0) == 0) hf[key] = value;
    hf["text.transformer.embeddings.word_embeddings.weight"] = rows(50, 16);
    hf["text.transformer.encoder.layer.0.attention.self.query.weight"] = rows(16, 16);
    hf["text.proj.0.weight"] = rows(c.embed_dim, 16);
    hf["logit_scale"] = FloatArray({}, std::vector<float>{4.6f});
    std::filesystem::create_directories(dir.path("hf"));
    write_safetensors(dir.path("hf/open_clip_model.safetensors"), hf);
    nlohmann::json config;
    {
        std::ifstream in(dir.path("full/open_clip_config.json"));
        config = nlohmann::json::parse(in);
    }
    nlohmann::json& text = config.contains("model_cfg") ? config["model_cfg"]["text_cfg"] : config["text_cfg"];
    text = {{"hf_model_name", "xlm-roberta-base"},
            {"hf_tokenizer_name", "xlm-roberta-base"},
            {"hf_proj_type", "mlp"},
            {"hf_pooler_type", "mean_pooler"},
            {"width", 16}};
    test::write_bytes(dir.path("hf/open_clip_config.json"), config.dump(2));

    const ClipModel model = ClipModel::load(dir.path("hf"));
    EXPECT_FALSE(model.config().text_tower);
    EXPECT_NE(model.config().text_unavailable.find("text_cfg.hf_model_name = \"xlm-roberta-base\""), std::string::npos)
        << model.config().text_unavailable;
    EXPECT_NE(model.config().text_unavailable.find("text_cfg.hf_tokenizer_name"), std::string::npos);
    // The checkpoint's own temperature is kept: zero-shot probabilities stay the checkpoint's.
    ASSERT_TRUE(model.has_logit_scale());
    EXPECT_FLOAT_EQ(model.logit_scale(), std::exp(4.6f));
    // The image tower is exactly the full checkpoint's.
    const FloatArray pixels = test::random_pixels(2, c.vision.image_size, 9);
    EXPECT_EQ(test::max_abs_diff(model.encode_image(pixels), full.encode_image(pixels)), 0.0);
    // Texts are refused as unsupported, naming the field and the way out.
    expect_error([&] { model.encode_texts({"a cat"}); }, ErrorKind::Unsupported,
                 {"text_cfg.hf_model_name", "--text-embeddings"});

    // With the texts as files, the same checkpoint serves them.
    Int64Array ids({2, c.text.context_length});
    for (size_t i = 0; i < ids.data.size(); ++i) ids.data[i] = static_cast<int64_t>((i * 7) % 40);
    const FloatArray text_rows = full.encode_text(ids);  // a random model has no vocabulary
    write_npy(dir.path("t.npy"), text_rows);
    test::write_bytes(dir.path("t.txt"), "a cat\na dog\n");
    LoadOptions o;
    o.text_embeddings = dir.path("t.npy");
    o.text_embedding_texts = dir.path("t.txt");
    const ClipModel with_texts = ClipModel::load(dir.path("hf"), o);
    const FloatArray dog = with_texts.encode_texts({"a dog"});
    EXPECT_TRUE(std::equal(dog.data.begin(), dog.data.end(), text_rows.data.begin() + c.embed_dim));

    // An unknown text field is still refused by name: only known, refused values drop the tower.
    text["no_such_field"] = 1;
    test::write_bytes(dir.path("hf/open_clip_config.json"), config.dump(2));
    expect_error([&] { ClipModel::load(dir.path("hf")); }, ErrorKind::Model, {"text_cfg.no_such_field"});
}

}  // namespace
}  // namespace clipscope
