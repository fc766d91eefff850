#!/usr/bin/env python3
"""Writes a corpus of broken and hostile input files, one per case, for
hostile_inputs_test.sh. Stdlib only. Usage: make_hostile_inputs.py OUT_DIR"""
import json
import os
import struct
import sys
import zlib

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def write(rel, data):
    path = os.path.join(out, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def st(header, blob=b"", length=None):
    h = json.dumps(header).encode() if not isinstance(header, bytes) else header
    return struct.pack("<Q", len(h) if length is None else length) + h + blob


OK_CONFIG = json.dumps({"model_cfg": {"embed_dim": 32, "vision_cfg": {"image_size": 48, "layers": 3, "width": 64, "patch_size": 8, "head_width": 16},
                                      "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2}}})
f32 = struct.pack("<4f", 1, 2, 3, 4)
safetensors_cases = {
    "header_longer_than_file": st({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, f32, length=1 << 40),
    "header_not_json": st(b"{this is not json}   ", f32),
    "offsets_overlap": st({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}, f32),
    "offsets_out_of_range": st({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 1 << 40]}}, f32),
    "dtype_unknown": st({"a": {"dtype": "Q7", "shape": [4], "data_offsets": [0, 16]}}, f32),
    "shape_size_mismatch": st({"a": {"dtype": "F32", "shape": [5], "data_offsets": [0, 16]}}, f32),
    "size_2_pow_63": st({"a": {"dtype": "F32", "shape": [1 << 62, 2], "data_offsets": [0, 16]}}, f32),
    "truncated_8_bytes": b"\x10\x00\x00",
    "empty": b"",
}
for name, data in safetensors_cases.items():
    write("safetensors/%s/open_clip_model.safetensors" % name, data)
    write("safetensors/%s/open_clip_config.json" % name, OK_CONFIG)

# A PyTorch pickle whose GLOBAL would run os.system: refused by name, never unpickled.
write("pickle/open_clip_pytorch_model.bin", b"\x80\x02cos\nsystem\nq\x00X\x06\x00\x00\x00whoamiq\x01\x85q\x02Rq\x03.")
write("pickle/open_clip_config.json", OK_CONFIG)
write("torchscript_not_an_archive.pt", b"PK\x03\x04 this is not a zip archive at all")

configs = {
    "missing": None,
    "not_json": "{model_cfg: nope",
    "wrong_types": json.dumps({"model_cfg": {"embed_dim": "big", "vision_cfg": {"layers": [1]}, "text_cfg": {}}}),
    "billion_layers": json.dumps({"model_cfg": {"embed_dim": 32, "vision_cfg": {"image_size": 48, "layers": 10 ** 9, "width": 64, "patch_size": 8},
                                                "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2}}}),
    "unsupported_pooling": json.dumps({"model_cfg": {"embed_dim": 32, "vision_cfg": {"image_size": 48, "layers": 3, "width": 64, "patch_size": 8,
                                                                                   "attentional_pool": True},
                                                     "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2}}}),
    # Wrong types where a flag or a name belongs, a number beyond any integer, and mean/std
    # on the 0..255 scale: each is refused by name rather than misread.
    "quick_gelu_string": json.dumps({"model_cfg": {"embed_dim": 32, "quick_gelu": "yes", "vision_cfg": {"image_size": 48, "layers": 3, "width": 64, "patch_size": 8},
                                                   "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2}}}),
    "layers_1e300": '{"model_cfg": {"embed_dim": 32, "vision_cfg": {"image_size": 48, "layers": 1e300, "width": 64, "patch_size": 8}, '
                    '"text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2}}}',
    "mean_0_255": json.dumps({"model_cfg": {"embed_dim": 32, "vision_cfg": {"image_size": 48, "layers": 3, "width": 64, "patch_size": 8},
                                            "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2}},
                              "preprocess_cfg": {"mean": [122.8, 116.7, 104.1], "std": [68.5, 66.6, 70.3]}}),
}
for name, text in configs.items():
    write("config/%s/open_clip_model.safetensors" % name, st({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, f32))
    if text is not None:
        write("config/%s/open_clip_config.json" % name, text)

# transformers configs whose hidden_act is a number and whose vision_config is a string.
for name, cfg in {"hidden_act_number": {"model_type": "clip", "text_config": {"hidden_act": 1}},
                  "vision_config_string": {"model_type": "clip", "vision_config": "ViT-B-32"}}.items():
    write("hf_config/%s/config.json" % name, json.dumps(cfg))
    write("hf_config/%s/model.safetensors" % name,
          st({"vision_model.embeddings.patch_embedding.weight": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, f32))

# A CLIPVisionModel (no visual_projection): the option fixture's vision-only model without
# its projection. Its outputs are not in the joint space: refused, naming the tensor.
fixture = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "options", "hf_vision_only")
with open(os.path.join(fixture, "model.safetensors"), "rb") as f:
    raw = f.read()
n = struct.unpack("<Q", raw[:8])[0]
entries = json.loads(raw[8:8 + n])
body, kept, offset = raw[8 + n:], {}, 0
blobs = []
for name, e in entries.items():
    if name == "visual_projection.weight" or name == "__metadata__":
        continue
    data = body[e["data_offsets"][0]:e["data_offsets"][1]]
    kept[name] = dict(e, data_offsets=[offset, offset + len(data)])
    blobs.append(data)
    offset += len(data)
write("vision_model_no_projection/model.safetensors", st(kept, b"".join(blobs)))
with open(os.path.join(fixture, "config.json"), "rb") as f:
    write("vision_model_no_projection/config.json", f.read())

write("tokenizer/empty.txt", b"")
write("tokenizer/header_only.txt", b"#version: 0.2\n")
write("tokenizer/not_gzip.txt.gz", b"\x1f\x8b\x08\x00garbage")
write("tokenizer/spiece.model", b"\x0a\x0b\x0a\x05<unk>\x15\x00\x00\x00\x00")  # a cut SentencePiece model
write("tokenizer/vocab_json/vocab.json", b'{"a": "not an id"}')
write("tokenizer/vocab_json/merges.txt", b"#version: 0.2\na b\n")
# A vocabulary with more merges than CLIP uses, gzip-compressed, then damaged two ways. Cut
# in half, what decodes still holds enough merges to load: only the stream's end says it is
# short (whole.txt.gz, undamaged, loads). With its CRC changed, every byte decodes and only the trailer check can tell.
import gzip
merges = "".join("%s %s\n" % (chr(0x4e00 + i // 300), chr(0x4e00 + i % 300)) for i in range(150000))
vocab_gz = gzip.compress(("#version: 0.2\n" + merges).encode(), compresslevel=1)
write("tokenizer/whole.txt.gz", vocab_gz)
write("tokenizer/cut_in_half.txt.gz", vocab_gz[: len(vocab_gz) // 2])
write("tokenizer/bad_crc.txt.gz", vocab_gz[:-8] + bytes(b ^ 0xFF for b in vocab_gz[-8:-4]) + vocab_gz[-4:])


def npy(header, payload=b""):
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


write("npy/bad_magic.npy", b"NOTNUMPY" + b"\x00" * 40)
write("npy/bad_header.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 'x'), }\n"))
write("npy/wrong_dtype.npy", npy("{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }\n", b"\x00" * 32))
write("npy/truncated.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 512), }\n", b"\x00" * 100))
write("npy/descr_not_a_size.npy", npy("{'descr': '<fX', 'fortran_order': False, 'shape': (2,), }\n", b"\x00" * 8))
write("npy/huge_shape.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }\n", b"\x00" * 16))
write("npy/fortran.npy", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n", f32))
# Decodes, but is not data: NaN everywhere; a float64 too large for float32 (inf once read).
write("npy/all_nan.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }\n", struct.pack("<4f", *[float("nan")] * 4)))
write("npy/f8_overflow.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }\n", struct.pack("<4d", 1, 2, 1e300, 4)))

write("store_manifest/not_json/manifest.json", "{")
write("store_manifest/wrong_format/manifest.json", json.dumps({"format": "something-else", "version": 1}))
write("store_manifest/newer_version/manifest.json", json.dumps({"format": "clipscope-store", "version": 99}))

write("mat/not_hdf5.mat", b"MATLAB 5.0 MAT-file, this is the old format, not HDF5")
write("mat/empty.mat", b"")

write("csv/metadata_no_header.csv", b"")
write("csv/metadata_missing_columns.csv", b"file,label\na.png,1\n")
write("csv/metadata_unclosed_quote.csv", b"img_filename,y,place\n\"unterminated,1\n")

# Images.
def png_chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))


def png(w, h, raw=None, colour=2, depth=8):
    raw = raw if raw is not None else b"".join(b"\x00" + b"\x80" * (w * 3) for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, 0)) +
            png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b""))


good = png(8, 8)
write("images/truncated.png", good[: len(good) // 2])
write("images/zero_size.png", b"")
write("images/text_named.jpg", b"hello, I am a text file\n")
write("images/bomb_30000.png", png_chunk(b"", b"")[:0] + b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)) +
      png_chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + png_chunk(b"IEND", b""))
write("images/aspect_1x100000.png", png(1, 100000, raw=b"\x00\x80\x80\x80" * 100000))
write("images/truncated.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb")

# GIFs (ClipScope's own decoder) and four-component JPEGs (its libjpeg wrapper).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "images"))
from gif_writer import gif  # noqa: E402

grey4 = bytes([0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255])
write("images/gif_screen_65535.gif", gif(65535, 65535, [dict(x=0, y=0, w=1, h=1, indices=[1], min_code=2)], gct=grey4))
write("images/gif_frame_60000.gif", gif(1, 1, [dict(x=0, y=0, w=60000, h=60000, indices=None, min_code=2, codes=[(4, 3), (5, 3)])], gct=grey4))
write("images/gif_truncated_lzw.gif", gif(64, 64, [dict(x=0, y=0, w=64, h=64, indices=[i % 4 for i in range(4096)], min_code=2, truncate=40)], gct=grey4))
write("images/gif_undefined_code.gif", gif(3, 1, [dict(x=0, y=0, w=3, h=1, indices=None, min_code=2, codes=[(4, 3), (1, 3), (7, 3), (5, 3)])], gct=grey4))
write("images/gif_no_frame.gif", gif(4, 4, [], gct=grey4))


def sof_jpeg(w, h, components):
    sof = struct.pack(">BHHB", 8, h, w, components) + b"".join(bytes([i + 1, 0x11, 0]) for i in range(components))
    return b"\xff\xd8" + b"\xff\xc0" + struct.pack(">H", 2 + len(sof)) + sof + b"\xff\xd9"


write("images/cmyk_no_scan.jpg", sof_jpeg(16, 16, 4))
write("images/cmyk_bomb_60000.jpg", sof_jpeg(60000, 60000, 4))

write("texts/invalid_utf8.txt", b"a photo of \xff\xfe caf\xc3\n")
write("texts/long.txt", ("word " * 20000).encode())
write("texts/empty_lines.txt", b"\n\n\n")
write("texts/empty.txt", b"")
write("texts/utf16_labels.txt", "circle\r\nsquare\r\n".encode("utf-16"))  # what Notepad's "Unicode" writes
write("texts/bom_crlf_labels.txt", b"\xef\xbb\xbfcircle\r\nsquare\r\n")
