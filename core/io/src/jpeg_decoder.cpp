#include "jpeg_decoder.h"

#include <csetjmp>
#include <cstdio>
#include <algorithm>
#include <stdexcept>

#include <jerror.h>
#include <jpeglib.h>

#include "fraction_span.h"

namespace clipscope {
namespace {

struct ErrorManager {
    jpeg_error_mgr base;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    bool ended_early = false;  // "Premature end of JPEG file": libjpeg pads with grey
};

// libjpeg's default error_exit calls exit(); jump back and report instead.
void on_error(j_common_ptr cinfo) {
    auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, err->message);
    std::longjmp(err->jump, 1);
}

// Warnings are not printed; the end of the data is remembered.
void on_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;
    auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) err->ended_early = true;
    cinfo->err->num_warnings++;
}

// libjpeg's progress monitor, followed through a FractionSpan: the fraction of passes done,
// the current one by its counter.
struct ProgressManager {
    jpeg_progress_mgr base;  // first, so that libjpeg's pointer is this struct's
    FractionSpan* span;
};

void on_progress(j_common_ptr cinfo) {
    const auto* p = reinterpret_cast<const ProgressManager*>(cinfo->progress);
    const jpeg_progress_mgr& m = p->base;
    constexpr int64_t kScale = 1'000'000;
    const double within = m.pass_limit > 0 ? static_cast<double>(m.pass_counter) / m.pass_limit : 0.0;
    const double passes = std::max(1, m.total_passes);
    p->span->at(static_cast<int64_t>((m.completed_passes + within) / passes * kScale), kScale);
}

// Pillow's MULDIV255: a*b/255 rounded, in integers.
inline int muldiv255(int a, int b) {
    const int t = a * b + 128;
    return ((t >> 8) + t) >> 8;
}

}  // namespace

void cmyk_to_rgb_like_pillow(const uint8_t* cmyk, uint8_t* rgb, size_t pixels) {
    for (size_t i = 0; i < pixels; ++i) {
        const int nk = 255 - cmyk[i * 4 + 3];
        for (int c = 0; c < 3; ++c) rgb[i * 3 + c] = static_cast<uint8_t>(nk - muldiv255(cmyk[i * 4 + c], nk));
    }
}

JpegPixels decode_jpeg(const std::string& bytes, int64_t max_pixels, const FractionDone& on_decoded) {
    JpegPixels out;
    jpeg_decompress_struct cinfo{};
    ErrorManager err{};
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = on_error;
    err.base.emit_message = on_message;
    FractionSpan span(on_decoded, 0.0, 1.0);
    ProgressManager progress{};
    progress.base.progress_monitor = on_progress;
    progress.span = &span;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        throw std::runtime_error(std::string("cannot decode JPEG: ") + err.message);
    }
    jpeg_create_decompress(&cinfo);  // clears every field but err, so progress is set after it
    if (on_decoded) cinfo.progress = &progress.base;
    jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()),
                 static_cast<unsigned long>(bytes.size()));
    jpeg_read_header(&cinfo, TRUE);
    // Checked here as well as from the header in load_image, so that this decoder is safe
    // on its own: libjpeg would allocate the pixels (and, for progressive files, a
    // coefficient buffer of the whole image) in jpeg_start_decompress. Found by fuzzing.
    const int64_t pixels = static_cast<int64_t>(cinfo.image_width) * cinfo.image_height;
    if (pixels > max_pixels) {
        jpeg_destroy_decompress(&cinfo);
        throw std::runtime_error(std::to_string(cinfo.image_width) + "x" + std::to_string(cinfo.image_height) +
                                 " pixels is more than the limit of " + std::to_string(max_pixels) +
                                 " (refused before decoding)");
    }
    switch (cinfo.num_components) {
        case 1:
            cinfo.out_color_space = JCS_GRAYSCALE;
            break;
        case 3:
            cinfo.out_color_space = JCS_RGB;
            break;
        case 4:
            cinfo.out_color_space = JCS_CMYK;
            break;  // libjpeg turns YCCK into CMYK itself
        default:
            jpeg_destroy_decompress(&cinfo);
            throw std::runtime_error("a JPEG with " + std::to_string(cinfo.num_components) +
                                     " components is not an image ClipScope reads");
    }
    jpeg_start_decompress(&cinfo);
    out.width = static_cast<int>(cinfo.output_width);
    out.height = static_cast<int>(cinfo.output_height);
    out.channels = cinfo.output_components;
    out.pixels.resize(static_cast<size_t>(out.width) * out.height * out.channels);
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW rows[1] = {out.pixels.data() + static_cast<size_t>(cinfo.output_scanline) * out.width * out.channels};
        jpeg_read_scanlines(&cinfo, rows, 1);
    }
    // Every scanline is in; a file that ends right after its last scan (no EOI) is
    // complete, so only an early end counts.
    const bool truncated = err.ended_early;
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    if (truncated)
        throw std::runtime_error("truncated: the compressed data ends early (file of " + std::to_string(bytes.size()) +
                                 " bytes)");
    // Pillow reads every 4-component JPEG as "CMYK;I": Adobe's inverted polarity, whether
    // or not the file has an Adobe marker, so a stored sample s means ink 255 - s.
    if (out.channels == 4)
        for (uint8_t& v : out.pixels) v = static_cast<uint8_t>(255 - v);
    span.at(1, 1);
    return out;
}

}  // namespace clipscope
