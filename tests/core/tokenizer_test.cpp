#include "clipscope/model/tokenizer.h"

#include <nlohmann/json.hpp>

#include <fstream>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/io/npy.h"
#include "test_support.h"

namespace clipscope {
namespace {

std::vector<int64_t> ids_until_eot(const Int64Array& a, int64_t row) {
    std::vector<int64_t> out;
    for (int64_t i = 0; i < a.shape[1]; ++i) {
        out.push_back(a.data[row * a.shape[1] + i]);
        if (out.back() == 49407) break;
    }
    return out;
}

class RealVocabulary : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!test::shared_dir().empty()) tokenizer_ = new Tokenizer(Tokenizer::load(test::vocab_path()));
    }
    static void TearDownTestSuite() {
        delete tokenizer_;
        tokenizer_ = nullptr;
    }
    void SetUp() override { CLIPSCOPE_REQUIRE_SHARED(); }
    static Tokenizer* tokenizer_;
};
Tokenizer* RealVocabulary::tokenizer_ = nullptr;

TEST_F(RealVocabulary, SpecialIdsAndSize) {
    EXPECT_EQ(tokenizer_->sot_id(), 49406);
    EXPECT_EQ(tokenizer_->eot_id(), 49407);
    EXPECT_EQ(tokenizer_->vocab_size(), 49408);
}

TEST_F(RealVocabulary, MethodAppendixVectors) {
    // docs/method.md §15.1
    const std::vector<std::pair<std::string, std::vector<int64_t>>> cases = {
        {"a photo of a cat.", {49406, 320, 1125, 539, 320, 2368, 269, 49407}},
        {"An image of a dog", {49406, 550, 2867, 539, 320, 1929, 49407}},
        {"cozy café ambiance", {49406, 14873, 15304, 11844, 884, 49407}},
        {"A blade (of a fan or a saw)", {49406, 320, 10264, 263, 539, 320, 2261, 541, 320, 2425, 264, 49407}},
        {"It's 2024 -- hello,world!!", {49406, 585, 568, 273, 271, 273, 275, 2432, 3306, 267, 1002, 748, 49407}},
        {"a bad photo of a tench.", {49406, 320, 2103, 1125, 539, 320, 1149, 634, 269, 49407}},
        {" Intricate textile patterns \n", {49406, 29616, 19789, 11637, 49407}},
        {"kite (bird of prey)", {49406, 19867, 263, 3329, 539, 17131, 264, 49407}},
        {"Hello, World! 123", {49406, 3306, 267, 1002, 256, 272, 273, 274, 49407}},
    };
    for (const auto& [text, expected] : cases) {
        const Int64Array ids = tokenizer_->tokenize({text}, 77);
        EXPECT_EQ(ids_until_eot(ids, 0), expected) << text;
        for (int64_t i = static_cast<int64_t>(expected.size()); i < 77; ++i)
            EXPECT_EQ(ids.data[i], 0) << "padding of " << text;
    }
}

TEST_F(RealVocabulary, LongTextIsTruncatedKeepingEot) {
    std::string text;
    for (int i = 0; i < 100; ++i) text += "word ";
    const Int64Array ids = tokenizer_->tokenize({text}, 77);
    EXPECT_EQ(ids.data[0], 49406);
    for (int i = 1; i < 76; ++i) EXPECT_EQ(ids.data[i], 2653);
    EXPECT_EQ(ids.data[76], 49407);
}

TEST_F(RealVocabulary, MatchesReferenceIdsForFixtureStrings) {
    const auto strings = nlohmann::json::parse(read_file_bytes(test::fixture("common/strings.json"), 1 << 20));
    const Int64Array expected = read_npy_int(test::fixture("common/tokens.npy"));
    ASSERT_EQ(expected.shape[0], static_cast<int64_t>(strings.size()));
    for (size_t i = 0; i < strings.size(); ++i) {
        const std::string text = strings[i]["text"];
        const Int64Array ids = tokenizer_->tokenize({text}, 77);
        const std::vector<int64_t> want(expected.data.begin() + static_cast<int64_t>(i) * 77,
                                        expected.data.begin() + static_cast<int64_t>(i + 1) * 77);
        EXPECT_EQ(test::values(ids), want) << "string " << i << ": " << text;
    }
}

TEST_F(RealVocabulary, InvalidUtf8DoesNotCrash) {
    const Int64Array ids = tokenizer_->tokenize({std::string("bad \xff\xfe bytes \xc3")}, 77);
    EXPECT_EQ(ids.data[0], 49406);
}

// A small vocabulary in both on-disk formats must give identical ids.
TEST(TokenizerFormats, MergesTextAndVocabJsonAgree) {
    test::TempDir dir;
    const std::vector<std::string> merges = {"c a", "ca t</w>", "d o", "do g</w>"};
    std::string txt = "#version: 0.2\n";
    for (const auto& m : merges) txt += m + "\n";
    test::write_bytes(dir.path("vocab.txt"), txt);
    test::write_bytes(dir.path("merges.txt"), txt);
    // Ids as the CLIP construction assigns them: printable ASCII c -> c - 33, with </w> -> c - 33 + 256.
    nlohmann::json vocab;
    for (char c = 'a'; c <= 'z'; ++c) {
        vocab[std::string(1, c)] = c - 33;
        vocab[std::string(1, c) + "</w>"] = c - 33 + 256;
    }
    for (size_t i = 0; i < merges.size(); ++i) {
        std::string joined = merges[i];
        joined.erase(joined.find(' '), 1);
        vocab[joined] = 512 + static_cast<int>(i);
    }
    vocab["<|startoftext|>"] = 512 + static_cast<int>(merges.size());
    vocab["<|endoftext|>"] = 513 + static_cast<int>(merges.size());
    test::write_bytes(dir.path("vocab.json"), vocab.dump());
    const Tokenizer a = Tokenizer::load(dir.path("vocab.txt"));
    const Tokenizer b = Tokenizer::load(dir.path("vocab.json"));
    EXPECT_EQ(a.sot_id(), 516);
    EXPECT_EQ(b.eot_id(), 517);
    const std::vector<std::string> texts = {"a cat", "dog dog cat", "zebra", "Cat  DOG"};
    EXPECT_EQ(a.tokenize(texts, 16).data, b.tokenize(texts, 16).data);
    EXPECT_EQ(a.encode("cat dog a"), (std::vector<int64_t>{513, 515, 320}));
}

TEST(TokenizerErrors, MissingEmptyAndCorruptFilesNameTheFile) {
    test::TempDir dir;
    EXPECT_THROW(Tokenizer::load(dir.path("absent.txt.gz")), Error);
    test::write_bytes(dir.path("empty.txt"), "");
    try {
        Tokenizer::load(dir.path("empty.txt"));
        FAIL() << "empty vocabulary accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("empty.txt"), std::string::npos);
    }
    test::write_bytes(dir.path("corrupt.gz"), std::string("\x1f\x8b\x08\x00garbage-that-is-not-deflate", 31));
    EXPECT_THROW(Tokenizer::load(dir.path("corrupt.gz")), Error);
    test::write_bytes(dir.path("bad.txt"), "#version\nthree part line\n");
    EXPECT_THROW(Tokenizer::load(dir.path("bad.txt")), Error);
}

TEST(TokenizerClean, CollapsesWhitespaceUnescapesAndLowercases) {
    EXPECT_EQ(Tokenizer::clean("  A&amp;B \t\n C  "), "a&b c");
    EXPECT_EQ(Tokenizer::clean("&amp;amp;"), "&");  // unescaped twice, like the reference
    EXPECT_EQ(Tokenizer::clean("\xe2\x80\x9cQuoted\xe2\x80\x9d"), "\"quoted\"");
    EXPECT_EQ(Tokenizer::clean("Cafe\xcc\x81"), "caf\xc3\xa9");  // NFC
}

// Every case of the cleaning corpus: open_clip's cleaning as Python computes it
// (tests/parity/make_cleaning_fixtures.py), or a refusal naming the text.
TEST(TokenizerClean, MatchesTheCleaningCorpus) {
    std::ifstream in(std::string(CLIPSCOPE_CLEANING_FIXTURES) + "/cases.json");
    ASSERT_TRUE(in) << "tests/fixtures/cleaning/cases.json is missing";
    const nlohmann::json corpus = nlohmann::json::parse(in);
    int accepted = 0, refused = 0;
    for (const auto& c : corpus["cases"]) {
        const std::string text = c["text"];
        if (c.contains("clean")) {
            try {
                EXPECT_EQ(Tokenizer::clean(text), c["clean"].get<std::string>()) << c.dump();
            } catch (const Error& e) {
                ADD_FAILURE() << c.dump() << ": " << e.what();
            }
            ++accepted;
            continue;
        }
        try {
            Tokenizer::clean(text);
            ADD_FAILURE() << "accepted " << c.dump();
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Unsupported) << e.what();
            // Named in the message (control characters are shown escaped there).
            bool control = false;
            for (size_t i = 0; i < text.size(); ++i) {
                const auto b = static_cast<unsigned char>(text[i]);
                const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
                control = control || b < 0x20 || b == 0x7F || (b == 0xC2 && next >= 0x80 && next <= 0x9F);
            }
            if (!control) EXPECT_NE(std::string(e.what()).find("'" + text + "'"), std::string::npos) << e.what();
        }
        ++refused;
    }
    EXPECT_GT(accepted, 50);
    EXPECT_GT(refused, 10);
}

}  // namespace
}  // namespace clipscope
