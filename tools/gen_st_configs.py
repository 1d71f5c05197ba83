#!/usr/bin/env python3
"""Writes tiny model directories under tests/data/model/st/ with sentence-transformers itself, in
both the legacy form (sentence-transformers 5.3, tools/requirements-st-legacy.txt, run in its own
virtual environment) and the form sentence-transformers 5.4+ writes (6.2, the reference in
tools/requirements-reference.txt), and next to each an expected.json of what sentence-transformers
6.2 makes of the directory: module chain, dimensions, effective max length, prompts, parameters,
sample tensor values and embeddings.  Also writes tests/data/model/minilm_expected.json for the
real all-MiniLM-L6-v2 when models/ has it.

    python3 tools/gen_st_configs.py --legacy-python /path/to/venv-st53/bin/python

The models are random, with tiny dimensions and vocabulary, so the files stay a few KB.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(TOP, "tests", "data", "model", "st")
TEXTS = ["hello world", "the quick brown fox jumps over the lazy dog " * 8, "a b c"]

# Vocabulary of the tiny WordPiece tokenizers: specials first (their order sets the ids), then
# letters, continuation letters and a few words.
WORDS = ["hello", "world", "the", "quick", "brown", "fox", "query", "passage", ":"]


def tiny_tokenizer(specials, path, model_max_length=None):
    """A WordPiece tokenizer.json (+ tokenizer_config.json) with `specials` as ids 0.."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    vocab = {}
    for tok in list(specials.values()) + letters + ["##" + c for c in letters] + WORDS:
        vocab.setdefault(tok, len(vocab))
    tk = Tokenizer(models.WordPiece(vocab, unk_token=specials["unk"]))
    tk.normalizer = normalizers.BertNormalizer(lowercase=True)
    tk.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    cls, sep = specials["cls"], specials["sep"]
    tk.post_processor = processors.TemplateProcessing(
        single=f"{cls} $A {sep}", pair=f"{cls} $A {sep} $B {sep}",
        special_tokens=[(cls, vocab[cls]), (sep, vocab[sep])])
    kwargs = {"unk_token": specials["unk"], "pad_token": specials["pad"], "cls_token": cls,
              "sep_token": sep, "mask_token": specials["mask"]}
    if model_max_length is not None:
        kwargs["model_max_length"] = model_max_length
    fast = PreTrainedTokenizerFast(tokenizer_object=tk, **kwargs)
    fast.save_pretrained(path)
    return len(vocab)


BERT_SPECIALS = {"pad": "[PAD]", "unk": "[UNK]", "cls": "[CLS]", "sep": "[SEP]", "mask": "[MASK]"}
ROBERTA_SPECIALS = {"cls": "<s>", "pad": "<pad>", "sep": "</s>", "unk": "<unk>", "mask": "<mask>"}


def hf_base(path, arch, seed, max_pos, tok_len=None, dtype="float32", masked_lm=False, shard=None):
    """A plain Hugging Face directory: config.json, weights, tokenizer."""
    import torch
    import transformers as tr

    torch.manual_seed(seed)
    os.makedirs(path, exist_ok=True)
    specials = BERT_SPECIALS if arch == "bert" else ROBERTA_SPECIALS
    vocab = tiny_tokenizer(specials, path, tok_len)
    common = dict(vocab_size=vocab + 3, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=16, max_position_embeddings=max_pos, type_vocab_size=2)
    if arch == "bert":
        cfg = tr.BertConfig(pad_token_id=0, **common)
        cls = tr.BertForMaskedLM if masked_lm else tr.BertModel
    else:
        conf = {"roberta": tr.RobertaConfig, "xlm-roberta": tr.XLMRobertaConfig,
                "camembert": tr.CamembertConfig}[arch]
        cfg = conf(pad_token_id=1, bos_token_id=0, eos_token_id=2, **common)
        cls = {"roberta": tr.RobertaModel, "xlm-roberta": tr.XLMRobertaModel,
               "camembert": tr.CamembertModel}[arch]
    model = cls(cfg).eval()
    with torch.no_grad():
        for p in model.parameters():   # visible values, not the tiny init
            p.normal_(0, 0.5)
    model = model.to(getattr(torch, dtype))
    kwargs = {"max_shard_size": shard} if shard else {}
    model.save_pretrained(path, **kwargs)


# ---- the writers: each runs under the sentence-transformers version it names -------------------

def write_st6(spec):
    import sentence_transformers as stm
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Dense, Normalize, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    assert stm.__version__ == "6.2.0", stm.__version__
    torch.manual_seed(spec["seed"])
    t = Transformer(spec["base"], **spec.get("transformer", {}))
    mods = [t, Pooling(8, **spec["pooling"])]
    mods += module_tail(spec, Dense, Normalize)
    kwargs = {k: spec[k] for k in ("prompts", "default_prompt_name", "similarity_fn_name",
                                   "truncate_dim") if k in spec}
    st = SentenceTransformer(modules=mods, device="cpu", **kwargs)
    if spec.get("dtype"):
        st.to(getattr(torch, spec["dtype"]))
    st.save(spec["out"])


def write_st53(spec):
    import sentence_transformers as stm
    import torch
    from sentence_transformers import SentenceTransformer, models

    assert stm.__version__ == "5.3.0", stm.__version__
    torch.manual_seed(spec["seed"])
    t = models.Transformer(spec["base"], **spec.get("transformer", {}))
    mods = [t, models.Pooling(8, **spec["pooling"])]
    mods += module_tail(spec, models.Dense, models.Normalize)
    kwargs = {k: spec[k] for k in ("prompts", "default_prompt_name", "similarity_fn_name",
                                   "truncate_dim") if k in spec}
    st = SentenceTransformer(modules=mods, device="cpu", **kwargs)
    if spec.get("dtype"):
        st.to(getattr(torch, spec["dtype"]))
    st.save(spec["out"])


def module_tail(spec, Dense, Normalize):
    import torch

    out = []
    for m in spec.get("tail", []):
        if m["type"] == "Dense":
            kw = {"bias": m.get("bias", True)}
            if "act" in m:
                kw["activation_function"] = getattr(torch.nn, m["act"])()
            d = Dense(m["in"], m["out"], **kw)
            with torch.no_grad():
                for p in d.parameters():
                    p.normal_(0, 0.5)
            out.append(d)
        else:
            out.append(Normalize())
    return out


# ---- what sentence-transformers 6.2 makes of a directory ----------------------------------------

ACTS = {"Tanh": "tanh", "Identity": "identity", "ReLU": "relu", "GELU": "gelu", "SiLU": "silu"}
HIDDEN_ACTS = {"gelu": "gelu", "gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh",
               "relu": "relu", "silu": "silu"}


def describe(path, n_tensor_samples=6):
    import numpy as np
    import sentence_transformers as stm
    import torch
    from safetensors import safe_open
    from sentence_transformers import SentenceTransformer

    assert stm.__version__ == "6.2.0", stm.__version__
    st = SentenceTransformer(path, device="cpu", model_kwargs={"dtype": torch.float32})
    tr = st[0]
    cfg = tr.auto_model.config
    offset = tr._infer_flatten_position_offset()
    features = tr.preprocess(["word " * 2000])
    trunc = int(features["input_ids"].shape[1])
    modules = []
    chain_dim = None
    for m in st:
        name = type(m).__name__
        e = {"type": name}
        if name == "Pooling":
            modes = (m.pooling_mode,) if isinstance(m.pooling_mode, str) else m.pooling_mode
            e.update(pooling_mode=list(modes), include_prompt=bool(m.include_prompt),
                     embedding_dimension=m.embedding_dimension)
        elif name == "Dense":
            e.update(in_features=m.in_features, out_features=m.out_features, bias=bool(m.bias),
                     activation=ACTS[type(m.activation_function).__name__])
        modules.append(e)
    for m in reversed(list(st)):
        if hasattr(m, "get_embedding_dimension") and m.get_embedding_dimension():
            chain_dim = m.get_embedding_dimension()
            break
    tensors = {}
    files = sorted(f for f in os.listdir(path) if f.endswith(".safetensors"))
    for fn in files:
        with safe_open(os.path.join(path, fn), "pt") as f:
            for k in sorted(f.keys())[:n_tensor_samples]:
                t = f.get_tensor(k)
                if not t.is_floating_point():
                    continue
                v = t.to(torch.float64).flatten()
                tensors[k] = {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
                              "first": [float(x) for x in v[:4]], "sum": float(v.sum())}
    # Long inputs past the position table would fail in sentence-transformers itself.
    texts = [t for t in TEXTS if len(tr.preprocess([t])["input_ids"][0]) <= cfg.max_position_embeddings - offset]
    emb = st.encode(texts, convert_to_numpy=True)
    # What the weight files hold, counted independently of the model classes.
    n_par = n_bytes = n_t = 0
    for root, _, fns in os.walk(path):
        for fn in fns:
            if fn.endswith(".safetensors"):
                with safe_open(os.path.join(root, fn), "pt") as f:
                    for k in f.keys():
                        t = f.get_tensor(k)
                        n_t += 1
                        n_bytes += t.numel() * t.element_size()
                        n_par += t.numel() if t.is_floating_point() else 0
    return {
        "generator": "tools/gen_st_configs.py",
        "sentence_transformers": stm.__version__,
        "model_type": cfg.model_type,
        "architecture": (cfg.architectures or [None])[0],
        "hidden_size": cfg.hidden_size,
        "num_layers": cfg.num_hidden_layers,
        "num_heads": cfg.num_attention_heads,
        "intermediate_size": cfg.intermediate_size,
        "hidden_act": HIDDEN_ACTS[cfg.hidden_act],
        "layer_norm_eps": cfg.layer_norm_eps,
        "vocab_size": cfg.vocab_size,
        "max_position_embeddings": cfg.max_position_embeddings,
        "type_vocab_size": cfg.type_vocab_size,
        "pad_token_id": cfg.pad_token_id,
        "position_offset": offset,
        "modules_json": os.path.exists(os.path.join(path, "modules.json")),
        "modules": modules,
        "output_dimension": chain_dim,
        "truncate_dim": st.truncate_dim,
        "st_max_seq_length": float(st.max_seq_length),
        "truncation_length": trunc,
        # clembed cannot go past the position table; sentence-transformers would fail there.
        "max_seq_length": min(trunc, cfg.max_position_embeddings - offset),
        "do_lower_case": bool(getattr(tr, "do_lower_case", False)),
        "tokenizer_vocab_size": len(tr.tokenizer),
        "prompts": st.prompts,
        "default_prompt_name": st.default_prompt_name,
        "similarity_fn_name": st._similarity_fn_name,
        "parameters": int(sum(p.numel() for p in st.parameters())),
        "file_parameters": n_par,
        "file_bytes": n_bytes,
        "file_tensors": n_t,
        "tensors": tensors,
        "texts": texts,
        "embeddings": [[float(np.float32(x)) for x in row] for row in emb],
    }


# ---- the directories --------------------------------------------------------------------------

def specs(work):
    b = lambda n: os.path.join(work, n)   # noqa: E731
    return [
        # 5.4+ form: pooling_mode list in a non-legacy order, GELU Dense, Normalize, prompts.
        dict(name="st6_bert_mean_cls_dense_norm", writer="st6", seed=1,
             base=("bert", b("bert40"), 40, 32), transformer={},
             pooling={"pooling_mode": ["mean", "cls"]},
             tail=[{"type": "Dense", "in": 16, "out": 6, "act": "GELU"}, {"type": "Normalize"}],
             prompts={"query": "query: ", "passage": "passage: "}, default_prompt_name="query",
             similarity_fn_name="dot"),
        # Legacy form: pooling_mode_* booleans, Tanh Dense by default, max_seq_length.
        dict(name="st53_bert_cls_mean_dense_norm", writer="st53", seed=2,
             base=("bert", b("bert40"), 40, 32), transformer={"max_seq_length": 24},
             pooling={"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": True},
             tail=[{"type": "Dense", "in": 16, "out": 6}, {"type": "Normalize"}],
             prompts={"query": "query: "}),
        # RoBERTa positions start at pad + 1; the tokenizer's length exceeds the table.
        dict(name="st6_roberta_weightedmean", writer="st6", seed=3,
             base=("roberta", b("roberta34"), 34, 512), transformer={},
             pooling={"pooling_mode": "weightedmean", "include_prompt": False}),
        # Legacy XLM-R in BF16: max + mean_sqrt_len, a Dense without bias or activation.
        dict(name="st53_xlmr_max_meansqrt_bf16", writer="st53", seed=4,
             base=("xlm-roberta", b("xlmr20"), 20, 16), transformer={},
             pooling={"pooling_mode_max_tokens": True, "pooling_mode_mean_tokens": False,
                      "pooling_mode_mean_sqrt_len_tokens": True},
             tail=[{"type": "Dense", "in": 16, "out": 5, "bias": False, "act": "Identity"}],
             dtype="bfloat16"),
        # CamemBERT in F16: last token, ReLU Dense, Normalize, truncate_dim.
        dict(name="st6_camembert_lasttoken_f16", writer="st6", seed=5,
             base=("camembert", b("camembert30"), 30, 64), transformer={},
             pooling={"pooling_mode": "lasttoken"},
             tail=[{"type": "Dense", "in": 8, "out": 6, "act": "ReLU"}, {"type": "Normalize"}],
             dtype="float16", truncate_dim=4, similarity_fn_name="cosine"),
        # processing_kwargs' max_length wins over the tokenizer's for truncation.
        dict(name="st6_bert_processing_max_length", writer="st6", seed=6,
             base=("bert", b("bert40"), 40, 32),
             transformer={"processing_kwargs": {"text": {"max_length": 12}}},
             pooling={"pooling_mode": "max"}),
    ]


def run_writer(spec, legacy_python):
    if spec["writer"] == "st6":
        write_st6(spec)
        return
    code = ("import json, sys; sys.path.insert(0, %r); import gen_st_configs as g; "
            "g.write_st53(json.loads(sys.argv[1]))" % os.path.dirname(os.path.abspath(__file__)))
    subprocess.run([legacy_python, "-c", code, json.dumps(spec)], check=True)


def clean(path):
    # Files sentence-transformers writes that clembed does not read: keep the data small.
    for f in ("README.md",):
        p = os.path.join(path, f)
        if os.path.exists(p):
            os.remove(p)


def main():
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    torch.set_num_threads(1)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--legacy-python", required=True,
                    help="a Python with sentence-transformers==5.3.0 (tools/requirements-st-legacy.txt)")
    ap.add_argument("--work", default="/tmp/clembed-gen-st")
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    bases = {}
    for spec in specs(args.work):
        arch, bpath, max_pos, tok_len = spec["base"]
        if bpath not in bases:
            hf_base(bpath, arch, seed=100 + len(bases), max_pos=max_pos, tok_len=tok_len)
            bases[bpath] = True
        spec = dict(spec, base=bpath, out=os.path.join(OUT, spec["name"]))
        run_writer(spec, args.legacy_python)
        clean(spec["out"])

    # A plain Hugging Face directory: no modules.json, so sentence-transformers uses mean pooling
    # and ignores sentence_bert_config.json; BertForMaskedLM names carry the "bert." prefix; the
    # weights are sharded; the tokenizer says model_max_length 1e30 (no limit).
    plain = os.path.join(OUT, "hf_bert_mlm_sharded")
    hf_base(plain, "bert", seed=7, max_pos=40, masked_lm=True, shard="4KB")
    with open(os.path.join(plain, "sentence_bert_config.json"), "w") as f:
        json.dump({"max_seq_length": 8, "do_lower_case": True}, f)

    # The oldest layout: the Transformer in its own folder 0_Transformer.
    old = os.path.join(OUT, "st53_transformer_subfolder")
    shutil.copytree(os.path.join(OUT, "st53_bert_cls_mean_dense_norm"), old)
    os.makedirs(os.path.join(old, "0_Transformer"))
    for f in os.listdir(old):
        if f in ("config.json", "model.safetensors", "sentence_bert_config.json", "tokenizer.json",
                 "tokenizer_config.json", "special_tokens_map.json"):
            shutil.move(os.path.join(old, f), os.path.join(old, "0_Transformer", f))
    with open(os.path.join(old, "modules.json")) as f:
        mods = json.load(f)
    mods[0]["path"] = "0_Transformer"
    with open(os.path.join(old, "modules.json"), "w") as f:
        json.dump(mods, f, indent=2)

    for name in sorted(os.listdir(OUT)):
        path = os.path.join(OUT, name)
        exp = describe(path)
        with open(os.path.join(OUT, name + ".expected.json"), "w") as f:
            json.dump(exp, f, indent=1)
            f.write("\n")
        print(name, exp["modules"], exp["max_seq_length"], exp["output_dimension"])

    minilm = os.path.join(TOP, "models", "all-MiniLM-L6-v2")
    if os.path.isdir(minilm):
        exp = describe(minilm)
        exp["dir"] = "models/all-MiniLM-L6-v2"
        with open(os.path.join(TOP, "tests", "data", "model", "minilm_expected.json"), "w") as f:
            json.dump(exp, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
