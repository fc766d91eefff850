// The SentencePiece module: libsentencepiece behind the C interface of sentencepiece_abi.h,
// built as a shared object that the model module loads at run time (why: sentencepiece_abi.h).
#include <sentencepiece_processor.h>

#include <cstring>
#include <string>
#include <vector>

#include "sentencepiece_abi.h"

namespace {

void set_error(char* error, size_t size, const std::string& message) {
    if (!error || size == 0) return;
    const size_t n = std::min(size - 1, message.size());
    std::memcpy(error, message.data(), n);
    error[n] = '\0';
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int clipscope_spm_abi_version(void) { return CLIPSCOPE_SPM_ABI_VERSION; }

__attribute__((visibility("default"))) void* clipscope_spm_load(const char* bytes, size_t size, int no_dummy_prefix,
                                                                char* error, size_t error_size) {
    std::string proto(bytes, size);
    // Protocol buffers merge a repeated embedded message into the first: field 3
    // (normalizer_spec, length-delimited: tag 0x1a) holding field 3 (add_dummy_prefix,
    // varint: tag 0x18) = 0 switches the dummy prefix off, as transformers' MergeFrom does.
    if (no_dummy_prefix) proto.append("\x1a\x02\x18\x00", 4);
    auto* model = new sentencepiece::SentencePieceProcessor();
    const auto status = model->LoadFromSerializedProto(proto);
    if (!status.ok()) {
        set_error(error, error_size, status.ToString());
        delete model;
        return nullptr;
    }
    return model;
}

__attribute__((visibility("default"))) void clipscope_spm_free(void* model) {
    delete static_cast<sentencepiece::SentencePieceProcessor*>(model);
}

__attribute__((visibility("default"))) int clipscope_spm_vocab_size(void* model) {
    return static_cast<sentencepiece::SentencePieceProcessor*>(model)->GetPieceSize();
}

__attribute__((visibility("default"))) int clipscope_spm_piece_id(void* model, const char* piece) {
    const auto* sp = static_cast<sentencepiece::SentencePieceProcessor*>(model);
    const int id = sp->PieceToId(piece);
    // PieceToId answers unk_id for a string that is no piece; only <unk> itself maps there.
    return id == sp->unk_id() && sp->IdToPiece(id) != piece ? -1 : id;
}

__attribute__((visibility("default"))) long clipscope_spm_encode(void* model, const char* text, size_t size, int* ids,
                                                                 size_t capacity, char* error, size_t error_size) {
    std::vector<int> out;
    const auto status =
        static_cast<sentencepiece::SentencePieceProcessor*>(model)->Encode(absl::string_view(text, size), &out);
    if (!status.ok()) {
        set_error(error, error_size, status.ToString());
        return -1;
    }
    for (size_t i = 0; i < out.size() && i < capacity; ++i) ids[i] = out[i];
    return static_cast<long>(out.size());
}

}  // extern "C"
