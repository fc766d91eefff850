#!/usr/bin/env python3
"""Writes the option-parity fixtures (tests/fixtures/options/, issue 17): small CLIPs in
open_clip's on-disk layout, each with a set of config options that change the numbers,
and their image and text embeddings computed here in float64 numpy, from open_clip's
definitions of the options (no ClipScope code). option_parity_test.cpp loads each model
with ClipScope and compares.

Run once; the outputs are committed. numpy only (Debian's python3-numpy).
Usage: make_option_fixtures.py OUT_DIR   (the repository's is tests/fixtures/options)
"""
import json
import math
import os
import struct
import sys
import zlib

import numpy as np

# Shapes shared by every case: 32 px images of 8 px patches (16 patches + class token),
# width 32 with 4 heads, 2 blocks per tower, a 12-token context, a 64-token vocabulary.
IMAGE, PATCH, WIDTH, HEADS, LAYERS, EMBED = 32, 8, 32, 4, 2, 16
CONTEXT, VOCAB, T_WIDTH, T_HEADS = 12, 64, 32, 4

# Each case: the config fields it sets and what they mean for the computation.
CASES = {
    # SigLIP-style text side and eps: tanh GELU, LayerNorm eps 1e-6, the last token
    # pooled with bidirectional attention, a bias on the text projection.
    "tanh_eps_last_bidirectional": dict(
        vision_cfg={"act_kwargs": {"approximate": "tanh"}, "norm_kwargs": {"eps": 1e-6}},
        text_cfg={"act_kwargs": {"approximate": "tanh"}, "norm_kwargs": {"eps": 1e-6}, "pool_type": "last",
                  "no_causal_mask": True, "proj_bias": True},
        model_cfg={}),
    # OpenAI-derived weights (MetaCLIP, DFN): QuickGELU; no LayerNorm before the blocks;
    # the first token pooled.
    "quickgelu_no_ln_pre_first": dict(
        vision_cfg={"no_ln_pre": True}, text_cfg={"pool_type": "first"}, model_cfg={"quick_gelu": True}),
    # Exact (erf) GELU and pooling at the first eos_id (placed before the largest id, so
    # argmax pooling would read another position).
    "erf_gelu_eos": dict(vision_cfg={}, text_cfg={"pool_type": "eos", "eos_id": 7}, model_cfg={}),
    # The plain open_clip CLIP (erf GELU, argmax pooling, causal mask): the baseline.
    "plain": dict(vision_cfg={}, text_cfg={}, model_cfg={}),
    # transformers' spelling of three of them, in its own layout (config.json +
    # model.safetensors, q/k/v apart, projections as Linear weights): hidden_act
    # gelu_pytorch_tanh and layer_norm_eps 1e-6 in both towers, eos_token_id 7.
    "hf_tanh_eps_eos": dict(
        vision_cfg={"act_kwargs": {"approximate": "tanh"}, "norm_kwargs": {"eps": 1e-6}},
        text_cfg={"act_kwargs": {"approximate": "tanh"}, "norm_kwargs": {"eps": 1e-6}, "pool_type": "eos", "eos_id": 7},
        model_cfg={}, layout="transformers"),
    # A vision-only transformers checkpoint (CLIPVisionModelWithProjection: config.json is a
    # CLIPVisionConfig, weights vision_model.* and visual_projection.weight) with the same
    # image-side options; it has no text embeddings.
    "hf_vision_only": dict(
        vision_cfg={"act_kwargs": {"approximate": "tanh"}, "norm_kwargs": {"eps": 1e-6}}, text_cfg={},
        model_cfg={}, layout="transformers-vision"),
}


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)  # biased, as torch
    return (x - mean) / np.sqrt(var + eps) * w + b


def activation(x, kind):
    if kind == "quick_gelu":  # open_clip QuickGELU
        return x / (1 + np.exp(-1.702 * x))
    if kind == "tanh":  # nn.GELU(approximate="tanh")
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    erf = np.vectorize(math.erf)  # nn.GELU(): exact
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def attention(x, p, heads, mask):
    n, t, w = x.shape
    qkv = x @ p["attn.in_proj_weight"].T + p["attn.in_proj_bias"]
    q, k, v = np.split(qkv, 3, axis=-1)
    d = w // heads
    split = lambda a: a.reshape(n, t, heads, d).transpose(0, 2, 1, 3)
    q, k, v = split(q), split(k), split(v)
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d)
    if mask is not None:
        scores = scores + mask
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    scores = scores / scores.sum(-1, keepdims=True)
    out = (scores @ v).transpose(0, 2, 1, 3).reshape(n, t, w)
    return out @ p["attn.out_proj.weight"].T + p["attn.out_proj.bias"]


def block(x, p, heads, act, eps, mask):
    x = x + attention(layer_norm(x, p["ln_1.weight"], p["ln_1.bias"], eps), p, heads, mask)
    h = layer_norm(x, p["ln_2.weight"], p["ln_2.bias"], eps) @ p["mlp.c_fc.weight"].T + p["mlp.c_fc.bias"]
    return x + activation(h, act) @ p["mlp.c_proj.weight"].T + p["mlp.c_proj.bias"]


def blocks_of(w, prefix, layers):
    return [{k[len(prefix) + len("%d." % i):]: v for k, v in w.items() if k.startswith(prefix + "%d." % i)}
            for i in range(layers)]


def tower_options(case, tower):
    cfg = case[tower]
    act = "quick_gelu" if case["model_cfg"].get("quick_gelu") else cfg.get("act_kwargs", {}).get("approximate", "erf")
    return act, cfg.get("norm_kwargs", {}).get("eps", 1e-5)


def encode_image(w, case, pixels):
    act, eps = tower_options(case, "vision_cfg")
    n, g = pixels.shape[0], IMAGE // PATCH
    patches = pixels.reshape(n, 3, g, PATCH, g, PATCH).transpose(0, 2, 4, 1, 3, 5).reshape(n, g * g, -1)
    x = patches @ w["visual.conv1.weight"].reshape(WIDTH, -1).T  # the stride-PATCH convolution, no bias
    cls = np.broadcast_to(w["visual.class_embedding"], (n, 1, WIDTH))
    x = np.concatenate([cls, x], axis=1) + w["visual.positional_embedding"]
    if not case["vision_cfg"].get("no_ln_pre"):
        x = layer_norm(x, w["visual.ln_pre.weight"], w["visual.ln_pre.bias"], eps)
    for p in blocks_of(w, "visual.transformer.resblocks.", LAYERS):
        x = block(x, p, HEADS, act, eps, None)
    pooled = layer_norm(x[:, 0], w["visual.ln_post.weight"], w["visual.ln_post.bias"], eps)
    return pooled @ w["visual.proj"]


def encode_text(w, case, ids):
    act, eps = tower_options(case, "text_cfg")
    t = case["text_cfg"]
    x = w["token_embedding.weight"][ids] + w["positional_embedding"]
    mask = None if t.get("no_causal_mask") else np.triu(np.full((CONTEXT, CONTEXT), -np.inf), 1)
    for p in blocks_of(w, "transformer.resblocks.", LAYERS):
        x = block(x, p, T_HEADS, act, eps, mask)
    x = layer_norm(x, w["ln_final.weight"], w["ln_final.bias"], eps)  # final_ln_after_pool = False
    pool = t.get("pool_type", "argmax")
    rows = np.arange(len(ids))
    if pool == "argmax":
        x = x[rows, ids.argmax(-1)]
    elif pool == "first":
        x = x[:, 0]
    elif pool == "last":
        x = x[:, -1]
    else:  # "eos": the first eos_id
        x = x[rows, (ids == t["eos_id"]).argmax(-1)]
    if t.get("proj_bias"):  # nn.Linear: weight [E, W]
        return x @ w["text_projection.weight"].T + w["text_projection.bias"]
    return x @ w["text_projection"]


def random_weights(case, rng):
    def normal(*shape, scale=0.2):
        return rng.normal(0, scale, shape)

    w = {"visual.conv1.weight": normal(WIDTH, 3, PATCH, PATCH, scale=0.05), "visual.class_embedding": normal(WIDTH),
         "visual.positional_embedding": normal(1 + (IMAGE // PATCH) ** 2, WIDTH),
         "visual.ln_post.weight": 1 + normal(WIDTH, scale=0.1), "visual.ln_post.bias": normal(WIDTH, scale=0.1),
         "visual.proj": normal(WIDTH, EMBED), "token_embedding.weight": normal(VOCAB, T_WIDTH),
         "positional_embedding": normal(CONTEXT, T_WIDTH), "ln_final.weight": 1 + normal(T_WIDTH, scale=0.1),
         "ln_final.bias": normal(T_WIDTH, scale=0.1), "logit_scale": np.array(math.log(1 / 0.07))}
    if not case["vision_cfg"].get("no_ln_pre"):
        w["visual.ln_pre.weight"] = 1 + normal(WIDTH, scale=0.1)
        w["visual.ln_pre.bias"] = normal(WIDTH, scale=0.1)
    if case["text_cfg"].get("proj_bias"):
        w["text_projection.weight"] = normal(EMBED, T_WIDTH)
        w["text_projection.bias"] = normal(EMBED)
    else:
        w["text_projection"] = normal(T_WIDTH, EMBED)
    for prefix, width in (("visual.transformer.resblocks.", WIDTH), ("transformer.resblocks.", T_WIDTH)):
        for i in range(LAYERS):
            b = prefix + "%d." % i
            w[b + "ln_1.weight"], w[b + "ln_1.bias"] = 1 + normal(width, scale=0.1), normal(width, scale=0.1)
            w[b + "ln_2.weight"], w[b + "ln_2.bias"] = 1 + normal(width, scale=0.1), normal(width, scale=0.1)
            w[b + "attn.in_proj_weight"], w[b + "attn.in_proj_bias"] = normal(3 * width, width), normal(3 * width)
            w[b + "attn.out_proj.weight"], w[b + "attn.out_proj.bias"] = normal(width, width), normal(width)
            w[b + "mlp.c_fc.weight"], w[b + "mlp.c_fc.bias"] = normal(4 * width, width), normal(4 * width)
            w[b + "mlp.c_proj.weight"], w[b + "mlp.c_proj.bias"] = normal(width, 4 * width), normal(width)
    # Stored as float32; the reference computes from exactly the stored values.
    return {k: v.astype(np.float32).astype(np.float64) for k, v in w.items()}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = tensors[name].astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def write_npy(path, a):
    a = np.ascontiguousarray(a)
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (a.dtype.str, repr(tuple(a.shape)))
    header += " " * (-(len(header) + 11) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + a.tobytes())


def transformers_weights(w):
    """open_clip names -> transformers CLIPModel names (the layout, not the numbers)."""
    out = {"vision_model.embeddings.patch_embedding.weight": w["visual.conv1.weight"],
           "vision_model.embeddings.class_embedding": w["visual.class_embedding"],
           "vision_model.embeddings.position_embedding.weight": w["visual.positional_embedding"],
           "vision_model.pre_layrnorm.weight": w["visual.ln_pre.weight"],
           "vision_model.pre_layrnorm.bias": w["visual.ln_pre.bias"],
           "vision_model.post_layernorm.weight": w["visual.ln_post.weight"],
           "vision_model.post_layernorm.bias": w["visual.ln_post.bias"],
           "visual_projection.weight": w["visual.proj"].T,
           "text_model.embeddings.token_embedding.weight": w["token_embedding.weight"],
           "text_model.embeddings.position_embedding.weight": w["positional_embedding"],
           "text_model.final_layer_norm.weight": w["ln_final.weight"],
           "text_model.final_layer_norm.bias": w["ln_final.bias"],
           "text_projection.weight": w["text_projection"].T, "logit_scale": w["logit_scale"]}
    for src, dst in (("visual.transformer.resblocks.", "vision_model.encoder.layers."),
                     ("transformer.resblocks.", "text_model.encoder.layers.")):
        for i in range(LAYERS):
            a, b = src + "%d." % i, dst + "%d." % i
            q, k, v = np.split(w[a + "attn.in_proj_weight"], 3, axis=0)
            qb, kb, vb = np.split(w[a + "attn.in_proj_bias"], 3)
            for name, weight, bias in (("q_proj", q, qb), ("k_proj", k, kb), ("v_proj", v, vb)):
                out[b + "self_attn.%s.weight" % name], out[b + "self_attn.%s.bias" % name] = weight, bias
            pairs = {"self_attn.out_proj": "attn.out_proj", "layer_norm1": "ln_1", "layer_norm2": "ln_2",
                     "mlp.fc1": "mlp.c_fc", "mlp.fc2": "mlp.c_proj"}
            for hf, oc in pairs.items():
                out[b + hf + ".weight"], out[b + hf + ".bias"] = w[a + oc + ".weight"], w[a + oc + ".bias"]
    return out


def transformers_config():
    tower = {"hidden_act": "gelu_pytorch_tanh", "layer_norm_eps": 1e-6, "num_hidden_layers": LAYERS}
    return {"architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": EMBED,
            "text_config": {"model_type": "clip_text_model", "vocab_size": VOCAB, "hidden_size": T_WIDTH,
                            "intermediate_size": 4 * T_WIDTH, "num_attention_heads": T_HEADS,
                            "max_position_embeddings": CONTEXT, "eos_token_id": 7, **tower},
            "vision_config": {"model_type": "clip_vision_model", "hidden_size": WIDTH, "intermediate_size": 4 * WIDTH,
                              "num_attention_heads": HEADS, "image_size": IMAGE, "patch_size": PATCH, **tower}}


def transformers_vision_config():
    vision = transformers_config()["vision_config"]
    return {"architectures": ["CLIPVisionModelWithProjection"], **vision, "projection_dim": EMBED}


def config_of(case):
    vision = {"image_size": IMAGE, "patch_size": PATCH, "width": WIDTH, "layers": LAYERS,
              "head_width": WIDTH // HEADS, "mlp_ratio": 4.0, **case["vision_cfg"]}
    text = {"context_length": CONTEXT, "vocab_size": VOCAB, "width": T_WIDTH, "heads": T_HEADS, "layers": LAYERS,
            **case["text_cfg"]}
    return {"model_cfg": {"embed_dim": EMBED, **case["model_cfg"], "vision_cfg": vision, "text_cfg": text},
            "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}}


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(17)
    pixels = rng.normal(0, 1, (2, 3, IMAGE, IMAGE)).astype(np.float32).astype(np.float64)
    # Token rows: SOT-like 1, words, an eos_id (7) before the largest id (63), then padding
    # 0; pooling at argmax, first, last or the first 7 reads four different positions.
    ids = np.array([[1, 12, 7, 40, 63, 5, 0, 0, 0, 0, 0, 0],
                    [1, 30, 22, 7, 9, 13, 63, 0, 0, 0, 0, 0]], dtype=np.int64)
    plain = CASES["plain"]
    for name, case in CASES.items():
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        w = random_weights(case, np.random.default_rng(zlib.crc32(name.encode())))
        vision_only = case.get("layout") == "transformers-vision"
        if vision_only:
            with open(os.path.join(folder, "config.json"), "w") as f:
                json.dump(transformers_vision_config(), f, indent=1)
                f.write("\n")
            write_safetensors(os.path.join(folder, "model.safetensors"),
                              {k: v for k, v in transformers_weights(w).items()
                               if k.startswith("vision_model.") or k == "visual_projection.weight"})
        elif case.get("layout") == "transformers":
            with open(os.path.join(folder, "config.json"), "w") as f:
                json.dump(transformers_config(), f, indent=1)
                f.write("\n")
            write_safetensors(os.path.join(folder, "model.safetensors"), transformers_weights(w))
        else:
            with open(os.path.join(folder, "open_clip_config.json"), "w") as f:
                json.dump(config_of(case), f, indent=1)
                f.write("\n")
            write_safetensors(os.path.join(folder, "open_clip_model.safetensors"), w)
        write_npy(os.path.join(folder, "pixels.npy"), pixels.astype(np.float32))
        write_npy(os.path.join(folder, "image_embedding.npy"), encode_image(w, case, pixels).astype(np.float32))
        if not vision_only:
            write_npy(os.path.join(folder, "tokens.npy"), ids)
            write_npy(os.path.join(folder, "text_embedding.npy"), encode_text(w, case, ids).astype(np.float32))
        # The same weights computed as the plain CLIP: how far the options move the numbers
        # (the test checks that the fixture exercises them). Where the case lacks a weight a
        # plain CLIP has, the plain one gets a unit ln_pre; a projection bias is left out.
        if name != "plain":
            pw = dict(w)
            pw.setdefault("visual.ln_pre.weight", np.ones(WIDTH))
            pw.setdefault("visual.ln_pre.bias", np.zeros(WIDTH))
            if "text_projection.weight" in pw:
                pw["text_projection"] = pw["text_projection.weight"].T
            write_npy(os.path.join(folder, "image_embedding_plain.npy"),
                      encode_image(pw, plain, pixels).astype(np.float32))
            if not vision_only:
                write_npy(os.path.join(folder, "text_embedding_plain.npy"),
                          encode_text(pw, plain, ids).astype(np.float32))
    print("wrote %d cases to %s" % (len(CASES), out))


if __name__ == "__main__":
    main()
