// One loaded model used from two threads at once, as the app's two lanes use it (requests
// beside a long job): the lazily built parts (the tokenizer's BPE cache, the folded heads,
// the weights fingerprint) are first touched by both threads together, and every result
// must equal the one a single thread gets. scripts/tsan.sh runs this under ThreadSanitizer.
#include <thread>

#include "clipscope/decompose/decompose.h"
#include "clipscope/model/clip_model.h"
#include "test_support.h"

namespace clipscope {
namespace {

const std::string kDemoModel = CLIPSCOPE_RESOURCES_DIR "/demo/model";

std::vector<std::string> texts_of(int thread, int round) {
    // Different words on each thread and round, so both keep adding to the BPE cache.
    return {"a photo of shape " + std::to_string(thread * 100 + round), "red circle", "blue square",
            "striped " + std::to_string(round) + " cat"};
}

TEST(SharedModelThreads, TwoThreadsOnOneModelGetWhatOneThreadGets) {
    const FloatArray pixels = test::random_pixels(2, ClipModel::load(kDemoModel).config().vision.image_size, 3);
    constexpr int kRounds = 6;

    // The reference: a model used by one thread only.
    const ClipModel serial = ClipModel::load(kDemoModel);
    const Decomposition expected = decompose(serial, pixels);
    std::vector<std::vector<FloatArray>> expected_texts(2);
    for (int t = 0; t < 2; ++t)
        for (int r = 0; r < kRounds; ++r) expected_texts[t].push_back(serial.encode_texts(texts_of(t, r)));

    // A fresh model, nothing built yet, shared by two threads that each decompose and embed.
    const ClipModel shared = ClipModel::load(kDemoModel);
    std::vector<std::vector<FloatArray>> got_texts(2);
    std::vector<Decomposition> got(2);
    std::vector<std::string> fingerprints(2);
    auto lane = [&](int t) {
        fingerprints[t] = shared.weights_fingerprint();
        for (int r = 0; r < kRounds; ++r) {
            got_texts[t].push_back(shared.encode_texts(texts_of(t, r)));
            if (r == t) got[t] = decompose(shared, pixels);
        }
    };
    std::thread a(lane, 0), b(lane, 1);
    a.join();
    b.join();

    EXPECT_EQ(fingerprints[0], serial.weights_fingerprint());
    EXPECT_EQ(fingerprints[1], serial.weights_fingerprint());
    for (int t = 0; t < 2; ++t) {
        SCOPED_TRACE("thread " + std::to_string(t));
        EXPECT_LE(test::max_abs_diff(got[t].embedding, expected.embedding), 1e-6);
        EXPECT_LE(test::max_abs_diff(got[t].heads, expected.heads), 1e-6);
        EXPECT_LE(test::max_abs_diff(got[t].attentions, expected.attentions), 1e-6);
        EXPECT_LE(got[t].max_sum_error(), 1e-4);
        for (int r = 0; r < kRounds; ++r)
            EXPECT_LE(test::max_abs_diff(got_texts[t][r], expected_texts[t][r]), 1e-6) << "round " << r;
    }
}

}  // namespace
}  // namespace clipscope
