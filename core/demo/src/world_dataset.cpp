#include "clipscope/demo/world_dataset.h"
#include "clipscope/base/output_guard.h"

#include <cstdio>
#include <filesystem>

#include "clipscope/base/atomic_file.h"
#include "clipscope/io/csv_table.h"
#include "clipscope/base/error.h"
#include "clipscope/io/image.h"
#include "clipscope/io/segmentation_data.h"

namespace clipscope {
namespace fs = std::filesystem;
namespace {

std::string numbered(int64_t i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%06lld.png", static_cast<long long>(i));
    return buf;
}

std::string label_row(const std::string& file, const world::Scene& s, const std::string& caption) {
    const auto& o = s.objects[0];
    return csv_field(file) + "," + world::shapes()[static_cast<size_t>(o.shape)] + "," +
           world::colours()[static_cast<size_t>(o.colour)] + "," +
           csv_field(world::positions()[static_cast<size_t>(o.position)]) + "," +
           world::sizes()[static_cast<size_t>(o.size)] + "," + world::fills()[static_cast<size_t>(o.fill)] + "," +
           world::habitats()[static_cast<size_t>(s.habitat)] + "," + std::to_string(s.objects.size()) + "," +
           csv_field(caption);
}

Image mask_image(const Mask& m) {
    Image out{m.width, m.height, 1, false, std::vector<uint8_t>(m.data.size()), {}};
    for (size_t i = 0; i < m.data.size(); ++i) out.pixels[i] = m.data[i] ? 255 : 0;
    return out;
}

}  // namespace

int64_t write_world_dataset(const WorldDatasetOptions& o, const RunControl* control) {
    if (o.out.empty()) throw_usage("make-world needs --out DIR");
    if (o.count < 1 || o.count > 10'000'000) throw_usage("--count must be between 1 and 10,000,000");
    if (o.layout != "imagefolder" && o.layout != "segmentation" && o.layout != "mat" && o.layout != "waterbirds")
        throw_usage("unknown layout '" + o.layout + "' (imagefolder, segmentation, mat, waterbirds)");
    if (o.layout == "imagefolder" || o.layout == "segmentation") world::family_size(o.family);  // validates it
    // An earlier world in the folder is replaced whole: a rerun with another --size or --count
    // once left 64-px and 224-px images side by side, 306 files for 50 rows.
    // Written beside the folder and renamed into place when complete: SIGKILL leaves no half world.
    GeneratedFolder folder(o.out, {"labels.csv"}, "make-world", /*replace_earlier=*/true,
                           GeneratedFolder::Staging::TemporarySibling);
    const fs::path out(folder.path());
    world::WorldRng rng(o.seed);
    std::string labels = "file,shape,colour,position,size,fill,habitat,objects,caption\n";
    int64_t written = 0;
    auto report = [&](int64_t done, int64_t total) {
        if (control) {
            control->check();
            control->report(done, total, "writing images");
        }
    };
    if (o.layout == "imagefolder" || o.layout == "segmentation") {
        world::SceneDistribution d;
        d.two_objects = o.two_objects;
        for (int64_t i = 0; i < o.count; ++i) {
            report(i, o.count);
            const world::Scene s = world::random_scene(rng, d);
            const std::string text = world::caption(s, rng);
            const world::RenderedScene r = world::render(s, o.size);
            std::string file;
            if (o.layout == "imagefolder") {
                const std::string cls =
                    world::family_names(o.family)[static_cast<size_t>(world::attribute_value(s, o.family))];
                fs::create_directories(out / cls);
                file = cls + "/" + numbered(i);
            } else {
                fs::create_directories(out / "images");
                fs::create_directories(out / "masks");
                file = "images/" + numbered(i);
                write_png((out / "masks" / numbered(i)).string(), mask_image(r.mask));
            }
            write_png((out / file).string(), r.image);
            labels += label_row(file, s, text) + "\n";
            ++written;
        }
    } else if (o.layout == "mat") {
        // ImageNet-Segmentation's gtsegs_ijcv.mat layout (MATLAB v7.3 / HDF5), for `segment --mat`.
        world::SceneDistribution d;
        d.two_objects = o.two_objects;
        std::vector<Image> images;
        std::vector<Mask> masks;
        for (int64_t i = 0; i < o.count; ++i) {
            report(i, o.count);
            const world::Scene s = world::random_scene(rng, d);
            const std::string text = world::caption(s, rng);
            world::RenderedScene r = world::render(s, o.size);
            images.push_back(std::move(r.image));
            masks.push_back(std::move(r.mask));
            labels += label_row("gtsegs_ijcv.mat[" + std::to_string(i) + "]", s, text) + "\n";
            ++written;
        }
        write_imagenet_segmentation((out / "gtsegs_ijcv.mat").string(), images, masks);
    } else if (o.layout == "waterbirds") {
        // y: 0 square ("land" shape), 1 circle ("water" shape); place: 0 grass, 1 water (Waterbirds' convention).
        const int circle = 0, square = 1, water = 0, grass = 1;
        std::string meta = "img_filename,y,place,split,shape,habitat\n";
        fs::create_directories(out / "images");
        const int64_t test_count = (o.count + 3) / 4 * 4;
        const int64_t total = o.count + test_count;
        for (int64_t i = 0; i < total; ++i) {
            report(i, total);
            const bool train = i < o.count;
            world::SceneDistribution d;
            d.two_objects = 0;
            world::Scene s = world::random_scene(rng, d);
            const bool is_circle = train ? rng.chance(0.5) : (i - o.count) % 2 == 0;
            s.objects[0].shape = is_circle ? circle : square;
            bool on_water;
            if (train)
                on_water = rng.chance(o.bias) == is_circle;  // circle mostly on water, square mostly on grass
            else
                on_water = ((i - o.count) / 2) % 2 == 0;  // every (shape, habitat) group equally often
            s.habitat = on_water ? water : grass;
            const std::string text = world::caption(s, rng);
            const std::string file = "images/" + numbered(i);
            write_png((out / file).string(), world::render(s, o.size).image);
            meta += file + "," + std::to_string(is_circle ? 1 : 0) + "," + std::to_string(on_water ? 1 : 0) + "," +
                    (train ? "0" : "2") + "," + world::shapes()[static_cast<size_t>(s.objects[0].shape)] + "," +
                    world::habitats()[static_cast<size_t>(s.habitat)] + "\n";
            labels += label_row(file, s, text) + "\n";
            ++written;
        }
        write_text_atomically((out / "metadata.csv").string(), meta);
        write_text_atomically((out / "classes.txt").string(), "square\ncircle\n");
    } else {  // refused before the folder was opened
        throw Error(ErrorKind::Internal, "write_world_dataset: layout '" + o.layout + "' passed the check");
    }
    write_text_atomically((out / "labels.csv").string(), labels);  // last: it marks a finished world
    if (control) control->report(written, written, "writing images");
    folder.done();
    return written;
}

}  // namespace clipscope
