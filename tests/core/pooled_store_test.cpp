// Stores of an attention-pooled model (../shared's small SigLIP): indexed through the frozen
// pooling head, their parts add up to the normalised embedding, they resume to the same bytes,
// ablation sums the pooling term and refuses the class token the model does not have, and the
// reference's layout (class-token CLIPs only) is refused.
#include <cmath>
#include <nlohmann/json.hpp>

#include "clipscope/analysis/ablation.h"
#include "clipscope/analysis/indexing.h"
#include "clipscope/analysis/store_transfer.h"
#include "clipscope/analysis/zero_shot.h"
#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/decompose/pooled_decomposition.h"
#include "test_support.h"

namespace clipscope {
namespace {

class PooledStore : public ::testing::Test {
protected:
    void SetUp() override {
        CLIPSCOPE_REQUIRE_SHARED();
        model_ = std::make_unique<ClipModel>(ClipModel::load(test::fixture("siglip/tiny-siglip")));
    }
    StoreInfo info(int64_t images) const {
        StoreInfo s = store_info_for(*model_);
        s.batch = 3;
        for (int64_t i = 0; i < images; ++i)
            s.images.push_back({"image" + std::to_string(i) + ".png", i % 2 ? "dog" : "cat"});
        return s;
    }
    BatchPixels pixels() const {
        const int64_t S = model_->config().vision.image_size;
        return [S](int64_t first, int64_t count) { return test::image_batch(first, count, S, 200); };
    }
    // Indexes `images` images into dir/name and opens it.
    Store indexed(const test::TempDir& dir, const std::string& name, int64_t images) const {
        StoreWriter w = StoreWriter::open(dir.path(name), info(images));
        const IndexReport r = index_into_store(*model_, w, pixels());
        EXPECT_LT(r.max_sum_error, 1e-5);
        return Store::open(dir.path(name));
    }
    std::unique_ptr<ClipModel> model_;
};

TEST_F(PooledStore, HoldsThePoolingTermAndItsPartsSumToTheNormalisedEmbedding) {
    test::TempDir dir;
    const Store store = indexed(dir, "s", 5);
    ASSERT_TRUE(store.complete());
    EXPECT_TRUE(store.info().attention_pooled());
    const nlohmann::json manifest = nlohmann::json::parse(read_file_bytes(dir.path("s/manifest.json"), 1 << 20));
    EXPECT_EQ(manifest.at("pooling"), "attention_pool");
    EXPECT_TRUE(std::filesystem::exists(dir.path("s/pooling.npy")));
    EXPECT_FALSE(std::filesystem::exists(dir.path("s/cls_attn.npy")));

    const int64_t L = store.info().layers, H = store.info().heads, E = store.info().embed_dim;
    const FloatArray emb = store.read("embedding", 0, 5), heads = store.read("heads", 0, 5),
                     mlps = store.read("mlps", 0, 5), pooling = store.read("pooling", 0, 5);
    EXPECT_EQ(pooling.shape, (Shape{5, E}));
    double worst = 0;
    for (int64_t b = 0; b < 5; ++b) {
        double norm = 0;
        for (int64_t e = 0; e < E; ++e) norm += std::pow(emb.data[static_cast<size_t>(b * E + e)], 2);
        norm = std::sqrt(norm);
        for (int64_t e = 0; e < E; ++e) {
            double sum = pooling.data[static_cast<size_t>(b * E + e)];
            for (int64_t k = 0; k < L * H; ++k) sum += heads.data[static_cast<size_t>((b * L * H + k) * E + e)];
            for (int64_t k = 0; k <= L; ++k) sum += mlps.data[static_cast<size_t>((b * (L + 1) + k) * E + e)];
            worst = std::max(worst, std::abs(sum - emb.data[static_cast<size_t>(b * E + e)] / norm));
        }
    }
    EXPECT_LT(worst, 1e-5);
    // The rows are the batch's own decomposition, and the embedding the model's.
    const PooledDecomposition d = decompose_pooled(*model_, pixels()(3, 2));
    EXPECT_LT(test::max_abs_diff(store.read("heads", 3, 2), d.heads), 1e-6);
    EXPECT_LT(test::max_abs_diff(store.read("pooling", 3, 2), d.pooling), 1e-6);
    EXPECT_LT(test::max_abs_diff(store.read("embedding", 3, 2), model_->encode_image(pixels()(3, 2))), 1e-5);
    try {
        store.read("cls_attn", 0, 1);
        ADD_FAILURE() << "read cls_attn of a pooled store";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Usage);
        EXPECT_NE(std::string(e.what()).find("pooling.npy"), std::string::npos) << e.what();
    }
}

TEST_F(PooledStore, CancelledThenResumedGivesTheSameBytes) {
    test::TempDir dir;
    indexed(dir, "whole", 7);
    {
        StoreWriter w = StoreWriter::open(dir.path("cut"), info(7));
        RunControl control;
        control.set_progress_callback([&](int64_t done, int64_t, const std::string&) {
            if (done >= 3) control.request_cancel();
        });
        EXPECT_THROW(index_into_store(*model_, w, pixels(), &control), Error);
        EXPECT_EQ(w.done(), 3);
    }
    {
        StoreWriter w = StoreWriter::open(dir.path("cut"), info(7));
        EXPECT_EQ(index_into_store(*model_, w, pixels()).indexed, 4);
    }
    for (const char* f : {"manifest.json", "progress.json", "embedding.npy", "heads.npy", "mlps.npy", "pooling.npy"})
        EXPECT_EQ(read_file_bytes(dir.path(std::string("whole/") + f), 1 << 22),
                  read_file_bytes(dir.path(std::string("cut/") + f), 1 << 22))
            << f;
}

TEST_F(PooledStore, AblationSumsThePoolingTermAndRefusesTheClassToken) {
    test::TempDir dir;
    const int64_t N = 6;
    const Store store = indexed(dir, "s", N);
    const FloatArray classifier = build_classifier(*model_, {"cat", "dog"}, {"a photo of a {}."});
    const std::vector<int64_t> labels = {0, 1, 0, 1, 0, 1};

    AblationSpec mlps{"MLPs"}, zero_mlps{"MLPs zeroed"};
    mlps.mlps = zero_mlps.mlps = zero_mlps.zero = true;
    const auto results = evaluate_ablations(store, classifier, labels, {mlps, zero_mlps});
    // The baseline classifies the whole embedding: the model's own prediction.
    const FloatArray cos = zero_shot_cosines(store.read("embedding", 0, N), classifier);
    for (int64_t i = 0; i < N; ++i)
        EXPECT_EQ(results[0].predictions[static_cast<size_t>(i)],
                  cos.data[static_cast<size_t>(2 * i + 1)] > cos.data[static_cast<size_t>(2 * i)] ? 1 : 0)
            << i;
    // Zeroing every MLP, the pooling head's included, leaves the heads' terms alone.
    const int64_t L = store.info().layers, H = store.info().heads, E = store.info().embed_dim;
    const FloatArray heads = store.read("heads", 0, N);
    FloatArray heads_only({N, E});
    for (int64_t b = 0; b < N; ++b)
        for (int64_t k = 0; k < L * H; ++k)
            for (int64_t e = 0; e < E; ++e)
                heads_only.data[static_cast<size_t>(b * E + e)] +=
                    heads.data[static_cast<size_t>((b * L * H + k) * E + e)];
    const FloatArray hc = zero_shot_cosines(heads_only, classifier);
    for (int64_t i = 0; i < N; ++i)
        EXPECT_EQ(results[2].predictions[static_cast<size_t>(i)],
                  hc.data[static_cast<size_t>(2 * i + 1)] > hc.data[static_cast<size_t>(2 * i)] ? 1 : 0)
            << i;

    AblationSpec cls{"class token"};
    cls.cls = true;
    try {
        evaluate_ablations(store, classifier, labels, {cls});
        ADD_FAILURE() << "class-token ablation on a pooled store";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Usage);
        EXPECT_NE(std::string(e.what()).find("no class token"), std::string::npos) << e.what();
    }
    const TermMeans means = store_term_means(store);
    EXPECT_EQ(means.pooling.size(), static_cast<size_t>(E));
    EXPECT_TRUE(means.cls.empty());
}

TEST_F(PooledStore, ShardsMergeToTheWholeAndTheReferenceLayoutIsRefused) {
    test::TempDir dir;
    indexed(dir, "whole", 6);
    for (int i = 0; i < 2; ++i) {
        StoreInfo s = info(6);
        s.images.erase(s.images.begin() + (i == 0 ? 3 : 0), s.images.begin() + (i == 0 ? 6 : 3));
        s.shard = std::to_string(i) + "/2";
        StoreWriter w = StoreWriter::open(dir.path("shard" + std::to_string(i)), s);
        const int64_t offset = i * 3;
        const BatchPixels all = pixels();
        index_into_store(*model_, w, [&](int64_t first, int64_t count) { return all(first + offset, count); });
    }
    EXPECT_EQ(merge_store_shards({dir.path("shard1"), dir.path("shard0")}, dir.path("merged")), 6);
    for (const char* f : {"embedding.npy", "heads.npy", "mlps.npy", "pooling.npy"})
        EXPECT_EQ(read_file_bytes(dir.path(std::string("whole/") + f), 1 << 22),
                  read_file_bytes(dir.path(std::string("merged/") + f), 1 << 22))
            << f;
    try {
        export_reference_layout(dir.path("whole"), {dir.path("ref"), "x", ""});
        ADD_FAILURE() << "exported a pooled store";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    }
    EXPECT_FALSE(std::filesystem::exists(dir.path("ref")));
    EXPECT_THROW(import_reference_layout(*model_, {dir.path("ref"), "x", ""}, dir.path("imported")), Error);
}

TEST(ClassTokenStore, ItsManifestHasNoPoolingKey) {
    // Stores of class-token models keep the manifest they had before pooling existed (resume).
    const ClipModel model = ClipModel::load("random:tiny");
    test::TempDir dir;
    StoreInfo s = store_info_for(model);
    s.images = {{"a.png", ""}};
    StoreWriter::open(dir.path("s"), s);
    const nlohmann::json manifest = nlohmann::json::parse(read_file_bytes(dir.path("s/manifest.json"), 1 << 20));
    EXPECT_FALSE(manifest.contains("pooling"));
    EXPECT_EQ(store_arrays(s).back().name, std::string("cls_attn"));
}

}  // namespace
}  // namespace clipscope
