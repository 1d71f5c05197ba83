#!/usr/bin/env python3
"""STS Benchmark: Spearman correlation (x100) of the cosine similarities of
sentence pairs with the gold scores, for sentence-transformers and for
clembed on the same model.

    python3 tools/sts_eval.py STS_FILE MODEL_DIR [--clembed BIN] [--device SEL] [--no-st]

STS_FILE is the test split in one of the forms it is distributed in:
  - sts-test.csv of Stsbenchmark.tar.gz: tab-separated genre, file, year, id,
    score, sentence1, sentence2 (sentences may hold quotes: no CSV quoting);
  - GLUE's STS-B/test.tsv or dev.tsv with a header row naming sentence1,
    sentence2 and score;
  - a .jsonl of {"sentence1", "sentence2", "score"} (the Hub's
    sentence-transformers/stsb rows).
sentence-transformers needs the pinned references
(tools/requirements-reference.txt); clembed is the built `clembed` CLI,
called as `clembed embed -m MODEL_DIR -f npy`.  numpy is the only other
requirement."""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def load_sts(path):
    s1, s2, gold = [], [], []
    if path.endswith(".jsonl"):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    s1.append(r["sentence1"])
                    s2.append(r["sentence2"])
                    gold.append(float(r["score"]))
        return s1, s2, np.array(gold)
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    head = [c.strip().lower() for c in rows[0]]
    if "sentence1" in head and "score" in head:
        i1, i2, isc = head.index("sentence1"), head.index("sentence2"), head.index("score")
        rows = rows[1:]
    else:
        i1, i2, isc = 5, 6, 4
    for r in rows:
        if len(r) <= max(i1, i2, isc):
            raise SystemExit("%s: a row with %d fields: %r" % (path, len(r), r[:3]))
        s1.append(r[i1])
        s2.append(r[i2])
        gold.append(float(r[isc]))
    return s1, s2, np.array(gold)


def ranks(x):
    """Ranks from 1, ties given their average rank (as scipy.stats.rankdata)."""
    order = np.argsort(x, kind="mergesort")
    r = np.empty(len(x))
    xs = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and xs[j + 1] == xs[i]:
            j += 1
        r[order[i:j + 1]] = (i + j) / 2.0 + 1
        i = j + 1
    return r


def spearman(a, b):
    ra, rb = ranks(np.asarray(a, dtype=np.float64)), ranks(np.asarray(b, dtype=np.float64))
    ra -= ra.mean()
    rb -= rb.mean()
    return float((ra * rb).sum() / np.sqrt((ra * ra).sum() * (rb * rb).sum()))


def cosines(u, v):
    u = u.astype(np.float64)
    v = v.astype(np.float64)
    return (u * v).sum(1) / np.maximum(np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1), 1e-30)


def embed_st(model_dir, texts):
    import torch
    from sentence_transformers import SentenceTransformer
    torch.set_num_threads(int(os.environ.get("STS_THREADS", "2")))
    st = SentenceTransformer(model_dir, device="cpu")
    return st.encode(texts, batch_size=64, convert_to_numpy=True)


def embed_clembed(binary, model_dir, texts, device):
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = os.path.join(tmp, "in.jsonl"), os.path.join(tmp, "out.npy")
        with open(inp, "w", encoding="utf-8") as f:
            for t in texts:
                f.write(json.dumps(t, ensure_ascii=False) + "\n")
        cmd = [binary, "embed", "-m", model_dir, "--input-format", "jsonl", "-i", inp, "-f", "npy", "-o", out]
        if device:
            cmd += ["-d", device]
        subprocess.run(cmd, check=True)
        return np.load(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sts_file")
    ap.add_argument("model_dir")
    ap.add_argument("--clembed", default=os.path.join(ROOT, "clembed"), help="the clembed CLI ('' to skip)")
    ap.add_argument("--device", default="", help="clembed's device selector")
    ap.add_argument("--no-st", action="store_true", help="skip sentence-transformers")
    a = ap.parse_args()
    s1, s2, gold = load_sts(a.sts_file)
    # each distinct sentence embedded once
    uniq = sorted(set(s1) | set(s2))
    index = {t: i for i, t in enumerate(uniq)}
    i1 = np.array([index[t] for t in s1])
    i2 = np.array([index[t] for t in s2])
    print("%s: %d pairs, %d distinct sentences; %s" % (a.sts_file, len(gold), len(uniq), a.model_dir))
    results = {}
    if not a.no_st:
        v = embed_st(a.model_dir, uniq)
        results["sentence-transformers"] = v
    if a.clembed:
        results["clembed"] = embed_clembed(a.clembed, a.model_dir, uniq, a.device)
    for name, v in results.items():
        print("  %-22s Spearman x100 = %.2f" % (name, 100 * spearman(cosines(v[i1], v[i2]), gold)))
    if len(results) == 2:
        a_, b_ = results["sentence-transformers"], results["clembed"]
        print("  min cosine clembed vs sentence-transformers over the sentences: %.6f" % cosines(a_, b_).min())


if __name__ == "__main__":
    main()
