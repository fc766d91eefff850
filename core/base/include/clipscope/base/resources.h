#pragma once
// Where ClipScope's read-only data lives (the bundled demo model, its images and
// description pool). Installed and build trees share one layout: the executables sit in
// a directory beside share/clipscope (PREFIX/bin + PREFIX/share/clipscope when installed;
// build/app + build/share/clipscope, a link to the source's resources/, when built), so
// the data is found relative to the running executable, wherever the tree was moved.
#include <string>
#include <vector>

namespace clipscope {

// CLIPSCOPE_DATA_DIR when set, else ../share/clipscope from the executable's directory.
// Throws an Error naming both places when neither holds the data.
std::string data_directory();

// The bundled shapes-world demo model (an open_clip folder), used when no model is given.
std::string demo_model_directory();

// The demo's description pool (family<TAB>text lines) and its sample images (sorted paths).
std::string demo_descriptions_path();
std::vector<std::string> demo_image_paths();

// Where ClipScope keeps what it can recompute (description embeddings, the app's image-set
// stores): $XDG_CACHE_HOME/ClipScope, else ~/.cache/ClipScope. Never inside a store or a
// dataset, which may be read-only or shared.
std::string user_cache_directory();

}  // namespace clipscope
