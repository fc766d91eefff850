#include "clipscope/demo/world_batches.h"

#include <algorithm>
#include <numeric>

namespace clipscope::world {
namespace {

std::vector<int> shuffled(int n, WorldRng& rng) {
    std::vector<int> v(static_cast<size_t>(n));
    std::iota(v.begin(), v.end(), 0);
    for (int i = n - 1; i > 0; --i) std::swap(v[static_cast<size_t>(i)], v[static_cast<size_t>(rng.below(i + 1))]);
    return v;
}

void shape_group(std::vector<CaptionedScene>& out, WorldRng& rng, const SceneDistribution& d) {
    const Scene leader = random_scene(rng, d);
    for (int shape : shuffled(static_cast<int>(shapes().size()), rng)) {
        Scene s = leader;
        s.objects[0].shape = shape;
        if (shape != leader.objects[0].shape) apply_habitat_bias(s, rng, d);
        out.push_back({s, caption(s, rng)});
    }
}

void position_group(std::vector<CaptionedScene>& out, WorldRng& rng, int64_t size, const SceneDistribution& d) {
    Scene leader = random_scene(rng, d);
    leader.objects.resize(1);  // a second object could sit where the first one moves
    const std::vector<int> order = shuffled(9, rng);
    for (int64_t i = 0; i < std::min<int64_t>(size, 9); ++i) {
        Scene s = leader;
        s.objects[0].position = order[static_cast<size_t>(i)];
        out.push_back({s, caption(s, rng, true)});
    }
}

void shared_group(std::vector<CaptionedScene>& out, WorldRng& rng, int64_t size, const SceneDistribution& d) {
    const Scene leader = random_scene(rng, d);
    out.push_back({leader, caption(leader, rng)});
    for (int64_t i = 1; i < size; ++i) {
        Scene s = random_scene(rng, d);
        s.objects[0].colour = leader.objects[0].colour;
        s.habitat = leader.habitat;
        apply_habitat_bias(s, rng, d);  // circles and squares keep their habitat correlation
        out.push_back({s, caption(s, rng)});
    }
}

}  // namespace

std::vector<CaptionedScene> training_batch(WorldRng& rng, int64_t batch, int64_t group_size,
                                           const SceneDistribution& d) {
    std::vector<CaptionedScene> out;
    // Two shape groups per cycle: shape is what a small ViT learns slowest (and what the demo's targets ask for).
    for (int kind = 0; static_cast<int64_t>(out.size()) < batch; kind = (kind + 1) % 4) {
        if (group_size <= 1) {
            const Scene s = random_scene(rng, d);
            out.push_back({s, caption(s, rng)});
        } else if (kind <= 1) {
            shape_group(out, rng, d);
        } else if (kind == 2) {
            position_group(out, rng, group_size, d);
        } else {
            shared_group(out, rng, group_size, d);
        }
    }
    out.resize(static_cast<size_t>(batch));
    return out;
}

}  // namespace clipscope::world
