#!/usr/bin/env python3
"""Builds tests/data/corpus/bench.txt, the benchmark corpus of `clembed bench`
and tools/bench_st.py: natural English of varied lengths, one text per line.

    python3 tools/gen_bench_corpus.py UDHR_ENG_TXT PYTHON_STDLIB_DIR

Sources: the English Universal Declaration of Human Rights (one paragraph per
line) and the prose of the docstrings of Python's standard library (PSF
licence): sentences, and runs of two to eight consecutive sentences, so the
lengths range from a few words to a few hundred.  Code, doctests and lists are
left out.  The output depends only on the inputs."""

import ast
import os
import random
import re
import sys

N_TEXTS = 2400
SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
CODEISH = re.compile(r"[=<>{}\[\]|\\_`#@$*]|\(\)|::|->|\.\w+\(|\b(def|self|None|True|False|lambda)\b")


def prose_paragraphs(doc):
    for para in re.split(r"\n\s*\n", doc):
        lines = [l.strip() for l in para.strip().splitlines()]
        if not lines or any(l.startswith((">>>", "...", "-", "*", ":", "+")) for l in lines):
            continue
        text = " ".join(lines)
        if CODEISH.search(text) or not text[:1].isupper() or not text.endswith("."):
            continue
        words = text.split()
        if len(words) < 4:
            continue
        letters = sum(c.isalpha() or c.isspace() for c in text)
        if letters < 0.9 * len(text):
            continue
        yield text


def docstrings(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("test", "tests", "idlelib", "site-packages",
                                                              "__pycache__", "lib2to3", "turtledemo"))
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            try:
                with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                    tree = ast.parse(f.read())
            except (SyntaxError, UnicodeDecodeError, ValueError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    doc = ast.get_docstring(node)
                    if doc:
                        yield doc


def main():
    udhr, stdlib = sys.argv[1], sys.argv[2]
    seen, texts = set(), []
    with open(udhr, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if len(line.split()) >= 4 and line not in seen:
                seen.add(line)
                texts.append(line)
    rng = random.Random(20240607)
    pool = []
    for doc in docstrings(stdlib):
        for para in prose_paragraphs(doc):
            sents = [s for s in SENT.split(para) if len(s.split()) >= 4]
            i = 0
            while i < len(sents):
                k = rng.choice((1, 1, 1, 2, 2, 3, 4, 6, 10))
                chunk = " ".join(sents[i:i + k])
                i += k
                if chunk not in seen:
                    seen.add(chunk)
                    pool.append(chunk)
    rng.shuffle(pool)
    texts += pool[:N_TEXTS - len(texts)]
    rng.shuffle(texts)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "corpus",
                       "bench.txt")
    with open(out, "w", encoding="utf-8") as f:
        for t in texts:
            f.write(t + "\n")
    words = sorted(len(t.split()) for t in texts)
    print("%d texts; words per text: min %d, median %d, max %d" %
          (len(texts), words[0], words[len(words) // 2], words[-1]))


if __name__ == "__main__":
    main()
