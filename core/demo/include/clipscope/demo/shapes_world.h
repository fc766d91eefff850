#pragma once
// Shapes world: a procedural image-caption world whose ground truth is known, for
// the bundled demo model and for checking every analysis end to end. A scene is one
// or two objects (shape, colour, size, grid position, fill) on a textured background
// "habitat"; it renders to RGB pixels, an object mask and a caption from a small
// grammar with varied phrasings and omissions. Everything is a pure function of the
// seed, on every platform (own integer RNG draws, no std distributions).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "clipscope/io/image.h"
#include "clipscope/io/segmentation_data.h"

namespace clipscope::world {

// The attribute vocabularies, in class-index order.
const std::vector<std::string>& shapes();   // circle, square, triangle, star, cross
const std::vector<std::string>& colours();  // red, green, blue, yellow, orange, purple, white, black
const std::vector<std::string>&
positions();  // top left, top, top right, left, centre, right, bottom left, bottom, bottom right
const std::vector<std::string>& sizes();     // small, large
const std::vector<std::string>& fills();     // solid, striped, dotted
const std::vector<std::string>& habitats();  // water, grass, sand, sky, brick

struct WorldObject {
    int shape = 0, colour = 0, position = 0, size = 0, fill = 0;
};

struct Scene {
    int habitat = 0;
    std::vector<WorldObject> objects;  // 1 or 2, at different positions
    uint64_t texture_seed = 0;         // background texture and jitter
};

// How scenes are drawn.
struct SceneDistribution {
    double two_objects = 0.25;  // share of scenes with a second object
    // The spurious correlation (Waterbirds-style): with probability `bias`, a scene whose first
    // object is shape A is put on habitat X, and shape B on habitat Y. 0 = independent.
    double bias = 0.0;
    int shape_a = 0, habitat_x = 0;  // circle on water
    int shape_b = 1, habitat_y = 1;  // square on grass
};

// A small deterministic generator (SplitMix64) with the draws the world needs.
class WorldRng {
public:
    explicit WorldRng(uint64_t seed) : state_(seed) {}
    uint64_t next();
    int below(int n);  // uniform in [0, n)
    double uniform();  // [0, 1)
    bool chance(double p) { return uniform() < p; }

private:
    uint64_t state_;
};

Scene random_scene(WorldRng& rng, const SceneDistribution& distribution = {});
// The distribution's shape-habitat correlation: re-draws the habitat of a scene whose
// first object is shape A or B (home habitat with probability `bias`); others unchanged.
void apply_habitat_bias(Scene& scene, WorldRng& rng, const SceneDistribution& distribution);

struct RenderedScene {
    Image image;  // RGB, size x size
    Mask mask;    // union of the objects
};
RenderedScene render(const Scene& scene, int size);

// A caption with varied phrasing and optional omissions: shapes are always named, colour,
// size, fill, position and habitat only sometimes (so words are learned from context).
// `name_positions` always names the positions (for batches whose scenes differ only there).
std::string caption(const Scene& scene, WorldRng& rng, bool name_positions = false);

// Zero-shot classification of one attribute family (shape, colour, position, habitat):
// the class names and prompt templates (with {}) in the captions' own phrasing,
// ensembled over the shapes for the other families.
const std::vector<std::string>& attribute_families();
const std::vector<std::string>& family_names(const std::string& family);
std::vector<std::string> family_templates(const std::string& family);
int attribute_value(const Scene& scene, const std::string& family);  // of the first object (habitat: the scene's)
int family_size(const std::string& family);

}  // namespace clipscope::world
