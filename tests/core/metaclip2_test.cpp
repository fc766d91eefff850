// MetaCLIP 2 in the transformers layout: CLIP's graph under other class names, its text tower
// pooled at the first EOS whatever the EOS id, and a multilingual tokenizer ClipScope refuses.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "clipscope/base/error.h"
#include "clipscope/model/clip_model.h"
#include "test_support.h"

namespace clipscope {
namespace {

nlohmann::json read_json(const std::string& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

// Ids whose first 2 (MetaCLIP 2's EOS in XLM-V) is not where the largest id is.
Int64Array ids_with_eos_before_the_maximum(int64_t context) {
    Int64Array ids({1, context});
    for (int64_t i = 0; i < context; ++i) ids.data[i] = 5 + (i * 3) % 17;
    ids.data[4] = 2;
    ids.data[9] = 40;  // the largest id: where CLIP's legacy pooling (eos_token_id 2) reads
    return ids;
}

TEST(MetaClip2, TheTextTowerPoolsAtTheFirstEosAndItsTokenizerIsRefused) {
    const ClipConfig c = builtin_architecture("tiny");
    const auto weights = random_state_dict(c, 11);
    test::TempDir dir;
    write_checkpoint(dir.path("clip"), ModelFormat::HfTransformers, c, weights);
    nlohmann::json config = read_json(dir.path("clip/config.json"));
    config["text_config"]["eos_token_id"] = 2;
    test::write_bytes(dir.path("clip/config.json"), config.dump(2));
    std::filesystem::copy(dir.path("clip"), dir.path("metaclip2"));
    config["model_type"] = "metaclip_2";
    config["text_config"]["model_type"] = "metaclip_2_text_model";
    config["vision_config"]["model_type"] = "metaclip_2_vision_model";
    test::write_bytes(dir.path("metaclip2/config.json"), config.dump(2));

    const ClipModel clip = ClipModel::load(dir.path("clip"));
    const ClipModel metaclip2 = ClipModel::load(dir.path("metaclip2"));
    EXPECT_EQ(clip.config().text.pooling, TextPooling::Argmax);  // transformers' legacy rule for eos_token_id 2
    EXPECT_EQ(metaclip2.config().text.pooling, TextPooling::Eos);
    EXPECT_EQ(metaclip2.config().text.eos_id, 2);

    // The same weights pooled at the first EOS: what MetaClip2TextTransformer computes.
    ClipConfig at_eos = clip.config();
    at_eos.text.pooling = TextPooling::Eos;
    at_eos.text.eos_id = 2;
    const ClipModel expected = ClipModel::create(at_eos, clip.state_dict());
    const Int64Array ids = ids_with_eos_before_the_maximum(c.text.context_length);
    EXPECT_EQ(test::max_abs_diff(metaclip2.encode_text(ids), expected.encode_text(ids)), 0.0);
    EXPECT_GT(test::max_abs_diff(metaclip2.encode_text(ids), clip.encode_text(ids)), 1e-4);
    const FloatArray pixels = test::random_pixels(1, c.vision.image_size, 2);
    EXPECT_EQ(test::max_abs_diff(metaclip2.encode_image(pixels), clip.encode_image(pixels)), 0.0);

    // Its tokenizer is not CLIP's BPE: texts are refused naming it, and --vocab is refused.
    EXPECT_FALSE(metaclip2.has_tokenizer());
    try {
        metaclip2.encode_texts({"a cat"});
        ADD_FAILURE() << "a MetaCLIP 2 text was tokenized";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
        EXPECT_NE(std::string(e.what()).find("MetaCLIP 2"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("--text-embeddings"), std::string::npos) << e.what();
    }
    LoadOptions with_vocab;
    with_vocab.vocab_path = test::vocab_path();
    if (!std::filesystem::exists(with_vocab.vocab_path)) return;  // ../shared is absent
    try {
        ClipModel::load(dir.path("metaclip2"), with_vocab);
        ADD_FAILURE() << "CLIP's vocabulary was taken for MetaCLIP 2";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Usage);
        EXPECT_NE(std::string(e.what()).find("would give other token ids"), std::string::npos) << e.what();
    }
}

TEST(MetaClip2, AVisionOnlyCheckpointLoadsAsCLIPsDoes) {
    const std::string fixture = std::string(CLIPSCOPE_OPTION_FIXTURES) + "/hf_vision_only";
    test::TempDir dir;
    std::filesystem::copy(fixture, dir.path("m"));
    nlohmann::json config = read_json(dir.path("m/config.json"));
    config["model_type"] = "metaclip_2_vision_model";
    test::write_bytes(dir.path("m/config.json"), config.dump(2));
    const ClipModel clip = ClipModel::load(fixture), metaclip2 = ClipModel::load(dir.path("m"));
    EXPECT_FALSE(metaclip2.config().text_tower);
    const FloatArray pixels = test::random_pixels(1, clip.config().vision.image_size, 4);
    EXPECT_EQ(test::max_abs_diff(metaclip2.encode_image(pixels), clip.encode_image(pixels)), 0.0);
}

}  // namespace
}  // namespace clipscope
