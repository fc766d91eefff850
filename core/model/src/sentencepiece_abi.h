#pragma once
// The C interface between the model module and the SentencePiece module
// (core/model/sentencepiece/), which is loaded with dlmopen: Debian's libsentencepiece carries
// its own copy of protobuf-lite, whose exported symbols clash with the libprotobuf that
// LibTorch loads (linked together, libprotobuf crashes while it initialises). Loaded into
// a link namespace of its own, the module and its library resolve their
// symbols among themselves. Plain C types only, so neither side depends on the other's C++ ABI.
#include <stddef.h>

#define CLIPSCOPE_SPM_ABI_VERSION 1

extern "C" {
typedef int (*clipscope_spm_abi_version_fn)(void);
// A SentencePiece model from its serialized ModelProto; add_dummy_prefix switched off when
// `no_dummy_prefix` is set (transformers' SiglipTokenizer does so). Null on failure, with the
// reason in `error`.
typedef void* (*clipscope_spm_load_fn)(const char* bytes, size_t size, int no_dummy_prefix, char* error,
                                       size_t error_size);
typedef void (*clipscope_spm_free_fn)(void* model);
typedef int (*clipscope_spm_vocab_size_fn)(void* model);
// The id of a piece, or -1 when it is not one of the model's pieces.
typedef int (*clipscope_spm_piece_id_fn)(void* model, const char* piece);
// Encodes UTF-8 text into ids. Returns how many there are (when more than `capacity`, only
// `capacity` are written: call again with room), or -1 with the reason in `error`.
typedef long (*clipscope_spm_encode_fn)(void* model, const char* text, size_t size, int* ids, size_t capacity,
                                        char* error, size_t error_size);
}
