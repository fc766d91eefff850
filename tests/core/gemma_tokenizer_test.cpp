// SigLIP 2's Gemma tokenizer (docs/method.md §12.2) on SentencePiece models written here, piece
// by piece, so that each expected id follows from the BPE rule by hand: the merge whose piece
// scores highest first, leftmost on ties; characters without a piece as their UTF-8 bytes.
// There is no Gemma vocabulary in ../shared, so these are not transformers' ids on the real
// one: they pin what ClipScope adds around libsentencepiece (special tokens, lower case,
// bos / eos / padding) and that the repo's own files are read as transformers reads them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>

#include "clipscope/base/error.h"
#include "clipscope/model/clip_model.h"
#include "clipscope/model/tokenizer.h"
#include "test_support.h"

namespace clipscope {
namespace {

// Protocol-buffer wire format, enough to write a ModelProto.
std::string varint(uint64_t v) {
    std::string out;
    do {
        out.push_back(static_cast<char>((v & 0x7f) | (v > 0x7f ? 0x80 : 0)));
        v >>= 7;
    } while (v);
    return out;
}
std::string field_varint(int field, uint64_t v) { return varint(static_cast<uint64_t>(field) << 3) + varint(v); }
std::string field_bytes(int field, const std::string& payload) {
    return varint(static_cast<uint64_t>(field) << 3 | 2) + varint(payload.size()) + payload;
}
std::string field_float(int field, float f) {
    std::string out = varint(static_cast<uint64_t>(field) << 3 | 5);
    char bytes[4];
    std::memcpy(bytes, &f, 4);
    return out + std::string(bytes, 4);
}

enum Type { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kByte = 6 };
struct Piece {
    std::string text;
    float score;
    Type type;
};

// Gemma's layout in small: <pad> 0, <eos> 1, <bos> 2, <unk> 3, user-defined pieces, the 256
// byte pieces (id 7 + byte), then ordinary pieces with BPE scores.
constexpr int64_t kPad = 0, kEos = 1, kBos = 2, kMask = 4, kStartOfTurn = 5, kLt_s = 6;
constexpr int64_t byte_id(unsigned char b) { return 7 + b; }
constexpr int64_t kA = 263, kB = 264, kC = 265, kSpace = 266, kAB = 267, kBC = 268, kSpaceA = 269, kAlpha = 270,
                  kSigma = 271, kFinalSigma = 272, kI = 273;

std::vector<Piece> gemma_like_pieces() {
    std::vector<Piece> p = {{"<pad>", 0, kControl}, {"<eos>", 0, kControl},      {"<bos>", 0, kControl},
                            {"<unk>", 0, kUnknown}, {"<mask>", 0, kUserDefined}, {"<start_of_turn>", 0, kUserDefined},
                            {"<s", 0, kUserDefined}};
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        p.push_back({name, 0, kByte});
    }
    for (const auto& [text, score] : std::vector<std::pair<std::string, float>>{{"a", -10},
                                                                                {"b", -11},
                                                                                {"c", -12},
                                                                                {"\xe2\x96\x81", -13},
                                                                                {"ab", -1},
                                                                                {"bc", -2},
                                                                                {"\xe2\x96\x81"
                                                                                 "a",
                                                                                 -3},
                                                                                {"\xce\xb1", -14},
                                                                                {"\xcf\x83", -15},
                                                                                {"\xcf\x82", -16},
                                                                                {"i", -17}})
        p.push_back({text, score, kNormal});
    return p;
}

// A BPE model with byte fallback and Gemma's normaliser: no dummy prefix, spaces kept as
// U+2581, nothing else changed.
std::string model_proto(const std::vector<Piece>& pieces) {
    std::string out;
    for (const Piece& p : pieces)
        out += field_bytes(1, field_bytes(1, p.text) + field_float(2, p.score) + field_varint(3, p.type));
    const std::string trainer = field_varint(3, 2) + field_varint(4, pieces.size()) + field_varint(35, 1) +
                                field_varint(40, 3) + field_varint(41, 2) + field_varint(42, 1) + field_varint(43, 0);
    out += field_bytes(2, trainer);
    out += field_bytes(3, field_bytes(1, "identity") + field_varint(3, 0) + field_varint(4, 0) + field_varint(5, 1));
    return out;
}

class GemmaTokenizer : public ::testing::Test {
protected:
    void SetUp() override { test::write_bytes(model_path(), model_proto(gemma_like_pieces())); }
    std::string model_path() const { return dir_.path("tokenizer.model"); }
    Tokenizer load(GemmaTokenizerSettings s) const { return Tokenizer::load_gemma(model_path(), s, "settings.json"); }
    static GemmaTokenizerSettings siglip2() {  // what Google's SigLIP 2 repos set
        GemmaTokenizerSettings s;
        s.add_bos = false;
        s.add_eos = true;
        s.lower_case = true;
        return s;
    }
    std::vector<int64_t> row(const Tokenizer& t, const std::string& text, int64_t context) const {
        const Int64Array ids = t.tokenize({text}, context);
        return std::vector<int64_t>(ids.data.begin(), ids.data.end());
    }
    test::TempDir dir_;
};

TEST_F(GemmaTokenizer, MergesAcrossSpacesByScoreWithNoDummyPrefix) {
    const Tokenizer t = load(siglip2());
    EXPECT_EQ(t.kind(), TokenizerKind::GemmaSentencePiece);
    // "abc a" -> a b c ▁ a: "ab" (-1) before "bc" (-2) and "▁a" (-3); no "▁" is put in front.
    EXPECT_EQ(t.encode("abc a"), (std::vector<int64_t>{kAB, kC, kSpaceA}));
    EXPECT_EQ(t.encode("bca"), (std::vector<int64_t>{kBC, kA}));
    EXPECT_EQ(t.encode("a"), (std::vector<int64_t>{kA}));
    // Runs of spaces are kept, one U+2581 each.
    EXPECT_EQ(t.encode("a  b"), (std::vector<int64_t>{kA, kSpace, kSpace, kB}));
    EXPECT_EQ(t.encode(""), (std::vector<int64_t>{}));
}

TEST_F(GemmaTokenizer, CharactersWithoutAPieceBecomeTheirBytes) {
    const Tokenizer t = load(siglip2());
    EXPECT_EQ(t.encode("\xc3\xa9"), (std::vector<int64_t>{byte_id(0xc3), byte_id(0xa9)}));  // é
    EXPECT_EQ(t.encode("a!"), (std::vector<int64_t>{kA, byte_id('!')}));
}

TEST_F(GemmaTokenizer, LowerCaseIsPerCharacterAndOnlyWhenAsked) {
    const Tokenizer lower = load(siglip2());
    EXPECT_EQ(lower.encode("ABC A"), lower.encode("abc a"));
    // Each character on its own: a final capital sigma becomes σ, not ς (str.lower would give ς).
    EXPECT_EQ(lower.encode("\xce\x91\xce\xa3"), (std::vector<int64_t>{kAlpha, kSigma}));  // ΑΣ
    EXPECT_EQ(lower.encode("\xce\xb1\xcf\x82"), (std::vector<int64_t>{kAlpha, kFinalSigma}));
    // İ's full mapping is i + U+0307 (two bytes of fallback).
    EXPECT_EQ(lower.encode("\xc4\xb0"), (std::vector<int64_t>{kI, byte_id(0xcc), byte_id(0x87)}));
    GemmaTokenizerSettings as_written = siglip2();
    as_written.lower_case = false;
    EXPECT_EQ(load(as_written).encode("Ab"), (std::vector<int64_t>{byte_id('A'), kB}));
}

TEST_F(GemmaTokenizer, SpecialPiecesAreSplitOutAsWrittenLongestFirst) {
    const Tokenizer t = load(siglip2());
    EXPECT_EQ(t.encode("a<eos>b"), (std::vector<int64_t>{kA, kEos, kB}));
    EXPECT_EQ(t.encode("<start_of_turn>ab"), (std::vector<int64_t>{kStartOfTurn, kAB}));
    EXPECT_EQ(t.encode("<sa<mask>"), (std::vector<int64_t>{kLt_s, kA, kMask}));
    // Lower case applies between them, never to them: "<MASK>" is not "<mask>" as written.
    EXPECT_EQ(t.encode("B<mask>C"), (std::vector<int64_t>{kB, kMask, kC}));
    try {
        t.encode("a <MASK>");
        FAIL() << "expected a refusal";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
        EXPECT_NE(std::string(e.what()).find("<mask>"), std::string::npos) << e.what();
    }
}

TEST_F(GemmaTokenizer, TextsEndWithEosKeptWhenTruncatedAndArePaddedWithPad) {
    const Tokenizer t = load(siglip2());
    EXPECT_EQ(t.sot_id(), -1);
    EXPECT_EQ(t.eot_id(), kEos);
    EXPECT_EQ(t.pad_id(), kPad);
    EXPECT_EQ(row(t, "abc a", 6), (std::vector<int64_t>{kAB, kC, kSpaceA, kEos, kPad, kPad}));
    EXPECT_EQ(row(t, "abababab", 4), (std::vector<int64_t>{kAB, kAB, kAB, kEos}));
    GemmaTokenizerSettings with_bos = siglip2();
    with_bos.add_bos = true;
    EXPECT_EQ(row(load(with_bos), "ab", 4), (std::vector<int64_t>{kBos, kAB, kEos, kPad}));
    GemmaTokenizerSettings no_eos = siglip2();
    no_eos.add_eos = false;
    EXPECT_EQ(row(load(no_eos), "ab", 3), (std::vector<int64_t>{kAB, kPad, kPad}));
    EXPECT_EQ(row(load(no_eos), "abababab", 3), (std::vector<int64_t>{kAB, kAB, kAB}));
}

TEST_F(GemmaTokenizer, SpecialTokensThatAreNotSpecialPiecesAtTheirIdsAreModelErrors) {
    const auto refused = [&](GemmaTokenizerSettings s, const std::string& named) {
        try {
            load(s);
            ADD_FAILURE() << "loaded; wanted an error naming " << named;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Model) << e.what();
            EXPECT_NE(std::string(e.what()).find("settings.json"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(named), std::string::npos) << e.what();
        }
    };
    GemmaTokenizerSettings s = siglip2();
    s.eos = "</s>";
    refused(s, "</s>");
    s = siglip2();
    s.pad = "a";  // an ordinary piece: SentencePiece would not keep it whole
    refused(s, "ordinary piece");
    s = siglip2();
    s.added_tokens = {{0, "<pad>"}, {2, "<eos>"}};
    refused(s, "holds it at 1");
    s = siglip2();
    s.additional_special = {"<end_of_turn>"};
    refused(s, "<end_of_turn>");
    s = siglip2();
    s.added_tokens = {{0, "<pad>"}, {1, "<eos>"}, {5, "<start_of_turn>"}};
    s.additional_special = {"<start_of_turn>"};
    EXPECT_NO_THROW(load(s));
}

TEST_F(GemmaTokenizer, ACutOrForeignModelFileIsAnInputErrorNamingIt) {
    const std::string bytes = model_proto(gemma_like_pieces());
    for (const std::string& broken : {bytes.substr(0, bytes.size() / 2), std::string("not a model at all")}) {
        test::write_bytes(model_path(), broken);
        try {
            load(siglip2());
            ADD_FAILURE() << "loaded " << broken.size() << " bytes";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::InputFile) << e.what();
            EXPECT_NE(std::string(e.what()).find("tokenizer.model"), std::string::npos) << e.what();
        }
    }
}

// A SigLIP 2 repo as Google lays it out: the fixture's SigLIP weights, tokenizer.model in
// place of spiece.model, and tokenizer_config.json naming GemmaTokenizer.
class GemmaRepo : public ::testing::Test {
protected:
    void SetUp() override {
        CLIPSCOPE_REQUIRE_SHARED();
        folder_ = dir_.path("siglip2");
        std::filesystem::create_directories(folder_);
        for (const char* f : {"config.json", "model.safetensors", "preprocessor_config.json"})
            std::filesystem::copy_file(test::fixture("siglip/tiny-siglip/") + f, folder_ + "/" + f);
        test::write_bytes(folder_ + "/tokenizer.model", model_proto(gemma_like_pieces()));
    }
    void write_tokenizer_config(const nlohmann::json& t) const {
        test::write_bytes(folder_ + "/tokenizer_config.json", t.dump(2));
    }
    static nlohmann::json google_config() {
        return {{"tokenizer_class", "GemmaTokenizer"},
                {"add_bos_token", false},
                {"add_eos_token", true},
                {"do_lower_case", true},
                {"bos_token", "<bos>"},
                {"eos_token", "<eos>"},
                {"pad_token", "<pad>"},
                {"unk_token", "<unk>"},
                {"mask_token", "<mask>"},
                {"padding_side", "right"},
                {"model_max_length", 64},
                {"added_tokens_decoder",
                 {{"0", {{"content", "<pad>"}, {"special", true}}},
                  {"1", {{"content", "<eos>"}, {"special", true}}},
                  {"2", {{"content", "<bos>"}, {"special", true}}},
                  {"3", {{"content", "<unk>"}, {"special", true}}},
                  {"4", {{"content", "<mask>"}, {"special", false}}}}},
                {"additional_special_tokens", {"<start_of_turn>"}},
                {"sp_model_kwargs", nlohmann::json::object()},
                {"clean_up_tokenization_spaces", false},
                {"spaces_between_special_tokens", false},
                {"use_default_system_prompt", false}};
    }
    test::TempDir dir_;
    std::string folder_;
};

TEST_F(GemmaRepo, LoadsWithItsTokenizerAndEmbedsTheTextsIds) {
    write_tokenizer_config(google_config());
    const ClipModel m = ClipModel::load(folder_);
    EXPECT_EQ(m.config().tokenizer, TokenizerKind::GemmaSentencePiece);
    EXPECT_EQ(m.info().vocab_path, folder_ + "/tokenizer.model");
    const std::vector<std::string> variations = architecture_variations(m.config());
    for (const char* v : {"tokenizer=gemma_sentencepiece", "tokenizer.lower_case=true", "tokenizer.add_bos=false",
                          "tokenizer.add_eos=true"})
        EXPECT_NE(std::find(variations.begin(), variations.end(), v), variations.end()) << v;
    const int64_t C = m.config().text.context_length;
    const Int64Array ids = m.tokenizer().tokenize({"ABC A", "bca"}, C);
    std::vector<int64_t> first(ids.data.begin(), ids.data.begin() + C);
    std::vector<int64_t> want(static_cast<size_t>(C), kPad);
    want[0] = kAB, want[1] = kC, want[2] = kSpaceA, want[3] = kEos;
    EXPECT_EQ(first, want);
    // The texts' embeddings are the text tower on those ids.
    EXPECT_EQ(test::values(m.encode_texts({"ABC A", "bca"})), test::values(m.encode_text(ids)));
}

TEST_F(GemmaRepo, ItsFieldsAreCheckedByTheTableAndAgainstTheModel) {
    nlohmann::json t = google_config();
    t["padding_side"] = "left";
    write_tokenizer_config(t);
    try {
        ClipModel::load(folder_);
        ADD_FAILURE() << "padding_side left loaded";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Model) << e.what();
        EXPECT_NE(std::string(e.what()).find("padding_side"), std::string::npos) << e.what();
    }
    t = google_config();
    t["added_tokens_decoder"]["7"] = {{"content", "<start_of_turn>"}};
    write_tokenizer_config(t);
    try {
        ClipModel::load(folder_);
        ADD_FAILURE() << "a wrong added token id loaded";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Model) << e.what();
        EXPECT_NE(std::string(e.what()).find("tokenizer_config.json"), std::string::npos) << e.what();
    }
    // Siglip2Tokenizer's defaults are SigLIP 2's: no bos, eos, lower case.
    write_tokenizer_config({{"tokenizer_class", "Siglip2Tokenizer"}});
    const ClipModel m = ClipModel::load(folder_);
    EXPECT_TRUE(m.config().gemma.lower_case);
    EXPECT_FALSE(m.config().gemma.add_bos);
    EXPECT_TRUE(m.config().gemma.add_eos);
}

TEST_F(GemmaRepo, WithoutTokenizerModelTheTokenizerIsAnErrorNamingIt) {
    write_tokenizer_config(google_config());
    std::filesystem::remove(folder_ + "/tokenizer.model");
    const ClipModel m = ClipModel::load(folder_);
    try {
        m.tokenizer();
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::InputFile) << e.what();
        EXPECT_NE(std::string(e.what()).find("tokenizer.model"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace clipscope
