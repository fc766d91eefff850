#include "clipscope/analysis/neighbors.h"

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "clipscope/base/error.h"
#include "clipscope/analysis/neighbor_index.h"
#include "test_support.h"

namespace clipscope {
namespace {

class NeighborStore : public ::testing::Test {
protected:
    void SetUp() override {
        info_ = test::store_info(2, 2, 4, 5, 10);
        std::mt19937 rng(7);
        std::normal_distribution<float> normal;
        test::make_store(dir_.path("s"), info_, [&](Decomposition& d, int64_t) {
            for (auto* a : {&d.embedding, &d.heads})
                for (auto& x : a->data) x = normal(rng);
            batches_.push_back(d);
        });
    }
    FloatArray heads_row(int i) const {
        const auto& d = batches_[static_cast<size_t>(i / 5)];
        return FloatArray({2, 2, 4}, std::vector<float>(d.heads.data.begin() + (i % 5) * 16,
                                                        d.heads.data.begin() + (i % 5 + 1) * 16));
    }
    FloatArray embedding_row(int i) const {
        const auto& d = batches_[static_cast<size_t>(i / 5)];
        return FloatArray({4}, std::vector<float>(d.embedding.data.begin() + (i % 5) * 4,
                                                  d.embedding.data.begin() + (i % 5 + 1) * 4));
    }
    test::TempDir dir_;
    StoreInfo info_;
    std::vector<Decomposition> batches_;
};

TEST_F(NeighborStore, AnImageIsItsOwnNearestByCosineAndScoresMatchABruteForce) {
    const Store store = Store::open(dir_.path("s"));
    NeighborQuery q;  // embedding
    for (int i = 0; i < 10; ++i) {
        const auto result = nearest_neighbors(store, neighbor_key(heads_row(i), embedding_row(i), q), q, 3);
        ASSERT_EQ(result.size(), 3u);
        EXPECT_EQ(result[0].index, i);
        EXPECT_NEAR(result[0].score, 1.0, 1e-6);
        EXPECT_GE(result[0].score, result[1].score);
        EXPECT_GE(result[1].score, result[2].score);
    }
    NeighborQuery head;
    head.by = NeighborQuery::By::Head;
    head.layer = 1;
    head.head = 0;
    const auto key = neighbor_key(heads_row(3), embedding_row(3), head);
    const auto all = nearest_neighbors(store, key, head, 10);
    ASSERT_EQ(all.size(), 10u);
    for (const auto& n : all) {
        const auto other =
            neighbor_key(heads_row(static_cast<int>(n.index)), embedding_row(static_cast<int>(n.index)), head);
        double dot = 0;
        for (size_t e = 0; e < 4; ++e) dot += double(other[e]) * key[e];
        EXPECT_NEAR(n.score, dot, 1e-6);  // plain dot product, as the reference
    }
    for (size_t i = 1; i < all.size(); ++i) EXPECT_GE(all[i - 1].score, all[i].score);
}

TEST_F(NeighborStore, LayerKeysSumTheirHeadsAndBadQueriesFail) {
    NeighborQuery layer;
    layer.by = NeighborQuery::By::Layer;
    layer.layer = 1;
    NeighborQuery pair;
    pair.by = NeighborQuery::By::Heads;
    pair.heads = {{1, 0}, {1, 1}};
    EXPECT_EQ(neighbor_key(heads_row(2), embedding_row(2), layer), neighbor_key(heads_row(2), embedding_row(2), pair));
    NeighborQuery bad;
    bad.by = NeighborQuery::By::Head;
    bad.layer = 2;
    EXPECT_THROW(neighbor_key(heads_row(0), embedding_row(0), bad), Error);
    const Store store = Store::open(dir_.path("s"));
    EXPECT_THROW(nearest_neighbors(store, std::vector<float>(3), NeighborQuery{}, 2), Error);
}

// The head-major index answers exactly what the full scan answers, for f32 and f16 stores.
TEST_F(NeighborStore, IndexGivesTheScanResults) {
    for (const std::string dtype : {"f32", "f16"}) {
        StoreInfo info = info_;
        info.dtype = dtype;
        const std::string folder = dir_.path("s_" + dtype);
        {
            StoreWriter w = StoreWriter::open(folder, info);
            for (const auto& d : batches_) w.append(d);
        }
        const Store store = Store::open(folder);
        std::vector<NeighborQuery> queries(3);
        queries[0].by = NeighborQuery::By::Head;
        queries[0].layer = 1;
        queries[0].head = 1;
        queries[1].by = NeighborQuery::By::Layer;
        queries[1].layer = 0;
        queries[2].by = NeighborQuery::By::Heads;
        queries[2].heads = {{0, 1}, {1, 0}};
        std::vector<std::vector<Neighbor>> scanned;
        for (const auto& q : queries)
            scanned.push_back(nearest_neighbors(store, neighbor_key(heads_row(4), embedding_row(4), q), q, 10));
        EXPECT_FALSE(has_neighbor_index(store));
        EXPECT_EQ(build_neighbor_index(store), folder + "/neighbors");  // the store is writable
        ASSERT_TRUE(has_neighbor_index(store)) << dtype;
        for (size_t k = 0; k < queries.size(); ++k) {
            const auto indexed =
                nearest_neighbors(store, neighbor_key(heads_row(4), embedding_row(4), queries[k]), queries[k], 10);
            ASSERT_EQ(indexed.size(), scanned[k].size());
            for (size_t i = 0; i < indexed.size(); ++i) {
                EXPECT_EQ(indexed[i].index, scanned[k][i].index) << dtype << " query " << k;
                EXPECT_NEAR(indexed[i].score, scanned[k][i].score, 1e-12);
            }
        }
        // An array rewritten after the index was built (here: zeros of the right size, a while
        // later; file times are kept to the kernel's tick) is noticed, and the store is scanned.
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        const auto bytes = std::filesystem::file_size(folder + "/neighbors/heads.npy");
        test::write_bytes(folder + "/neighbors/heads.npy", std::string(bytes, '\0'));
        const NeighborIndexStatus damaged = neighbor_index_status(store);
        EXPECT_FALSE(damaged.usable);
        EXPECT_NE(damaged.problem.find("heads.npy has changed"), std::string::npos) << damaged.problem;
        const auto rescanned =
            nearest_neighbors(store, neighbor_key(heads_row(4), embedding_row(4), queries[0]), queries[0], 10);
        EXPECT_EQ(rescanned[0].index, scanned[0][0].index);
        build_neighbor_index(store);
        EXPECT_TRUE(has_neighbor_index(store));
        // An index that no longer matches the store's manifest is ignored.
        test::write_bytes(folder + "/neighbors/index.json", "{\"images\": 10}");
        EXPECT_FALSE(has_neighbor_index(store));
    }
}

}  // namespace
}  // namespace clipscope
