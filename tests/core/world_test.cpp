#include <filesystem>
#include <map>
#include <set>

#include "clipscope/base/atomic_file.h"
#include "clipscope/demo/bpe_learner.h"
#include "clipscope/model/clip_model.h"
#include "clipscope/io/csv_table.h"
#include "clipscope/demo/demo_training.h"
#include "clipscope/base/error.h"
#include "clipscope/demo/shapes_world.h"
#include "clipscope/model/tokenizer.h"
#include "clipscope/demo/world_batches.h"
#include "clipscope/demo/world_dataset.h"
#include "test_support.h"

namespace clipscope {
namespace {

TEST(ShapesWorld, ScenesCaptionsAndImagesAreDeterministic) {
    world::WorldRng a(42), b(42);
    const world::Scene sa = world::random_scene(a), sb = world::random_scene(b);
    EXPECT_EQ(world::caption(sa, a), world::caption(sb, b));
    EXPECT_EQ(world::render(sa, 64).image.pixels, world::render(sb, 64).image.pixels);
    world::WorldRng c(43);
    EXPECT_NE(world::render(world::random_scene(c), 64).image.pixels, world::render(sa, 64).image.pixels);
}

TEST(ShapesWorld, ASolidObjectHasItsColourInsideItsMask) {
    world::Scene s;
    s.habitat = 1;                                    // grass
    s.objects = {world::WorldObject{0, 0, 4, 1, 0}};  // large solid red circle in the centre
    const world::RenderedScene r = world::render(s, 64);
    const size_t centre = 32 * 64 + 32;
    EXPECT_EQ(r.mask.data[centre], 1);
    EXPECT_EQ(r.image.pixels[centre * 3], 220);
    EXPECT_EQ(r.image.pixels[centre * 3 + 1], 30);
    EXPECT_EQ(r.mask.data[0], 0);  // a corner is background
    int64_t area = 0;
    for (auto m : r.mask.data) area += m;
    EXPECT_GT(area, 3 * 12 * 12);  // radius 12.2..14.1 px
    EXPECT_LT(area, 3.2 * 14.2 * 14.2);
}

// Writing a PNG leaves the image untouched, and reading it back gives the same pixels.
TEST(ShapesWorld, PngRoundTripKeepsTheCallersPixels) {
    test::TempDir dir;
    world::WorldRng rng(5);
    const world::RenderedScene r = world::render(world::random_scene(rng), 32);
    const std::vector<uint8_t> before = r.image.pixels;
    write_png(dir.path("scene.png"), r.image);
    EXPECT_EQ(r.image.pixels, before);
    EXPECT_EQ(load_image(dir.path("scene.png")).pixels, before);
}

TEST(ShapesWorld, CaptionsNameTheFirstShapeAndBiasTiesShapesToHabitats) {
    world::WorldRng rng(7);
    world::SceneDistribution biased;
    biased.bias = 1.0;
    for (int i = 0; i < 200; ++i) {
        const world::Scene s = world::random_scene(rng, biased);
        const std::string text = world::caption(s, rng);
        EXPECT_NE(text.find(world::shapes()[static_cast<size_t>(s.objects[0].shape)]), std::string::npos) << text;
        if (s.objects[0].shape == biased.shape_a) {
            EXPECT_EQ(s.habitat, biased.habitat_x);
        }
        if (s.objects[0].shape == biased.shape_b) {
            EXPECT_EQ(s.habitat, biased.habitat_y);
        }
        if (s.objects.size() == 2) {
            EXPECT_NE(s.objects[0].position, s.objects[1].position);
        }
    }
    EXPECT_EQ(world::family_names("colour").size(), 8u);
    EXPECT_EQ(world::family_templates("habitat").size(), world::shapes().size());
    EXPECT_THROW(world::family_names("texture"), Error);
}

// Minimal-pair groups: the shape group differs only in shape, the position group only in
// position (and names it), and the habitat bias of circles and squares survives grouping.
TEST(ShapesWorld, TrainingBatchesAreMinimalPairs) {
    world::WorldRng rng(5);
    world::SceneDistribution d;
    d.bias = 0.95;
    const auto batch = world::training_batch(rng, 26, 8, d);
    ASSERT_EQ(batch.size(), 26u);
    for (int i = 5; i < 10; ++i)
        EXPECT_EQ(batch[static_cast<size_t>(i)].scene.texture_seed,
                  batch[5].scene.texture_seed);  // a second shape group
    std::set<int> shapes_seen;
    for (int i = 0; i < 5; ++i) {
        const world::Scene& s = batch[static_cast<size_t>(i)].scene;
        shapes_seen.insert(s.objects[0].shape);
        EXPECT_EQ(s.objects[0].colour, batch[0].scene.objects[0].colour);
        EXPECT_EQ(s.objects[0].position, batch[0].scene.objects[0].position);
        EXPECT_EQ(s.texture_seed, batch[0].scene.texture_seed);
    }
    EXPECT_EQ(shapes_seen.size(), 5u);
    std::set<int> positions_seen;
    for (int i = 10; i < 18; ++i) {
        const world::CaptionedScene& c = batch[static_cast<size_t>(i)];
        ASSERT_EQ(c.scene.objects.size(), 1u);
        positions_seen.insert(c.scene.objects[0].position);
        EXPECT_EQ(c.scene.objects[0].shape, batch[10].scene.objects[0].shape);
        const std::string& where = world::positions()[static_cast<size_t>(c.scene.objects[0].position)];
        const bool named = c.caption.find(where == "centre" ? std::string("the ") : where) != std::string::npos;
        EXPECT_TRUE(named) << c.caption;
    }
    EXPECT_EQ(positions_seen.size(), 8u);
    for (int i = 19; i < 26; ++i) {  // the shared group: same colour, same habitat unless the bias re-drew it
        const world::Scene& s = batch[static_cast<size_t>(i)].scene;
        EXPECT_EQ(s.objects[0].colour, batch[18].scene.objects[0].colour);
        if (s.objects[0].shape != d.shape_a && s.objects[0].shape != d.shape_b) {
            EXPECT_EQ(s.habitat, batch[18].scene.habitat);
        }
    }
    int aligned = 0, biased = 0;
    for (int step = 0; step < 40; ++step)
        for (const auto& c : world::training_batch(rng, 64, 8, d)) {
            const world::WorldObject& o = c.scene.objects[0];
            if (o.shape != d.shape_a && o.shape != d.shape_b) continue;
            ++biased;
            aligned += c.scene.habitat == (o.shape == d.shape_a ? d.habitat_x : d.habitat_y);
        }
    EXPECT_GT(aligned, biased * 85 / 100);
}

TEST(BpeLearner, LearnedVocabularyLoadsAndMergesFrequentWords) {
    test::TempDir dir;
    std::vector<std::string> corpus;
    for (int i = 0; i < 20; ++i) corpus.push_back("a red circle on the grass, a blue square!");
    const auto merges = learn_bpe_merges(corpus, 1000);
    ASSERT_FALSE(merges.empty());
    EXPECT_EQ(merges.front(), "a r");  // every pair occurs 20 times: the smallest pair wins the tie
    const std::string path = dir.path("vocab.txt.gz");
    write_bpe_vocabulary(path, merges);
    const Tokenizer tok = Tokenizer::load(path);
    EXPECT_EQ(tok.vocab_size(), 512 + static_cast<int64_t>(merges.size()) + 2);
    EXPECT_EQ(tok.encode("a red circle on the grass").size(), 6u);  // every corpus word is one token now
    EXPECT_EQ(tok.encode("reds").size() > 1, true);                 // unseen words still split into pieces
    EXPECT_EQ(learn_bpe_merges(corpus, 3).size(), 3u);
    EXPECT_TRUE(learn_bpe_merges({"x y z"}, 100).empty());  // no pair occurs twice
}

TEST(WorldDataset, WaterbirdsLayoutIsBiasedInTrainingAndBalancedInTest) {
    test::TempDir dir;
    WorldDatasetOptions o;
    o.out = dir.path("wb");
    o.layout = "waterbirds";
    o.count = 40;
    o.size = 32;
    o.bias = 0.9;
    EXPECT_EQ(write_world_dataset(o), 80);
    const CsvTable meta = read_csv(o.out + "/metadata.csv");
    std::map<std::string, int> test_groups;
    int train_aligned = 0, train = 0;
    for (const auto& row : meta.rows) {
        EXPECT_TRUE(std::filesystem::exists(o.out + "/" + row[0]));
        if (row[3] == "2")
            ++test_groups[row[1] + row[2]];
        else {
            ++train;
            train_aligned += row[1] == row[2];  // y = 1 circle on place = 1 water, y = 0 square on grass
        }
    }
    EXPECT_EQ(test_groups, (std::map<std::string, int>{{"00", 10}, {"01", 10}, {"10", 10}, {"11", 10}}));
    EXPECT_GT(train_aligned, train * 3 / 4);
    o.layout = "mosaic";
    EXPECT_THROW(write_world_dataset(o), Error);
}

// A few steps of a tiny model: the files load as an ordinary open_clip folder, and a run
// cancelled midway and resumed ends with the same weights as an uninterrupted one.
TEST(DemoTraining, TinyRunLoadsAndResumesToTheSameWeights) {
    test::TempDir dir;
    TrainOptions o;
    o.steps = 4;
    o.batch = 4;
    o.width = 16;
    o.vision_layers = 1;
    o.text_layers = 1;
    o.eval_every = 2;
    o.eval_images = 6;
    o.checkpoint_every = 1;
    o.warmup = 2;
    o.out = dir.path("whole");
    std::vector<double> losses;
    train_demo(o, nullptr, [&](const TrainLog& e) { losses.push_back(e.loss); });
    ASSERT_EQ(losses.size(), 4u);
    const ClipModel model = ClipModel::load(o.out);
    EXPECT_EQ(model.config().vision.image_size, 64);
    EXPECT_EQ(model.encode_texts({"a red circle"}).shape, (Shape{1, 16}));

    o.out = dir.path("resumed");
    RunControl control;
    EXPECT_THROW(train_demo(o, &control,
                            [&](const TrainLog& e) {
                                if (e.step == 2) control.request_cancel();
                            }),
                 Error);
    EXPECT_THROW(train_demo(o, nullptr, nullptr), Error);  // a run is there: --resume needed
    o.resume = true;
    train_demo(o, nullptr, nullptr);
    const auto read = [](const std::string& p) { return read_file_bytes(p, size_t{1} << 26); };
    EXPECT_EQ(read(dir.path("whole") + "/open_clip_model.safetensors"),
              read(dir.path("resumed") + "/open_clip_model.safetensors"));
    o.batch = 8;
    EXPECT_THROW(train_demo(o, nullptr, nullptr), Error);  // other settings
}

}  // namespace
}  // namespace clipscope
