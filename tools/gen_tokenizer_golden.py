#!/usr/bin/env python3
"""Tokenizer conformance data: the corpus and the reference outputs.

    python3 tools/gen_tokenizer_golden.py corpus UDHR_DIR
        writes tests/data/tokenizers/corpus.jsonl (one JSON string per line):
        every line of the UDHR texts in UDHR_DIR plus generated texts that
        exercise what tokenizers get wrong (see synthetic()).

    python3 tools/gen_tokenizer_golden.py synth OUTDIR
        trains small tokenizers on the corpus with the components the real
        files do not use (other normalizers, pre-tokenizers, models, options,
        post-processors, added tokens with lstrip/rstrip/single_word) and
        writes OUTDIR/NAME/tokenizer.json for each.

    python3 tools/gen_tokenizer_golden.py fuzzseeds OUTDIR
        the same with tiny vocabularies: seeds for fuzz/fuzz_tokenizer_json.c.

    python3 tools/gen_tokenizer_golden.py crosscheck CLEMBED_BIN NAME=PATH/tokenizer.json ...
        5,000 random texts (not committed) through `clembed tokenize` and the
        reference; prints mismatches.

    python3 tools/gen_tokenizer_golden.py golden NAME=PATH/tokenizer.json ...
        copies each tokenizer.json to tests/data/tokenizers/NAME.json.gz and
        writes tests/data/tokenizers/golden/NAME.jsonl.gz: the output of the
        Hugging Face tokenizers library (version pinned in
        tools/requirements-reference.txt) for the corpus, one JSON object per
        line:  c = configuration, i = text index, j = pair index (pairs only),
        ids, t = type ids, a = attention mask, s = special tokens mask (as digit
        strings), o = offsets as differences [s0 - 0, e0 - s0, s1 - e0, e1 - s1,
        ...], k = tokens (every eighth text of configuration "raw"), p = right
        padding [count, id, type id, token], err = the reference refused, d = the
        ids decoded with skip_special_tokens=True (with k).

Configurations: raw (no truncation, no padding), pair (the same for pairs),
nospecial (add_special_tokens=False), conf (truncation and padding as the
tokenizer.json says), trunc (pairs truncated to 16 tokens, longest first).
"""
import gzip
import json
import os
import random
import shutil
import sys

import tokenizers
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "tests", "data", "tokenizers")
CORPUS = os.path.join(DATA, "corpus.jsonl")

CODE = [
    'def add(a, b):\n    """Return a + b."""\n    return a + b\n',
    "for (size_t i = 0; i < n; i++) {\n\tsum += x[i] * y[i];\n}",
    '{"name": "clembed", "version": [0, 1, 0], "ok": true, "ratio": 3.14e-2}',
    "SELECT id, name FROM users WHERE email LIKE '%@example.com' ORDER BY id DESC;",
    "#!/bin/sh\nset -eu\nfor f in *.txt; do wc -l \"$f\"; done 2>/dev/null | sort -n",
    "const re = /^([a-z0-9_.-]+)@([\\da-z.-]+)\\.([a-z.]{2,6})$/i;",
    "<html><body><p class=\"x\">Hello &amp; welcome</p></body></html>",
    "x = np.linalg.norm(a - b, axis=-1) ** 2  # squared L2",
    "fn main() { let v: Vec<u32> = (0..10).map(|x| x * x).collect(); println!(\"{:?}\", v); }",
    "if err != nil {\n\treturn fmt.Errorf(\"open %s: %w\", path, err)\n}",
    "C:\\Users\\someone\\Documents\\report_v2.final.docx",
    "https://example.org/path/to/page?query=a%20b&lang=en#section-2",
    "a+=1;b-=2;c*=3;d/=4;e%=5;f<<=6;g>>=7;h&=8;i|=9;j^=10;",
    "@decorator\nclass Foo(Base):\n    __slots__ = ('a', 'b')\n",
    "printf(\"%-10s|%5.2f|%x\\n\", name, value, flags);",
]

SPECIAL = [
    "[CLS]", "[SEP]", "[MASK]", "[PAD]", "[UNK]", "<s>", "</s>", "<pad>", "<unk>", "<mask>",
    "<extra_id_0>", "<extra_id_17>", "<extra_id_99>",
]


def synthetic(rng, udhr):
    out = []
    # emoji, ZWJ sequences, flags, skin tones, keycaps
    emoji = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇫🇷🇯🇵", "1️⃣", "🧑🏿‍🚀", "❤️", "🫠", "👩🏻‍❤️‍💋‍👨🏼"]
    for k in range(60):
        words = rng.sample(udhr[0:200], 1)[0].split()[:12]
        s = " ".join(w + (rng.choice(emoji) if rng.random() < 0.3 else "") for w in words)
        out.append(s)
    # combining marks, decomposed and stacked
    marks = ["\u0301", "\u0300", "\u0308", "\u0327", "\u0323", "\u0316", "\u0334", "\u20dd", "\u0f39",
             "\u05b0", "\u064b", "\u093c"]
    for k in range(60):
        base = rng.choice(["e", "a", "o", "n", "c", "A", "ق", "क", "ב", "i", "u", "ö"])
        s = "".join(base + "".join(rng.choice(marks) for _ in range(rng.randint(0, 4))) for _ in range(rng.randint(1, 8)))
        out.append("word " + s + " end" + s)
    # zero-width, controls, private use, noncharacters, surrogate-free oddities
    # (no NUL: the C test reads the corpus with cJSON, whose strings end at NUL)
    odd = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad", "\x01", "\x07", "\x1b",
           "\x7f", "\x85", "\x9f", "\ue000", "\uf8ff", "\U000f0000", "\U0010fffd", "\ufffd", "\ufffe",
           "\u2028", "\u2029", "\u180e", "\u061c", "\u202e", "\U000e0041", "\U0001d400", "\u3000", "\u00a0",
           "\u1680", "\u2007", "\u202f", "\u205f", "\t", "\r", "\n", "\x0b", "\x0c", "\x1c", "\x1f"]
    for k in range(120):
        words = rng.choice(udhr).split()[:10]
        s = "".join(w + rng.choice(odd) + (" " if rng.random() < 0.5 else "") for w in words)
        out.append(s)
    # very long words and repeated characters
    for k in range(30):
        w = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(90, 400)))
        out.append("prefix " + w + " suffix")
    for ch in ["a", "é", "漢", "😀", "-", "0", ".", "ก", "\u0301", "ab"]:
        out.append(ch * rng.randint(50, 300))
    # whitespace runs
    spaces = [" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", " \t\n ", "\u2003\u2009"]
    for k in range(60):
        words = rng.choice(udhr).split()[:15]
        s = rng.choice(spaces) + "".join(w + rng.choice(spaces) * rng.randint(1, 4) for w in words)
        out.append(s)
    # added / special tokens inside text, with and without spaces around
    for k in range(150):
        words = rng.choice(udhr).split()[:12]
        pieces = []
        for w in words:
            pieces.append(w)
            r = rng.random()
            if r < 0.3:
                pieces.append(rng.choice(SPECIAL))
            elif r < 0.4:
                pieces.append(rng.choice(SPECIAL) + w)
        out.append(rng.choice([" ", "", "  "]).join(pieces))
    # code
    for c in CODE:
        out.append(c)
        out.append(c.upper())
    # numbers, dates, mixed scripts, punctuation
    for k in range(60):
        n = rng.randint(0, 10 ** rng.randint(1, 15))
        out.append("On %04d-%02d-%02d the value was %d (%.3f%%), i.e. %s; ¿qué? «ça» „so“ “ok” ‘x’ — …" % (
            rng.randint(1, 2100), rng.randint(1, 12), rng.randint(1, 28), n, rng.random() * 100, format(n, ",")))
    for k in range(80):
        a, b = rng.choice(udhr), rng.choice(udhr)
        i, j = rng.randint(0, len(a)), rng.randint(0, len(b))
        out.append(a[:i][-60:] + b[j:][:60])
    # random code points from many blocks (assigned or not, no surrogates)
    ranges = [(0x20, 0x7e), (0xa0, 0x24f), (0x300, 0x36f), (0x370, 0x52f), (0x590, 0x6ff), (0x900, 0xdff),
              (0xe00, 0xeff), (0x1100, 0x11ff), (0x1e00, 0x1fff), (0x2000, 0x2bff), (0x2e80, 0x2fdf),
              (0x3000, 0x30ff), (0x3400, 0x4dbf), (0x4e00, 0x9fff), (0xa000, 0xa4cf), (0xac00, 0xd7a3),
              (0xe000, 0xe0ff), (0xf900, 0xfaff), (0xfb00, 0xfdff), (0xfe00, 0xffff), (0x10000, 0x1014f),
              (0x1d400, 0x1d7ff), (0x1f000, 0x1faff), (0x20000, 0x2a6df), (0x2f800, 0x2fa1f), (0xe0000, 0xe01ef),
              (0xf0000, 0xf00ff)]
    for k in range(250):
        n = rng.randint(1, 40)
        chars = []
        for _ in range(n):
            lo, hi = rng.choice(ranges)
            chars.append(chr(rng.randint(lo, hi)))
            if rng.random() < 0.2:
                chars.append(" ")
        out.append("".join(chars))
    # long texts that truncate
    for k in range(60):
        out.append(" ".join(rng.choice(udhr) for _ in range(rng.randint(3, 12))))
    # edge cases
    out += ["", " ", "  ", "\n", "\t", "a", ".", "'s", "don't", "I'm", "we'll", "they've", "you'd", "it's'",
            "'''", " 's", "Hello", " Hello", "Hello ", "hello  world", "HELLO WORLD", "ﬁ ﬀ ﬃ ½ ² ㎏ Ⅻ ＡＢＣ",
            "Straße", "İstanbul", "ΣΑΣ σας", "Ǆ ǅ ǆ", "ﬅ", "ŉ", "ΐ", "ǰ", "ᾀ", "ῼ", "Ⓐ", "㍿", "\u0130",
            "\u212a", "\u2126", "\u00c5\u212b", "가각갂", "\u1100\u1161\u11a8", "ᄀ각", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"]
    return out


def cmd_corpus(udhr_dir):
    udhr = []
    for name in sorted(os.listdir(udhr_dir)):
        if not name.endswith(".txt"):
            continue
        with open(os.path.join(udhr_dir, name), encoding="utf-8") as f:
            udhr += [line.rstrip("\n") for line in f if line.strip()]
    rng = random.Random(20261126)
    texts = udhr + synthetic(rng, udhr)
    os.makedirs(DATA, exist_ok=True)
    with open(CORPUS, "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")
    print("%d texts -> %s" % (len(texts), CORPUS))


def load_corpus():
    with open(CORPUS, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def pairs(n):
    """The (i, j) pairs used: deterministic, mixing languages."""
    rng = random.Random(7)
    return [(rng.randrange(n), rng.randrange(n)) for _ in range(400)]


def row(cfg, i, e, j=None, tokens=False, pad=None):
    r = {"c": cfg, "i": i}
    if j is not None:
        r["j"] = j
    n = len(e.ids)
    if pad is not None:
        # Right padding is stored as its length: p = [count, id, type id, token].
        k = n
        while k > 0 and e.attention_mask[k - 1] == 0 and e.ids[k - 1] == pad["pad_id"]:
            k -= 1
        if k < n and all(e.special_tokens_mask[x] == 1 and e.type_ids[x] == pad["pad_type_id"] and
                         e.tokens[x] == pad["pad_token"] and e.offsets[x] == (0, 0) for x in range(k, n)):
            r["p"] = [n - k, pad["pad_id"], pad["pad_type_id"], pad["pad_token"]]
            n = k
    r["ids"] = e.ids[:n]
    r["t"] = "".join(str(x) for x in e.type_ids[:n])
    r["a"] = "".join(str(x) for x in e.attention_mask[:n])
    r["s"] = "".join(str(x) for x in e.special_tokens_mask[:n])
    # offsets as differences: start - previous end, end - start
    o, prev = [], 0
    for a, b in e.offsets[:n]:
        o += [a - prev, b - a]
        prev = b
    r["o"] = o
    if tokens:
        r["k"] = e.tokens[:n]
    return r


def cmd_golden(specs):
    texts = load_corpus()
    prs = pairs(len(texts))
    os.makedirs(os.path.join(DATA, "golden"), exist_ok=True)
    for spec in specs:
        name, path = spec.split("=", 1)
        with open(path, "rb") as f, gzip.GzipFile(os.path.join(DATA, name + ".json.gz"), "wb", mtime=0) as g:
            shutil.copyfileobj(f, g)
        rows = []
        # the small generated tokenizers see a third of the corpus
        step = 3 if name.startswith("synth-") else 1
        tok = Tokenizer.from_file(path)
        has_conf = tok.truncation is not None or tok.padding is not None
        trunc = tok.truncation or {"strategy": "longest_first", "direction": "right"}
        tok.no_truncation()
        tok.no_padding()
        for i, t in enumerate(texts):
            if i % step == 0:
                e = tok.encode(t)
                rows.append(row("raw", i, e, tokens=i % 8 == 0))
                if i % 8 == 0:
                    rows[-1]["d"] = tok.decode(e.ids, skip_special_tokens=True)
        for i, j in prs[::step]:
            rows.append(row("pair", i, tok.encode(texts[i], texts[j]), j))
        for i in range(0, len(texts), 10 * step):
            rows.append(row("nospecial", i, tok.encode(texts[i], add_special_tokens=False)))
        # the caller's max_length with the file's strategy and direction
        tok.enable_truncation(16, strategy=trunc["strategy"], direction=trunc["direction"])
        for i, j in prs[::2 * step]:
            try:
                rows.append(row("trunc", i, tok.encode(texts[i], texts[j]), j))
            except Exception:
                rows.append({"c": "trunc", "i": i, "j": j, "err": 1})
        if has_conf:
            tok = Tokenizer.from_file(path)
            pad = tok.padding
            if pad is not None and pad.get("direction", "right") != "right":
                pad = None
            for i, t in enumerate(texts):
                if i % (4 * step) == 0 or len(t) > 1000:
                    rows.append(row("conf", i, tok.encode(t), pad=pad))
        out = os.path.join(DATA, "golden", name + ".jsonl.gz")
        with gzip.GzipFile(out, "wb", mtime=0) as g:
            for r in rows:
                g.write((json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n").encode())
        print("%s: %d rows -> %s (%d bytes), tokenizers %s" % (name, len(rows), out, os.path.getsize(out),
                                                                 tokenizers.__version__))


def synth(outdir, small=False):
    """small: tiny vocabularies from a few texts (fuzzing seeds)."""
    os.environ["RAYON_NUM_THREADS"] = "1"
    from tokenizers import AddedToken, Regex, decoders, models, normalizers as N, pre_tokenizers as P, \
        processors, trainers
    texts = load_corpus()[:3000]
    if small:
        texts = [t for t in texts if all(ord(c) < 0x250 for c in t)][:30]
    scale = 0.04 if small else 1.0

    def V(n):
        return max(int(n * scale), 120)

    def save(name, tok, edit=None):
        d = os.path.join(outdir, name)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "tokenizer.json")
        tok.save(path)
        if edit:
            with open(path, encoding="utf-8") as f:
                j = json.load(f)
            edit(j)
            with open(path, "w", encoding="utf-8") as f:
                json.dump(j, f, ensure_ascii=False)
            Tokenizer.from_file(path)  # the reference must accept the edit
        print("synth:", path)

    # WordPiece: NFKC, a regex Replace, Lowercase, Strip; split on whitespace,
    # punctuation and single digits; a template; added tokens with options.
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=30))
    tok.normalizer = N.Sequence([N.NFKC(), N.Replace(Regex(r"[0-9]{4,}"), "####"), N.Lowercase(), N.Strip()])
    tok.pre_tokenizer = P.Sequence([P.WhitespaceSplit(), P.Punctuation(behavior="isolated"),
                                    P.Digits(individual_digits=True)])
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(
        vocab_size=V(3000), special_tokens=["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    tok.decoder = decoders.WordPiece()
    tok.add_special_tokens([AddedToken("[MASK]", lstrip=True, rstrip=True), AddedToken("<mask>", lstrip=True)])
    tok.add_tokens([AddedToken("human rights", single_word=True), AddedToken("Article", normalized=True),
                    AddedToken("don't", normalized=False, rstrip=True), AddedToken("ÉTÉ", normalized=True),
                    AddedToken("'s", single_word=True)])
    tok.enable_truncation(48, strategy="only_first", direction="left")
    tok.enable_padding(direction="left", pad_id=3, pad_token="[PAD]", pad_to_multiple_of=8)
    save("synth-wordpiece", tok)

    # Byte-fallback BPE as Llama 2 has it: Prepend and Replace normalizers,
    # no pre-tokenizer, merges as "a b" strings, <0xNN> tokens.
    bytes_ = ["<0x%02X>" % b for b in range(256)]
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = N.Sequence([N.Prepend("▁"), N.Replace(" ", "▁")])
    tok.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=V(2500), special_tokens=["<unk>", "<s>", "</s>"] + bytes_, limit_alphabet=300))
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B:1", special_tokens=[("<s>", tok.token_to_id("<s>"))])
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])

    def legacy_merges(j):
        j["model"]["merges"] = [" ".join(m) if isinstance(m, list) else m for m in j["model"]["merges"]]
    save("synth-bpe-fallback", tok, legacy_merges)

    # Unigram with NFD, StripAccents, NFC, the old Metaspace form, byte fallback.
    tok = Tokenizer(models.Unigram())
    tok.normalizer = N.Sequence([N.NFD(), N.StripAccents(), N.NFC(), N.Lowercase()])
    tok.pre_tokenizer = P.Metaspace()
    western = [t for t in texts if all(ord(c) < 0x590 for c in t)]
    tok.train_from_iterator(western, trainers.UnigramTrainer(
        vocab_size=V(2000), special_tokens=["<pad>", "<unk>", "</s>"], unk_token="<unk>", max_piece_length=8))
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", tok.token_to_id("</s>"))])
    tok.decoder = decoders.Metaspace()

    def old_metaspace(j):
        j["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "add_prefix_space": True}
        j["decoder"] = {"type": "Metaspace", "replacement": "▁", "add_prefix_space": True}
        j["model"]["byte_fallback"] = True
        j["model"]["vocab"] += [[b, -20.0] for b in bytes_[:128]]
    save("synth-unigram", tok, old_metaspace)

    # Byte-level BPE behind a GPT-4 style Split, ignore_merges, a processor sequence.
    pat = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
           r"\s*[\r\n]+|\s+(?!\S)|\s+")
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.normalizer = N.NFC()
    tok.pre_tokenizer = P.Sequence([P.Split(Regex(pat), behavior="isolated"),
                                    P.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=V(3000), special_tokens=["<|bos|>", "<|eos|>"], initial_alphabet=P.ByteLevel.alphabet()))
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|bos|> $A", pair="<|bos|> $A <|bos|> $B:1",
                                      special_tokens=[("<|bos|>", tok.token_to_id("<|bos|>"))])])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken("<|eos|>", normalized=False)])
    save("synth-bytelevel-split", tok)

    # WordLevel with BertNormalizer options, Whitespace, BertProcessing.
    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.normalizer = N.Sequence([N.BertNormalizer(clean_text=True, handle_chinese_chars=False,
                                                  strip_accents=False, lowercase=False), N.NFKD()])
    tok.pre_tokenizer = P.Sequence([P.Whitespace(), P.Digits(individual_digits=False)])
    tok.train_from_iterator(texts, trainers.WordLevelTrainer(vocab_size=V(4000), special_tokens=["[UNK]", "[CLS]", "[SEP]"]))
    tok.post_processor = processors.BertProcessing(("[SEP]", tok.token_to_id("[SEP]")),
                                                   ("[CLS]", tok.token_to_id("[CLS]")))
    save("synth-wordlevel", tok)

    # Byte-level BPE as GPT-2 (prefix space, trim offsets in the pre-tokenizer),
    # a Split on a literal and CharDelimiterSplit in front.
    tok = Tokenizer(models.BPE(continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    tok.pre_tokenizer = P.Sequence([P.CharDelimiterSplit("|"), P.Split("--", behavior="merged_with_previous"),
                                    P.Split(Regex(r"\d"), behavior="merged_with_next"),
                                    P.Split(Regex(r"[!?]+"), behavior="contiguous", invert=True),
                                    P.ByteLevel(add_prefix_space=True)])
    tok.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=V(3000), continuing_subword_prefix="##", end_of_word_suffix="</w>",
        initial_alphabet=P.ByteLevel.alphabet()))
    tok.post_processor = processors.RobertaProcessing(("</s>", 1), ("<s>", 0), trim_offsets=True,
                                                      add_prefix_space=True)
    tok.decoder = decoders.BPEDecoder(suffix="</w>")
    save("synth-bpe-suffix", tok)

    # Patterns that match the empty string: lookaheads and optional parts.
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = P.Sequence([P.Split(Regex(r"(?=\p{Lu})|x?"), behavior="merged_with_next"),
                                    P.Split(Regex(r"\s*"), behavior="removed"),
                                    P.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=V(1500), initial_alphabet=P.ByteLevel.alphabet()))
    tok.decoder = decoders.ByteLevel()
    save("synth-empty-matches", tok)


def crosscheck(clembed, specs, n, seed):
    """Random texts (not committed) through clembed tokenize --json and the
    reference; prints the mismatches."""
    import subprocess
    rng = random.Random(seed)
    base = load_corpus()
    pool = [chr(c) for c in range(0x20, 0x7f)] * 4 + list(" \t\n\r\u00a0\u3000\u200b\u200d\ufeff\u0301\u0308") * 6
    for lo, hi in [(0xa0, 0x24f), (0x300, 0x36f), (0x370, 0x3ff), (0x400, 0x4ff), (0x590, 0x6ff), (0x900, 0x97f),
                   (0xe00, 0xe7f), (0x1100, 0x11ff), (0x2000, 0x206f), (0x3040, 0x30ff), (0x4e00, 0x4eff),
                   (0xac00, 0xacff), (0xfb00, 0xfb4f), (0xff00, 0xffef), (0x1f300, 0x1f6ff), (0x10000, 0x1007f),
                   (0xe000, 0xe00f), (0x1d400, 0x1d4ff)]:
        pool += [chr(c) for c in range(lo, hi + 1)]
    texts = []
    for _ in range(n):
        r = rng.random()
        if r < 0.4:
            texts.append("".join(rng.choice(pool) for _ in range(rng.randint(0, 60))))
        elif r < 0.8:
            t = rng.choice(base)
            k = rng.randint(0, len(t))
            texts.append(t[:k] + "".join(rng.choice(pool) for _ in range(rng.randint(0, 8))) + t[k:][:200])
        else:
            texts.append(rng.choice(SPECIAL).join(rng.choice(base)[:40] for _ in range(3)))
    for spec in specs:
        name, path = spec.split("=", 1)
        tok = Tokenizer.from_file(path)
        tok.no_truncation()
        tok.no_padding()
        inp = "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in texts)
        out = subprocess.run([clembed, "tokenize", "--tokenizer", path, "--json", "--no-truncation", "--no-padding"],
                             input=inp.encode(), capture_output=True, check=True).stdout.decode().split("\n")
        bad = refused = 0
        for t, line in zip(texts, out):
            got = json.loads(line)
            try:
                e = tok.encode(t)
            except BaseException:  # the reference panics on some inputs (pyo3 PanicException)
                refused += 1
                continue
            if got["ids"] != e.ids or [tuple(o) for o in got["offsets"]] != e.offsets or got["type_ids"] != e.type_ids:
                bad += 1
                if bad <= 3:
                    print("  MISMATCH %s: %r\n    want %s %s\n    got  %s %s" % (name, t, e.ids, e.offsets,
                                                                               got["ids"], got["offsets"]))
        print("%s: %d of %d random texts match%s" % (name, len(texts) - bad - refused, len(texts) - refused,
                                                     " (the reference fails on %d more)" % refused if refused else ""))


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "corpus":
        cmd_corpus(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "synth":
        synth(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "fuzzseeds":
        synth(sys.argv[2], small=True)
    elif len(sys.argv) >= 4 and sys.argv[1] == "crosscheck":
        crosscheck(sys.argv[2], sys.argv[3:], 5000, 99)
    elif len(sys.argv) >= 3 and sys.argv[1] == "golden":
        cmd_golden(sys.argv[2:])
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
