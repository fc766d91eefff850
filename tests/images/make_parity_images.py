"""Writes unusual-but-valid images (and a few broken GIFs) with Pillow and this folder's
GIF writer, plus the S x S images an evaluation transform makes of them with Pillow.
PIPELINE is open_clip's (transform.py, image_transform) for a resize mode:
  shortest: Resize(S) on the shorter side, CenterCrop(S) (torchvision's rounding);
  squash:   Resize((S, S));
  longest:  ResizeKeepRatio(S, longest=1), CenterCropOrPad(S, fill=FILL);
each followed by convert("RGB"); or "transformers", CLIPImageProcessor's: convert("RGB")
first, shortest edge to S, centre crop with a floored offset. INTERPOLATION is Pillow's
bicubic, bilinear or nearest. image_parity_test.sh compares ClipScope's images with these.
Usage: make_parity_images.py OUT_DIR CROP_SIZE [PIPELINE [INTERPOLATION [FILL]]]
Writes OUT_DIR/images/*, OUT_DIR/reference/<stem>.png, OUT_DIR/cases.tsv
(stem, file, expectation: "exact", "error" or "palette_pad" (not compared); a case marked "same" in the list
below becomes whichever Pillow does with it)."""
import io, os, random, struct, sys, zlib

import numpy as np
from PIL import Image, ImageOps

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gif_writer import gif

out_dir, S = sys.argv[1], int(sys.argv[2])
pipeline = sys.argv[3] if len(sys.argv) > 3 else 'shortest'
FILTER = {'bicubic': Image.BICUBIC, 'bilinear': Image.BILINEAR, 'nearest': Image.NEAREST}[sys.argv[4] if len(sys.argv) > 4 else 'bicubic']
FILL = int(sys.argv[5]) if len(sys.argv) > 5 else 0
images = os.path.join(out_dir, 'images')
reference = os.path.join(out_dir, 'reference')
os.makedirs(images, exist_ok=True)
os.makedirs(reference, exist_ok=True)
rng = np.random.default_rng(7)
cases = []


def photo(w, h, channels=3):
    """Smooth gradients, hard edges and noise: exercises the resampler and the codecs."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    planes = []
    for c in range(channels):
        p = 127 + 90 * np.sin(x / (7 + 5 * c) + y / (11 + 3 * c)) + 30 * np.cos((x - y) / 23)
        p[(x // 17 + y // 13 + c) % 5 == 0] = 255 * (c % 2)
        p += rng.normal(0, 12, size=p.shape)
        planes.append(np.clip(p, 0, 255))
    return np.stack(planes, axis=-1).astype(np.uint8)


def png16(w, h, colour_type, samples, trns=b''):
    """A 16-bit PNG written by hand (Pillow cannot write 16-bit colour)."""
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
    raw = b''.join(b'\x00' + samples[r].astype('>u2').tobytes() for r in range(h))
    extra = chunk(b'tRNS', trns) if trns else b''
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 16, colour_type, 0, 0, 0)) + extra +
            chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


def add(stem, ext, writer, expectation='exact'):
    path = os.path.join(images, stem + '.' + ext)
    data = writer()
    if isinstance(data, Image.Image):
        data.save(path)
    else:
        with open(path, 'wb') as f:
            f.write(data)
    cases.append((stem, path, expectation))


def save(image, fmt, **options):
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


# 8-bit colour models
add('rgb_png', 'png', lambda: Image.fromarray(photo(301, 203)))
add('rgb_exact_size', 'png', lambda: Image.fromarray(photo(S, S + 37)))
add('rgb_upscale', 'png', lambda: Image.fromarray(photo(61, 45)))
add('rgba_png', 'png', lambda: Image.fromarray(photo(257, 311, 4)))
add('grey_png', 'png', lambda: Image.fromarray(photo(290, 230, 1)[:, :, 0]))
add('grey_alpha_png', 'png', lambda: Image.merge('LA', [Image.fromarray(photo(233, 270, 1)[:, :, 0]) for _ in range(2)]))
add('palette_png', 'png', lambda: Image.fromarray(photo(280, 240)).quantize(colors=200))
add('palette_trns_png', 'png', lambda: save(Image.fromarray(photo(250, 260)).quantize(colors=64), 'PNG', transparency=5))
add('grey_trns_png', 'png', lambda: save(Image.fromarray(photo(240, 250, 1)[:, :, 0]), 'PNG', transparency=40))
add('rgb_trns_png', 'png', lambda: save(Image.fromarray(photo(260, 240)), 'PNG', transparency=(0, 255, 0)))
add('bilevel_png', 'png', lambda: Image.fromarray(photo(270, 230, 1)[:, :, 0]).convert('1'))
# 16-bit PNGs: colour keeps the high byte; grey is clipped at 255 by Pillow
add('rgb16_png', 'png', lambda: png16(263, 219, 2, (photo(263, 219).astype(np.uint16) * 257 + rng.integers(0, 257, (219, 263, 3))).reshape(219, -1)))
add('rgba16_png', 'png', lambda: png16(219, 263, 6, (photo(219, 263, 4).astype(np.uint16) * 257).reshape(263, -1)))
add('grey16_png', 'png', lambda: png16(250, 230, 0, photo(250, 230, 1)[:, :, 0].astype(np.uint16) * 300))
add('grey16_trns_png', 'png', lambda: png16(250, 230, 0, photo(250, 230, 1)[:, :, 0].astype(np.uint16) * 2, trns=b'\x00\x40'))
add('rgb16_trns_png', 'png', lambda: png16(230, 250, 2, (photo(230, 250).astype(np.uint16) * 257).reshape(250, -1), trns=b'\x80\x80\x40\x40\x20\x20'))
add('grey16_low_png', 'png', lambda: png16(250, 230, 0, photo(250, 230, 1)[:, :, 0].astype(np.uint16)))
# JPEG family
add('rgb_jpeg', 'jpg', lambda: save(Image.fromarray(photo(320, 240)), 'JPEG', quality=90))
add('rgb_jpeg_444', 'jpg', lambda: save(Image.fromarray(photo(241, 333)), 'JPEG', quality=95, subsampling=0))
add('progressive_jpeg', 'jpg', lambda: save(Image.fromarray(photo(300, 280)), 'JPEG', quality=85, progressive=True))
add('grey_jpeg', 'jpg', lambda: save(Image.fromarray(photo(260, 300, 1)[:, :, 0]), 'JPEG', quality=90))
add('cmyk_jpeg', 'jpg', lambda: save(Image.fromarray(photo(310, 250, 4), 'CMYK'), 'JPEG', quality=92))
exif = Image.Exif()
exif[0x0112] = 6  # orientation: rotate 90 (neither Pillow nor ClipScope applies it)
add('exif_rotated_jpeg', 'jpg', lambda: save(Image.fromarray(photo(300, 240)), 'JPEG', quality=90, exif=exif.tobytes()))
jpeg = save(Image.fromarray(photo(200, 230)), 'JPEG', quality=90)
add('extraneous_bytes_jpeg', 'jpg', lambda: jpeg[:-2] + b'\x00\x01\x02' + jpeg[-2:])  # libjpeg warns; Pillow decodes
add('trailing_garbage_jpeg', 'jpg', lambda: jpeg + b'not part of the image' * 10)
# Other containers
add('rgb_bmp', 'bmp', lambda: Image.fromarray(photo(231, 257)))
add('palette_bmp', 'bmp', lambda: Image.fromarray(photo(250, 240)).quantize(colors=100))
add('rgb_tiff', 'tif', lambda: Image.fromarray(photo(240, 262)))
add('rgb_ppm', 'ppm', lambda: Image.fromarray(photo(243, 229)))
add('grey_pgm', 'pgm', lambda: Image.fromarray(photo(229, 243, 1)[:, :, 0]))
add('rgb_webp_lossless', 'webp', lambda: save(Image.fromarray(photo(250, 230)), 'WEBP', lossless=True))
# GIFs: Pillow's encoder, an animation, then hand-written variants
add('pillow_gif', 'gif', lambda: Image.fromarray(photo(300, 220)).quantize(colors=256))
frames = [Image.fromarray(photo(200, 240)).quantize(colors=128), Image.fromarray(255 - photo(200, 240)).quantize(colors=128)]
add('animated_gif', 'gif', lambda: save(frames[0], 'GIF', save_all=True, append_images=frames[1:], duration=100, loop=0))
palette = bytes(rng.integers(0, 256, 256 * 3, dtype=np.uint8))
indices = lambda w, h, n=256: [int(v) for v in (photo(w, h, 1)[:, :, 0].astype(int) * n // 256).ravel()]
add('interlaced_gif', 'gif', lambda: gif(230, 250, [dict(x=0, y=0, w=230, h=250, indices=indices(230, 250), interlace=True)], gct=palette))
add('local_palette_gif', 'gif', lambda: gif(240, 230, [dict(x=0, y=0, w=240, h=230, indices=indices(240, 230, 64), lct=palette[:192], min_code=6)], gct=palette[::-1]))
add('offset_frame_gif', 'gif', lambda: gif(260, 240, [dict(x=30, y=20, w=200, h=190, indices=indices(200, 190))], gct=palette, bg=9))
add('offset_frame_transparent_gif', 'gif', lambda: gif(260, 240, [dict(x=30, y=20, w=200, h=190, indices=indices(200, 190), transparency=17)], gct=palette))
add('frame_past_screen_gif', 'gif', lambda: gif(200, 200, [dict(x=40, y=30, w=220, h=210, indices=indices(220, 210))], gct=palette))
add('no_palette_gif', 'gif', lambda: gif(250, 230, [dict(x=0, y=0, w=250, h=230, indices=indices(250, 230))]))
add('grey_ramp_palette_gif', 'gif', lambda: gif(230, 250, [dict(x=0, y=0, w=230, h=250, indices=indices(230, 250, 16), min_code=4)], gct=bytes(v for i in range(16) for v in (i, i, i))))
add('small_palette_gif', 'gif', lambda: gif(240, 250, [dict(x=0, y=0, w=240, h=250, indices=indices(240, 250, 4), min_code=2)], gct=palette[:12]))
# Broken files: Pillow raises, ClipScope must refuse by name
add('truncated_rgb_jpeg', 'jpg', lambda: save(Image.fromarray(photo(320, 240)), 'JPEG', quality=90)[:6000], 'error')
add('truncated_cmyk_jpeg', 'jpg', lambda: save(Image.fromarray(photo(320, 240, 4), 'CMYK'), 'JPEG', quality=90)[:6000], 'error')
# Without its end marker Pillow decodes a JPEG or not, depending on whether libjpeg
# still wanted data when the file ended; ClipScope must agree either way.
add('no_end_marker_jpeg', 'jpg', lambda: jpeg[:-2], 'same')
add('truncated_png', 'png', lambda: save(Image.fromarray(photo(320, 240)), 'PNG')[:60000], 'error')
add('truncated_gif', 'gif', lambda: gif(100, 100, [dict(x=0, y=0, w=100, h=100, indices=indices(100, 100), truncate=200)], gct=palette), 'error')
add('early_end_code_gif', 'gif', lambda: gif(3, 1, [dict(x=0, y=0, w=3, h=1, indices=None, min_code=2, codes=[(4, 3), (1, 3), (5, 3)])], gct=palette[:12]), 'error')
add('undefined_code_gif', 'gif', lambda: gif(3, 1, [dict(x=0, y=0, w=3, h=1, indices=None, min_code=2, codes=[(4, 3), (1, 3), (7, 3), (1, 3), (5, 3)])], gct=palette[:12]), 'error')


def shortest_side(im, offset):
    """Resize(S) on the shorter side (longer side truncated), then an S x S crop at offset(excess)."""
    w, h = im.size
    short, long = (w, h) if w <= h else (h, w)
    if short != S:
        new_short, new_long = S, int(S * long / short)
        im = im.resize((new_short, new_long) if w <= h else (new_long, new_short), FILTER)
    w, h = im.size
    top, left = offset(h - S), offset(w - S)
    return im.crop((left, top, left + S, top + S))


def center_crop_or_pad(im):
    """open_clip's CenterCropOrPad(S, fill): torchvision's pad (ImageOps.expand with the fill
    in every band), then a crop at int(excess / 2.0)."""
    w, h = im.size
    if w < S or h < S:
        left, top = max(S - w, 0) // 2, max(S - h, 0) // 2
        right, bottom = max(S - w, 0) - left, max(S - h, 0) - top
        bands = len(im.getbands())
        fill = FILL if bands == 1 else tuple([FILL] * bands)
        im = ImageOps.expand(im, border=(left, top, right, bottom), fill=fill)
        w, h = im.size
    top, left = int((h - S) / 2.0), int((w - S) / 2.0)
    return im.crop((left, top, left + S, top + S))


def reference_image(path):
    """The transform on a PIL image, up to the tensor conversion."""
    im = Image.open(path)
    if pipeline == 'transformers':
        return shortest_side(im.convert('RGB'), lambda d: d // 2)
    if pipeline == 'shortest':
        im = shortest_side(im, lambda d: int(round(d / 2.0)))
    elif pipeline == 'squash':
        im = im.resize((S, S), FILTER)
    elif pipeline == 'longest':
        w, h = im.size
        ratio = max(h / S, w / S)  # ResizeKeepRatio: max(ratio) * longest + min(ratio) * (1 - longest)
        im = center_crop_or_pad(im.resize((round(w / ratio), round(h / ratio)), FILTER))
    return im.convert('RGB')


def open_clip_crop(path):
    return Image.fromarray(np.asarray(reference_image(path)))  # pixels only: no transparency info to save


with open(os.path.join(out_dir, 'cases.tsv'), 'w') as f:
    for stem, path, expectation in cases:
        if expectation == 'same':
            try:
                open_clip_crop(path).save(os.path.join(reference, stem + '.png'))
                expectation = 'exact'
            except OSError:
                expectation = 'error'
        elif expectation == 'exact' and pipeline == 'longest' and Image.open(path).mode in ('P', '1'):
            # torchvision pads a palette image with palette index FILL, not the colour FILL:
            # a known difference (ClipScope holds palette images as RGB).
            expectation = 'palette_pad'
        elif expectation == 'exact':
            open_clip_crop(path).save(os.path.join(reference, stem + '.png'))
        else:
            try:
                open_clip_crop(path)
                sys.exit(f'{path}: Pillow decoded a file meant to be broken')
            except OSError:
                pass
        f.write(f'{stem}\t{path}\t{expectation}\n')
print(f'{len(cases)} images written to {images} (Pillow {Image.__version__})')
