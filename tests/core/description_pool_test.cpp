// One rule for description pools, shared by the CLI, the demo report and the app.
#include <gtest/gtest.h>

#include "clipscope/base/error.h"
#include "clipscope/io/description_pool.h"

namespace clipscope {
namespace {

TEST(DescriptionPool, FamilyTabTextAndPlainLinesGiveTheSameTexts) {
    const DescriptionPool p =
        parse_description_pool("shape\ta circle\na photo of a dog\r\n\n   \ncolour\tred  \n", "pool.tsv");
    ASSERT_EQ(p.texts.size(), 3u);
    EXPECT_EQ(p.texts[0], "a circle");
    EXPECT_EQ(p.texts[1], "a photo of a dog");  // CRLF ending removed
    EXPECT_EQ(p.texts[2], "red  ");             // inner and trailing spaces kept, as the reference's labels
    EXPECT_EQ(p.families, (std::vector<std::string>{"shape", "", "colour"}));
    EXPECT_FALSE(p.every_text_has_family());
}

TEST(DescriptionPool, LastLineWithoutNewlineCounts) {
    const DescriptionPool p = parse_description_pool("a\nb", "pool.txt");
    EXPECT_EQ(p.texts, (std::vector<std::string>{"a", "b"}));
}

TEST(DescriptionPool, BadFilesAreRefusedNamingTheFile) {
    for (const std::string bytes :
         {std::string(), std::string("\n \n\t\n"), std::string("a\0b", 3), std::string("shape\t\n")}) {
        try {
            parse_description_pool(bytes, "pool.tsv");
            ADD_FAILURE() << "accepted " << bytes.size() << " bytes";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::InputFile);
            EXPECT_NE(std::string(e.what()).find("pool.tsv"), std::string::npos) << e.what();
        }
    }
    EXPECT_THROW(read_description_pool("/nonexistent/pool.txt"), Error);
}

}  // namespace
}  // namespace clipscope
