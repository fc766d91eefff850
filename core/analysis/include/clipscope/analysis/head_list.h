#pragma once
// Attention heads named as "LAYER.HEAD" (0-based), the way every command, the app's
// command line and its sessions write them. One strict parser for all of them: a
// malformed item is an error naming the option and the item, never head 0.0.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace clipscope {

using HeadList = std::vector<std::pair<int64_t, int64_t>>;  // (layer, head)

// A selected head; head == kMlpHead names the layer's MLP ("LAYER.MLP").
struct HeadRef {
    int64_t layer = 0;
    int64_t head = 0;
};
constexpr int64_t kMlpHead = -1;

// "L.H,L.H,..." with optional spaces around items. `what` names the source in errors
// ("--heads"); with layers/heads > 0, items outside the model are refused too.
// Throws a usage error.
HeadList parse_head_list(const std::string& text, const std::string& what = "--heads", int64_t layers = 0,
                         int64_t heads = 0);
// One "L.H", or "L.MLP" when allow_mlp.
HeadRef parse_head_ref(const std::string& text, const std::string& what, bool allow_mlp, int64_t layers = 0,
                       int64_t heads = 0);
std::string head_list_text(const HeadList& heads);

}  // namespace clipscope
