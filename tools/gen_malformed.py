#!/usr/bin/env python3
"""Writes tests/data/model/malformed/: a tiny valid model directory ("valid") and one directory per
malformed input, each differing from it in one file, plus MANIFEST.tsv with, per case, the status
clembed_model_open() must return, the file (relative to the case) its message must name, and a
substring the message must contain.  Runs on the standard library; where the reference
`safetensors` package is installed it also checks that the reference rejects every broken
safetensors file that clembed rejects as malformed.

    python3 tools/gen_malformed.py
"""
import json
import os
import shutil
import struct
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(TOP, "tests", "data", "model", "malformed")

H, I, V, P, T = 4, 8, 8, 8, 2   # hidden, intermediate, vocabulary, positions, token types


def floats(n, seed):
    return [((i * 7 + seed * 13) % 17 - 8) / 8.0 for i in range(n)]


def encoder_tensors():
    t = {
        "embeddings.word_embeddings.weight": [V, H],
        "embeddings.position_embeddings.weight": [P, H],
        "embeddings.token_type_embeddings.weight": [T, H],
        "embeddings.LayerNorm.weight": [H],
        "embeddings.LayerNorm.bias": [H],
    }
    pre = "encoder.layer.0."
    for n in ("query", "key", "value"):
        t[pre + "attention.self.%s.weight" % n] = [H, H]
        t[pre + "attention.self.%s.bias" % n] = [H]
    t[pre + "attention.output.dense.weight"] = [H, H]
    t[pre + "attention.output.dense.bias"] = [H]
    t[pre + "attention.output.LayerNorm.weight"] = [H]
    t[pre + "attention.output.LayerNorm.bias"] = [H]
    t[pre + "intermediate.dense.weight"] = [I, H]
    t[pre + "intermediate.dense.bias"] = [I]
    t[pre + "output.dense.weight"] = [H, I]
    t[pre + "output.dense.bias"] = [H]
    t[pre + "output.LayerNorm.weight"] = [H]
    t[pre + "output.LayerNorm.bias"] = [H]
    return {k: ("F32", s) for k, s in t.items()}


SIZES = {"F32": 4, "F16": 2, "BF16": 2, "I32": 4, "I64": 8}


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def safetensors(tensors, metadata=None):
    """Bytes of a well-formed file: {name: (dtype, shape)} with deterministic values."""
    header, blobs, off = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for i, name in enumerate(sorted(tensors)):
        dtype, shape = tensors[name]
        if dtype == "F32":
            data = struct.pack("<%df" % numel(shape), *floats(numel(shape), i))
        else:
            data = bytes((i + k) % 251 for k in range(numel(shape) * SIZES[dtype]))
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    return raw(json.dumps(header, separators=(",", ":")).encode(), b"".join(blobs))


def raw(header_bytes, data, pad=True):
    if pad:
        header_bytes += b" " * ((8 - len(header_bytes) % 8) % 8)
    return struct.pack("<Q", len(header_bytes)) + header_bytes + data


def split(blob):
    n = struct.unpack("<Q", blob[:8])[0]
    return json.loads(blob[8:8 + n]), blob[8 + n:]


def rebuild(header, data):
    return raw(json.dumps(header, separators=(",", ":")).encode(), data)


CONFIG = {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": H,
          "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": I,
          "hidden_act": "gelu", "layer_norm_eps": 1e-12, "max_position_embeddings": P,
          "type_vocab_size": T, "vocab_size": V, "pad_token_id": 0,
          "position_embedding_type": "absolute"}
MODULES = [
    {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
    {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
    {"idx": 3, "name": "3", "path": "3_Normalize", "type": "sentence_transformers.models.Normalize"},
]
POOLING = {"word_embedding_dimension": H, "pooling_mode_cls_token": False,
           "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
           "pooling_mode_mean_sqrt_len_tokens": False}
DENSE = {"in_features": H, "out_features": 3, "bias": True,
         "activation_function": "torch.nn.modules.activation.Tanh"}
DENSE_T = {"linear.weight": ("F32", [3, H]), "linear.bias": ("F32", [3])}
SBERT = {"max_seq_length": 6, "do_lower_case": False}
STCFG = {"__version__": {"sentence_transformers": "5.3.0"}, "prompts": {"query": "q: "},
         "default_prompt_name": None, "similarity_fn_name": "cosine"}


def base_files():
    j = lambda o: json.dumps(o, indent=1).encode()   # noqa: E731
    return {
        "config.json": j(CONFIG),
        "model.safetensors": safetensors(encoder_tensors(), {"format": "pt"}),
        "modules.json": j(MODULES),
        "sentence_bert_config.json": j(SBERT),
        "tokenizer_config.json": j({"model_max_length": 512, "do_lower_case": True}),
        "config_sentence_transformers.json": j(STCFG),
        "1_Pooling/config.json": j(POOLING),
        "2_Dense/config.json": j(DENSE),
        "2_Dense/model.safetensors": safetensors(DENSE_T),
        "3_Normalize/config.json": j({}),
    }


CASES = []


def case(name, status, file, substring, reference_rejects=None):
    """Registers a mutation of the base files; reference_rejects: the file the reference
    safetensors library must refuse too."""
    def deco(fn):
        CASES.append((name, status, file, substring, fn, reference_rejects))
        return fn
    return deco


def jset(files, path, **kv):
    o = json.loads(files[path])
    o.update(kv)
    files[path] = json.dumps(o).encode()


def jdel(files, path, key):
    o = json.loads(files[path])
    del o[key]
    files[path] = json.dumps(o).encode()


def st_edit(files, fn, path="model.safetensors"):
    h, d = split(files[path])
    d = fn(h, d)
    files[path] = rebuild(h, d)


ST = "model.safetensors"


# ---- safetensors ----------------------------------------------------------------------------
@case("st_empty_file", "FORMAT", ST, "shorter than the 8-byte header length", ST)
def _(f): f[ST] = b""


@case("st_truncated_length", "FORMAT", ST, "shorter than the 8-byte header length", ST)
def _(f): f[ST] = f[ST][:5]


@case("st_header_past_end", "FORMAT", ST, "runs past the end of the file", ST)
def _(f): f[ST] = struct.pack("<Q", 100000) + f[ST][8:200]


@case("st_header_too_large", "TOO_LARGE", ST, "more than the limit of 100000000 bytes", ST)
def _(f): f[ST] = struct.pack("<Q", 1 << 63) + f[ST][8:]


@case("st_truncated_data", "FORMAT", ST, "past the end of the data area", ST)
def _(f): f[ST] = f[ST][:-10]


@case("st_trailing_bytes", "FORMAT", ST, "trailing bytes", ST)
def _(f): f[ST] = f[ST] + b"\0" * 4


@case("st_gap", "FORMAT", ST, "bytes [0, 4) of the data area belong to no tensor", ST)
def _(f):
    def g(h, d):
        for n, e in h.items():
            if n != "__metadata__":
                e["data_offsets"] = [e["data_offsets"][0] + 4, e["data_offsets"][1] + 4]
        return b"\0" * 4 + d
    st_edit(f, g)


@case("st_overlap", "FORMAT", ST, "overlap", ST)
def _(f):
    def g(h, d):
        a = h["embeddings.LayerNorm.bias"]["data_offsets"]
        h["embeddings.LayerNorm.weight"]["data_offsets"] = [a[0] + 8, a[1] + 8]
        return d
    st_edit(f, g)


@case("st_offsets_reversed", "FORMAT", ST, "end before they begin", ST)
def _(f):
    def g(h, d):
        a = h["embeddings.LayerNorm.bias"]["data_offsets"]
        h["embeddings.LayerNorm.bias"]["data_offsets"] = [a[1], a[0]]
        return d
    st_edit(f, g)


@case("st_dtype_size_mismatch", "FORMAT", ST, "of F16 is 8 bytes, but data_offsets", ST)
def _(f):
    def g(h, d):
        h["embeddings.LayerNorm.bias"]["dtype"] = "F16"
        return d
    st_edit(f, g)


@case("st_unknown_dtype", "FORMAT", ST, "unknown dtype 'F33'", ST)
def _(f):
    def g(h, d):
        h["embeddings.LayerNorm.bias"]["dtype"] = "F33"
        return d
    st_edit(f, g)


@case("st_huge_shape", "TOO_LARGE", ST, "more elements than 64 bits count", ST)
def _(f):
    def g(h, d):
        h["embeddings.LayerNorm.bias"]["shape"] = [1 << 40, 1 << 40]
        return d
    st_edit(f, g)


@case("st_shape_negative", "FORMAT", ST, "shape entry must be a non-negative integer, not -4", ST)
def _(f):
    def g(h, d):
        h["embeddings.LayerNorm.bias"]["shape"] = [-4]
        return d
    st_edit(f, g)


@case("st_shape_fraction", "FORMAT", ST, "shape entry must be a non-negative integer, not 4.5", ST)
def _(f):
    def g(h, d):
        h["embeddings.LayerNorm.bias"]["shape"] = [4.5]
        return d
    st_edit(f, g)


@case("st_shape_string", "FORMAT", ST, "shape must be an array, not a string", ST)
def _(f):
    def g(h, d):
        h["embeddings.LayerNorm.bias"]["shape"] = "4"
        return d
    st_edit(f, g)


@case("st_five_dimensions", "UNSUPPORTED", ST, "has 5 dimensions; at most 4")
def _(f):
    def g(h, d):
        h["embeddings.LayerNorm.bias"]["shape"] = [1, 1, 1, 1, 4]
        return d
    st_edit(f, g)


@case("st_offset_beyond_2p53", "TOO_LARGE", ST, "is larger than 2^53", ST)
def _(f):
    def g(h, d):
        h["embeddings.LayerNorm.bias"]["data_offsets"] = [0, 1 << 60]
        return d
    st_edit(f, g)


@case("st_header_not_json", "FORMAT", ST, "header: not valid JSON near line 1, column", ST)
def _(f): f[ST] = raw(b"{not json}", b"")


@case("st_header_array", "FORMAT", ST, "header must be a JSON object, not an array", ST)
def _(f): f[ST] = raw(b"[1, 2]", b"")


@case("st_header_extra_data", "FORMAT", ST, "extra data after the value", ST)
def _(f):
    h, d = split(f[ST])
    f[ST] = raw(json.dumps(h).encode() + b"x", d, pad=False)


@case("st_non_utf8_name", "FORMAT", ST, "header: not valid UTF-8 (byte 0xff", ST)
def _(f):
    h, d = split(f[ST])
    text = json.dumps(h).replace("embeddings.LayerNorm.bias", "embeddings.LayerNorm.bia\udcff")
    f[ST] = raw(text.encode("utf-8", "surrogateescape"), d)


@case("st_control_char_name", "FORMAT", ST, "control character 0x01 inside a string", ST)
def _(f):
    h, d = split(f[ST])
    text = json.dumps(h).replace("embeddings.LayerNorm.bias", "embeddings.LayerNorm.bia\x01")
    f[ST] = raw(text.encode(), d)


@case("st_nul_in_name", "FORMAT", ST, "escaped NUL")
def _(f):
    h, d = split(f[ST])
    h["embeddings.LayerNorm.bias\u0000x"] = h.pop("embeddings.LayerNorm.bias")
    f[ST] = rebuild(h, d)


@case("st_duplicate_name", "FORMAT", ST, "tensor name 'embeddings.LayerNorm.bias' appears twice", ST)
def _(f):
    h, d = split(f[ST])
    e = h["embeddings.LayerNorm.bias"]
    text = json.dumps(h)[:-1] + ',"embeddings.LayerNorm.bias":' + json.dumps(
        {"dtype": "F32", "shape": [4], "data_offsets": [len(d), len(d) + 16]}) + "}"
    f[ST] = raw(text.encode(), d + d[e["data_offsets"][0]:e["data_offsets"][1]])


@case("st_missing_offsets", "FORMAT", ST, "tensor 'embeddings.LayerNorm.bias': no 'data_offsets'", ST)
def _(f):
    def g(h, d):
        del h["embeddings.LayerNorm.bias"]["data_offsets"]
        return d
    st_edit(f, g)


@case("st_three_offsets", "FORMAT", ST, "data_offsets must be an array of two integers", ST)
def _(f):
    def g(h, d):
        h["embeddings.LayerNorm.bias"]["data_offsets"].append(4)
        return d
    st_edit(f, g)


@case("st_metadata_not_string", "FORMAT", ST, "__metadata__ 'format' must be a string, not a number", ST)
def _(f):
    def g(h, d):
        h["__metadata__"] = {"format": 1}
        return d
    st_edit(f, g)


@case("st_entry_not_object", "FORMAT", ST, "tensor 'x': entry must be an object, not a number", ST)
def _(f):
    def g(h, d):
        h["x"] = 5
        return d
    st_edit(f, g)


@case("st_missing_tensor", "FORMAT", ST, "no tensor 'encoder.layer.0.output.dense.bias'")
def _(f):
    t = encoder_tensors()
    del t["encoder.layer.0.output.dense.bias"]
    f[ST] = safetensors(t)


@case("st_wrong_shape", "FORMAT", ST,
      "tensor 'encoder.layer.0.attention.self.query.weight' has shape [2, 8], but")
def _(f):
    t = encoder_tensors()
    t["encoder.layer.0.attention.self.query.weight"] = ("F32", [2, 8])
    f[ST] = safetensors(t)


@case("st_integer_weights", "UNSUPPORTED", ST,
      "tensor 'embeddings.word_embeddings.weight' is I32; weights must be F32, F16 or BF16")
def _(f):
    t = encoder_tensors()
    t["embeddings.word_embeddings.weight"] = ("I32", [V, H])
    f[ST] = safetensors(t)


# ---- config.json ------------------------------------------------------------------------------
C = "config.json"


@case("cfg_missing", "NOT_FOUND", C, "cannot open")
def _(f): del f[C]


@case("cfg_not_json", "FORMAT", C, "not valid JSON near line 1")
def _(f): f[C] = b"{\"model_type\": bert}"


@case("cfg_not_object", "FORMAT", C, "must be a JSON object, not an array")
def _(f): f[C] = b"[]"


@case("cfg_bom", "FORMAT", C, "byte-order mark")
def _(f): f[C] = b"\xef\xbb\xbf" + f[C]


@case("cfg_non_utf8", "FORMAT", C, "not valid UTF-8 (byte 0xe9")
def _(f): f[C] = f[C].replace(b'"BertModel"', b'"B\xe9rtModel"')


@case("cfg_no_model_type", "FORMAT", C, "no 'model_type'")
def _(f): jdel(f, C, "model_type")


@case("cfg_model_type_number", "FORMAT", C, "'model_type' must be a string, not a number")
def _(f): jset(f, C, model_type=7)


@case("cfg_unsupported_arch", "UNSUPPORTED", C, "model_type 'gpt2' is not supported")
def _(f): jset(f, C, model_type="gpt2")


T5 = {"model_type": "t5", "d_model": H, "d_kv": 2, "d_ff": I, "num_layers": 1, "num_heads": 2,
      "vocab_size": V, "feed_forward_proj": "relu", "relative_attention_num_buckets": 8,
      "relative_attention_max_distance": 16}
QWEN3 = {"model_type": "qwen3", "hidden_size": H, "num_hidden_layers": 1, "num_attention_heads": 2,
         "num_key_value_heads": 1, "head_dim": 2, "intermediate_size": I, "vocab_size": V,
         "max_position_embeddings": P, "rms_norm_eps": 1e-6,
         "rope_parameters": {"rope_theta": 1000000.0, "rope_type": "default"}}
MODERNBERT = {"model_type": "modernbert", "hidden_size": H, "num_hidden_layers": 2,
              "num_attention_heads": 2, "intermediate_size": I, "vocab_size": V,
              "max_position_embeddings": P, "pad_token_id": 0, "local_attention": 4,
              "layer_types": ["full_attention", "sliding_attention"]}


def jreplace(files, path, obj, **kv):
    o = dict(obj)
    o.update(kv)
    files[path] = json.dumps(o).encode()


@case("cfg_t5_ff_proj", "FORMAT", C, "feed_forward_proj 'gated-gelu-new' is not '<activation>' or 'gated-<activation>'")
def _(f): jreplace(f, C, T5, feed_forward_proj="gated-gelu-new")


@case("cfg_t5_ff_act", "UNSUPPORTED", C, "feed_forward_proj 'gated-mish' is not supported")
def _(f): jreplace(f, C, T5, feed_forward_proj="gated-mish")


@case("cfg_rope_scaling", "UNSUPPORTED", C, "rope_scaling is an object; only rotary positions without scaling")
def _(f): jreplace(f, C, QWEN3, rope_scaling={"rope_type": "yarn", "factor": 4.0})


@case("cfg_rope_type", "UNSUPPORTED", C, "rope_parameters.rope_type is 'yarn'")
def _(f): jreplace(f, C, QWEN3, rope_parameters={"rope_type": "yarn", "rope_theta": 1e6})


@case("cfg_kv_heads_not_divisor", "FORMAT", C, "num_attention_heads 2 is not a multiple of num_key_value_heads 3")
def _(f): jreplace(f, C, QWEN3, num_key_value_heads=3)


@case("cfg_layer_type_unknown", "UNSUPPORTED", C, "layer_types[1] is 'chunked_attention'")
def _(f): jreplace(f, C, MODERNBERT, layer_types=["full_attention", "chunked_attention"])


@case("cfg_layer_types_count", "FORMAT", C, "'layer_types' must be a list of 2 strings")
def _(f): jreplace(f, C, MODERNBERT, layer_types=["full_attention"])


@case("w_missing_tensor", "FORMAT", ST, "no tensor 'encoder.layer.0.output.dense.bias'")
def _(f):
    t = encoder_tensors()
    del t["encoder.layer.0.output.dense.bias"]
    f[ST] = safetensors(t, {"format": "pt"})


@case("w_wrong_shape", "FORMAT", ST, "tensor 'encoder.layer.0.intermediate.dense.weight' has shape [9, 4]")
def _(f):
    t = encoder_tensors()
    t["encoder.layer.0.intermediate.dense.weight"] = ("F32", [I + 1, H])
    f[ST] = safetensors(t, {"format": "pt"})


@case("cfg_hidden_string", "FORMAT", C, "'hidden_size' must be an integer, not a string")
def _(f): jset(f, C, hidden_size="4")


@case("cfg_layers_fraction", "FORMAT", C, "'num_hidden_layers' must be an integer, not 1.5")
def _(f): jset(f, C, num_hidden_layers=1.5)


@case("cfg_heads_not_divisor", "FORMAT", C, "hidden_size 4 is not a multiple of num_attention_heads 3")
def _(f): jset(f, C, num_attention_heads=3)


@case("cfg_intermediate_null", "FORMAT", C, "'intermediate_size' must be an integer, not null")
def _(f): jset(f, C, intermediate_size=None)


@case("cfg_vocab_huge", "FORMAT", C, "'vocab_size' is 1e+30, outside the range")
def _(f): jset(f, C, vocab_size=1e30)


@case("cfg_positions_bool", "FORMAT", C, "'max_position_embeddings' must be an integer, not true")
def _(f): jset(f, C, max_position_embeddings=True)


@case("cfg_type_vocab_zero", "FORMAT", C, "'type_vocab_size' is 0, outside the range [1,")
def _(f): jset(f, C, type_vocab_size=0)


@case("cfg_act_unsupported", "UNSUPPORTED", C, "hidden_act 'mish' is not supported")
def _(f): jset(f, C, hidden_act="mish")


@case("cfg_act_object", "FORMAT", C, "'hidden_act' must be a string, not an object")
def _(f): jset(f, C, hidden_act={"gelu": 1})


@case("cfg_eps_negative", "FORMAT", C, "'layer_norm_eps' is -1, outside the range")
def _(f): jset(f, C, layer_norm_eps=-1)


@case("cfg_eps_string", "FORMAT", C, "'layer_norm_eps' must be a number, not a string")
def _(f): jset(f, C, layer_norm_eps="1e-12")


@case("cfg_relative_positions", "UNSUPPORTED", C, "position_embedding_type 'relative_key' is not supported")
def _(f): jset(f, C, position_embedding_type="relative_key")


@case("cfg_pad_outside_vocab", "FORMAT", C, "'pad_token_id' is 100, outside the range [0, 7]")
def _(f): jset(f, C, pad_token_id=100)


@case("cfg_decoder", "UNSUPPORTED", C, "is_decoder is true")
def _(f): jset(f, C, is_decoder=True)


@case("cfg_architectures_string", "FORMAT", C, "'architectures' must be a list of strings, not a string")
def _(f): jset(f, C, architectures="BertModel")


@case("cfg_roberta_pad_null", "FORMAT", C, "pad_token_id is null, but roberta numbers positions")
def _(f): jset(f, C, model_type="roberta", pad_token_id=None)


# ---- modules.json ------------------------------------------------------------------------------
M = "modules.json"


def mods(f, fn):
    m = json.loads(f[M])
    fn(m)
    f[M] = json.dumps(m).encode()


@case("modules_not_list", "FORMAT", M, "must be a list of modules, not an object")
def _(f): f[M] = b"{}"


@case("modules_empty", "FORMAT", M, "lists no modules")
def _(f): f[M] = b"[]"


@case("modules_no_type", "FORMAT", M, "module 1 has no 'type'")
def _(f): mods(f, lambda m: m[1].pop("type"))


@case("modules_name_number", "FORMAT", M, "'name' must be a string, not a number")
def _(f): mods(f, lambda m: m[1].update(name=1))


@case("modules_idx_string", "FORMAT", M, "'idx' must be an integer, not a string")
def _(f): mods(f, lambda m: m[1].update(idx="1"))


@case("modules_parent_path", "FORMAT", M, "path '../1_Pooling' must be relative, without '..'")
def _(f): mods(f, lambda m: m[1].update(path="../1_Pooling"))


@case("modules_duplicate_name", "FORMAT", M, "module name '1' appears twice")
def _(f): mods(f, lambda m: m[2].update(name="1"))


@case("modules_custom_class", "UNSUPPORTED", M, "custom class 'modeling_custom.MyPooling'")
def _(f): mods(f, lambda m: m[1].update(type="modeling_custom.MyPooling"))


@case("modules_router", "UNSUPPORTED", M, "type 'sentence_transformers.models.Router' is not supported")
def _(f): mods(f, lambda m: m[1].update(type="sentence_transformers.models.Router"))


@case("modules_no_pooling", "UNSUPPORTED", M, "no Pooling module after the Transformer")
def _(f): mods(f, lambda m: m.__delitem__(slice(1, 4)))


@case("modules_dense_before_pooling", "UNSUPPORTED", M, "module 1 is a Dense where a Pooling is needed")
def _(f): mods(f, lambda m: m.__setitem__(slice(1, 3), [m[2], m[1]]))


# ---- Pooling ------------------------------------------------------------------------------------
PC = "1_Pooling/config.json"


@case("pool_missing_config", "NOT_FOUND", PC, "cannot open")
def _(f): del f[PC]


@case("pool_mode_unknown", "FORMAT", PC, "pooling mode 'median' is not one of")
def _(f): jset(f, PC, pooling_mode="median")


@case("pool_mode_number", "FORMAT", PC, "'pooling_mode' must be a string or a list of strings, not a number")
def _(f): jset(f, PC, pooling_mode=3)


@case("pool_mode_empty_list", "FORMAT", PC, "'pooling_mode' is an empty list")
def _(f): jset(f, PC, pooling_mode=[])


@case("pool_mode_list_of_numbers", "FORMAT", PC, "not a list holding a number")
def _(f): jset(f, PC, pooling_mode=[1])


@case("pool_legacy_not_bool", "FORMAT", PC, "'pooling_mode_cls_token' must be true or false, not a string")
def _(f): jset(f, PC, pooling_mode_cls_token="true")


@case("pool_no_dimension", "FORMAT", PC, "no 'embedding_dimension'")
def _(f): jdel(f, PC, "word_embedding_dimension")


@case("pool_dimension_mismatch", "FORMAT", PC, "embedding_dimension 5 does not match the Transformer's hidden_size 4")
def _(f): jset(f, PC, word_embedding_dimension=5)


@case("pool_include_prompt_number", "FORMAT", PC, "'include_prompt' must be true or false, not a number")
def _(f): jset(f, PC, include_prompt=1)


@case("pool_unknown_key", "FORMAT", PC, "unknown key 'pooling_mode_median'")
def _(f): jset(f, PC, pooling_mode_median=True)


# ---- Dense and Normalize -------------------------------------------------------------------------
DC, DW = "2_Dense/config.json", "2_Dense/model.safetensors"


@case("dense_missing_weights", "NOT_FOUND", "2_Dense", "no model.safetensors")
def _(f): del f[DW]


@case("dense_pickle_weights", "UNSUPPORTED", "2_Dense/pytorch_model.bin", "which clembed does not read")
def _(f): f["2_Dense/pytorch_model.bin"] = f.pop(DW)


@case("dense_in_mismatch", "FORMAT", DC, "in_features 5 does not match the 4 values")
def _(f): jset(f, DC, in_features=5)


@case("dense_out_string", "FORMAT", DC, "'out_features' must be an integer, not a string")
def _(f): jset(f, DC, out_features="3")


@case("dense_no_in_features", "FORMAT", DC, "no 'in_features'")
def _(f): jdel(f, DC, "in_features")


@case("dense_weight_shape", "FORMAT", DW, "tensor 'linear.weight' must be F32, F16 or BF16 of shape [3, 4]")
def _(f): f[DW] = safetensors({"linear.weight": ("F32", [4, 3]), "linear.bias": ("F32", [3])})


@case("dense_bias_missing", "FORMAT", DW, "no tensor 'linear.bias'")
def _(f): f[DW] = safetensors({"linear.weight": ("F32", [3, H])})


@case("dense_extra_tensor", "FORMAT", DW, "unexpected tensor 'residual.weight'")
def _(f): f[DW] = safetensors(dict(DENSE_T, **{"residual.weight": ("F32", [3, H])}))


@case("dense_act_unsupported", "UNSUPPORTED", DC, "activation_function 'torch.nn.modules.activation.Sigmoid'")
def _(f): jset(f, DC, activation_function="torch.nn.modules.activation.Sigmoid")


@case("dense_act_number", "FORMAT", DC, "'activation_function' must be a string, not a number")
def _(f): jset(f, DC, activation_function=5)


@case("dense_bias_string", "FORMAT", DC, "'bias' must be true or false, not a string")
def _(f): jset(f, DC, bias="yes")


@case("dense_residual", "UNSUPPORTED", DC, "use_residual is true")
def _(f): jset(f, DC, use_residual=True)


@case("norm_token_embeddings", "UNSUPPORTED", "3_Normalize/config.json", "module_input_name 'token_embeddings'")
def _(f): f["3_Normalize/config.json"] = b'{"module_input_name": "token_embeddings"}'


@case("norm_not_object", "FORMAT", "3_Normalize/config.json", "must be a JSON object, not an array")
def _(f): f["3_Normalize/config.json"] = b"[]"


# ---- sentence_bert_config.json, tokenizer_config.json --------------------------------------------
SB, TC = "sentence_bert_config.json", "tokenizer_config.json"


@case("sbert_max_seq_string", "FORMAT", SB, "'max_seq_length' must be an integer, not a string")
def _(f): jset(f, SB, max_seq_length="6")


@case("sbert_max_seq_zero", "FORMAT", SB, "'max_seq_length' is 0, outside the range [1,")
def _(f): jset(f, SB, max_seq_length=0)


@case("sbert_lower_case_string", "FORMAT", SB, "'do_lower_case' must be true or false, not a string")
def _(f): jset(f, SB, do_lower_case="false")


@case("sbert_unknown_key", "FORMAT", SB, "unknown key 'max_sequence_length'")
def _(f): jset(f, SB, max_sequence_length=6)


@case("sbert_task", "UNSUPPORTED", SB, "transformer_task 'text-generation' is not supported")
def _(f): jset(f, SB, transformer_task="text-generation")


@case("sbert_processor_kwargs_list", "FORMAT", SB, "'processor_kwargs' must be an object, not an array")
def _(f): jset(f, SB, processor_kwargs=[])


@case("sbert_not_json", "FORMAT", SB, "not valid JSON")
def _(f): f[SB] = b'{"max_seq_length": 6,}'


@case("tok_max_length_string", "FORMAT", TC, "'model_max_length' must be a number, not a string")
def _(f): jset(f, TC, model_max_length="512")


@case("tok_trailing_garbage", "FORMAT", TC, "extra data after the value")
def _(f): f[TC] = f[TC] + b"}"


# ---- config_sentence_transformers.json -----------------------------------------------------------
SC = "config_sentence_transformers.json"


@case("stc_prompts_list", "FORMAT", SC, "'prompts' must be an object, not an array")
def _(f): jset(f, SC, prompts=["q: "])


@case("stc_prompt_number", "FORMAT", SC, "prompt 'query' must be a string, not a number")
def _(f): jset(f, SC, prompts={"query": 1})


@case("stc_default_prompt_unknown", "FORMAT", SC, "default_prompt_name 'passage' is not one of the prompts")
def _(f): jset(f, SC, default_prompt_name="passage")


@case("stc_cross_encoder", "UNSUPPORTED", SC, "model_type 'CrossEncoder' is not a SentenceTransformer")
def _(f): jset(f, SC, model_type="CrossEncoder")


@case("stc_truncate_dim_string", "FORMAT", SC, "'truncate_dim' must be an integer, not a string")
def _(f): jset(f, SC, truncate_dim="2")


@case("stc_similarity_number", "FORMAT", SC, "'similarity_fn_name' must be a string, not a number")
def _(f): jset(f, SC, similarity_fn_name=1)


# ---- weights files and shards ---------------------------------------------------------------------
IX = "model.safetensors.index.json"


def shard(f, mutate=None):
    """Splits the encoder weights into two shards and an index."""
    t = encoder_tensors()
    names = sorted(t)
    a, b = names[: len(names) // 2], names[len(names) // 2:]
    f["model-00001-of-00002.safetensors"] = safetensors({n: t[n] for n in a})
    f["model-00002-of-00002.safetensors"] = safetensors({n: t[n] for n in b})
    wm = {n: "model-00001-of-00002.safetensors" for n in a}
    wm.update({n: "model-00002-of-00002.safetensors" for n in b})
    ix = {"metadata": {"total_size": 4 * sum(numel(s) for _, s in t.values())}, "weight_map": wm}
    if mutate:
        mutate(ix, f)
    f[IX] = json.dumps(ix).encode()
    del f[ST]


@case("no_weights", "NOT_FOUND", "", "no model.safetensors or model.safetensors.index.json")
def _(f): del f[ST]


@case("only_pickle_weights", "UNSUPPORTED", "pytorch_model.bin", "which clembed does not read")
def _(f): f["pytorch_model.bin"] = f.pop(ST)


@case("ix_missing_shard", "NOT_FOUND", "model-00002-of-00002.safetensors", "does not exist")
def _(f):
    shard(f)
    del f["model-00002-of-00002.safetensors"]


@case("ix_weight_map_list", "FORMAT", IX, "'weight_map' must be an object, not an array")
def _(f): shard(f, lambda ix, f: ix.update(weight_map=[]))


@case("ix_parent_path", "FORMAT", IX, "shards must be .safetensors files in the same directory")
def _(f): shard(f, lambda ix, f: ix["weight_map"].update({"embeddings.LayerNorm.bias": "../x.safetensors"}))


@case("ix_tensor_not_in_shard", "FORMAT", IX, "which holds no such tensor")
def _(f): shard(f, lambda ix, f: ix["weight_map"].update(
    {"embeddings.LayerNorm.bias": "model-00002-of-00002.safetensors"}))


@case("ix_tensor_in_two_shards", "FORMAT", IX, "is in two shards")
def _(f):
    def m(ix, f):
        t = encoder_tensors()
        f["model-00003-of-00003.safetensors"] = safetensors(
            {"embeddings.LayerNorm.bias": t["embeddings.LayerNorm.bias"]})
        ix["weight_map"]["embeddings.LayerNorm.bias"] = "model-00003-of-00003.safetensors"
    shard(f, m)


@case("ix_not_json", "FORMAT", IX, "not valid JSON")
def _(f):
    shard(f)
    f[IX] = f[IX][:-2]


STATUS = {"OK": 0, "FORMAT": 4, "UNSUPPORTED": 5, "NOT_FOUND": 11, "TOO_LARGE": 13}


def write_dir(path, files):
    for rel, data in files.items():
        p = os.path.join(path, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as fh:
            fh.write(data)
    os.makedirs(path, exist_ok=True)


def reference_rejects(data):
    try:
        from safetensors import SafetensorError  # noqa: F401
        from safetensors.numpy import load
    except ImportError:
        return None
    try:
        load(data)
    except Exception:
        return True
    return False


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    write_dir(os.path.join(OUT, "valid"), base_files())
    rows = [("valid", "OK", "", "")]
    checked = 0
    for name, status, file, substring, fn, ref in CASES:
        files = base_files()
        fn(files)
        write_dir(os.path.join(OUT, name), files)
        rows.append((name, status, file, substring))
        if ref:
            r = reference_rejects(files[ref])
            if r is False:
                sys.exit("%s: the reference safetensors library accepts %s" % (name, ref))
            checked += r is True
    with open(os.path.join(OUT, "MANIFEST.tsv"), "w") as fh:
        fh.write("# name\tstatus\tfile named in the message\tsubstring of the message\n")
        for r in rows:
            assert "\t" not in "".join(r)
            fh.write("\t".join(r) + "\n")
    print("%d cases, %d safetensors files also rejected by the reference library" %
          (len(rows) - 1, checked))


if __name__ == "__main__":
    main()
