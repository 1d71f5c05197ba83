#!/usr/bin/env python3
"""Reference data for the encoder's fidelity tests, from the pinned references
(tools/requirements-reference.txt: sentence-transformers, transformers, torch,
tokenizers).

    python3 tools/gen_reference.py texts SHARED_TEXT_DIR   # tests/data/fidelity/texts.jsonl
    python3 tools/gen_reference.py models [NAME...]        # tests/data/models/tiny-*/
    python3 tools/gen_reference.py expected                # tests/data/fidelity/*.f32, cases.json

`texts` draws the multilingual and long texts from the UDHR collection
(udhr_plain/*.txt, one paragraph per line) and adds hand-written short
sentences, emoji and edge cases.  `models` builds small random-weight BERT
models with transformers and saves them as sentence-transformers directories
with a WordPiece tokenizer trained on the texts.  `expected` runs
sentence-transformers (CPU, fp32) over the texts for every case and writes the
vectors as float32 little-endian files, the token ids per text, and
cases.json, which tests/test_fidelity.c and tests/test_tiny_models.c read.
The real all-MiniLM-L6-v2 is read from models/all-MiniLM-L6-v2 (tools/setup.sh
fetches it)."""

import json
import os
import shutil
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
FIDELITY = os.path.join(ROOT, "tests", "data", "fidelity")
MODELS = os.path.join(ROOT, "tests", "data", "models")
TEXTS = os.path.join(FIDELITY, "texts.jsonl")
MINILM = os.path.join(ROOT, "models", "all-MiniLM-L6-v2")

SHORT = [
    "A cat sits on the mat.",
    "A dog runs in the park.",
    "The quick brown fox jumps over the lazy dog.",
    "How do I reset my password?",
    "Where is the nearest train station?",
    "It is raining again, so bring an umbrella.",
    "She sold her old bicycle for forty dollars.",
    "Can you recommend a good book about astronomy?",
    "The meeting was moved to Thursday at 3 p.m.",
    "I can't believe it's already December!",
    "Water boils at 100 degrees Celsius at sea level.",
    "He plays the violin in a small orchestra.",
    "The museum is closed on Mondays.",
    "Please send me the report by Friday.",
    "Our flight was delayed by two hours.",
    "The children built a sandcastle on the beach.",
    "Photosynthesis converts light into chemical energy.",
    "What's the difference between a virus and a bacterium?",
    "Turn left at the second traffic light.",
    "This soup needs a little more salt.",
    "The stock market fell sharply on Tuesday.",
    "My grandmother grows tomatoes in her garden.",
    "Is this seat taken?",
    "The library has more than a million volumes.",
    "They watched the sunset from the hill.",
    "Mount Everest is the highest mountain above sea level.",
    "I'd like a cup of coffee, please.",
    "The new phone has a better camera.",
    "Rust and C are both systems programming languages.",
    "A café on the Champs-Élysées serves crème brûlée.",
    "Naïve coöperation isn't the same as façade.",
    "THE SIGN SAID: NO PARKING ANY TIME.",
    "the sign said: no parking any time.",
    "Hello, world!",
    "Yes.",
    "No",
    "?",
    "...",
    "42",
    "3.14159 is approximately pi.",
    "Call me at +1 (555) 010-9999 tomorrow.",
    "Version 2.0.1 fixes bug #1234.",
    "E-mail: someone@example.com, web: https://example.org/a?b=c&d=e",
    "int main(void) { return 0; }",
    "x = [1, 2, 3]; y = {'a': 1}",
    "He said, \"Don't worry about it.\"",
    "Well-known, state-of-the-art, up-to-date.",
    "The temperature dropped to -15°C overnight.",
    "50% off everything — today only!",
    "Tabs\tand\tnewlines\nin one text.",
    "  Leading and trailing spaces  ",
    "Repeated letters: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "supercalifragilisticexpialidocious",
    "Pneumonoultramicroscopicsilicovolcanoconiosis is a long word.",
    "The committee's decision was unanimous.",
    "A man is playing a guitar.",
    "A woman is slicing an onion.",
    "Two men are playing chess in the park.",
    "The weather today is sunny with a light breeze.",
    "Machine learning models need good training data.",
]

EMOJI = [
    "I love pizza 🍕🍕🍕",
    "Great job! 👍🎉",
    "😀😃😄😁😆😅😂🤣",
    "Family: 👨‍👩‍👧‍👦 and a rainbow flag 🏳️‍🌈",
    "Flags: 🇫🇷 🇯🇵 🇧🇷 🇰🇪",
    "Skin tones: 👋🏻 👋🏽 👋🏿",
    "The weather is ☀️ today, tomorrow 🌧️.",
    "❤️ you",
    "🚀 Launch at 09:00 🕘",
    "Keycaps 1️⃣ 2️⃣ #️⃣",
    "Math: ∑ ∫ √ ∞ ≠ ≤ ≥ π",
    "Arrows → ← ↑ ↓ and check ✓ ✗",
    "Zero\u200bwidth\u200bspaces and a soft\u00adhyphen",
    "Combining: e\u0301 a\u0308 n\u0303 (decomposed accents)",
    "Ｆｕｌｌｗｉｄｔｈ ｌｅｔｔｅｒｓ and ｈａｌｆ",
]

EDGE = ["", " ", "\t", "\u00a0non-breaking\u00a0space", "\u200f\u05e9\u05dc\u05d5\u05dd RTL mark"]

LANGS = ["amh", "arb", "ben", "cmn_hans", "cmn_hant", "deu_1996", "ell_monotonic", "fra", "heb",
         "hin", "hye", "jpn", "kat", "khm", "kor", "lao", "mya", "pes_1", "pol", "rus", "sin",
         "spa", "tam", "tel", "tha", "tur", "ukr", "urd", "vie", "yue"]


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def cmd_texts(shared):
    eng = read_lines(os.path.join(shared, "udhr_eng.txt"))
    texts = list(SHORT)
    # English paragraphs of every length, in order.
    texts += eng[2:50]
    # Long texts: runs of paragraphs, past 256 word pieces, one far past.
    for start in range(10, 90, 10):
        texts.append(" ".join(eng[start:start + 12]))
    texts.append(" ".join(eng * 3))
    for lang in LANGS:
        lines = read_lines(os.path.join(shared, "udhr_%s.txt" % lang))
        texts += [lines[0], lines[3], lines[10]]
    texts.append(" ".join(read_lines(os.path.join(shared, "udhr_rus.txt"))[5:15]))
    texts.append(" ".join(read_lines(os.path.join(shared, "udhr_cmn_hans.txt"))[5:40]))
    texts += EMOJI
    texts += EDGE
    os.makedirs(FIDELITY, exist_ok=True)
    with open(TEXTS, "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")
    print("%d texts in %s" % (len(texts), TEXTS))


def load_texts():
    with open(TEXTS, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


# ---- tiny models ---------------------------------------------------------

# name: transformer config, pooling, modules after pooling, max_seq_length, prompts
TINY = {
    "tiny-gelu-mean": dict(hidden=32, heads=2, layers=2, inter=64, act="gelu", pos=512,
                           pooling=("mean",), dense=[], normalize=True, max_seq=128),
    "tiny-gelunew-cls": dict(hidden=48, heads=3, layers=1, inter=96, act="gelu_new", pos=128,
                             pooling=("cls",), dense=[(24, "torch.nn.modules.activation.Tanh")],
                             normalize=False, max_seq=128, legacy_pooling=True),
    "tiny-relu-max": dict(hidden=48, heads=4, layers=2, inter=96, act="relu", pos=40,
                          pooling=("max",), dense=[], normalize=False, max_seq=40, eps=1e-5),
    "tiny-silu-sqrt": dict(hidden=32, heads=1, layers=3, inter=48, act="silu", pos=96,
                           pooling=("mean_sqrt_len_tokens",),
                           dense=[(40, "torch.nn.modules.linear.Identity")], normalize=True,
                           max_seq=96, type_vocab=1),
    "tiny-weighted": dict(hidden=40, heads=5, layers=2, inter=80, act="gelu", pos=64,
                          pooling=("weightedmean",), dense=[], normalize=False, max_seq=64,
                          legacy_pooling=True),
    "tiny-lasttoken": dict(hidden=32, heads=4, layers=2, inter=64, act="gelu_new", pos=80,
                           pooling=("lasttoken",), dense=[], normalize=True, max_seq=80),
    "tiny-concat": dict(hidden=24, heads=2, layers=2, inter=48, act="gelu", pos=72,
                        pooling=("cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean",
                                 "lasttoken"),
                        dense=[(32, "torch.nn.modules.activation.Tanh"),
                               (16, "torch.nn.modules.linear.Identity")],
                        normalize=True, max_seq=72, legacy_pooling=True),
    # A cased tokenizer under sentence_bert_config.json's do_lower_case: the
    # texts are lowercased before the tokenizer sees them.
    "tiny-lowercase": dict(hidden=32, heads=2, layers=1, inter=64, act="gelu", pos=64,
                           pooling=("mean",), dense=[], normalize=True, max_seq=64, cased=True,
                           legacy_pooling=True, do_lower_case=True,
                           prompts={"query": "Query: "}, default_prompt="query"),
    "tiny-prompt": dict(hidden=32, heads=2, layers=2, inter=64, act="gelu", pos=64,
                        pooling=("mean",), dense=[], normalize=True, max_seq=64,
                        include_prompt=False,
                        prompts={"query": "query: ", "passage": "passage: "},
                        default_prompt="query"),
}


def train_tokenizer(texts, lowercase=True):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                strip_accents=None, lowercase=lowercase)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    trainer = trainers.WordPieceTrainer(vocab_size=800, limit_alphabet=300, special_tokens=special,
                                        show_progress=False)
    tok.train_from_iterator(texts, trainer)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tok.decoder = decoders.WordPiece(prefix="##")
    return tok


def write_legacy_pooling(path, modes, dim, include_prompt):
    keys = {"cls": "pooling_mode_cls_token", "max": "pooling_mode_max_tokens",
            "mean": "pooling_mode_mean_tokens",
            "mean_sqrt_len_tokens": "pooling_mode_mean_sqrt_len_tokens",
            "weightedmean": "pooling_mode_weightedmean_tokens", "lasttoken": "pooling_mode_lasttoken"}
    cfg = {"word_embedding_dimension": dim}
    for mode, key in keys.items():
        cfg[key] = mode in modes
    cfg["include_prompt"] = include_prompt
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)


def cmd_models():
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Dense, Normalize, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling
    from transformers import BertConfig, BertModel, BertTokenizerFast

    texts = load_texts()
    only = set(sys.argv[2:])
    toks = {False: train_tokenizer(texts), True: train_tokenizer(texts, lowercase=False)}
    for name, spec in TINY.items():
        if only and name not in only:
            continue
        tok = toks[bool(spec.get("cased"))]
        torch.manual_seed(sum(map(ord, name)))
        out = os.path.join(MODELS, name)
        if os.path.exists(out):
            shutil.rmtree(out)
        work = out + ".build"
        if os.path.exists(work):
            shutil.rmtree(work)
        cfg = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=spec["hidden"],
                         num_hidden_layers=spec["layers"], num_attention_heads=spec["heads"],
                         intermediate_size=spec["inter"], hidden_act=spec["act"],
                         max_position_embeddings=spec["pos"],
                         type_vocab_size=spec.get("type_vocab", 2),
                         layer_norm_eps=spec.get("eps", 1e-12), pad_token_id=0)
        bert = BertModel(cfg, add_pooling_layer=False)
        # Weights large enough that attention is far from uniform and every
        # bias and norm parameter matters.
        with torch.no_grad():
            for pname, p in bert.named_parameters():
                if "LayerNorm.weight" in pname:
                    p.copy_(1.0 + 0.2 * torch.randn_like(p))
                else:
                    p.copy_(0.15 * torch.randn_like(p))
        hf_tok = BertTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", sep_token="[SEP]",
                                   pad_token="[PAD]", cls_token="[CLS]", mask_token="[MASK]",
                                   do_lower_case=not spec.get("cased"), model_max_length=spec["max_seq"])
        hf_dir = work + "-hf"
        bert.save_pretrained(hf_dir)
        hf_tok.save_pretrained(hf_dir)
        transformer = Transformer(hf_dir, max_seq_length=spec["max_seq"])
        modules = [transformer, Pooling(spec["hidden"], pooling_mode=spec["pooling"],
                                        include_prompt=spec.get("include_prompt", True))]
        dim = spec["hidden"] * len(spec["pooling"])
        for out_dim, act in spec["dense"]:
            from sentence_transformers.util import import_from_string
            d = Dense(dim, out_dim, activation_function=import_from_string(act)())
            with torch.no_grad():
                d.linear.weight.copy_(torch.randn_like(d.linear.weight) / dim ** 0.5)
                d.linear.bias.copy_(0.1 * torch.randn_like(d.linear.bias))
            modules.append(d)
            dim = out_dim
        if spec["normalize"]:
            modules.append(Normalize())
        st = SentenceTransformer(modules=modules, device="cpu",
                                 prompts=spec.get("prompts"),
                                 default_prompt_name=spec.get("default_prompt"))
        st.save(out)
        shutil.rmtree(hf_dir)
        os.remove(os.path.join(out, "README.md"))
        if spec.get("legacy_pooling"):
            # The layout of models saved by sentence-transformers 2.x, still the
            # most common on the Hub (all-MiniLM-L6-v2 among them).
            pool_dir = [m for m in os.listdir(out) if m.endswith("_Pooling")][0]
            write_legacy_pooling(os.path.join(out, pool_dir, "config.json"), spec["pooling"],
                                 spec["hidden"], spec.get("include_prompt", True))
            with open(os.path.join(out, "sentence_bert_config.json"), "w") as f:
                json.dump({"max_seq_length": spec["max_seq"],
                           "do_lower_case": bool(spec.get("do_lower_case"))}, f, indent=2)
        size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(out) for f in fs)
        print("%s: %d bytes" % (out, size))


# ---- expected vectors ----------------------------------------------------

def set_threads():
    import torch
    torch.set_num_threads(2)
    torch.manual_seed(0)


def write_ids(path, st, texts, prompt):
    """Token ids per text as sentence-transformers feeds them to the encoder,
    with 1 in front where the text was truncated."""
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


def without_normalize(st):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Normalize
    mods = [m for m in st if not isinstance(m, Normalize)]
    return SentenceTransformer(modules=mods, device="cpu")


def cmd_expected():
    from sentence_transformers import SentenceTransformer
    set_threads()
    texts = load_texts()
    cases = []

    def add(name, model_rel, st, vecs, idx, prompt=None, prompt_name=None, normalize=-1,
            truncate_dim=0):
        vec_file = name + ".f32"
        vecs.tofile(os.path.join(FIDELITY, vec_file))
        ids_file = name + ".ids"
        write_ids(os.path.join(FIDELITY, ids_file), st, [texts[i] for i in idx], prompt)
        cases.append({"name": name, "model": model_rel, "vectors": vec_file, "ids": ids_file,
                      "n": len(idx), "dim": int(vecs.shape[1]), "texts": idx,
                      "prompt_name": prompt_name, "normalize": normalize,
                      "truncate_dim": truncate_dim})
        print("%s: %d x %d" % (name, vecs.shape[0], vecs.shape[1]))

    every = list(range(len(texts)))
    some = every[::9]
    if os.path.isdir(MINILM):
        st = SentenceTransformer(MINILM, device="cpu")
        add("minilm", "models/all-MiniLM-L6-v2", st, encode(st, texts), every)
        add("minilm-trunc128-norm", "models/all-MiniLM-L6-v2", st,
            encode(st, [texts[i] for i in some], truncate_dim=128, normalize_embeddings=True),
            some, normalize=1, truncate_dim=128)
        raw = without_normalize(st)
        add("minilm-nonorm-trunc100", "models/all-MiniLM-L6-v2", st,
            encode(raw, [texts[i] for i in some], truncate_dim=100), some, normalize=0,
            truncate_dim=100)
        # the same reference with the weights stored as half on the device: near, not equal
        cases.append(dict(cases[0], name="minilm-fp16", precision="fp16", stored="fp16", min_cosine=0.9999,
                          texts=some, n=len(some), vectors="minilm-some.f32", ids="minilm-some.ids"))
        encode(st, [texts[i] for i in some]).tofile(os.path.join(FIDELITY, "minilm-some.f32"))
        write_ids(os.path.join(FIDELITY, "minilm-some.ids"), st, [texts[i] for i in some], None)
    else:
        print("no %s: run tools/setup.sh first" % MINILM, file=sys.stderr)
        sys.exit(1)
    for name, spec in TINY.items():
        rel = "tests/data/models/" + name
        st = SentenceTransformer(os.path.join(ROOT, rel), device="cpu")
        if spec.get("prompts"):
            for pname, ptext in spec["prompts"].items():
                add("%s-%s" % (name, pname), rel, st,
                    encode(st, texts, prompt_name=pname), every, prompt=ptext, prompt_name=pname)
            continue
        add(name, rel, st, encode(st, texts), every)
    # Matryoshka truncation of a model whose chain ends in Normalize: the
    # truncated vectors are not renormalized unless asked.
    rel = "tests/data/models/tiny-gelu-mean"
    st = SentenceTransformer(os.path.join(ROOT, rel), device="cpu")
    add("tiny-gelu-mean-trunc20", rel, st, encode(st, [texts[i] for i in some], truncate_dim=20),
        some, truncate_dim=20)
    with open(os.path.join(FIDELITY, "cases.json"), "w") as f:
        json.dump({"texts": "texts.jsonl", "cases": cases}, f, indent=1)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if sys.argv[1] == "texts" and len(sys.argv) == 3:
        cmd_texts(sys.argv[2])
    elif sys.argv[1] == "models" and all(a in TINY for a in sys.argv[2:]):
        cmd_models()
    elif sys.argv[1] == "expected":
        cmd_expected()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
