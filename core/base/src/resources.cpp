#include "clipscope/base/resources.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "clipscope/base/error.h"

namespace clipscope {
namespace fs = std::filesystem;
namespace {

constexpr const char* kMarker = "demo/model/open_clip_config.json";  // present in every complete data tree

fs::path executable_directory() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : exe.parent_path();
}

}  // namespace

std::string data_directory() {
    if (const char* env = std::getenv("CLIPSCOPE_DATA_DIR"); env && *env) {
        if (!fs::exists(fs::path(env) / kMarker))
            throw_input(std::string("CLIPSCOPE_DATA_DIR=") + env,
                        std::string("does not hold ClipScope's data (no ") + kMarker + ")");
        return env;
    }
    const fs::path beside = executable_directory().parent_path() / "share" / "clipscope";
    if (fs::exists(beside / kMarker)) return beside.lexically_normal().string();
    throw_input(beside.lexically_normal().string(),
                "ClipScope's data (the demo model) is not there; set CLIPSCOPE_DATA_DIR to the "
                "installed share/clipscope folder or to the source tree's resources/");
}

std::string demo_model_directory() { return (fs::path(data_directory()) / "demo" / "model").string(); }

std::string demo_descriptions_path() { return (fs::path(data_directory()) / "demo" / "descriptions.tsv").string(); }

std::vector<std::string> demo_image_paths() {
    std::vector<std::string> out;
    const fs::path dir = fs::path(data_directory()) / "demo" / "images";
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().extension() == ".png") out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::string user_cache_directory() {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    if (xdg && *xdg) return (std::filesystem::path(xdg) / "ClipScope").string();
    const char* home = std::getenv("HOME");
    return (std::filesystem::path(home && *home ? home : "/tmp") / ".cache" / "ClipScope").string();
}

}  // namespace clipscope
