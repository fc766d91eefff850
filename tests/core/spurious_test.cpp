#include "clipscope/analysis/spurious.h"

#include <set>

#include "clipscope/io/csv_table.h"
#include "clipscope/base/error.h"
#include "test_support.h"

namespace clipscope {
namespace {

TEST(Spurious, GroupReportHasWorstAndMeanOverGroups) {
    // Groups a: 2/2 right, b: 1/3 right; one image not evaluated.
    const std::vector<int64_t> labels = {0, 1, 0, 0, 1, -1};
    const std::vector<int64_t> predictions = {0, 1, 1, 0, 0, 1};
    const std::vector<std::string> groups = {"a", "a", "b", "b", "b", "a"};
    const GroupReport r = group_report(predictions, labels, groups);
    ASSERT_EQ(r.groups.size(), 2u);
    EXPECT_EQ(r.groups[0].group, "a");
    EXPECT_EQ(r.groups[0].total, 2);
    EXPECT_DOUBLE_EQ(r.groups[1].accuracy(), 100.0 / 3);
    EXPECT_DOUBLE_EQ(r.worst, 100.0 / 3);
    EXPECT_EQ(r.worst_group, "b");
    EXPECT_DOUBLE_EQ(r.overall, 60.0);
    EXPECT_DOUBLE_EQ(r.group_mean, (100.0 + 100.0 / 3) / 2);
    EXPECT_THROW(group_report({0}, {-1}, {"a"}), Error);
    EXPECT_THROW(group_report({0, 1}, {0}, {"a"}), Error);
}

TEST(Spurious, PresetsAreTheReferenceListsWithDuplicatesOnce) {
    EXPECT_EQ(preset_heads("ViT-B-16", "geolocation"), (HeadList{{11, 6}, {11, 0}}));
    EXPECT_EQ(preset_heads("ViT-B-16", "both").size(), 7u);
    EXPECT_EQ(preset_heads("ViT-L-14", "image-setting").size(), 10u);
    EXPECT_EQ(preset_heads("ViT-L-14", "both").size(), 15u);  // (22,12) is in both lists
    EXPECT_EQ(preset_heads("ViT-H-14", "both").size(), 9u);
    EXPECT_THROW(preset_heads("ViT-B-32", "both"), Error);
    EXPECT_THROW(preset_heads("ViT-B-16", "colour"), Error);
}

TEST(Spurious, RandomHeadsAreDistinctInRangeAndReproducible) {
    const HeadList a = random_heads(12, 12, 4, 7, 3), b = random_heads(12, 12, 4, 7, 3),
                   c = random_heads(12, 12, 4, 7, 4);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    EXPECT_EQ(std::set(a.begin(), a.end()).size(), 7u);
    for (const auto& [l, h] : a) {
        EXPECT_GE(l, 8);
        EXPECT_LT(l, 12);
        EXPECT_GE(h, 0);
        EXPECT_LT(h, 12);
    }
    EXPECT_EQ(random_heads(3, 2, 1, 2, 0), (HeadList{{2, 0}, {2, 1}}));  // the whole pool
    EXPECT_THROW(random_heads(3, 2, 1, 3, 0), Error);
    // Pinned so a change of generator (and of every published control) cannot pass unnoticed.
    EXPECT_EQ(random_heads(12, 12, 4, 3, 0), (HeadList{{9, 3}, {10, 6}, {11, 5}}));
}

TEST(Spurious, KeywordsMatchDescriptionsCaseInsensitively) {
    const std::vector<HeadDescriptions> heads = {
        {10, 1, {"Photo taken in Paris", "a red car"}}, {11, 2, {"a dog"}}, {11, 3, {"LOCATION: beach"}}};
    EXPECT_EQ(heads_matching_keywords(heads, {"paris", "location"}), (HeadList{{10, 1}, {11, 3}}));
    EXPECT_TRUE(heads_matching_keywords(heads, {"zebra"}).empty());
    EXPECT_THROW(heads_matching_keywords(heads, {""}), Error);
}

TEST(CsvTable, QuotesBomBlankLinesAndErrors) {
    test::TempDir dir;
    test::write_bytes(
        dir.path("m.csv"),
        "\xEF\xBB\xBFimg_filename,y,note\r\n\"a/b, c.jpg\",1,\"say \"\"hi\"\"\"\r\n\r\nd.jpg,0,\"two\nlines\"\n");
    const CsvTable t = read_csv(dir.path("m.csv"));
    EXPECT_EQ(t.header, (std::vector<std::string>{"img_filename", "y", "note"}));
    ASSERT_EQ(t.rows.size(), 2u);
    EXPECT_EQ(t.rows[0][0], "a/b, c.jpg");
    EXPECT_EQ(t.rows[0][2], "say \"hi\"");
    EXPECT_EQ(t.rows[1][2], "two\nlines");
    EXPECT_EQ(t.column("y"), 1u);
    try {
        t.column("place");
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("img_filename, y, note"), std::string::npos) << e.what();
    }
    test::write_bytes(dir.path("bad.csv"), "a,b\n1,2,3\n");
    EXPECT_THROW(read_csv(dir.path("bad.csv")), Error);
    test::write_bytes(dir.path("open.csv"), "a,b\n\"1,2\n");
    EXPECT_THROW(read_csv(dir.path("open.csv")), Error);
    test::write_bytes(dir.path("empty.csv"), "");
    EXPECT_THROW(read_csv(dir.path("empty.csv")), Error);
}

}  // namespace
}  // namespace clipscope
