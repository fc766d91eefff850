#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/io/safetensors.h"

namespace clipscope {
namespace fs = std::filesystem;

bool is_safetensors_index(const std::string& path) {
    const std::string suffix = ".safetensors.index.json";
    return path.size() > suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
}

SafetensorsIndex read_safetensors_index(const std::string& path) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(read_file_bytes(path, size_t{64} << 20));
    } catch (const nlohmann::json::exception& e) {
        throw_input(path, std::string("not a safetensors index (JSON): ") + e.what());
    }
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
        throw_input(path, "has no \"weight_map\" object (tensor name -> shard file)");
    if (j["weight_map"].empty()) throw_input(path, "its weight_map lists no tensors");
    SafetensorsIndex index;
    index.path = path;
    const fs::path folder = fs::path(path).parent_path();
    std::set<std::string> shards;
    for (const auto& [name, shard] : j["weight_map"].items()) {
        if (!shard.is_string()) throw_input(path, "weight_map[\"" + name + "\"] is not a file name");
        const std::string file = shard.get<std::string>();
        // A shard is a file beside the index: a path could point anywhere on the disk.
        if (file.empty() || file.find('/') != std::string::npos || file == "." || file == ".." ||
            fs::path(file).extension() != ".safetensors")
            throw_input(path, "weight_map[\"" + name + "\"] = \"" + file +
                                  "\" is not the name of a .safetensors file beside the index");
        const std::string shard_path = (folder / file).string();
        index.shard_of[name] = shard_path;
        shards.insert(shard_path);
    }
    for (const auto& shard : shards) {
        std::error_code ec;
        if (!fs::is_regular_file(shard, ec))
            throw_input(path, "lists shard " + fs::path(shard).filename().string() + ", which is missing from " +
                                  folder.string());
    }
    index.shards.assign(shards.begin(), shards.end());
    if (j.contains("metadata") && j["metadata"].is_object() && j["metadata"].contains("total_size")) {
        const auto& total = j["metadata"]["total_size"];
        if (!total.is_number_integer() || total.get<int64_t>() < 0)
            throw_input(path, "metadata.total_size is not a byte count");
        index.total_size = total.get<int64_t>();
    }
    return index;
}

std::vector<std::string> safetensors_files(const std::string& weights_path) {
    if (!is_safetensors_index(weights_path)) return {weights_path};
    std::vector<std::string> files = {weights_path};
    const SafetensorsIndex index = read_safetensors_index(weights_path);
    files.insert(files.end(), index.shards.begin(), index.shards.end());
    return files;
}

}  // namespace clipscope
