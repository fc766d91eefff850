#pragma once
// Turns what the user typed after --model into concrete files and a format:
// a folder (open_clip or transformers layout), a file (.safetensors, OpenAI .pt,
// .bin), `hf-hub:ORG/NAME[@REV]` (resolved offline in the Hugging Face cache), or
// `random:ARCH` (random weights of a built-in architecture, for tests and benchmarks).
#include <cstdint>
#include <string>
#include <vector>

#include "clipscope/hub/hf_cache.h"  // hf_hub_cache_dir, resolve_hf_snapshot

namespace clipscope {

enum class ModelFormat { OpenClipSafetensors, HfTransformers, OpenAiTorchScript, Random };
std::string format_name(ModelFormat f);

struct ModelLocation {
    std::string spec;  // as given by the user
    ModelFormat format = ModelFormat::Random;
    std::string folder;  // the folder holding the files ("" for random)
    std::string weights_path;
    std::string config_path;        // open_clip_config.json or config.json ("" if none)
    std::string preprocessor_path;  // preprocessor_config.json ("" if none)
    std::string random_arch;        // for Random
    uint64_t random_seed = 0;
};

ModelLocation resolve_model(const std::string& spec);

// Where the tokenizer's vocabulary lives for a model: an explicit path (a
// bpe_simple_vocab_16e6.txt.gz, or a vocab.json whose merges.txt sits beside it, or SigLIP's
// spiece.model), else the model folder's own files. Returns "" when none is found.
std::string find_vocabulary(const ModelLocation& location, const std::string& explicit_path);

// The standard CLIP BPE vocabulary (49,408 tokens, shared by every OpenAI and LAION
// CLIP) found outside the model folder, for checkpoints shipped without tokenizer
// files: first a CLIP repo in the hub cache (vocab.json + merges.txt; openai/* first),
// then an installed open_clip or OpenAI clip Python package (bpe_simple_vocab_16e6.txt.gz).
struct VocabularySearch {
    std::string path;                   // "" when nothing was found
    std::vector<std::string> searched;  // the places looked at, for the error message
};
VocabularySearch find_clip_vocabulary_elsewhere(const std::string& hub_cache_dir);

}  // namespace clipscope
