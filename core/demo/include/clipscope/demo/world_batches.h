#pragma once
// Training batches for the shapes-world CLIP, built from groups of near-identical scenes.
// In a contrastive batch of independent scenes, colour and habitat alone tell most
// captions apart, and the model gets little reason to learn shape or position. Groups
// whose scenes differ in one attribute only (minimal pairs) make that attribute the only
// way to match a caption to its image inside the group.
#include <cstdint>
#include <string>
#include <vector>

#include "clipscope/demo/shapes_world.h"

namespace clipscope::world {

struct CaptionedScene {
    Scene scene;
    std::string caption;
};

// Groups cycle through shape, shape, position, shared until `batch` scenes are drawn (the
// last group may be cut):
//  - shape: one scene redrawn with every shape (the habitat bias re-applied per shape);
//  - position: one single-object scene at min(group_size, 9) distinct positions, captions
//    always naming the position;
//  - shared: group_size random scenes sharing the first object's colour and the habitat.
// group_size <= 1 gives independent scenes. The habitat bias of `distribution` holds for
// the first object of every scene, so the spurious correlation survives the grouping.
std::vector<CaptionedScene> training_batch(WorldRng& rng, int64_t batch, int64_t group_size,
                                           const SceneDistribution& distribution);

}  // namespace clipscope::world
