#!/usr/bin/env python3
"""Writes small valid seed inputs for the fuzz targets (stdlib only): a fuzzer starts
from these and mutates them. Usage: make_seeds.py OUT_DIR"""
import json
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "images"))
from gif_writer import gif  # noqa: E402

out = sys.argv[1]


def put(target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)


def safetensors(tensors):
    header, blob = {}, b""
    for name, (dtype, shape, payload) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(blob), len(blob) + len(payload)]}
        blob += payload
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + blob


put("safetensors", "f32_f16", safetensors({
    "a": ("F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)),
    "b": ("F16", [3], struct.pack("<3e", 0.5, -1, 2)),
    "s": ("F32", [], struct.pack("<f", 4.6))}))
put("safetensors", "bf16_i64", safetensors({
    "x": ("BF16", [2], b"\x80\x3f\x00\x40"), "pos": ("I64", [2], struct.pack("<2q", 0, 1))}))


def npy(descr, shape, payload):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, repr(tuple(shape)))
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


put("npy", "f32", npy("<f4", [2, 3], struct.pack("<6f", *range(6))))
put("npy", "f16", npy("<f2", [2], struct.pack("<2e", 1, 2)))
put("npy", "i64", npy("<i8", [3], struct.pack("<3q", 1, 2, 3)))
put("npy", "scalar", npy("<f4", [], struct.pack("<f", 1)))

put("config", "open_clip", json.dumps({"model_cfg": {
    "embed_dim": 32, "quick_gelu": True,
    "vision_cfg": {"image_size": 48, "layers": 3, "width": 64, "patch_size": 8, "head_width": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2}},
    "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}}).encode())
put("config", "hf", json.dumps({"projection_dim": 32, "text_config": {"hidden_size": 32, "num_attention_heads": 2, "num_hidden_layers": 2},
                                "vision_config": {"hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 3,
                                                  "image_size": 48, "patch_size": 8, "hidden_act": "quick_gelu"}}).encode())

put("tokenizer", "text", b"\x00a photo of the photo, caf\xc3\xa9 &amp; \xe2\x80\x9cquotes\xe2\x80\x9d   spaces\t!")
put("tokenizer", "invalid_utf8", b"\x00\xff\xfe\xc3 broken \xe2\x82")
put("tokenizer", "merges", b"\x01#version: 0.2\nt h\nth e</w>\na </w>\n")

png_raw = b"".join(b"\x00" + bytes([x * 40 % 256, 100, 200] * 1) * 1 for x in range(2))


def png(w, h):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    raw = b"".join(b"\x00" + b"\x7f\x10\x20" * w for _ in range(h))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


put("image_header", "png", png(3, 2))
put("image_header", "jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xc0\x00\x11\x08\x00\x10\x00\x20\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01")
put("image_header", "gif", b"GIF89a\x04\x00\x03\x00\x00\x00\x00;")
put("image_header", "bmp", b"BM" + b"\x00" * 16 + struct.pack("<ii", 5, -7) + b"\x00" * 28)
put("image_header", "webp_vp8x", b"RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00\x09\x00\x00\x04\x00\x00")
put("image_header", "tiff", b"II*\x00\x08\x00\x00\x00\x02\x00\x00\x01\x03\x00\x01\x00\x00\x00\x10\x00\x00\x00\x01\x01\x04\x00\x01\x00\x00\x00\x20\x00\x00\x00")
put("image_header", "pnm", b"P6\n# comment\n12 7\n255\n")

palette = bytes(range(0, 256, 16)) * 3
put("gif", "plain", gif(6, 4, [dict(x=0, y=0, w=6, h=4, indices=[i % 16 for i in range(24)], min_code=4)], gct=palette))
put("gif", "interlaced_offset", gif(8, 8, [dict(x=2, y=1, w=5, h=6, indices=[(i * 7) % 16 for i in range(30)], min_code=4, interlace=True,
                                                lct=palette[::-1], transparency=3)], gct=palette))
put("gif", "no_palette", gif(5, 3, [dict(x=0, y=0, w=5, h=3, indices=[i % 4 for i in range(15)], min_code=2)]))
