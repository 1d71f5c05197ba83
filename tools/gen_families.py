#!/usr/bin/env python3
"""Tiny random-weight models of every encoder family and their expected
vectors, from the pinned references (tools/requirements-reference.txt:
sentence-transformers, transformers, torch, tokenizers).

    python3 tools/gen_families.py tokenizers LLAMA_CPP_DIR OUTDIR [NAME...]
    python3 tools/gen_families.py models [NAME...]     # tests/data/families/NAME/
    python3 tools/gen_families.py expected [NAME...]   # tests/data/families/*.f32, .ids, cases.json
    python3 tools/gen_families.py mpnet                # tests/data/fidelity/mpnet.* and its case

`tokenizers` writes OUTDIR/NAME/tokenizer.json for the tokenizers that no
shared folder holds, from the vocabularies that llama.cpp vendors for its own
tokenizer tests (LLAMA_CPP_DIR/models/ggml-vocab-*.gguf; the llama-cpp-python
sdist on PyPI carries them: pip download --no-deps --no-binary :all:
llama-cpp-python==0.3.36, then unpack vendor/llama.cpp):
  xlm-roberta-base  the XLM-RoBERTa sentencepiece (250,002 pieces with their
                    scores and the precompiled normalizer charsmap) from
                    ggml-vocab-nomic-bert-moe.gguf, built by transformers'
                    XLMRobertaTokenizer as it builds the Hub's models;
  qwen3             the Qwen2/Qwen3 byte-level BPE (151,643 tokens, 151,387
                    merges) from ggml-vocab-qwen2.gguf, checked against
                    llama.cpp's reference ids for it, with the added tokens,
                    pre-tokenizer regex and <|endoftext|> post-processor of
                    Qwen3-Embedding's tokenizer.json;
  modernbert        the GPT-NeoX-20B byte-level BPE (the base of ModernBERT's
                    OLMo tokenizer) from ggml-vocab-gpt-neox.gguf with
                    ModernBERT's special tokens and [CLS] $A [SEP] template;
  albert-t5vocab    ALBERT's pipeline (transformers' AlbertTokenizer:
                    ``/'' replaced, NFKD, accents stripped, lowercased,
                    precompiled charsmap, Metaspace, [CLS] $A [SEP]) over the
                    real t5-small Unigram vocabulary: no PyPI package ships
                    ALBERT's own spiece.model;
  mistral           e5-mistral-7b-instruct's tokenizer.json: Mistral-7B-v0.1's
                    sentencepiece BPE (32,000 pieces, the tokenizer.model.v1
                    that the mistral-common wheel on PyPI carries, named by
                    MISTRAL_COMMON_WHL: pip download --no-deps
                    mistral-common==1.13.1) as transformers 4's LlamaConverter
                    wrote it (byte fallback, merges by piece score, Prepend and
                    Replace normalizer) and the <s> $A </s> post-processor of
                    add_eos_token; the same conversion of the Llama-2 pieces in
                    ggml-vocab-llama-spm.gguf is checked first against
                    llama.cpp's reference ids;
  llama3            the Llama-3 byte-level BPE (128,000 tokens, 280,147
                    merges, ignore_merges, 256 special tokens) from
                    ggml-vocab-llama-bpe.gguf, checked against llama.cpp's
                    reference ids, with <|begin_of_text|> $A <|end_of_text|>
                    as the Llama-based last-token embedders append EOS.
NAME... builds only those.  tools/gen_tokenizer_golden.py golden then gzips
them into tests/data/tokenizers.

`models` builds each family's model with transformers from a small config,
saves it as sentence-transformers saves it (Transformer, Pooling, Dense,
Normalize as the real models of the family chain them), replaces every weight
by the values of tools/tiny_weights.py (written to weights.json with the
tensor names and shapes of the saved files), and keeps the folder without its
weights and tokenizer.json: tools/tiny_weights.py regenerates both.  Then the
model is regenerated from the committed folder, loaded by sentence-transformers,
every parameter compared with the manifest's values, saved again and the
saved tensors compared once more; the transformers tokenizer is compared
with the tokenizer.json that clembed reads.

Aliases are copies of a family's committed folder with one change: the
config as transformers 4 wrote it (the *-t4config ones), or the encoder's
tensors stored in 16 bits as the Hub's half-precision checkpoints are
(roberta-f16 in IEEE half, qwen3-bf16 in bfloat16, as Qwen3-Embedding ships).

`expected` regenerates each model from its committed folder and runs
sentence-transformers (CPU, fp32, also for a 16-bit file: left alone it would
compute in the file's dtype; the 16-bit aliases print how far that is) over
tests/data/fidelity/texts.jsonl: the vectors as float32 little-endian (n x dim), the token ids per text as the
encoder receives them (after prompt, lowercasing and truncation; 1 in front
where the text was truncated), cases.json in the schema of
tests/data/fidelity/cases.json plus "family", and buckets.json: the relative
position buckets of the T5 models and of MPNet, offset by offset.

`mpnet` does the same for the real all-mpnet-base-v2 in models/ (fetched by
tools/fetch_mpnet.sh) into tests/data/fidelity, adding its case to the
existing ones there."""

import base64
import json
import os
import shutil
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import tiny_weights  # noqa: E402

FAMILIES = os.path.join(ROOT, "tests", "data", "families")
TOKENIZERS = os.path.join(ROOT, "tests", "data", "tokenizers")
FIDELITY = os.path.join(ROOT, "tests", "data", "fidelity")
TEXTS = os.path.join(FIDELITY, "texts.jsonl")
MPNET = os.path.join(ROOT, "models", "all-mpnet-base-v2")
SEED = 20261205

QWEN3_QUERY = "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:"
E5_QUERY = "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery: "

# Tokenizers: the gzipped tokenizer.json in tests/data/tokenizers and the
# tokenizer_config.json the real models of the family carry.
TOK_CONFIGS = {
    "roberta-base": {
        "tokenizer_class": "RobertaTokenizer", "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>",
        "cls_token": "<s>", "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
        "add_prefix_space": False, "errors": "replace", "trim_offsets": True},
    "xlm-roberta-base": {
        "tokenizer_class": "XLMRobertaTokenizer", "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>",
        "cls_token": "<s>", "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>"},
    "bert-base-uncased": {
        "tokenizer_class": "DistilBertTokenizer", "do_lower_case": True, "unk_token": "[UNK]",
        "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]",
        "tokenize_chinese_chars": True, "strip_accents": None},
    "albert-t5vocab": {
        "tokenizer_class": "AlbertTokenizer", "do_lower_case": True, "keep_accents": False,
        "remove_space": True, "bos_token": "[CLS]", "eos_token": "[SEP]", "unk_token": "<unk>",
        "sep_token": "[SEP]", "pad_token": "<pad>", "cls_token": "[CLS]", "mask_token": "[MASK]"},
    "t5-small": {
        "tokenizer_class": "T5Tokenizer", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
        "extra_ids": 100},
    "all-mpnet-base-v2": {
        "tokenizer_class": "MPNetTokenizer", "do_lower_case": True, "bos_token": "<s>", "eos_token": "</s>",
        "sep_token": "</s>", "cls_token": "<s>", "unk_token": "[UNK]", "pad_token": "<pad>",
        "mask_token": "<mask>", "tokenize_chinese_chars": True, "strip_accents": None},
    "modernbert": {
        "tokenizer_class": "PreTrainedTokenizerFast", "clean_up_tokenization_spaces": True,
        "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]",
        "mask_token": "[MASK]", "model_input_names": ["input_ids", "attention_mask"]},
    "qwen3": {
        "tokenizer_class": "Qwen2Tokenizer", "bos_token": None, "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>", "unk_token": None, "padding_side": "left", "errors": "replace",
        "add_prefix_space": False, "split_special_tokens": False, "clean_up_tokenization_spaces": False},
    # e5-mistral-7b-instruct's tokens and padding side, but the class that loads
    # tokenizer.json as it is (its post-processor appends </s>, as add_eos_token
    # made it): transformers 5 rebuilds a LlamaTokenizer from the file's
    # vocabulary with a Metaspace pre-tokenizer in place of the Prepend
    # normalizer, which gives texts that begin with a space one \u2581 less.
    "mistral": {
        "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>", "eos_token": "</s>",
        "unk_token": "<unk>", "pad_token": "</s>", "padding_side": "left", "clean_up_tokenization_spaces": False},
    "llama3": {
        "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<|begin_of_text|>",
        "eos_token": "<|end_of_text|>", "pad_token": "<|end_of_text|>", "padding_side": "left",
        "clean_up_tokenization_spaces": True, "model_input_names": ["input_ids", "attention_mask"]},
}

# The families.  cfg: the transformers config; chain: pooling mode, Dense
# layers (out_dim, bias, activation), Normalize; legacy: the configuration
# files of sentence-transformers 2.x (sentence_bert_config.json with
# max_seq_length, pooling flags), as most real models on the Hub have them;
# config_drop: keys that transformers 5 writes but the real config.json lacks.
SPECS = {
    "roberta": dict(
        family="roberta", tokenizer="roberta-base", model_type="roberta",
        cfg=dict(vocab_size=50265, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                 intermediate_size=64, max_position_embeddings=66, type_vocab_size=1, pad_token_id=1,
                 bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5, hidden_act="gelu"),
        max_seq=64, pooling="mean", dense=[], normalize=True),
    "xlm-roberta": dict(
        family="xlm-roberta", tokenizer="xlm-roberta-base", model_type="xlm-roberta",
        cfg=dict(vocab_size=250002, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                 intermediate_size=64, max_position_embeddings=130, type_vocab_size=1, pad_token_id=1,
                 bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5, hidden_act="gelu"),
        max_seq=128, pooling="cls", dense=[], normalize=True, legacy=True),
    "distilbert": dict(
        family="distilbert", tokenizer="bert-base-uncased", model_type="distilbert",
        cfg=dict(vocab_size=30522, dim=32, n_layers=3, n_heads=4, hidden_dim=64, max_position_embeddings=512,
                 activation="gelu", sinusoidal_pos_embds=False, pad_token_id=0),
        max_seq=128, pooling="mean", dense=[(24, True, "torch.nn.modules.activation.Tanh")], normalize=True,
        legacy=True),
    "albert": dict(
        family="albert", tokenizer="albert-t5vocab", model_type="albert",
        cfg=dict(vocab_size=32005, embedding_size=16, hidden_size=32, num_hidden_layers=3, num_hidden_groups=1,
                 num_attention_heads=4, intermediate_size=64, inner_group_num=1, hidden_act="gelu_new",
                 max_position_embeddings=130, type_vocab_size=2, pad_token_id=0, bos_token_id=2,
                 eos_token_id=3, layer_norm_eps=1e-12),
        max_seq=128, pooling="mean", dense=[], normalize=False, legacy=True),
    "albert-groups": dict(
        family="albert", tokenizer="albert-t5vocab", model_type="albert",
        cfg=dict(vocab_size=32005, embedding_size=24, hidden_size=32, num_hidden_layers=4, num_hidden_groups=2,
                 num_attention_heads=2, intermediate_size=48, inner_group_num=1, hidden_act="gelu_new",
                 max_position_embeddings=66, type_vocab_size=2, pad_token_id=0, bos_token_id=2,
                 eos_token_id=3, layer_norm_eps=1e-12),
        max_seq=64, pooling="mean", dense=[], normalize=True),
    "t5": dict(
        family="t5", tokenizer="t5-small", model_type="t5",
        cfg=dict(vocab_size=32128, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
                 relative_attention_num_buckets=8, relative_attention_max_distance=20,
                 feed_forward_proj="relu", layer_norm_epsilon=1e-6, pad_token_id=0, eos_token_id=1,
                 decoder_start_token_id=0),
        max_seq=128, pooling="mean", dense=[(24, False, "torch.nn.modules.linear.Identity")], normalize=True,
        legacy=True),
    "t5-gated": dict(
        family="t5", tokenizer="t5-small", model_type="t5",
        cfg=dict(vocab_size=32128, d_model=32, d_kv=12, d_ff=48, num_layers=3, num_heads=4,
                 relative_attention_num_buckets=12, relative_attention_max_distance=24,
                 feed_forward_proj="gated-gelu", layer_norm_epsilon=1e-6, pad_token_id=0, eos_token_id=1,
                 decoder_start_token_id=0),
        max_seq=96, pooling="mean", dense=[(40, False, "torch.nn.modules.linear.Identity")], normalize=True),
    "mpnet": dict(
        family="mpnet", tokenizer="all-mpnet-base-v2", model_type="mpnet",
        cfg=dict(vocab_size=30527, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                 intermediate_size=64, max_position_embeddings=130, relative_attention_num_buckets=32,
                 layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2, hidden_act="gelu"),
        max_seq=128, pooling="mean", dense=[], normalize=True, legacy=True),
    "modernbert": dict(
        family="modernbert", tokenizer="modernbert", model_type="modernbert",
        cfg=dict(vocab_size=50368, hidden_size=32, intermediate_size=48, num_hidden_layers=4,
                 num_attention_heads=4, global_attn_every_n_layers=3, local_attention=8,
                 global_rope_theta=160000.0, local_rope_theta=10000.0, max_position_embeddings=8192,
                 norm_eps=1e-5, norm_bias=False, attention_bias=False, mlp_bias=False,
                 hidden_activation="gelu", pad_token_id=50283, bos_token_id=50281, eos_token_id=50282,
                 cls_token_id=50281, sep_token_id=50282),
        max_seq=128, pooling="mean", dense=[], normalize=True),
    "qwen3": dict(
        family="qwen3", tokenizer="qwen3", model_type="qwen3",
        cfg=dict(vocab_size=151669, hidden_size=32, intermediate_size=48, num_hidden_layers=3,
                 num_attention_heads=4, num_key_value_heads=2, head_dim=16, rms_norm_eps=1e-6,
                 rope_theta=1000000.0, max_position_embeddings=512, tie_word_embeddings=True,
                 hidden_act="silu", attention_bias=False, use_sliding_window=False,
                 bos_token_id=151643, eos_token_id=151643),
        max_seq=96, pooling="lasttoken", dense=[], normalize=True, legacy=True,
        prompts={"query": QWEN3_QUERY, "document": ""}),
    # e5-mistral-7b-instruct and SFR-Embedding-Mistral, with a head_dim that
    # is not hidden_size / num_attention_heads
    "mistral": dict(
        family="mistral", tokenizer="mistral", model_type="mistral",
        cfg=dict(vocab_size=32000, hidden_size=32, intermediate_size=48, num_hidden_layers=3,
                 num_attention_heads=4, num_key_value_heads=2, head_dim=12, rms_norm_eps=1e-5,
                 rope_theta=10000.0, max_position_embeddings=512, sliding_window=None,
                 tie_word_embeddings=False, hidden_act="silu", bos_token_id=1, eos_token_id=2),
        max_seq=128, pooling="lasttoken", dense=[], normalize=True, legacy=True, prompts={"query": E5_QUERY}),
    # a Llama-3 based last-token embedder: head_dim from hidden_size / heads
    "llama": dict(
        family="llama", tokenizer="llama3", model_type="llama",
        cfg=dict(vocab_size=128256, hidden_size=32, intermediate_size=48, num_hidden_layers=3,
                 num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5, rope_theta=500000.0,
                 max_position_embeddings=512, tie_word_embeddings=False, hidden_act="silu",
                 attention_bias=False, mlp_bias=False, bos_token_id=128000, eos_token_id=128001),
        config_drop=["head_dim"], max_seq=64, pooling="lasttoken", dense=[], normalize=True,
        prompts={"query": E5_QUERY}),
}
# A copy of a model whose config.json is in the other transformers form.
ALIASES = {"modernbert-t4config": "modernbert", "qwen3-t4config": "qwen3", "llama-t4config": "llama",
           "roberta-f16": "roberta", "qwen3-bf16": "qwen3"}
# What an alias changes: its config in the form transformers 4 wrote (the
# default), or every tensor of its encoder stored in 16 bits, as the Hub's
# half-precision checkpoints are (Qwen3-Embedding's in bfloat16).
STORED = {"roberta-f16": ("F16", "float16"), "qwen3-bf16": ("BF16", "bfloat16")}


def load_texts():
    with open(TEXTS, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def set_threads():
    import torch
    torch.set_num_threads(2)
    torch.manual_seed(0)


# ---- tokenizers ----------------------------------------------------------

def gguf_fields(llama_dir, name):
    sys.path.insert(0, os.path.join(llama_dir, "gguf-py"))
    from gguf import GGUFReader
    r = GGUFReader(os.path.join(llama_dir, "models", "ggml-vocab-%s.gguf" % name))
    return {k: f for k, f in r.fields.items()}


def reference_ids(llama_dir, name, tok):
    """llama.cpp's tests: the texts of .inp and the ids that Hugging Face
    tokenizers gave for them (.out)."""
    base = os.path.join(llama_dir, "models", "ggml-vocab-%s.gguf" % name)
    with open(base + ".inp", encoding="utf-8") as f:
        inp = f.read().split("\n__ggml_vocab_test__\n")
    with open(base + ".out", encoding="utf-8") as f:
        out = f.read().split("\n")
    bad = 0
    for t, o in zip(inp, out):
        if tok.encode(t, add_special_tokens=False).ids != [int(x) for x in o.split()]:
            bad += 1
    if bad:
        sys.exit("%s: %d of %d of llama.cpp's reference texts differ" % (name, bad, len(inp)))
    print("%s: llama.cpp's %d reference texts give the same ids" % (name, len(inp)))


def tok_xlmr(llama_dir, out):
    import numpy as np
    from transformers import XLMRobertaTokenizer
    f = gguf_fields(llama_dir, "nomic-bert-moe")
    toks = f["tokenizer.ggml.tokens"].contents()
    scores = f["tokenizer.ggml.scores"].contents()
    charsmap = bytes(np.array(f["tokenizer.ggml.precompiled_charsmap"].contents(), dtype=np.uint8))
    # 250,002 entries as XLM-RoBERTa has them (fairseq's 4 specials, the
    # sentencepiece pieces, <mask>); the gguf pads the table to 250,048.
    assert toks[:4] == ["<s>", "<pad>", "</s>", "<unk>"] and toks[250001] == "<mask>"
    vocab = [(t, float(s)) for t, s in zip(toks[:250002], scores[:250002])]
    tok = XLMRobertaTokenizer(vocab=vocab, _spm_precompiled_charsmap=charsmap, model_max_length=512)
    assert tok("Hello world")["input_ids"] == [0, 35378, 8999, 2]
    tok.save_pretrained(out)


def tok_qwen3(llama_dir, out):
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    f = gguf_fields(llama_dir, "qwen2")
    toks = f["tokenizer.ggml.tokens"].contents()
    merges = f["tokenizer.ggml.merges"].contents()
    assert toks[151643] == "<|endoftext|>"
    vocab = {t: i for i, t in enumerate(toks[:151643])}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[tuple(m.split(" ")) for m in merges], dropout=None,
                               unk_token=None, continuing_subword_prefix="", end_of_word_suffix="",
                               fuse_unk=False, byte_fallback=False, ignore_merges=False))
    pat = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
           r"\s*[\r\n]+|\s+(?!\S)|\s+")
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pat), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    reference_ids(llama_dir, "qwen2", tok)
    # Qwen3's added tokens, ids 151643-151668; the tool and think tags are not special.
    added = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
             "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
             "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>",
             "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>",
             "<|file_sep|>", "<tool_response>", "</tool_response>", "<think>", "</think>"]
    plain = {"<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>", "<think>", "</think>"}
    for i, t in enumerate(added):
        at = AddedToken(t, single_word=False, lstrip=False, rstrip=False, normalized=False, special=t not in plain)
        if t in plain:
            tok.add_tokens([at])
        else:
            tok.add_special_tokens([at])
        assert tok.token_to_id(t) == 151643 + i
    # Qwen3-Embedding's tokenizer.json appends <|endoftext|>: the token its
    # last-token pooling reads.
    tok.post_processor = processors.TemplateProcessing(
        single="$A:0 <|endoftext|>:0", pair="$A:0 <|endoftext|>:0 $B:1 <|endoftext|>:1",
        special_tokens=[("<|endoftext|>", 151643)])
    os.makedirs(out, exist_ok=True)
    tok.save(os.path.join(out, "tokenizer.json"))


def spm_pieces(model):
    """(piece, score, type) of a sentencepiece ModelProto: field 1, each a
    message of piece (1), score (2, float) and type (3; 1 normal, 2 unknown,
    3 control, 6 byte).  Parsed here: the pinned references have no protobuf."""
    import struct

    def varint(b, i):
        r = shift = 0
        while True:
            c = b[i]
            i += 1
            r |= (c & 0x7F) << shift
            shift += 7
            if c < 0x80:
                return r, i

    def fields(b):
        i = 0
        while i < len(b):
            key, i = varint(b, i)
            wt = key & 7
            if wt == 0:
                v, i = varint(b, i)
            elif wt == 1:
                v, i = b[i:i + 8], i + 8
            elif wt == 2:
                n, i = varint(b, i)
                v, i = b[i:i + n], i + n
            elif wt == 5:
                v, i = b[i:i + 4], i + 4
            else:
                raise ValueError("wire type %d" % wt)
            yield key >> 3, v

    pieces = []
    for f, v in fields(model):
        if f == 1:
            d = {1: b"", 2: b"\0\0\0\0", 3: 1}
            d.update(fields(v))
            pieces.append((d[1].decode("utf-8"), struct.unpack("<f", d[2])[0], d[3]))
        elif f == 2:
            spec = dict(fields(v))
            assert spec.get(3) == 2 and spec.get(35) == 1, "not a byte-fallback BPE model"
    return pieces


def spm_bpe(pieces):
    """A sentencepiece BPE as transformers 4's LlamaConverter wrote it for the
    Llama-2 and Mistral tokenizer.json files: the pieces in id order, merges
    of every split of a piece into two pieces, ordered by the piece's score
    (splits of one piece by their ids), byte fallback, Prepend and Replace
    normalizer (legacy), no pre-tokenizer, the control pieces as special."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers
    vocab = {p: i for i, (p, _, _) in enumerate(pieces)}
    merges = []
    for p, score, _ in pieces:
        local = [(p[:k], p[k:], score) for k in range(1, len(p)) if p[:k] in vocab and p[k:] in vocab]
        merges += sorted(local, key=lambda m: (vocab[m[0]], vocab[m[1]]))
    merges.sort(key=lambda m: m[2], reverse=True)
    unk = [p for p, _, t in pieces if t == 2][0]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[(a, b) for a, b, _ in merges], unk_token=unk, fuse_unk=True,
                               byte_fallback=True, dropout=None))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    tok.add_special_tokens([AddedToken(p, normalized=False, special=True) for p, _, t in pieces if t in (2, 3)])
    return tok


def tok_mistral(llama_dir, out):
    import zipfile
    from tokenizers import processors
    f = gguf_fields(llama_dir, "llama-spm")
    llama2 = list(zip(f["tokenizer.ggml.tokens"].contents(), f["tokenizer.ggml.scores"].contents(),
                      f["tokenizer.ggml.token_type"].contents()))
    reference_ids(llama_dir, "llama-spm", spm_bpe(llama2))
    whl = os.environ.get("MISTRAL_COMMON_WHL")
    if not whl:
        sys.exit("mistral: set MISTRAL_COMMON_WHL to the mistral-common 1.13.1 wheel")
    with zipfile.ZipFile(whl) as z:
        pieces = spm_pieces(z.read("mistral_common/data/tokenizer.model.v1"))
    assert len(pieces) == 32000 and [p for p, _, _ in pieces[:3]] == ["<unk>", "<s>", "</s>"]
    tok = spm_bpe(pieces)
    assert tok.encode("Hello world").ids == [22557, 1526]
    # e5-mistral-7b-instruct sets add_eos_token: its last-token pooling reads </s>.
    tok.post_processor = processors.TemplateProcessing(
        single="<s>:0 $A:0 </s>:0", pair="<s>:0 $A:0 </s>:0 <s>:1 $B:1 </s>:1",
        special_tokens=[("<s>", 1), ("</s>", 2)])
    os.makedirs(out, exist_ok=True)
    tok.save(os.path.join(out, "tokenizer.json"))


def tok_llama3(llama_dir, out):
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors
    f = gguf_fields(llama_dir, "llama-bpe")
    toks = f["tokenizer.ggml.tokens"].contents()
    merges = f["tokenizer.ggml.merges"].contents()
    assert len(toks) == 128256 and toks[128000] == "<|begin_of_text|>"
    vocab = {t: i for i, t in enumerate(toks[:128000])}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[tuple(m.split(" ")) for m in merges], dropout=None,
                               unk_token=None, continuing_subword_prefix="", end_of_word_suffix="",
                               fuse_unk=False, byte_fallback=False, ignore_merges=True))
    pat = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
           r"\s*[\r\n]+|\s+(?!\S)|\s+")
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pat), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    tok.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    # <|begin_of_text|>, <|end_of_text|>, the header and eot tags and the
    # reserved tokens, ids 128000-128255, all special
    tok.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in toks[128000:]])
    assert tok.get_vocab_size() == 128256
    reference_ids(llama_dir, "llama-bpe", tok)
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True),
        processors.TemplateProcessing(
            single="<|begin_of_text|>:0 $A:0 <|end_of_text|>:0",
            pair="<|begin_of_text|>:0 $A:0 <|end_of_text|>:0 <|begin_of_text|>:1 $B:1 <|end_of_text|>:1",
            special_tokens=[("<|begin_of_text|>", 128000), ("<|end_of_text|>", 128001)])])
    os.makedirs(out, exist_ok=True)
    tok.save(os.path.join(out, "tokenizer.json"))


def tok_modernbert(llama_dir, out):
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    f = gguf_fields(llama_dir, "gpt-neox")
    toks = f["tokenizer.ggml.tokens"].contents()
    merges = f["tokenizer.ggml.merges"].contents()
    assert toks[0] == "<|endoftext|>" and toks[1] == "<|padding|>"
    # OLMo's layout, which ModernBERT kept: |||IP_ADDRESS||| takes id 0 and
    # <|endoftext|> moves to 50279 after the other PII tokens.
    vocab = {t: i for i, t in enumerate(toks[:50254])}
    del vocab["<|endoftext|>"]
    vocab["|||IP_ADDRESS|||"] = 0
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[tuple(m.split(" ")) for m in merges], dropout=None,
                               unk_token=None, continuing_subword_prefix="", end_of_word_suffix="",
                               fuse_unk=False, byte_fallback=False, ignore_merges=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    tok.add_tokens([AddedToken("|||IP_ADDRESS|||", normalized=True)])
    tok.add_special_tokens([AddedToken("<|padding|>", normalized=False, special=True)])
    # GPT-NeoX's whitespace runs (24 down to 2 spaces), ids 50254-50276
    tok.add_tokens([AddedToken(toks[i], normalized=True) for i in range(50254, 50277)])
    tok.add_tokens([AddedToken("|||EMAIL_ADDRESS|||", normalized=True), AddedToken("|||PHONE_NUMBER|||", normalized=True)])
    specials = ["<|endoftext|>", "[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"] + ["[unused%d]" % i for i in range(83)]
    for t in specials:
        tok.add_special_tokens([AddedToken(t, normalized=False, lstrip=t == "[MASK]", special=True)])
    assert tok.token_to_id("[CLS]") == 50281 and tok.get_vocab_size() == 50368, tok.get_vocab_size()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 50281), ("[SEP]", 50282)])
    os.makedirs(out, exist_ok=True)
    tok.save(os.path.join(out, "tokenizer.json"))


def tok_albert(out):
    import gzip
    from transformers import AlbertTokenizer
    with gzip.open(os.path.join(TOKENIZERS, "t5-small.json.gz"), "rt", encoding="utf-8") as f:
        t5 = json.load(f)
    charsmap = base64.b64decode(t5["normalizer"]["precompiled_charsmap"])
    pieces = t5["model"]["vocab"]
    assert [p[0] for p in pieces[:3]] == ["<pad>", "</s>", "<unk>"]
    # ALBERT's five specials, then the sentencepiece pieces (t5-small's 31,997
    # pieces after its own three specials, without its <extra_id_N>).
    vocab = [("<pad>", 0.0), ("<unk>", 0.0), ("[CLS]", 0.0), ("[SEP]", 0.0), ("[MASK]", 0.0)]
    vocab += [(p, float(s)) for p, s in pieces[3:32000]]
    tok = AlbertTokenizer(vocab=vocab, _spm_precompiled_charsmap=charsmap, model_max_length=512)
    tok.save_pretrained(out)


BUILT_TOKENIZERS = {
    "xlm-roberta-base": tok_xlmr, "qwen3": tok_qwen3, "modernbert": tok_modernbert,
    "albert-t5vocab": lambda llama_dir, out: tok_albert(out), "mistral": tok_mistral, "llama3": tok_llama3}


def cmd_tokenizers(llama_dir, outdir, names):
    for name in names or list(BUILT_TOKENIZERS):
        BUILT_TOKENIZERS[name](llama_dir, os.path.join(outdir, name))
        path = os.path.join(outdir, name, "tokenizer.json")
        print("%s (%d bytes)" % (path, os.path.getsize(path)))


# ---- models --------------------------------------------------------------

def tokenizer_dir(name, max_seq, work):
    """A folder that transformers loads: the committed tokenizer.json and the
    family's tokenizer_config.json."""
    import gzip
    d = os.path.join(work, "tok-" + name)
    os.makedirs(d, exist_ok=True)
    with gzip.open(os.path.join(TOKENIZERS, name + ".json.gz"), "rb") as f, \
            open(os.path.join(d, "tokenizer.json"), "wb") as g:
        shutil.copyfileobj(f, g)
    cfg = dict(TOK_CONFIGS[name])
    cfg["model_max_length"] = max_seq
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    return d


def build_hf(spec):
    import transformers as T
    mt = spec["model_type"]
    cfg = dict(spec["cfg"])
    if mt == "roberta":
        return T.RobertaModel(T.RobertaConfig(**cfg), add_pooling_layer=False)
    if mt == "xlm-roberta":
        return T.XLMRobertaModel(T.XLMRobertaConfig(**cfg), add_pooling_layer=False)
    if mt == "distilbert":
        return T.DistilBertModel(T.DistilBertConfig(**cfg))
    if mt == "albert":
        return T.AlbertModel(T.AlbertConfig(**cfg), add_pooling_layer=False)
    if mt == "t5":
        return T.T5EncoderModel(T.T5Config(**cfg))
    if mt == "mpnet":
        return T.MPNetModel(T.MPNetConfig(**cfg), add_pooling_layer=False)
    if mt == "modernbert":
        return T.ModernBertModel(T.ModernBertConfig(**cfg))
    if mt == "qwen3":
        return T.Qwen3Model(T.Qwen3Config(**cfg))
    if mt == "mistral":
        return T.MistralModel(T.MistralConfig(**cfg))
    if mt == "llama":
        return T.LlamaModel(T.LlamaConfig(**cfg))
    raise ValueError(mt)


def weight_rules(model):
    """init rule per state_dict name: embeddings and relative-position tables
    U(-1, 1), norm weights 1 +- 0.2, biases +- 0.1, matrices with standard
    deviation 1/sqrt(fan_in) so that activations stay of order one."""
    import torch
    kinds = {}
    for mname, mod in model.named_modules():
        for pname, p in mod.named_parameters(recurse=False):
            full = mname + "." + pname if mname else pname
            if isinstance(mod, torch.nn.Embedding):
                kinds[full] = ["uniform", 0.0, 1.0]
            elif p.dim() == 1:
                kinds[full] = ["uniform", 1.0, 0.2] if pname == "weight" else ["uniform", 0.0, 0.1]
            elif p.dim() == 2:
                kinds[full] = ["uniform", 0.0, (3.0 / p.shape[1]) ** 0.5]
            else:
                raise ValueError("%s: %d dimensions" % (full, p.dim()))
    return kinds


def read_header(path):
    import struct
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(n))
    meta = h.pop("__metadata__", None)
    return meta, h


def manifest_files(out, rules):
    """The safetensors files that sentence-transformers wrote under out, as
    manifest entries (tensors sorted by name, as the safetensors library
    orders equal-dtype tensors)."""
    files = []
    for dp, _, fs in sorted(os.walk(out)):
        for fn in sorted(fs):
            if not fn.endswith(".safetensors"):
                continue
            path = os.path.join(dp, fn)
            rel = os.path.relpath(path, out)
            meta, h = read_header(path)
            module_rules = rules.get(os.path.dirname(rel), {})
            tensors = []
            for name in sorted(h):
                if h[name]["dtype"] != "F32":
                    raise ValueError("%s: %s is %s" % (rel, name, h[name]["dtype"]))
                if name not in module_rules:
                    raise ValueError("%s: no rule for %s" % (rel, name))
                tensors.append({"name": name, "shape": h[name]["shape"], "dtype": "F32",
                                "init": module_rules[name]})
            files.append({"path": rel, "sha256": None, "metadata": meta, "tensors": tensors})
            os.remove(path)
    return files


def write_manifest(path, m):
    """weights.json with one line per tensor."""
    lines = ['{"seed": %d,' % m["seed"], ' "tokenizer": %s,' % json.dumps(m["tokenizer"]), ' "files": [']
    for i, fs in enumerate(m["files"]):
        lines.append('  {"path": %s, "sha256": %s, "metadata": %s,' % (
            json.dumps(fs["path"]), json.dumps(fs["sha256"]), json.dumps(fs["metadata"])))
        lines.append('   "tensors": [')
        for j, t in enumerate(fs["tensors"]):
            lines.append('    ' + json.dumps(t) + ("," if j + 1 < len(fs["tensors"]) else ""))
        lines.append('   ]}' + ("," if i + 1 < len(m["files"]) else ""))
    lines.append(' ]}')
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(path) as f:
        assert json.load(f) == m


def write_legacy(out, spec, dim):
    """The configuration files of sentence-transformers 2.x."""
    keys = {"cls": "pooling_mode_cls_token", "max": "pooling_mode_max_tokens",
            "mean": "pooling_mode_mean_tokens", "mean_sqrt_len_tokens": "pooling_mode_mean_sqrt_len_tokens",
            "weightedmean": "pooling_mode_weightedmean_tokens", "lasttoken": "pooling_mode_lasttoken"}
    pool = {"word_embedding_dimension": dim}
    for mode, key in keys.items():
        pool[key] = mode == spec["pooling"]
    pool["include_prompt"] = True
    pool_dir = [m for m in os.listdir(out) if m.endswith("_Pooling")][0]
    with open(os.path.join(out, pool_dir, "config.json"), "w") as f:
        json.dump(pool, f, indent=2)
    with open(os.path.join(out, "sentence_bert_config.json"), "w") as f:
        json.dump({"max_seq_length": spec["max_seq"], "do_lower_case": False}, f, indent=2)
    for d in os.listdir(out):
        if d.endswith("_Dense"):
            path = os.path.join(out, d, "config.json")
            with open(path) as f:
                c = json.load(f)
            with open(path, "w") as f:
                json.dump({k: c[k] for k in ("in_features", "out_features", "bias", "activation_function")},
                          f, indent=2)


def write_config(path, c):
    """config.json as transformers writes it."""
    with open(path, "w") as f:
        json.dump(c, f, indent=2, sort_keys=True)
        f.write("\n")


def drop_config_keys(path, keys):
    with open(path) as f:
        c = json.load(f)
    for k in keys:
        del c[k]
    write_config(path, c)


def to_t4_config(path):
    """config.json as transformers 4 wrote it: ModernBERT's global_rope_theta,
    local_rope_theta and global_attn_every_n_layers, Qwen3's and Llama's
    rope_theta, instead of rope_parameters and layer_types."""
    with open(path) as f:
        c = json.load(f)
    rp = c.pop("rope_parameters")
    lt = c.pop("layer_types", None)
    t4_versions = {"qwen3": "4.51.3", "llama": "4.57.1"}
    if c["model_type"] in t4_versions:
        c["rope_theta"] = rp["rope_theta"]
        c["rope_scaling"] = None
        c["transformers_version"] = t4_versions[c["model_type"]]
        write_config(path, c)
        return
    every = next(i for i in range(1, len(lt) + 1) if lt[i - 1::i] and all(x == "full_attention" for x in lt[::i])
                 and all((k % i == 0) == (x == "full_attention") for k, x in enumerate(lt)))
    c["global_attn_every_n_layers"] = every
    c["global_rope_theta"] = rp["full_attention"]["rope_theta"]
    c["local_rope_theta"] = rp["sliding_attention"]["rope_theta"]
    c.pop("sliding_window", None)
    c["transformers_version"] = "4.48.0"
    write_config(path, c)


def store_as(path, dtype, torch_name):
    """The model folder at path with the tensors of its Transformer module
    (model.safetensors) stored as dtype, and config.json saying so."""
    with open(os.path.join(path, tiny_weights.MANIFEST)) as f:
        m = json.load(f)
    for fspec in m["files"]:
        if fspec["path"] == "model.safetensors":
            for t in fspec["tensors"]:
                t["dtype"] = dtype
    with tempfile.TemporaryDirectory() as work:
        with open(os.path.join(path, tiny_weights.MANIFEST), "w") as f:
            json.dump(m, f)
        sums = tiny_weights.generate(path, os.path.join(work, "gen"), check=False)
    for fspec in m["files"]:
        fspec["sha256"] = sums[fspec["path"]]
    write_manifest(os.path.join(path, tiny_weights.MANIFEST), m)
    with open(os.path.join(path, "config.json")) as f:
        c = json.load(f)
    c["dtype"] = torch_name
    write_config(os.path.join(path, "config.json"), c)


def regenerate(name, dest):
    tiny_weights.generate(os.path.join(FAMILIES, name), dest)
    return dest


def load_st(path):
    """The model in float32, also where its file is 16-bit: sentence-transformers
    would otherwise compute in the file's dtype on the CPU (and says so)."""
    import torch
    from sentence_transformers import SentenceTransformer
    return SentenceTransformer(path, device="cpu", model_kwargs={"dtype": torch.float32})


def check_weights(name, path, st):
    """Every parameter of the loaded model is the manifest's value, and a
    re-save writes the same tensors."""
    import torch
    from safetensors.torch import load_file

    def same(x, y):   # by value: the model may hold a 16-bit file's tensors widened to float32
        return x.shape == y.shape and torch.equal(x.float(), y.float())
    want = {}
    for dp, _, fs in os.walk(path):
        for fn in fs:
            if fn.endswith(".safetensors"):
                rel = os.path.dirname(os.path.relpath(os.path.join(dp, fn), path))
                for k, v in load_file(os.path.join(dp, fn)).items():
                    want[(rel, k)] = v
    seen = set()
    for idx, mod in enumerate(st):
        rel = "" if idx == 0 else [m for m in os.listdir(path) if m.startswith("%d_" % idx)][0]
        target = mod.auto_model if idx == 0 else mod
        for pname, p in target.named_parameters(remove_duplicate=False):
            key = (rel, pname)
            if key not in want:
                # tied: T5's encoder.embed_tokens is shared, Qwen3 has no lm_head here
                src = [k for k, v in want.items() if k[0] == rel and same(v, p.detach())]
                if not src:
                    raise SystemExit("%s: parameter %s/%s is not in the weights" % (name, rel, pname))
                continue
            if not same(want[key], p.detach()):
                raise SystemExit("%s: parameter %s/%s differs from the manifest's value" % (name, rel, pname))
            seen.add(key)
    missing = set(want) - seen
    if missing:
        raise SystemExit("%s: the model does not use %s" % (name, sorted(missing)))
    with tempfile.TemporaryDirectory() as tmp:
        st.save(tmp)
        again = {}
        for dp, _, fs in os.walk(tmp):
            for fn in fs:
                if fn.endswith(".safetensors"):
                    rel = os.path.dirname(os.path.relpath(os.path.join(dp, fn), tmp))
                    for k, v in load_file(os.path.join(dp, fn)).items():
                        again[(rel, k)] = v
        if set(again) != set(want) or any(not same(again[k], want[k]) for k in want):
            raise SystemExit("%s: a re-save by sentence-transformers writes other tensors" % name)


def check_tokenizer(name, path, st, texts):
    """The transformers tokenizer that sentence-transformers runs gives the
    ids of the tokenizer.json that clembed reads."""
    from tokenizers import Tokenizer
    raw = Tokenizer.from_file(os.path.join(path, "tokenizer.json"))
    raw.no_truncation()
    raw.no_padding()
    bad = 0
    for t in texts:
        if st.tokenizer(t)["input_ids"] != raw.encode(t).ids:
            bad += 1
            if bad <= 3:
                print("  %s: transformers and tokenizer.json differ on %r:\n    %s\n    %s" % (
                    name, t[:60], st.tokenizer(t)["input_ids"][:20], raw.encode(t).ids[:20]))
    if bad:
        raise SystemExit("%s: %d texts tokenized differently by transformers and tokenizer.json" % (name, bad))


def cmd_models(names):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Dense, Normalize, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling
    from sentence_transformers.util import import_from_string
    set_threads()
    texts = load_texts()
    for name in names:
        if name in ALIASES:
            if ALIASES[name] not in names:   # from the committed source folder
                make_alias(name)
                check_regenerated(name, texts)
            continue
        spec = SPECS[name]
        out = os.path.join(FAMILIES, name)
        with tempfile.TemporaryDirectory() as work:
            model = build_hf(spec)
            hf = os.path.join(work, "hf")
            model.save_pretrained(hf)
            from transformers import AutoTokenizer
            tok = AutoTokenizer.from_pretrained(tokenizer_dir(spec["tokenizer"], spec["max_seq"], work))
            tok.save_pretrained(hf)
            hidden = model.config.hidden_size
            modules = [Transformer(hf, max_seq_length=spec["max_seq"]), Pooling(hidden, pooling_mode=spec["pooling"])]
            dim = hidden
            rules = {}
            for out_dim, bias, act in spec["dense"]:
                d = Dense(dim, out_dim, bias=bias, activation_function=import_from_string(act)())
                modules.append(d)
                rules["%d_Dense" % (len(modules) - 1)] = weight_rules(d)
                dim = out_dim
            if spec["normalize"]:
                modules.append(Normalize())
            st = SentenceTransformer(modules=modules, device="cpu", prompts=spec.get("prompts"))
            # the model as sentence-transformers loaded it: RoBERTa and ALBERT
            # get their (unused) pooler back, as in real model files
            rules[""] = weight_rules(st[0].auto_model)
            build = os.path.join(work, "st")
            st.save(build)
            del st, model
            os.remove(os.path.join(build, "README.md"))
            if spec.get("config_drop"):
                drop_config_keys(os.path.join(build, "config.json"), spec["config_drop"])
            os.remove(os.path.join(build, "tokenizer.json"))
            for extra in ("special_tokens_map.json", "chat_template.jinja"):
                if os.path.exists(os.path.join(build, extra)):
                    os.remove(os.path.join(build, extra))
            if spec.get("legacy"):
                write_legacy(build, spec, hidden)
            files = manifest_files(build, rules)
            manifest = {"seed": SEED, "tokenizer": "tests/data/tokenizers/%s.json.gz" % spec["tokenizer"],
                        "files": files}
            with open(os.path.join(build, tiny_weights.MANIFEST), "w") as f:
                json.dump(manifest, f, indent=1)
            gen = os.path.join(work, "gen")
            sums = tiny_weights.generate(build, gen, check=False)
            for fspec in files:
                fspec["sha256"] = sums[fspec["path"]]
            write_manifest(os.path.join(build, tiny_weights.MANIFEST), manifest)
            if os.path.exists(out):
                shutil.rmtree(out)
            shutil.copytree(build, out)
        for alias, src in ALIASES.items():
            if src == name and (alias in names or not any(a in names for a in ALIASES)):
                make_alias(alias)
        # Regenerated from the committed folder, as make check does.
        for n in [name] + [a for a, s in ALIASES.items() if s == name]:
            check_regenerated(n, texts)


def make_alias(alias):
    """tests/data/families/ALIAS from its source's committed folder."""
    dst = os.path.join(FAMILIES, alias)
    if os.path.exists(dst):
        shutil.rmtree(dst)
    shutil.copytree(os.path.join(FAMILIES, ALIASES[alias]), dst)
    if alias in STORED:
        store_as(dst, *STORED[alias])
    else:
        to_t4_config(os.path.join(dst, "config.json"))


def check_regenerated(n, texts):
    with tempfile.TemporaryDirectory() as work:
        path = regenerate(n, os.path.join(work, n))
        st = load_st(path)
        check_weights(n, path, st)
        check_tokenizer(n, path, st, texts)
        print("%s: %s (%d committed bytes)" % (n, st[0].auto_model.__class__.__name__, sum(
            os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(os.path.join(FAMILIES, n))
            for f in fs)))


# ---- expected vectors ----------------------------------------------------

def write_ids(path, st, texts, prompt):
    """Token ids per text as sentence-transformers feeds them to the encoder,
    with 1 in front where the text was truncated (as gen_reference.py)."""
    tok = st.tokenizer
    max_len = st.max_seq_length
    with open(path, "w") as f:
        for t in texts:
            full = (prompt or "") + t
            if st[0].do_lower_case:
                full = full.lower()
            enc = tok(full, truncation=True, max_length=max_len)["input_ids"]
            whole = tok(full, truncation=False)["input_ids"]
            f.write("%d\t%s\n" % (int(len(whole) > len(enc)), " ".join(map(str, enc))))


def encode(st, texts, **kw):
    import numpy as np
    v = st.encode(texts, batch_size=32, convert_to_numpy=True, **kw)
    return np.ascontiguousarray(v, dtype="<f4")


def case_entry(name, model_rel, vecs, idx, prompt_name=None, family=None):
    c = {"name": name, "model": model_rel, "vectors": name + ".f32", "ids": name + ".ids", "n": len(idx),
         "dim": int(vecs.shape[1]), "texts": idx, "prompt_name": prompt_name, "normalize": -1,
         "truncate_dim": 0}
    if family:
        c["family"] = family
    return c


def cmd_expected(names):
    import numpy as np
    set_threads()
    texts = load_texts()
    every = list(range(len(texts)))
    path_cases = os.path.join(FAMILIES, "cases.json")
    cases = []
    if os.path.exists(path_cases):
        with open(path_cases) as f:
            cases = [c for c in json.load(f)["cases"] if c["model"].split("/")[-1] not in names]
    for name in names:
        spec = SPECS[ALIASES.get(name, name)]
        rel = "tests/data/families/" + name
        with tempfile.TemporaryDirectory() as work:
            st = load_st(regenerate(name, os.path.join(work, name)))
            runs = [(name, None, None)]
            if spec.get("prompts"):
                runs += [("%s-%s" % (name, p), p, spec["prompts"][p]) for p in spec["prompts"] if spec["prompts"][p]]
            for case, pname, ptext in runs:
                vecs = encode(st, texts, prompt_name=pname) if pname else encode(st, texts)
                vecs.tofile(os.path.join(FAMILIES, case + ".f32"))
                write_ids(os.path.join(FAMILIES, case + ".ids"), st, texts, ptext)
                cases.append(case_entry(case, rel, vecs, every, pname, spec["family"]))
                if name in STORED:   # again with the file's 16 bits kept on the device
                    cases.append(dict(cases[-1], name=case + "-kept", precision="fp16",
                                      stored={"F16": "fp16", "BF16": "bf16"}[STORED[name][0]]))
                trunc = sum(1 for line in open(os.path.join(FAMILIES, case + ".ids")) if line.startswith("1"))
                print("%s: %d x %d, %d texts truncated at %d tokens" % (case, vecs.shape[0], vecs.shape[1], trunc,
                                                                         st.max_seq_length))
            for case, pname, _ in runs if name in ALIASES else []:
                # the other config form must give the same vectors
                other = ALIASES[name] + case[len(name):]
                base = np.fromfile(os.path.join(FAMILIES, other + ".f32"), dtype="<f4")
                mine = np.fromfile(os.path.join(FAMILIES, case + ".f32"), dtype="<f4")
                if name in STORED:
                    # 16-bit weights: near the float32 model's vectors, not equal; and what
                    # sentence-transformers gives when left to compute in the file's dtype
                    from sentence_transformers import SentenceTransformer
                    cos = lambda a, b: (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
                    d = base.reshape(len(texts), -1), mine.reshape(len(texts), -1)
                    half = encode(SentenceTransformer(os.path.join(work, name), device="cpu"), texts,
                                  **({"prompt_name": pname} if pname else {}))
                    print("%s: min cosine %.6f to %s, %.6f to sentence-transformers in %s" % (
                        case, cos(*d).min(), other, cos(d[1], half).min(), STORED[name][1]))
                    if cos(*d).min() < 0.99:
                        raise SystemExit("%s: vectors far from %s's" % (case, other))
                elif base.shape != mine.shape or np.abs(base - mine).max() > 1e-6:
                    raise SystemExit("%s: vectors differ from %s's" % (case, other))
    write_buckets()
    order = list(SPECS) + list(ALIASES)
    cases.sort(key=lambda c: (order.index(c["model"].split("/")[-1]), c["name"]))
    with open(path_cases, "w") as f:
        json.dump({"texts": "../fidelity/texts.jsonl", "cases": cases}, f, indent=1)
        f.write("\n")


def write_buckets():
    """buckets.json: the relative-position bucket of every offset (key position
    minus query position, -1023..1023) as transformers computes them, for
    the T5 configs here and for MPNet (whose bucket function ignores the
    config: always 32 buckets, max_distance 128)."""
    import torch
    from transformers.models.mpnet.modeling_mpnet import MPNetEncoder
    from transformers.models.t5.modeling_t5 import T5Attention
    rel = torch.arange(-1023, 1024)
    out = {}
    for name in ("t5", "t5-gated"):
        cfg = SPECS[name]["cfg"]
        nb, md = cfg["relative_attention_num_buckets"], cfg["relative_attention_max_distance"]
        b = T5Attention._relative_position_bucket(rel, bidirectional=True, num_buckets=nb, max_distance=md)
        out[name] = {"num_buckets": nb, "max_distance": md, "first_offset": -1023, "buckets": b.tolist()}
    b = MPNetEncoder.relative_position_bucket(rel)
    out["mpnet"] = {"num_buckets": 32, "max_distance": 128, "first_offset": -1023, "buckets": b.tolist()}
    with open(os.path.join(FAMILIES, "buckets.json"), "w") as f:
        f.write("{\n" + ",\n".join(" %s: %s" % (json.dumps(k), json.dumps(v)) for k, v in out.items()) + "\n}\n")


def cmd_mpnet():
    """The real all-mpnet-base-v2 over every text, added to tests/data/fidelity/cases.json."""
    set_threads()
    if not os.path.isdir(MPNET):
        sys.exit("no %s: run tools/fetch_mpnet.sh first" % MPNET)
    texts = load_texts()
    every = list(range(len(texts)))
    st = load_st(MPNET)
    vecs = encode(st, texts)
    vecs.tofile(os.path.join(FIDELITY, "mpnet.f32"))
    write_ids(os.path.join(FIDELITY, "mpnet.ids"), st, texts, None)
    path = os.path.join(FIDELITY, "cases.json")
    with open(path) as f:
        data = json.load(f)
    data["cases"] = [c for c in data["cases"] if c["name"] != "mpnet"]
    data["cases"].append(case_entry("mpnet", "models/all-mpnet-base-v2", vecs, every))
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
    print("mpnet: %d x %d" % vecs.shape)


def main():
    a = sys.argv[1:]
    known = list(SPECS) + list(ALIASES)
    if len(a) >= 3 and a[0] == "tokenizers" and all(n in BUILT_TOKENIZERS for n in a[3:]):
        cmd_tokenizers(a[1], a[2], a[3:])
    elif a and a[0] in ("models", "expected") and all(n in known for n in a[1:]):
        names = a[1:] or known
        if a[0] == "models":
            cmd_models(names)
        else:
            cmd_expected(names)
    elif a == ["mpnet"]:
        cmd_mpnet()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
