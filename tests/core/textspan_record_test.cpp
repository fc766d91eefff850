// The TextSpan result file: written once, read back the same; old app files and bad
// files are handled as the readers promise.
#include "clipscope/analysis/textspan_record.h"

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "test_support.h"

namespace clipscope {
namespace {

TextSpanRecord sample() {
    TextSpanRecord r;
    r.model = TextSpanModelRecord{"random:tiny", "random", "tiny", std::string("")};
    r.settings.rank = 16;
    r.settings.per_head = 2;
    r.settings.texts = "pool.tsv";
    r.settings.images = 40;
    r.settings.store = "store";
    r.settings.last_layers = 1;
    r.heads.push_back({int64_t{2}, int64_t{3}, 0.75, {{4, "a red shape", 0.5}, {0, "caf\xc3\xa9", 0.25}}});
    return r;
}

TEST(TextSpanRecordFile, RoundTripsThroughTheFile) {
    test::TempDir dir;
    write_textspan_record(dir.path("r.json"), sample());
    const TextSpanRecord back = read_textspan_record(dir.path("r.json"));
    ASSERT_TRUE(back.model.has_value());
    EXPECT_EQ(back.model->architecture, "tiny");
    EXPECT_EQ(back.model->weights, std::optional<std::string>(""));
    EXPECT_EQ(back.settings.store, "store");
    EXPECT_EQ(back.settings.last_layers, 1);
    ASSERT_EQ(back.heads.size(), 1u);
    EXPECT_EQ(back.heads[0].layer, std::optional<int64_t>(2));
    EXPECT_EQ(back.heads[0].texts.at(1).text, "caf\xc3\xa9");
    EXPECT_EQ(back.heads[0].texts.at(0).index, 4);
    EXPECT_EQ(textspan_record_json(back), textspan_record_json(sample()));
}

TEST(TextSpanRecordFile, MatrixResultsHaveNoHeadAndNoStore) {
    TextSpanRecord r = sample();
    r.model.reset();
    r.settings.store.clear();
    r.settings.matrix = "head.npy";
    r.heads[0].layer.reset();
    r.heads[0].head.reset();
    const std::string json = textspan_record_json(r);
    EXPECT_NE(json.find("\"layer\": null"), std::string::npos);
    EXPECT_NE(json.find("\"model\": null"), std::string::npos);
    EXPECT_EQ(json.find("last_layers"), std::string::npos);
}

TEST(TextSpanRecordFile, ReadsTheAppsEarlierFormat) {
    test::TempDir dir;
    test::write_bytes(dir.path("old.json"),
                      R"({"model": "random:tiny", "descriptions": "/d/pool.tsv", "settings": {"rank": 8, "per_head": 1},
                          "heads": [{"layer": 0, "head": 1, "total_variance_explained": 0.5,
                                     "texts": [{"index": 3, "text": "water", "variance_explained": 0.5}]}]})");
    const TextSpanRecord r = read_textspan_record(dir.path("old.json"));
    EXPECT_EQ(r.model->spec, "random:tiny");
    EXPECT_EQ(r.settings.texts, "/d/pool.tsv");
    EXPECT_EQ(r.heads.at(0).texts.at(0).text, "water");
}

TEST(TextSpanRecordFile, BadFilesAreInputErrorsNamingTheFile) {
    test::TempDir dir;
    for (const std::string bytes :
         {"", "not json", "[1, 2]", R"({"heads": 3})",
          R"({"heads": [{"layer": 1, "head": null, "total_variance_explained": 0, "texts": []}]})",
          R"({"heads": [{"layer": -1, "head": 2, "total_variance_explained": 0, "texts": []}]})",
          R"({"heads": [{"layer": 1, "head": 2, "texts": [{"text": 5, "variance_explained": 0}]}]})"}) {
        test::write_bytes(dir.path("bad.json"), bytes);
        try {
            read_textspan_record(dir.path("bad.json"));
            ADD_FAILURE() << "accepted: " << bytes;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::InputFile) << bytes;
            EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
        }
    }
}

TEST(TextSpanRecordFile, AResultForAnotherModelIsToldApartFromOneThatFits) {
    const TextSpanRecord r = sample();  // tiny, layer 2 head 3
    EXPECT_EQ(textspan_record_mismatch(r, "tiny", 4, 4), "");
    EXPECT_NE(textspan_record_mismatch(r, "ViT-B-16", 12, 12).find("a tiny model, not of ViT-B-16"), std::string::npos);
    EXPECT_NE(textspan_record_mismatch(r, "tiny", 2, 4).find("layer 2, head 3"), std::string::npos);
    EXPECT_NE(textspan_record_mismatch(r, "tiny", 4, 3).find("4 layers x 3 heads"), std::string::npos);
    TextSpanRecord bare = r;  // no model recorded: judged by its heads alone
    bare.model.reset();
    EXPECT_EQ(textspan_record_mismatch(bare, "ViT-B-16", 12, 12), "");
}

}  // namespace
}  // namespace clipscope
