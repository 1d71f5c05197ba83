#!/usr/bin/env python3
"""clembed against sentence-transformers on the same corpus, in one run.

    python3 tools/bench_st.py [-m MODEL_DIR] [--clembed ./clembed] [--device SEL]
                              [--batch-tokens N] [CORPUS]

Runs `clembed bench --json` on the corpus, then sentence-transformers
(PyTorch on the CPU, fp32, 2 threads) over the same texts with the same batch
rules: sorted by token count, longest first, packed into batches of at most
N padded tokens (N = clembed's batch_tokens, 4096 by default).  Prints both
throughputs, their ratio, clembed's per-op device times and peak memory.
Needs the pinned references of tools/requirements-reference.txt."""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def read_corpus(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\r\n") for line in f if line.strip()]


def packed_batches(st, texts, budget):
    """clembed's packing: longest first, sequences x longest <= budget."""
    tok = st.tokenizer
    lens = [len(ids) for ids in tok(texts, truncation=True, max_length=st.max_seq_length)["input_ids"]]
    order = sorted(range(len(texts)), key=lambda i: (-lens[i], i))
    batches, i = [], 0
    while i < len(order):
        longest, n = lens[order[i]], 0
        while i + n < len(order) and n < 512 and (n + 1) * longest <= budget:
            n += 1
        batches.append([texts[j] for j in order[i:i + n]])
        i += n
    return batches, sum(lens)


def run_st(model_dir, texts, budget, threads):
    import torch
    from sentence_transformers import SentenceTransformer
    torch.set_num_threads(threads)
    st = SentenceTransformer(model_dir, device="cpu")
    batches, tokens = packed_batches(st, texts, budget)
    with torch.inference_mode():
        st.encode(texts[:64], batch_size=64)   # warm-up
        t0 = time.perf_counter()
        for b in batches:
            st.encode(b, batch_size=len(b), convert_to_numpy=True)
        secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"sentences_per_s": len(texts) / secs, "tokens_per_s": tokens / secs, "seconds": secs,
            "tokens": tokens, "batches": len(batches), "peak_rss_bytes": peak,
            "torch_threads": torch.get_num_threads(), "torch": torch.__version__}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", default=os.path.join(ROOT, "tests/data/corpus/bench.txt"))
    ap.add_argument("-m", "--model", default=os.path.join(ROOT, "models/all-MiniLM-L6-v2"))
    ap.add_argument("--clembed", default="./clembed", help="the clembed program")
    ap.add_argument("--device", help="clembed device selector")
    ap.add_argument("--batch-tokens", type=int, default=4096)
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()

    texts = read_corpus(args.corpus)
    cmd = [args.clembed, "bench", "-m", args.model, "--json", "--batch-tokens", str(args.batch_tokens),
           args.corpus]
    if args.device:
        cmd += ["--device", args.device]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    cl = json.loads(out)
    st = run_st(args.model, texts, args.batch_tokens, args.threads)
    ratio = cl["sentences_per_s"] / st["sentences_per_s"]
    if args.json:
        print(json.dumps({"clembed": cl, "sentence_transformers": st, "ratio": ratio}))
        return
    print("corpus: %s (%d sentences, %d tokens), batches of at most %d tokens" %
          (args.corpus, len(texts), st["tokens"], args.batch_tokens))
    print("clembed (%s):  %8.1f sentences/s  %9.0f tokens/s  peak RSS %6.1f MiB" %
          (cl["device"], cl["sentences_per_s"], cl["tokens_per_s"], cl["peak_rss_bytes"] / 2**20))
    print("sentence-transformers (torch %s, CPU, %d threads):  %8.1f sentences/s  %9.0f tokens/s  "
          "peak RSS %6.1f MiB" % (st["torch"], st["torch_threads"], st["sentences_per_s"],
                                  st["tokens_per_s"], st["peak_rss_bytes"] / 2**20))
    print("ratio clembed / sentence-transformers: %.2f" % ratio)
    print("\nclembed device time per op (%.3f s in all):" % cl["device_seconds"])
    for op in cl["ops"]:
        print("  %-22s %9.4f s %8d calls %6.1f%%" % (op["op"], op["seconds"], op["calls"], 100 * op["share"]))


if __name__ == "__main__":
    sys.exit(main())
