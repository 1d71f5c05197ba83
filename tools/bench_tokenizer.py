#!/usr/bin/env python3
"""Tokenizer throughput, clembed against Hugging Face tokenizers, one thread each,
same corpus, same machine, same run.

usage: python3 tools/bench_tokenizer.py BUILD_DIR [SECONDS]

For each tokenizer family (WordPiece, WordPiece with RobertaProcessing,
byte-level BPE, Unigram) it decompresses tests/data/tokenizers/NAME.json.gz,
runs BUILD_DIR/tools/bench-tokenizer on tests/data/tokenizers/corpus.jsonl,
then the reference single-threaded (RAYON_NUM_THREADS=1,
TOKENIZERS_PARALLELISM=false) two ways: encode() per text, and encode_batch()
over the corpus.  Prints MB/s of input text and the ratio to the faster
reference figure, and the resident memory a loaded tokenizer adds.
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

from tokenizers import Tokenizer  # noqa: E402  (after the thread settings)

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "tests", "data", "tokenizers")
FAMILIES = [("WordPiece (bert-base-uncased)", "bert-base-uncased"),
            ("WordPiece + RobertaProcessing (all-mpnet-base-v2)", "all-mpnet-base-v2"),
            ("byte-level BPE (roberta-base)", "roberta-base"),
            ("Unigram + Precompiled (t5-small)", "t5-small"),
            ("byte-fallback BPE, Llama style (generated)", "synth-bpe-fallback"),
            ("byte-level BPE behind a regex Split (generated)", "synth-bytelevel-split"),
            ("WordLevel (generated)", "synth-wordlevel")]


def reference(path, texts, secs):
    tok = Tokenizer.from_file(path)
    tok.no_truncation()
    tok.no_padding()
    nbytes = sum(len(t.encode("utf-8")) for t in texts)
    res = {}
    for mode in ("encode", "encode_batch"):
        rounds, t0 = 0, time.perf_counter()
        while True:
            if mode == "encode":
                for t in texts:
                    tok.encode(t)
            else:
                tok.encode_batch(texts)
            rounds += 1
            el = time.perf_counter() - t0
            if el >= secs:
                break
        res[mode] = nbytes * rounds / el / 1e6
    return res


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    build = sys.argv[1]
    secs = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    corpus = os.path.join(DATA, "corpus.jsonl")
    with open(corpus, encoding="utf-8") as f:
        texts = [json.loads(line) for line in f]
    print("corpus: %d texts, %.2f MB; %.0f s per measurement; one thread" % (
        len(texts), sum(len(t.encode()) for t in texts) / 1e6, secs))
    print("%-50s %12s %12s %12s %7s %12s %12s" % ("family", "clembed", "HF encode", "HF batch", "ratio",
                                                  "loaded RSS", "load peak"))
    with tempfile.TemporaryDirectory() as tmp:
        for label, name in FAMILIES:
            path = os.path.join(tmp, name + ".json")
            with gzip.open(os.path.join(DATA, name + ".json.gz"), "rb") as g, open(path, "wb") as f:
                f.write(g.read())
            out = subprocess.run([os.path.join(build, "tools", "bench-tokenizer"), path, corpus, str(secs)],
                                 check=True, capture_output=True, text=True).stdout
            c = json.loads(out)
            r = reference(path, texts, secs)
            best = max(r["encode"], r["encode_batch"])
            print("%-50s %7.2f MB/s %7.2f MB/s %7.2f MB/s %6.2fx %8.1f MiB %8.1f MiB" % (
                label, c["mb_per_s"], r["encode"], r["encode_batch"], c["mb_per_s"] / best,
                c["rss_kb"] / 1024, c["peak_kb"] / 1024))
    print("ratio: clembed over the faster of the two reference figures.  loaded RSS / load peak: resident\n"
          "memory clembed's tokenizer adds once loaded / at the peak of loading (JSON parse tree).")


if __name__ == "__main__":
    main()
