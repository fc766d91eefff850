#pragma once
// Image sets for batch jobs: a folder searched recursively, an ImageFolder layout
// (one sub-folder per class, the class being the sub-folder's name), or a list
// file (one path per line, optionally "path<TAB>label"; relative paths are taken
// from the list file's folder). Paths come out absolute and normalised (a store found
// from any working directory), in a stable, sorted order; each keeps the short form a
// person knows it by (relative to the folder, or as the list file wrote it) for display.
#include <string>
#include <vector>

namespace clipscope {

struct ImageEntry {
    std::string path;     // absolute: what is opened
    std::string label;    // "" when unlabelled
    std::string display;  // for listings and captions only, e.g. "cat/001.png"; "" means the path
};

// The entry's display form, or its path when it has none.
const std::string& shown_name(const ImageEntry& e);

// The file name suffixes taken for images (lower case, no dot), everywhere: folders
// listed here, the app's image strip and its file dialogs.
const std::vector<std::string>& image_file_suffixes();
bool is_image_file(const std::string& path);  // by suffix, case-insensitive

// Every image file (by extension: jpg, jpeg, png, gif, bmp, webp, tif, tiff, ppm, pgm) under
// `folder`, sorted by path. Images directly inside sub-folders get the sub-folder's
// name as label when every image sits exactly one level down (ImageFolder).
std::vector<ImageEntry> list_image_folder(const std::string& folder);
std::vector<ImageEntry> read_image_list(const std::string& list_file);

}  // namespace clipscope
