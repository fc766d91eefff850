#include "clipscope/demo/shapes_world.h"

#include <algorithm>
#include <cmath>

#include "clipscope/base/error.h"

namespace clipscope::world {
namespace {

struct Rgb {
    double r, g, b;
};

Rgb mix(Rgb a, Rgb b, double t) { return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t}; }
Rgb scale(Rgb a, double s) { return {a.r * s, a.g * s, a.b * s}; }

const std::array<Rgb, 8> kColourValues = {{{220, 30, 30},
                                           {30, 170, 50},
                                           {35, 70, 225},
                                           {240, 215, 30},
                                           {245, 135, 20},
                                           {140, 45, 175},
                                           {245, 245, 245},
                                           {20, 20, 20}}};

// A per-pixel hash in [0, 1): cheap procedural noise for the textures.
double hash01(uint64_t seed, int64_t x, int64_t y) {
    uint64_t h =
        seed ^ (static_cast<uint64_t>(x) * 0x9E3779B97F4A7C15ull) ^ (static_cast<uint64_t>(y) * 0xC2B2AE3D27D4EB4Full);
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
}

// Background colour of a habitat at pixel (x, y) of a size x size image (coordinates scaled to 64).
Rgb habitat_colour(int habitat, double x, double y, int size, uint64_t seed) {
    const double u = x * 64.0 / size, v = y * 64.0 / size;
    const double phase = hash01(seed, 1, 2) * 6.28;
    const auto ix = static_cast<int64_t>(std::floor(u)), iy = static_cast<int64_t>(std::floor(v));
    switch (habitat) {
        case 0: {  // water: blue with lighter wavy lines
            const double wave = std::sin(v * 0.9 + 1.6 * std::sin(u * 0.18 + phase));
            return mix({25, 85, 165}, {90, 160, 220}, wave > 0.75 ? 0.8 : 0.15 * (wave + 1));
        }
        case 1: {  // grass: green with vertical blade streaks
            const double blade = hash01(seed, ix, iy / 4);
            return mix({40, 120, 35}, blade > 0.5 ? Rgb{85, 165, 60} : Rgb{25, 90, 25}, std::fabs(blade - 0.5) * 1.6);
        }
        case 2: {  // sand: beige speckles
            const double n = hash01(seed, ix, iy);
            return mix({215, 190, 135}, n > 0.5 ? Rgb{235, 215, 170} : Rgb{180, 150, 100}, std::fabs(n - 0.5) * 1.4);
        }
        case 3: {  // sky: light blue gradient with soft clouds
            Rgb c = mix({110, 165, 235}, {185, 215, 250}, v / 64.0);
            for (int k = 0; k < 3; ++k) {
                const double cx = hash01(seed, 10 + k, 0) * 64, cy = hash01(seed, 20 + k, 0) * 64,
                             rx = 8 + 6 * hash01(seed, 30 + k, 0);
                const double d = ((u - cx) * (u - cx)) / (rx * rx) + ((v - cy) * (v - cy)) / (rx * rx * 0.25);
                if (d < 1) c = mix(c, {250, 250, 252}, 0.85 * (1 - d));
            }
            return c;
        }
        default: {  // brick: offset rows of red-brown bricks with grey mortar
            const double row = std::floor(v / 8.0);
            const double shifted = u + (static_cast<int64_t>(row) % 2 ? 8.0 : 0.0) + phase;
            if (std::fmod(v, 8.0) < 1.2 || std::fmod(shifted, 16.0) < 1.2) return {175, 170, 160};
            const double n = hash01(seed, static_cast<int64_t>(std::floor(shifted / 16.0)), static_cast<int64_t>(row));
            return mix({150, 60, 40}, {185, 85, 55}, n);
        }
    }
}

// Whether (x, y), relative to the object's centre and in units of its radius, is inside the shape.
bool inside_shape(int shape, double x, double y) {
    switch (shape) {
        case 0:
            return x * x + y * y <= 1.0;  // circle
        case 1:
            return std::fabs(x) <= 0.82 && std::fabs(y) <= 0.82;  // square
        case 2: {                                                 // triangle, point up
            if (y > 0.75 || y < -0.95) return false;
            const double half_width = (y + 0.95) / 1.7 * 1.0;  // 0 at the apex, 1 at the base
            return std::fabs(x) <= half_width;
        }
        case 3: {  // five-pointed star: radius bound between outer 1 and inner 0.42 by angle
            const double r = std::sqrt(x * x + y * y);
            if (r > 1.0) return false;
            double a = std::atan2(x, -y);  // 0 at the top
            const double sector = 2 * M_PI / 5;
            a = std::fmod(a + 2 * M_PI, sector) / sector;  // 0..1 within a point's sector
            const double t = std::fabs(a - 0.5) * 2;       // 1 at the tips, 0 between
            const double inner = 0.42;
            // Straight edges between tip and notch, in polar form (close enough at 64 px).
            return r <= inner + (1 - inner) * std::pow(t, 1.6);
        }
        default:
            return (std::fabs(x) <= 0.3 && std::fabs(y) <= 1.0) ||
                   (std::fabs(y) <= 0.3 && std::fabs(x) <= 1.0);  // cross
    }
}

struct Placed {
    WorldObject object;
    double cx, cy, radius;
};

std::vector<Placed> place(const Scene& s, int size) {
    WorldRng rng(s.texture_seed ^ 0x5EEDull);
    std::vector<Placed> out;
    for (const auto& o : s.objects) {
        const double cell = size / 3.0;
        const double jitter_x = (rng.uniform() - 0.5) * cell * 0.25, jitter_y = (rng.uniform() - 0.5) * cell * 0.25;
        // Small objects span over two 8-pixel patches at 64 px and large ones over three, so a ViT
        // with patch 8 sees a shape's outline rather than one blurred patch (0.11 radius was too
        // small: shape stayed near 55% after 2400 steps).
        const double radius = size * (o.size == 0 ? 0.13 + 0.02 * rng.uniform() : 0.19 + 0.03 * rng.uniform());
        out.push_back({o, (o.position % 3 + 0.5) * cell + jitter_x, (o.position / 3 + 0.5) * cell + jitter_y, radius});
    }
    return out;
}

std::string article(const std::string& next) {
    return std::string("aeiou").find(next.empty() ? 'x' : next[0]) != std::string::npos ? "an" : "a";
}

template <typename T>
const T& pick(WorldRng& rng, const std::vector<T>& v) {
    return v[static_cast<size_t>(rng.below(static_cast<int>(v.size())))];
}

std::string object_words(const WorldObject& o, WorldRng& rng) {
    std::string s;
    if (rng.chance(0.35)) s += sizes()[static_cast<size_t>(o.size)] + " ";
    if (rng.chance(0.8)) s += colours()[static_cast<size_t>(o.colour)] + " ";
    if (rng.chance(0.3)) s += fills()[static_cast<size_t>(o.fill)] + " ";
    return s + shapes()[static_cast<size_t>(o.shape)];
}

std::string where_words(const WorldObject& o, WorldRng& rng) {
    const std::string& p = positions()[static_cast<size_t>(o.position)];
    if (p == "centre") return pick(rng, std::vector<std::string>{" in the centre", " in the middle", " at the centre"});
    if (p.find(' ') == std::string::npos)
        return pick(rng, std::vector<std::string>{" in the " + p, " at the " + p, " on the " + p});
    return pick(rng,
                std::vector<std::string>{" in the " + p, " at the " + p, " in the " + p + " corner"});  // corners only
}

std::string habitat_words(int h, WorldRng& rng) {
    const std::string& name = habitats()[static_cast<size_t>(h)];
    static const std::vector<std::vector<std::string>> natural = {{" on water", " on the water", " over water"},
                                                                  {" on grass", " on the grass"},
                                                                  {" on sand", " on the sand"},
                                                                  {" in the sky", " against the sky"},
                                                                  {" on a brick wall", " against bricks"}};
    if (rng.chance(0.5)) return " on a " + name + " background";
    return pick(rng, natural[static_cast<size_t>(h)]);
}

}  // namespace

uint64_t WorldRng::next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int WorldRng::below(int n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % static_cast<uint64_t>(n);
    uint64_t v;
    do v = next();
    while (v >= limit);
    return static_cast<int>(v % static_cast<uint64_t>(n));
}

double WorldRng::uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }

const std::vector<std::string>& shapes() {
    static const std::vector<std::string> v = {"circle", "square", "triangle", "star", "cross"};
    return v;
}
const std::vector<std::string>& colours() {
    static const std::vector<std::string> v = {"red", "green", "blue", "yellow", "orange", "purple", "white", "black"};
    return v;
}
const std::vector<std::string>& positions() {
    static const std::vector<std::string> v = {"top left", "top",         "top right", "left",        "centre",
                                               "right",    "bottom left", "bottom",    "bottom right"};
    return v;
}
const std::vector<std::string>& sizes() {
    static const std::vector<std::string> v = {"small", "large"};
    return v;
}
const std::vector<std::string>& fills() {
    static const std::vector<std::string> v = {"solid", "striped", "dotted"};
    return v;
}
const std::vector<std::string>& habitats() {
    static const std::vector<std::string> v = {"water", "grass", "sand", "sky", "brick"};
    return v;
}

Scene random_scene(WorldRng& rng, const SceneDistribution& d) {
    Scene s;
    s.texture_seed = rng.next();
    const int count = rng.chance(d.two_objects) ? 2 : 1;
    for (int i = 0; i < count; ++i) {
        WorldObject o;
        o.shape = rng.below(static_cast<int>(shapes().size()));
        o.colour = rng.below(static_cast<int>(colours().size()));
        o.size = rng.below(2);
        o.fill = rng.below(3);
        do o.position = rng.below(9);
        while (i == 1 && o.position == s.objects[0].position);
        s.objects.push_back(o);
    }
    s.habitat = rng.below(static_cast<int>(habitats().size()));
    apply_habitat_bias(s, rng, d);
    return s;
}

void apply_habitat_bias(Scene& s, WorldRng& rng, const SceneDistribution& d) {
    const int first = s.objects.at(0).shape;
    if (d.bias > 0 && (first == d.shape_a || first == d.shape_b)) {
        const int home = first == d.shape_a ? d.habitat_x : d.habitat_y,
                  away = first == d.shape_a ? d.habitat_y : d.habitat_x;
        s.habitat = rng.chance(d.bias) ? home : away;
    }
}

RenderedScene render(const Scene& scene, int size) {
    if (size < 16 || size > 1024) throw_usage("world images must be 16..1024 pixels");
    RenderedScene out;
    out.image = Image{size, size, 3, false, std::vector<uint8_t>(static_cast<size_t>(size) * size * 3), {}};
    out.mask = Mask{size, size, std::vector<uint8_t>(static_cast<size_t>(size) * size)};
    const auto placed = place(scene, size);
    constexpr int kSub = 4;  // 4x4 samples per pixel at object edges
    const double stripe_period = size / 10.0, dot_period = size / 10.0;
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
            const Rgb bg = habitat_colour(scene.habitat, x + 0.5, y + 0.5, size, scene.texture_seed);
            Rgb acc{0, 0, 0};
            int covered = 0;
            for (int sy = 0; sy < kSub; ++sy)
                for (int sx = 0; sx < kSub; ++sx) {
                    const double px = x + (sx + 0.5) / kSub, py = y + (sy + 0.5) / kSub;
                    Rgb c = bg;
                    bool hit = false;
                    for (const auto& p : placed) {  // later objects on top
                        if (!inside_shape(p.object.shape, (px - p.cx) / p.radius, (py - p.cy) / p.radius)) continue;
                        const Rgb base = kColourValues[static_cast<size_t>(p.object.colour)];
                        const double luminance = 0.3 * base.r + 0.59 * base.g + 0.11 * base.b;
                        const Rgb second = luminance < 80 ? mix(base, {255, 255, 255}, 0.45) : scale(base, 0.55);
                        bool alt = false;
                        if (p.object.fill == 1) alt = std::fmod(px + py + 1000.0, stripe_period) < stripe_period * 0.45;
                        if (p.object.fill == 2) {
                            const double fx = std::fmod(px - p.cx + 1000.0 * dot_period, dot_period) - dot_period / 2;
                            const double fy = std::fmod(py - p.cy + 1000.0 * dot_period, dot_period) - dot_period / 2;
                            alt = fx * fx + fy * fy < (dot_period * 0.25) * (dot_period * 0.25);
                        }
                        c = alt ? second : base;
                        hit = true;
                    }
                    covered += hit;
                    acc.r += c.r;
                    acc.g += c.g;
                    acc.b += c.b;
                }
            const size_t i = (static_cast<size_t>(y) * size + x);
            const double n = kSub * kSub;
            out.image.pixels[i * 3] = static_cast<uint8_t>(std::clamp(std::lround(acc.r / n), 0L, 255L));
            out.image.pixels[i * 3 + 1] = static_cast<uint8_t>(std::clamp(std::lround(acc.g / n), 0L, 255L));
            out.image.pixels[i * 3 + 2] = static_cast<uint8_t>(std::clamp(std::lround(acc.b / n), 0L, 255L));
            out.mask.data[i] = covered * 2 >= kSub * kSub;
        }
    return out;
}

std::string caption(const Scene& scene, WorldRng& rng, bool name_positions) {
    std::string body = object_words(scene.objects[0], rng);
    if (rng.chance(0.6) || name_positions) body += where_words(scene.objects[0], rng);
    if (scene.objects.size() > 1) {
        const std::string second = object_words(scene.objects[1], rng);
        body += " and " + article(second) + " " + second;
        if (rng.chance(0.6) || name_positions) body += where_words(scene.objects[1], rng);
    }
    if (rng.chance(0.65)) body += habitat_words(scene.habitat, rng);
    const std::string a = article(body) + " " + body;
    switch (rng.below(5)) {
        case 0:
            return a;
        case 1:
            return "a photo of " + a;
        case 2:
            return "an image of " + a;
        case 3:
            return "there is " + a;
        default:
            return body;
    }
}

const std::vector<std::string>& attribute_families() {
    static const std::vector<std::string> v = {"shape", "colour", "position", "habitat"};
    return v;
}

int family_size(const std::string& family) { return static_cast<int>(family_names(family).size()); }

const std::vector<std::string>& family_names(const std::string& family) {
    if (family == "shape") return shapes();
    if (family == "colour") return colours();
    if (family == "position") return positions();
    if (family == "habitat") return habitats();
    throw_usage("unknown attribute family '" + family + "' (shape, colour, position, habitat)");
}

std::vector<std::string> family_templates(const std::string& family) {
    if (family == "shape") return {"{}", "a {}", "a photo of a {}", "there is a {}"};
    std::vector<std::string> out;
    for (const auto& shape : shapes()) {
        if (family == "colour")
            out.push_back("{} " + shape);
        else if (family == "position")
            out.push_back(shape + " in the {}");
        else if (family == "habitat")
            out.push_back(shape + " on a {} background");
        else
            throw_usage("unknown attribute family '" + family + "' (shape, colour, position, habitat)");
    }
    return out;
}

int attribute_value(const Scene& scene, const std::string& family) {
    const WorldObject& o = scene.objects.at(0);
    if (family == "shape") return o.shape;
    if (family == "colour") return o.colour;
    if (family == "position") return o.position;
    if (family == "habitat") return scene.habitat;
    throw_usage("unknown attribute family '" + family + "'");
}

}  // namespace clipscope::world
