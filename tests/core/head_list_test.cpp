// The one LAYER.HEAD parser of the CLI and the app: strict, with errors naming the option.
#include <gtest/gtest.h>

#include "clipscope/analysis/head_list.h"
#include "clipscope/base/error.h"

namespace clipscope {
namespace {

TEST(HeadList, ParsesItemsWithSpacesAroundThem) {
    EXPECT_EQ(parse_head_list("5.0, 4.11 ,0.3"), (HeadList{{5, 0}, {4, 11}, {0, 3}}));
    EXPECT_EQ(head_list_text(parse_head_list("5.0,4.11")), "5.0,4.11");
}

TEST(HeadList, MalformedItemsAreRefusedNotGuessed) {
    for (const std::string bad :
         {"", "5", "5.", ".3", "a.b", "3x.4", "5.1.2", "-1.2", "5.0,", ",5.0", "5.0,,4.1", "1 .2", "99999999999.0"}) {
        try {
            parse_head_list(bad, "--heads");
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Usage);
            EXPECT_NE(std::string(e.what()).find("--heads"), std::string::npos) << e.what();
        }
    }
}

TEST(HeadList, BoundsOfTheModelAreChecked) {
    EXPECT_NO_THROW(parse_head_list("11.11", "--heads", 12, 12));
    EXPECT_THROW(parse_head_list("12.0", "--heads", 12, 12), Error);
    EXPECT_THROW(parse_head_list("0.12", "--heads", 12, 12), Error);
}

TEST(HeadList, OneHeadOrTheLayersMlp) {
    const HeadRef mlp = parse_head_ref("3.MLP", "--head", true);
    EXPECT_EQ(mlp.layer, 3);
    EXPECT_EQ(mlp.head, kMlpHead);
    EXPECT_THROW(parse_head_ref("3.MLP", "--heads", false), Error);
    EXPECT_EQ(parse_head_ref(" 2.7 ", "--head", true).head, 7);
}

}  // namespace
}  // namespace clipscope
