#pragma once
// Stores in and out of the reference code's .npy layout (compute_prs.py's
// {dataset}_attn_{model}.npy [N, L, H, E], _mlp_ [N, L+1, E], _cls_attn_ [N, L, E] and
// {dataset}_images.txt), and the shards of an `index --shard I/N` run joined into one
// store. Each writes through StoreWriter, so an interrupted import or merge resumes.
#include <cstdint>
#include <string>
#include <vector>

#include "clipscope/base/run_control.h"
#include "clipscope/model/clip_model.h"

namespace clipscope {

struct ReferenceLayout {
    std::string folder;
    std::string dataset = "dataset";
    std::string model_name;  // "" = the store's or model's architecture name
};
// {folder}/{dataset}_{what}_{model}.npy
std::string reference_array_path(const ReferenceLayout& layout, const std::string& what, const std::string& model_name);

// Writes a complete store's head, MLP and class-token terms and its image list. Returns
// the model name used in the file names.
std::string export_reference_layout(const std::string& store_folder, const ReferenceLayout& out);
// The files export_reference_layout writes, for checking them before any is written.
std::vector<std::string> reference_layout_files(const std::string& store_folder, const ReferenceLayout& out);

// Makes a store from arrays the reference computed with `model`; its embedding is the
// sum of the parts (the reference keeps no ||z||). Returns the number of images.
int64_t import_reference_layout(const ClipModel& model, const ReferenceLayout& in, const std::string& store_folder,
                                RunControl* control = nullptr);

// Joins complete shards of one split (in any order) into `out`, in shard order; the
// shards must come from one model and one set of settings, and each appear once.
// Returns the number of images.
int64_t merge_store_shards(const std::vector<std::string>& shards, const std::string& out,
                           RunControl* control = nullptr);

}  // namespace clipscope
