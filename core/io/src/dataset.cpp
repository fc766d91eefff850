#include "clipscope/io/dataset.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "clipscope/base/atomic_file.h"
#include "clipscope/base/error.h"
#include "clipscope/base/text_file.h"

namespace clipscope {
namespace fs = std::filesystem;

const std::vector<std::string>& image_file_suffixes() {
    static const std::vector<std::string> kSuffixes = {"jpg",  "jpeg", "png",  "gif", "bmp",
                                                       "webp", "tif",  "tiff", "ppm", "pgm"};
    return kSuffixes;
}

const std::string& shown_name(const ImageEntry& e) { return e.display.empty() ? e.path : e.display; }

bool is_image_file(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    if (ext.empty()) return false;
    ext.erase(0, 1);
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto& all = image_file_suffixes();
    return std::find(all.begin(), all.end(), ext) != all.end();
}

std::vector<ImageEntry> list_image_folder(const std::string& folder) {
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) throw_input(folder, "not a folder");
    // Absolute paths: a store made from "imgs" or "../data/imgs" names the same files, and its
    // images are found from any working directory.
    const fs::path root = fs::absolute(folder).lexically_normal();
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) throw_input(folder, "cannot list: " + ec.message());
        if (it->is_regular_file(ec) && is_image_file(it->path())) files.push_back(it->path());
    }
    if (files.empty()) throw_input(folder, "holds no image files (jpg, png, gif, bmp, webp, tif, ppm, pgm)");
    std::sort(files.begin(), files.end());
    const bool image_folder = std::all_of(files.begin(), files.end(), [&](const fs::path& f) {
        const fs::path relative = f.lexically_relative(root);
        return std::distance(relative.begin(), relative.end()) == 2;  // class/image.ext
    });
    std::vector<ImageEntry> out;
    for (const auto& f : files)
        out.push_back(
            {f.string(), image_folder ? f.parent_path().filename().string() : "", f.lexically_relative(root).string()});
    return out;
}

std::vector<ImageEntry> read_image_list(const std::string& list_file) {
    std::istringstream in(read_text_file(list_file, size_t{1} << 30));
    const fs::path base = fs::absolute(list_file).lexically_normal().parent_path();
    std::vector<ImageEntry> out;
    // An image listed twice is indexed and counted twice: allowed (smoke tests and
    // benchmarks repeat one image on purpose), but said once, with the first repeat.
    std::map<std::string, int> line_of;
    int64_t repeats = 0;
    std::string first_repeat;
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        ImageEntry e;
        const auto tab = line.find('\t');
        e.path = tab == std::string::npos ? line : line.substr(0, tab);
        if (tab != std::string::npos) e.label = line.substr(tab + 1);
        e.display = e.path;
        e.path = (fs::path(e.path).is_relative() ? base / e.path : fs::path(e.path)).lexically_normal().string();
        const auto [it, fresh] = line_of.emplace(e.path, number);
        if (!fresh && !repeats++)
            first_repeat = e.display + " (lines " + std::to_string(it->second) + " and " + std::to_string(number) + ")";
        out.push_back(std::move(e));
    }
    if (out.empty()) throw_input(list_file, "lists no images");
    if (repeats)
        spdlog::warn("{}: {} entries repeat an earlier one, each indexed and counted again (first: {})", list_file,
                     repeats, first_repeat);
    return out;
}

}  // namespace clipscope
