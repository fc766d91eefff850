// The spurious-cue experiment's bookkeeping (spurious_protocol.h): which store image
// each metadata row is, with which label and group, and which ablations are compared.
#include "clipscope/analysis/spurious_protocol.h"

#include <set>

#include "clipscope/base/error.h"
#include "test_support.h"

namespace clipscope {
namespace {

CsvTable waterbirds_rows(std::vector<std::vector<std::string>> rows) {
    CsvTable t;
    t.path = "metadata.csv";
    t.header = {"img_id", "img_filename", "y", "split", "place"};
    t.rows = std::move(rows);
    return t;
}

StoreInfo store_of(const std::vector<std::string>& paths) {
    StoreInfo s = test::store_info(4, 2, 3, 2, static_cast<int64_t>(paths.size()));
    for (size_t i = 0; i < paths.size(); ++i) s.images[i].path = paths[i];
    return s;
}

std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

TEST(GroupedLabels, RowsMatchTheLongestPathSuffixAndOnlyTheChosenSplitIsEvaluated) {
    // Two species folders hold a file of the same name: the folder decides.
    const StoreInfo store = store_of({"/data/wb/001.Albatross/a.jpg", "/data/wb/002.Gull/a.jpg",
                                      "/data/wb/002.Gull/b.jpg", "/data/wb/002.Gull/c.jpg"});
    const CsvTable meta = waterbirds_rows({{"1", "001.Albatross/a.jpg", "1", "2", "0"},
                                           {"2", "002.Gull/a.jpg", "0", "2", "1"},
                                           {"3", "002.Gull/b.jpg", "1", "0", "1"},  // training split
                                           {"4", "002.Gull/c.jpg", "0", "2", "0"}});
    const GroupedLabels g = grouped_labels(store, meta, {}, 2);
    EXPECT_EQ(g.labels, (std::vector<int64_t>{1, 0, -1, 0}));
    EXPECT_EQ(g.groups, (std::vector<std::string>{"y=1,place=0", "y=0,place=1", "", "y=0,place=0"}));
    EXPECT_FALSE(g.all_splits);

    GroupedMetadataColumns every;
    every.split_value = "all";
    const GroupedLabels all = grouped_labels(store, meta, every, 2);
    EXPECT_TRUE(all.all_splits);
    EXPECT_EQ(all.labels[2], 1);
}

TEST(GroupedLabels, MissingImagesAndLabelsOutsideTheClassesAreErrorsNamingTheCsv) {
    const StoreInfo store = store_of({"x/a.jpg"});
    const std::string missing = message_of([&] {
        grouped_labels(store, waterbirds_rows({{"1", "a.jpg", "0", "2", "0"}, {"2", "b.jpg", "1", "2", "1"}}), {}, 2);
    });
    EXPECT_NE(missing.find("metadata.csv"), std::string::npos) << missing;
    EXPECT_NE(missing.find("1 of its 2 selected rows have no image"), std::string::npos) << missing;
    EXPECT_NE(missing.find("b.jpg"), std::string::npos) << missing;

    for (const char* bad : {"2", "-1", "1.5", "bird"}) {
        const std::string m = message_of([&] {
            grouped_labels(store, waterbirds_rows({{"1", "a.jpg", bad, "2", "0"}}), {}, 2);
        });
        EXPECT_NE(m.find(std::string("y = '") + bad + "' is not a class index 0..1"), std::string::npos) << m;
    }
    const std::string no_rows = message_of([&] {
        grouped_labels(store, waterbirds_rows({{"1", "a.jpg", "0", "1", "0"}}), {}, 2);
    });
    EXPECT_NE(no_rows.find("no row has split == 2"), std::string::npos) << no_rows;
}

// Each evaluated image is counted once, under one row.
TEST(GroupedLabels, AFileListedTwiceOrMatchedByTwoImagesIsRefused) {
    const std::string twice = message_of([&] {
        grouped_labels(store_of({"x/a.jpg"}),
                       waterbirds_rows({{"1", "a.jpg", "0", "2", "0"}, {"2", "./a.jpg", "1", "2", "1"}}), {}, 2);
    });
    EXPECT_NE(twice.find("metadata.csv: lists ./a.jpg in two selected rows"), std::string::npos) << twice;
    const std::string two_images = message_of([&] {
        grouped_labels(store_of({"x/a.jpg", "y/a.jpg"}), waterbirds_rows({{"1", "a.jpg", "0", "2", "0"}}), {}, 2);
    });
    EXPECT_NE(two_images.find("matches two images of the store: x/a.jpg and y/a.jpg"), std::string::npos) << two_images;
    // A row of another split may repeat a file: only the evaluated rows must be unique.
    EXPECT_NO_THROW(grouped_labels(
        store_of({"x/a.jpg"}), waterbirds_rows({{"1", "a.jpg", "0", "2", "0"}, {"2", "a.jpg", "1", "0", "1"}}), {}, 2));
}

TEST(GroupedLabels, ColumnsAreConfigurableAndAMissingSplitColumnMeansEveryRow) {
    CsvTable t;
    t.path = "groups.csv";
    t.header = {"file", "label", "background"};
    t.rows = {{"a.png", "0", "water"}, {"b.png", "1", "land"}};
    GroupedMetadataColumns cols;
    cols.filename = "file";
    cols.label = "label";
    cols.group = "background";
    const GroupedLabels g = grouped_labels(store_of({"d/b.png", "d/a.png"}), t, cols, 2);
    EXPECT_TRUE(g.all_splits);
    EXPECT_EQ(g.labels, (std::vector<int64_t>{1, 0}));
    EXPECT_EQ(g.groups[0], "label=1,background=land");
}

TEST(SpuriousSettings, TheReferenceProtocolAddsTheEarlyLayersAndMlpsToEveryComparedSetting) {
    const HeadList heads = {{10, 1}, {11, 0}, {11, 0}};  // a duplicate counts once
    const SpuriousSettings s = spurious_settings(heads, 12, 12, 2, 4, 9);
    ASSERT_EQ(s.specs.size(), 3u + 2 * 2);
    EXPECT_EQ(s.context_text, "layers 0..7 + MLPs");
    EXPECT_EQ(s.specs[0].heads, heads);
    EXPECT_FALSE(s.specs[0].mlps);
    EXPECT_TRUE(s.specs[0].layers.empty());
    EXPECT_TRUE(s.specs[1].heads.empty());
    EXPECT_TRUE(s.specs[1].mlps);
    EXPECT_EQ(s.specs[1].layers, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
    EXPECT_EQ(s.specs[2].heads, heads);
    EXPECT_EQ(s.specs[2].layers, s.specs[1].layers);
    ASSERT_EQ(s.draws.size(), 2u);
    for (size_t d = 0; d < 2; ++d) {
        EXPECT_EQ(s.draws[d].size(), 2u);  // as many as the distinct chosen heads
        EXPECT_EQ(s.draws[d], random_heads(12, 12, 4, 2, 9 + d));
        EXPECT_EQ(s.specs[3 + 2 * d].heads, s.draws[d]);
        EXPECT_FALSE(s.specs[3 + 2 * d].mlps);
        EXPECT_EQ(s.specs[4 + 2 * d].heads, s.draws[d]);
        EXPECT_TRUE(s.specs[4 + 2 * d].mlps);
    }
    EXPECT_NE(s.draws[0], s.draws[1]);
    // A model of at most four layers has no early layers to add.
    const SpuriousSettings small = spurious_settings({{0, 0}}, 3, 2, 0, 3, 1);
    EXPECT_EQ(small.context_text, "MLPs");
    EXPECT_TRUE(small.specs[1].layers.empty());
}

}  // namespace
}  // namespace clipscope
