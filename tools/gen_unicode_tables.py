#!/usr/bin/env python3
"""Generates tokenizers/unicode_tables.c: the Unicode properties the Hugging Face
`tokenizers` library (version pinned in tools/requirements-reference.txt) uses.

The library relies on several Rust crates, each with its own Unicode version
(unicode-normalization-alignments has 9.0, unicode_categories is older still,
the regex crate and Rust's char methods are recent).  Rather than guess which
table each one has, every property is measured on the library itself, one code
point at a time, through the public normalizers and pre-tokenizers.

Usage: python3 tools/gen_unicode_tables.py [OUT.c]
       python3 tools/gen_unicode_tables.py --expected OUT.json [T5_TOKENIZER_JSON]
           the reference's output of each normalizer and pre-tokenizer of
           COMPONENTS for every code point, as one CRC-32 (zlib's) per
           block of 4096 code points (tests/test_tok_unicode.c recomputes
           them); with --block COMPONENT HEXBLOCK, the outputs of one block.
"""
import json
import sys
import unicodedata
import zlib

import tokenizers
from tokenizers import normalizers as N
from tokenizers import pre_tokenizers as P

MAXCP = 0x110000

F_RWS = 1 << 0         # Rust char::is_whitespace
F_BERT_DROP = 1 << 1   # removed by BertNormalizer clean_text
F_BERT_SPACE = 1 << 2  # turned into ' ' by BertNormalizer clean_text
F_CJK = 1 << 3         # BertNormalizer handle_chinese_chars
F_MN = 1 << 4          # removed by StripAccents (combining marks: Mn, Mc, Me)
F_BERT_PUNC = 1 << 5   # isolated by BertPreTokenizer
F_PUNCT = 1 << 6       # isolated by Punctuation
F_NUMERIC = 1 << 7     # Digits pre-tokenizer (char::is_numeric)
F_W = 1 << 8           # regex \w
F_S = 1 << 9           # regex \s
F_L = 1 << 10          # regex \p{L}
F_N = 1 << 11          # regex \p{N}
F_LOWER = 1 << 12      # has a lowercase mapping
F_NFD = 1 << 13        # has a canonical decomposition (Unicode 9.0, Hangul excluded)
F_NFKD = 1 << 14       # has a compatibility decomposition (Hangul excluded)
F_CCC = 1 << 15        # non-zero canonical combining class
F_BERT_MN = 1 << 16    # removed by BertNormalizer strip_accents after NFD (Mn)
# \p{L}, \p{N}, \s, \w, \d as the Split pre-tokenizer's regex engine sees them
F_RE_L = 1 << 17
F_RE_N = 1 << 18
F_RE_S = 1 << 19
F_RE_W = 1 << 20
F_RE_D = 1 << 21


def codepoints():
    for c in range(MAXCP):
        if 0xD800 <= c < 0xE000:
            continue
        yield c


def is_hangul_syllable(c):
    return 0xAC00 <= c < 0xAC00 + 11172


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tokenizers/unicode_tables.c"
    flags = [0] * MAXCP
    lower = {}
    nfd = {}
    nfkd = {}
    ccc = {}

    bert_clean = N.BertNormalizer(clean_text=True, handle_chinese_chars=False,
                                  strip_accents=False, lowercase=False)
    bert_strip = N.BertNormalizer(clean_text=False, handle_chinese_chars=False,
                                  strip_accents=True, lowercase=False)
    bert_cjk = N.BertNormalizer(clean_text=False, handle_chinese_chars=True,
                                strip_accents=False, lowercase=False)
    strip = N.StripAccents()
    low = N.Lowercase()
    n_nfd, n_nfkd = N.NFD(), N.NFKD()
    wsplit = P.WhitespaceSplit()
    bert_pre = P.BertPreTokenizer()
    punct = P.Punctuation()
    digits = P.Digits(individual_digits=False)
    ws = P.Whitespace()
    bl = P.ByteLevel(add_prefix_space=False, use_regex=True)
    from tokenizers import Regex
    re_probe = [(F_RE_L, P.Split(Regex(r"\p{L}"), behavior="removed")),
                (F_RE_N, P.Split(Regex(r"\p{N}"), behavior="removed")),
                (F_RE_S, P.Split(Regex(r"\s"), behavior="removed")),
                (F_RE_W, P.Split(Regex(r"\w"), behavior="removed")),
                (F_RE_D, P.Split(Regex(r"\d"), behavior="removed"))]

    for c in codepoints():
        ch = chr(c)
        f = 0
        r = bert_clean.normalize_str(ch)
        if r == "":
            f |= F_BERT_DROP
        elif r == " " and ch != " ":
            f |= F_BERT_SPACE
        if bert_cjk.normalize_str(ch) == " " + ch + " ":
            f |= F_CJK
        if strip.normalize_str(ch) == "":
            f |= F_MN
        if bert_strip.normalize_str(ch) == "" and n_nfd.normalize_str(ch) == ch:
            f |= F_BERT_MN
        if len(wsplit.pre_tokenize_str("a" + ch + "a")) == 2:
            f |= F_RWS
        if len(bert_pre.pre_tokenize_str("a" + ch + "a")) == 3:
            f |= F_BERT_PUNC
        if len(punct.pre_tokenize_str("a" + ch + "a")) == 3:
            f |= F_PUNCT
        if len(digits.pre_tokenize_str("a" + ch + "a")) == 3:
            f |= F_NUMERIC
        k = len(ws.pre_tokenize_str("a" + ch + "a"))
        if k == 1:
            f |= F_W
        elif k == 2:
            f |= F_S
        if len(bl.pre_tokenize_str("a" + ch)) == 1:
            f |= F_L
        elif len(bl.pre_tokenize_str("1" + ch)) == 1:
            f |= F_N
        for bit, sp in re_probe:
            if not sp.pre_tokenize_str(ch):
                f |= bit
        r = low.normalize_str(ch)
        if r != ch:
            f |= F_LOWER
            lower[c] = [ord(x) for x in r]
        if not is_hangul_syllable(c):
            r = n_nfd.normalize_str(ch)
            if r != ch:
                f |= F_NFD
                nfd[c] = [ord(x) for x in r]
            r = n_nfkd.normalize_str(ch)
            if r != ch:
                f |= F_NFKD
                nfkd[c] = [ord(x) for x in r]
        if unicodedata.combining(ch):
            # Is the mark known to the reference's (older) tables?  A mark
            # with class > 1 moves before U+0334 (class 1); one with class
            # below 230 moves before U+0301 (class 230).
            a = n_nfd.normalize_str("a" + ch + "\u0334")
            b = n_nfd.normalize_str("a\u0301" + ch)
            if a != "a" + ch + "\u0334" or b != "a\u0301" + ch:
                f |= F_CCC
                ccc[c] = unicodedata.combining(ch)
        flags[c] = f

    # Compositions: a pair (a, b) composes into c when c's canonical mapping is
    # <a, b>, the reference knows c's decomposition and NFC keeps c.
    comp = []
    n_nfc = N.NFC()
    for c in codepoints():
        if is_hangul_syllable(c) or not flags[c] & F_NFD:
            continue
        d = unicodedata.decomposition(chr(c))
        if not d or d.startswith("<"):
            continue
        parts = [int(x, 16) for x in d.split()]
        if len(parts) != 2:
            continue
        if n_nfc.normalize_str(chr(c)) == chr(c):
            comp.append((parts[0], parts[1], c))
    comp.sort()

    write(out, flags, lower, nfd, nfkd, ccc, comp)


def write(out, flags, lower, nfd, nfkd, ccc, comp):
    blocks = {}
    stage1 = []
    stage2 = []
    for hi in range(MAXCP >> 8):
        blk = tuple(flags[hi << 8:(hi + 1) << 8])
        if blk not in blocks:
            blocks[blk] = len(stage2)
            stage2.append(blk)
        stage1.append(blocks[blk])

    pool = []

    def seqs(m):
        rows = []
        for c in sorted(m):
            rows.append((c, len(pool), len(m[c])))
            pool.extend(m[c])
        return rows

    lrows, drows, krows = seqs(lower), seqs(nfd), seqs(nfkd)
    with open(out, "w", encoding="utf-8") as f:
        f.write("/* Generated by tools/gen_unicode_tables.py from tokenizers %s; do not edit.\n"
                " * Unicode properties as the Hugging Face tokenizers library sees them. */\n"
                % tokenizers.__version__)
        f.write('#include "tk.h"\n\n')
        f.write("const uint16_t clembed__uc_stage1[%d] = {\n" % len(stage1))
        for i in range(0, len(stage1), 16):
            f.write("    " + ",".join("%d" % x for x in stage1[i:i + 16]) + ",\n")
        f.write("};\n\n")
        f.write("const uint32_t clembed__uc_stage2[%d][256] = {\n" % len(stage2))
        for blk in stage2:
            f.write("  {\n")
            for i in range(0, 256, 16):
                f.write("    " + ",".join("0x%x" % x for x in blk[i:i + 16]) + ",\n")
            f.write("  },\n")
        f.write("};\n\n")
        f.write("const uint32_t clembed__uc_pool[%d] = {\n" % len(pool))
        for i in range(0, len(pool), 12):
            f.write("    " + ",".join("0x%x" % x for x in pool[i:i + 12]) + ",\n")
        f.write("};\n\n")
        for name, rows in (("lower", lrows), ("nfd", drows), ("nfkd", krows)):
            f.write("const clembed__uc_map clembed__uc_%s[%d] = {\n" % (name, len(rows)))
            for c, off, n in rows:
                f.write("    {0x%x, %d, %d},\n" % (c, off, n))
            f.write("};\nconst size_t clembed__uc_%s_len = %d;\n\n" % (name, len(rows)))
        f.write("const clembed__uc_ccc clembed__uc_ccc_table[%d] = {\n" % len(ccc))
        for c in sorted(ccc):
            f.write("    {0x%x, %d},\n" % (c, ccc[c]))
        f.write("};\nconst size_t clembed__uc_ccc_len = %d;\n\n" % len(ccc))
        f.write("const clembed__uc_comp clembed__uc_comp_table[%d] = {\n" % len(comp))
        for a, b, c in comp:
            f.write("    {0x%x, 0x%x, 0x%x},\n" % (a, b, c))
        f.write("};\nconst size_t clembed__uc_comp_len = %d;\n" % len(comp))


# Components checked code point by code point.  "t5" takes the Precompiled
# normalizer of t5-small's tokenizer.json.
GPT4 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
        r"\s*[\r\n]+|\s+(?!\S)|\s+")
COMPONENTS = [
    ("normalizer", {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                    "strip_accents": None, "lowercase": True}),
    ("normalizer", {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                    "strip_accents": False, "lowercase": False}),
    ("normalizer", {"type": "NFC"}),
    ("normalizer", {"type": "NFD"}),
    ("normalizer", {"type": "NFKC"}),
    ("normalizer", {"type": "NFKD"}),
    ("normalizer", {"type": "Lowercase"}),
    ("normalizer", {"type": "StripAccents"}),
    ("normalizer", {"type": "Nmt"}),
    ("normalizer", {"type": "Strip", "strip_left": True, "strip_right": True}),
    ("normalizer", "t5"),
    ("pre_tokenizer", {"type": "BertPreTokenizer"}),
    ("pre_tokenizer", {"type": "Whitespace"}),
    ("pre_tokenizer", {"type": "WhitespaceSplit"}),
    ("pre_tokenizer", {"type": "Punctuation", "behavior": "Isolated"}),
    ("pre_tokenizer", {"type": "Digits", "individual_digits": True}),
    ("pre_tokenizer", {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}),
    ("pre_tokenizer", {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}),
    ("pre_tokenizer", {"type": "Split", "pattern": {"Regex": GPT4}, "behavior": "Isolated", "invert": False}),
]
BLOCK = 4096


def inputs(kind, c):
    """The texts each code point is checked in: alone, then for normalizers
    after a letter and before a combining mark, for pre-tokenizers between
    letters, digits, spaces and punctuation."""
    ch = chr(c)
    if kind == "normalizer":
        return [ch, "a" + ch + "\u0301"]
    return [ch, "x" + ch + "1 " + ch + "."]


def component_objects(t5_path):
    from tokenizers import Tokenizer
    objs = []
    for kind, name in COMPONENTS:
        spec = name
        if spec == "t5":
            with open(t5_path, encoding="utf-8") as f:
                spec = json.load(f)["normalizer"]
        tj = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
              "normalizer": spec if kind == "normalizer" else None,
              "pre_tokenizer": spec if kind == "pre_tokenizer" else None,
              "post_processor": None, "decoder": None,
              "model": {"type": "WordLevel", "vocab": {"[UNK]": 0}, "unk_token": "[UNK]"}}
        tok = Tokenizer.from_str(json.dumps(tj))
        objs.append((kind, name, tok.normalizer if kind == "normalizer" else tok.pre_tokenizer))
    return objs


def output_bytes(kind, obj, text):
    if kind == "normalizer":
        return obj.normalize_str(text).encode("utf-8") + b"\0"
    out = b""
    for piece, (s, e) in obj.pre_tokenize_str(text):
        out += piece.encode("utf-8") + b"\1" + ("%d,%d" % (s, e)).encode() + b"\2"
    return out + b"\0"




def expected(out, t5_path):
    objs = component_objects(t5_path)
    res = {"tokenizers": tokenizers.__version__, "block": BLOCK, "components": []}
    for kind, spec, obj in objs:
        hashes = []
        for blk in range(MAXCP // BLOCK):
            parts = []
            for c in range(blk * BLOCK, (blk + 1) * BLOCK):
                if 0xD800 <= c < 0xE000:
                    continue
                for t in inputs(kind, c):
                    parts.append(output_bytes(kind, obj, t))
            hashes.append("%08x" % zlib.crc32(b"".join(parts)))
        res["components"].append({"kind": kind, "json": spec, "hashes": hashes})
        print(kind, json.dumps(spec)[:60], file=sys.stderr)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(res, f, ensure_ascii=True)


def show_block(t5_path, index, blk):
    kind, spec, obj = component_objects(t5_path)[index]
    for c in range(blk * BLOCK, (blk + 1) * BLOCK):
        if 0xD800 <= c < 0xE000:
            continue
        print("%05x" % c, [output_bytes(kind, obj, t) for t in inputs(kind, c)])


if __name__ == "__main__":
    T5 = "/work/shared/tokenizers/t5-small/tokenizer.json"
    if len(sys.argv) >= 3 and sys.argv[1] == "--expected":
        expected(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else T5)
    elif len(sys.argv) >= 4 and sys.argv[1] == "--block":
        show_block(T5, int(sys.argv[2]), int(sys.argv[3], 16))
    else:
        main()
