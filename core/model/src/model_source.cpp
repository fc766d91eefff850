#include "clipscope/model/model_source.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <algorithm>

#include "clipscope/base/error.h"
#include "clipscope/hub/hf_cache.h"
#include "clipscope/io/safetensors.h"

namespace clipscope {
namespace fs = std::filesystem;
namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

bool is_file(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec);  // follows symlinks, as the HF cache needs
}

std::string first_existing(const fs::path& folder, std::initializer_list<const char*> names) {
    for (const char* n : names)
        if (is_file(folder / n)) return (folder / n).string();
    return "";
}

[[noreturn]] void refuse_pickle(const std::string& path) {
    throw Error(ErrorKind::Unsupported, path +
                                            ": PyTorch pickle checkpoints (.bin/.pth written by torch.save) are not "
                                            "read by ClipScope, because loading a pickle "
                                            "can run code and LibTorch 1.13 cannot parse state-dict pickles. Use the "
                                            "safetensors file of the same model: most Hugging Face "
                                            "repos also hold open_clip_model.safetensors (open_clip) or "
                                            "model.safetensors (transformers); otherwise convert once in Python: "
                                            "python -c \"import torch, safetensors.torch as st; sd=torch.load('" +
                                            path +
                                            "', map_location='cpu'); st.save_file({k: v.contiguous() for k, v in "
                                            "sd.items()}, 'open_clip_model.safetensors')\"");
}

ModelLocation resolve_folder(const std::string& spec, const fs::path& folder) {
    ModelLocation loc;
    loc.spec = spec;
    loc.folder = folder.string();
    const std::string open_clip_config = first_existing(folder, {"open_clip_config.json"});
    // A single file first; else a sharded set's index (*.safetensors.index.json + shards).
    const std::string open_clip_weights =
        first_existing(folder, {"open_clip_model.safetensors", "open_clip_pytorch_model.safetensors",
                                "open_clip_model.safetensors.index.json"});
    const std::string hf_config = first_existing(folder, {"config.json"});
    const std::string hf_weights = first_existing(folder, {"model.safetensors", "model.safetensors.index.json"});
    if (!open_clip_weights.empty()) {
        if (open_clip_config.empty())
            throw_model(loc.folder, "has " + fs::path(open_clip_weights).filename().string() +
                                        " but no open_clip_config.json; the architecture (head count, activation) "
                                        "cannot be read from weights alone");
        loc.format = ModelFormat::OpenClipSafetensors;
        loc.weights_path = open_clip_weights;
        loc.config_path = open_clip_config;
        return loc;
    }
    if (!hf_weights.empty()) {
        // model.safetensors is transformers-format in laion/openai repos but a timm file in timm/* repos: decide by
        // content.
        bool open_clip_keys = false, hf_keys = false;
        if (is_safetensors_index(hf_weights)) {
            const SafetensorsIndex index = read_safetensors_index(hf_weights);
            open_clip_keys = index.shard_of.count("visual.conv1.weight") > 0;
            hf_keys = index.shard_of.count("vision_model.embeddings.patch_embedding.weight") > 0;
        } else {
            const SafetensorsFile file = SafetensorsFile::open(hf_weights);
            open_clip_keys = file.contains("visual.conv1.weight");
            hf_keys = file.contains("vision_model.embeddings.patch_embedding.weight");
        }
        if (open_clip_keys) {
            if (open_clip_config.empty())
                throw_model(loc.folder, "model.safetensors holds open_clip keys but there is no open_clip_config.json");
            loc.format = ModelFormat::OpenClipSafetensors;
            loc.weights_path = hf_weights;
            loc.config_path = open_clip_config;
            return loc;
        }
        if (!hf_keys)
            throw_model(hf_weights,
                        "holds neither open_clip (visual.conv1.weight) nor transformers CLIP "
                        "(vision_model.embeddings.patch_embedding.weight) keys");
        if (hf_config.empty()) throw_model(loc.folder, "has a transformers model.safetensors but no config.json");
        loc.format = ModelFormat::HfTransformers;
        loc.weights_path = hf_weights;
        loc.config_path = hf_config;
        loc.preprocessor_path = first_existing(folder, {"preprocessor_config.json"});
        return loc;
    }
    const std::string pickle = first_existing(folder, {"open_clip_pytorch_model.bin", "open_clip_pytorch_model.pth",
                                                       "pytorch_model.bin", "pytorch_model.pth", "model.pth"});
    if (!pickle.empty()) refuse_pickle(pickle);
    throw_model(loc.folder,
                "no loadable CLIP checkpoint found (looked for open_clip_model.safetensors, "
                "open_clip_pytorch_model.safetensors with "
                "open_clip_config.json, or model.safetensors with config.json)");
}

}  // namespace

std::string format_name(ModelFormat f) {
    switch (f) {
        case ModelFormat::OpenClipSafetensors:
            return "open_clip-safetensors";
        case ModelFormat::HfTransformers:
            return "hf-transformers";
        case ModelFormat::OpenAiTorchScript:
            return "openai-torchscript";
        case ModelFormat::Random:
            return "random";
    }
    return "?";
}

ModelLocation resolve_model(const std::string& spec) {
    if (spec.rfind("random:", 0) == 0) {
        ModelLocation loc;
        loc.spec = spec;
        loc.format = ModelFormat::Random;
        std::string arch = spec.substr(7);
        const auto at = arch.find('@');  // random:ViT-B-16@SEED
        if (at != std::string::npos) {
            try {
                loc.random_seed = std::stoull(arch.substr(at + 1));
            } catch (const std::exception&) {
                throw_usage("'" + spec + "': the seed after @ must be a non-negative integer");
            }
            arch = arch.substr(0, at);
        }
        loc.random_arch = arch;
        return loc;
    }
    if (spec.rfind("hf-hub:", 0) == 0) {
        std::string repo = spec.substr(7), revision = "main";
        const auto at = repo.find('@');
        if (at != std::string::npos) {
            revision = repo.substr(at + 1);
            repo = repo.substr(0, at);
        }
        ModelLocation loc = resolve_folder(spec, resolve_hf_snapshot(repo, revision));
        loc.spec = spec;
        return loc;
    }
    const fs::path p(spec);
    std::error_code ec;
    if (!fs::exists(p, ec)) throw_input(spec, "no such file or folder");
    if (fs::is_directory(p, ec)) return resolve_folder(spec, p);
    const std::string ext = p.extension().string();
    if (ext == ".safetensors" || is_safetensors_index(p.string())) {
        ModelLocation loc = resolve_folder(spec, p.parent_path().empty() ? fs::path(".") : p.parent_path());
        loc.weights_path = p.string();
        return loc;
    }
    if (ext == ".bin" || ext == ".pth") refuse_pickle(spec);
    // Anything else is tried as a TorchScript archive (OpenAI's .pt files).
    ModelLocation loc;
    loc.spec = spec;
    loc.format = ModelFormat::OpenAiTorchScript;
    loc.folder = p.parent_path().string();
    loc.weights_path = p.string();
    return loc;
}

std::string find_vocabulary(const ModelLocation& location, const std::string& explicit_path) {
    if (!explicit_path.empty()) {
        std::error_code ec;
        if (!fs::exists(explicit_path, ec)) throw_input(explicit_path, "vocabulary file not found");
        return explicit_path;
    }
    if (location.folder.empty()) return "";
    const fs::path folder(location.folder);
    if (is_file(folder / "bpe_simple_vocab_16e6.txt.gz")) return (folder / "bpe_simple_vocab_16e6.txt.gz").string();
    if (is_file(folder / "spiece.model")) return (folder / "spiece.model").string();  // SigLIP's SentencePiece model
    if (is_file(folder / "vocab.json") && is_file(folder / "merges.txt")) return (folder / "vocab.json").string();
    if (is_file(folder / "tokenizer.model")) return (folder / "tokenizer.model").string();  // SigLIP 2's (Gemma)
    return "";
}

VocabularySearch find_clip_vocabulary_elsewhere(const std::string& hub_cache_dir) {
    VocabularySearch search;
    std::error_code ec;
    // 1. CLIP repos in the hub cache: any snapshot with vocab.json + merges.txt whose repo name says CLIP.
    search.searched.push_back(hub_cache_dir + "/models--*clip*/snapshots/*/vocab.json + merges.txt");
    std::vector<fs::path> candidates;
    if (fs::is_directory(hub_cache_dir, ec)) {
        for (const auto& repo : fs::directory_iterator(hub_cache_dir, ec)) {
            std::string name = repo.path().filename().string();
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            if (name.rfind("models--", 0) != 0 || name.find("clip") == std::string::npos) continue;
            for (const auto& snap : fs::directory_iterator(repo.path() / "snapshots", ec))
                if (is_file(snap.path() / "vocab.json") && is_file(snap.path() / "merges.txt"))
                    candidates.push_back(snap.path() / "vocab.json");
            ec.clear();
        }
    }
    // OpenAI's own repos first: they are the vocabulary's origin.
    std::stable_sort(candidates.begin(), candidates.end(), [](const fs::path& a, const fs::path& b) {
        const bool oa = a.string().find("models--openai--") != std::string::npos,
                   ob = b.string().find("models--openai--") != std::string::npos;
        return oa > ob;
    });
    if (!candidates.empty()) {
        search.path = candidates.front().string();
        return search;
    }
    // 2. Installed Python packages that bundle the gzipped BPE file.
    std::vector<fs::path> roots;
    for (const char* var : {"VIRTUAL_ENV", "CONDA_PREFIX"})
        if (!env(var).empty()) roots.push_back(fs::path(env(var)) / "lib");
    if (!env("HOME").empty()) {
        roots.push_back(fs::path(env("HOME")) / ".local" / "lib");
        const fs::path pyenv = fs::path(env("HOME")) / ".pyenv" / "versions";
        for (const auto& v : fs::directory_iterator(pyenv, ec)) roots.push_back(v.path() / "lib");
        ec.clear();
    }
    for (const char* r : {"/usr/lib", "/usr/local/lib"}) roots.emplace_back(r);
    for (const auto& root : roots) {
        for (const auto& py : fs::directory_iterator(root, ec)) {
            if (py.path().filename().string().rfind("python3", 0) != 0) continue;
            for (const char* sub : {"site-packages", "dist-packages"})
                for (const char* pkg : {"open_clip", "clip"}) {
                    const fs::path file = py.path() / sub / pkg / "bpe_simple_vocab_16e6.txt.gz";
                    if (search.path.empty() && is_file(file)) search.path = file.string();
                }
        }
        ec.clear();
        search.searched.push_back(root.string() +
                                  "/python3*/{site,dist}-packages/{open_clip,clip}/bpe_simple_vocab_16e6.txt.gz");
        if (!search.path.empty()) return search;
    }
    return search;
}

}  // namespace clipscope
