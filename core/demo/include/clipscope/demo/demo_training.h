#pragma once
// Trains the small CLIP of the shapes world (the bundled demo model) with LibTorch
// autograd: symmetric InfoNCE on scenes generated on the fly, AdamW with warm-up and
// cosine decay, held-out zero-shot accuracy per attribute family, and checkpoints
// that let an interrupted run resume exactly where it stopped.
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "clipscope/model/model_config.h"
#include "clipscope/base/run_control.h"
#include "clipscope/demo/shapes_world.h"

namespace clipscope {

// The demo architecture: 64 px, patch 8, a 6-layer 128-wide vision tower with 8
// heads, a 3-layer text tower, 128-d joint space (open_clip layout, GELU).
ClipConfig demo_architecture(int64_t vocab_size, int64_t context_length = 32);

struct TrainOptions {
    std::string out;  // model folder: the checkpoint in open_clip format + vocabulary + training record
    // Defaults are the shipped demo model's recipe (resources/demo/model/training.json).
    int64_t steps = 4400;
    int64_t batch = 64;
    // Scenes come in groups of minimal pairs (world_batches.h): without them, colour and
    // habitat alone separate most of a batch and shape stays at chance (measured: 24% shape,
    // 10% position after 600 steps). 1 = independent scenes.
    int64_t group_size = 8;
    double learning_rate = 7e-4;
    double weight_decay = 0.1;
    int64_t warmup = 200;
    uint64_t seed = 1;
    int64_t eval_every = 200;
    int64_t eval_images = 400;
    int64_t checkpoint_every = 100;
    int64_t vocab_merges = 1000;  // upper bound; learning stops when pairs get rare
    int64_t width = 128;          // vision and text width (tests use less)
    int64_t vision_layers = 6;
    int64_t text_layers = 3;
    world::SceneDistribution distribution{0.25, 0.95};  // training scenes: circle mostly on water, square on grass
    bool export_f32 = false;                            // write the checkpoint in float32 instead of float16
    bool resume = false;       // continue a run found in `out` (refused if its settings differ)
    std::string command_line;  // recorded in training.json
};

struct TrainLog {
    int64_t step = 0;
    double loss = 0;
    double learning_rate = 0;
    double seconds = 0;                      // since the run (not this process) started
    std::map<std::string, double> accuracy;  // held-out zero-shot % per family, on eval steps only
};

// Runs (or resumes) training; writes OUT/open_clip_config.json, open_clip_model.safetensors
// (float16), bpe_simple_vocab_16e6.txt.gz (the world's own vocabulary, CLIP format),
// training.json and training_log.csv. OUT/train_state holds the resumable state.
void train_demo(const TrainOptions& options, const RunControl* control,
                const std::function<void(const TrainLog&)>& log);

}  // namespace clipscope
