#!/usr/bin/env python3
"""clembed against sentence-transformers and ONNX Runtime on the same corpus, in one run.

    python3 tools/bench_st.py [-m MODEL_DIR] [--clembed ./clembed] [--device SEL]
                              [--batch-tokens N] [--threads N] [--rounds N]
                              [--precision fp32|fp16|auto] [--no-ort] [--json] [CORPUS]

Three ways to embed every line of CORPUS (default tests/data/corpus/bench.txt)
with the model:

  clembed                `clembed bench --json` (a fresh process per round; its
                         time excludes loading the model and the warm-up);
  sentence-transformers  PyTorch on the CPU, fp32, --threads threads;
  onnxruntime            the model's transformer exported to ONNX
                         (torch.onnx.export) and run by ONNX Runtime's CPU
                         provider with every graph optimization, --threads
                         threads, the Hugging Face tokenizer in front and the
                         pooling and normalization of the model's modules in
                         numpy: what fastembed does.

Before anything is timed, each is checked against sentence-transformers on the
first 64 texts: ONNX Runtime and clembed (`clembed embed`, with
CLEMBED_PRECISION set to --precision) must reach cosine 0.99999 (0.9999 for
fp16).  sentence-transformers and ONNX Runtime get the batches clembed makes:
texts sorted by token count, longest first, at most N padded tokens each
(N = --batch-tokens, 4096 by default).  The rounds alternate the three
(clembed, sentence-transformers, onnxruntime, clembed, ...) so that a noisy
machine slows them alike; the report gives each one's median throughput and
the medians of the per-round ratios.  Needs tools/requirements-reference.txt
(onnx and onnxruntime included)."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
CHECK_TEXTS = 64


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


def cosines(a, b):
    import numpy as np
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


class STRunner:
    name = "sentence-transformers"

    def __init__(self, model_dir, threads):
        import torch
        from sentence_transformers import SentenceTransformer
        torch.set_num_threads(threads)
        self.torch = torch
        self.st = SentenceTransformer(model_dir, device="cpu")
        self.label = "torch %s, CPU, %d threads" % (torch.__version__, torch.get_num_threads())

    def encode(self, texts):
        with self.torch.inference_mode():
            return self.st.encode(texts, batch_size=len(texts), convert_to_numpy=True)


class ORTRunner:
    """The transformer in ONNX Runtime; tokenizer, pooling and Normalize as the
    model's modules say, in numpy."""
    name = "onnxruntime"

    def __init__(self, st, threads, workdir):
        import numpy as np
        import onnxruntime as ort
        import torch
        from sentence_transformers.base.modules import Normalize, Transformer
        from sentence_transformers.sentence_transformer.modules import Pooling
        mods = list(st)
        if not (len(mods) in (2, 3) and isinstance(mods[0], Transformer) and isinstance(mods[1], Pooling)
                and (len(mods) == 2 or isinstance(mods[2], Normalize))):
            raise SystemExit("onnxruntime: only Transformer, Pooling[, Normalize] models (%s)" %
                             ", ".join(type(m).__name__ for m in mods))
        self.np = np
        pool = mods[1].get_config_dict()
        self.mode = pool.get("pooling_mode")
        if self.mode is None:   # sentence-transformers before 6 said it with flags
            self.mode = "cls" if pool.get("pooling_mode_cls_token") else \
                "mean" if pool.get("pooling_mode_mean_tokens") else None
        if self.mode not in ("mean", "cls"):
            raise SystemExit("onnxruntime: only mean or CLS pooling (%s)" % pool)
        self.normalize = len(mods) == 3
        self.tok = st.tokenizer
        self.max_len = st.max_seq_length
        model = mods[0].auto_model.eval()
        probe = self.tok(["a b c", "d"], padding=True, return_tensors="pt")
        self.inputs = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in probe]
        path = os.path.join(workdir, "model.onnx")

        class Wrap(torch.nn.Module):
            def __init__(self, m, names):
                super().__init__()
                self.m, self.names = m, names

            def forward(self, *args):
                return self.m(**dict(zip(self.names, args))).last_hidden_state

        dyn = {k: {0: "batch", 1: "seq"} for k in self.inputs}
        dyn["hidden"] = {0: "batch", 1: "seq"}
        import warnings
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(Wrap(model, self.inputs), tuple(probe[k] for k in self.inputs), path,
                              input_names=self.inputs, output_names=["hidden"], dynamic_axes=dyn,
                              opset_version=17, dynamo=False)
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        self.label = "onnxruntime %s, CPU, %d threads" % (ort.__version__, threads)

    def encode(self, texts):
        np = self.np
        enc = self.tok(texts, padding=True, truncation=True, max_length=self.max_len, return_tensors="np")
        feed = {k: enc[k].astype(np.int64) for k in self.inputs}
        hidden = self.sess.run(None, feed)[0]
        if self.mode == "cls":
            out = hidden[:, 0]
        else:
            mask = enc["attention_mask"][..., None].astype(np.float32)
            out = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
        if self.normalize:
            out = out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out.astype(np.float32)


def clembed_env(precision):
    env = dict(os.environ)
    if precision:
        env["CLEMBED_PRECISION"] = precision
    return env


def clembed_vectors(args, texts, dim):
    import numpy as np
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = os.path.join(tmp, "in.jsonl"), os.path.join(tmp, "out.f32")
        with open(inp, "w", encoding="utf-8") as f:
            for t in texts:
                f.write(json.dumps(t) + "\n")
        cmd = [args.clembed, "embed", "-m", args.model, "--input-format", "jsonl", "-i", inp, "-f", "f32",
               "-o", out, "--batch-tokens", str(args.batch_tokens)]
        if args.device:
            cmd += ["--device", args.device]
        subprocess.run(cmd, check=True, env=clembed_env(args.precision))
        return np.fromfile(out, dtype="<f4").reshape(len(texts), dim)


def clembed_round(args):
    cmd = [args.clembed, "bench", "-m", args.model, "--json", "--no-probe", "--batch-tokens",
           str(args.batch_tokens), args.corpus]
    if args.device:
        cmd += ["--device", args.device]
    if args.precision:
        cmd += ["--precision", args.precision]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


def timed(runner, batches):
    t0 = time.perf_counter()
    for b in batches:
        runner.encode(b)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", default=os.path.join(ROOT, "tests/data/corpus/bench.txt"))
    ap.add_argument("-m", "--model", default=os.path.join(ROOT, "models/all-MiniLM-L6-v2"))
    ap.add_argument("--clembed", default="./clembed", help="the clembed program")
    ap.add_argument("--device", help="clembed device selector")
    ap.add_argument("--batch-tokens", type=int, default=4096)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                    help="threads of torch and ONNX Runtime (default: the CPUs, as PoCL uses)")
    ap.add_argument("--rounds", type=int, default=3, help="alternated rounds (default 3)")
    ap.add_argument("--precision", choices=("fp32", "fp16", "auto"), help="clembed's weight storage")
    ap.add_argument("--no-ort", action="store_true", help="leave ONNX Runtime out")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    log = sys.stderr

    texts = read_corpus(args.corpus)
    st = STRunner(args.model, args.threads)
    runners = [st]
    with tempfile.TemporaryDirectory() as work:
        if not args.no_ort:
            runners.append(ORTRunner(st.st, args.threads, work))
        batches, tokens = packed_batches(st.st, texts, args.batch_tokens)

        # Fidelity first: nothing is timed that does not give sentence-transformers' vectors.
        sample = texts[:CHECK_TEXTS]
        want = st.encode(sample)
        bound = 0.9999 if args.precision == "fp16" else 0.99999
        checks = {"clembed": float(cosines(clembed_vectors(args, sample, want.shape[1]), want).min())}
        for r in runners[1:]:
            checks[r.name] = float(cosines(r.encode(sample), want).min())
        for name, c in checks.items():
            print("%s: smallest cosine to sentence-transformers over %d texts: %.7f" % (name, len(sample), c),
                  file=log)
            if c < bound:
                raise SystemExit("%s: below %g; not timed" % (name, bound))

        for r in runners:   # warm-up
            r.encode(batches[0])
        rounds = []
        for i in range(args.rounds):
            cl = clembed_round(args)
            row = {"clembed": cl["sentences_per_s"]}
            for r in runners:
                row[r.name] = len(texts) / timed(r, batches)
            rounds.append(row)
            print("round %d: %s" % (i + 1, ", ".join("%s %.1f/s" % kv for kv in row.items())), file=log)
    names = list(rounds[0])
    median = {n: statistics.median(r[n] for r in rounds) for n in names}
    ratio = {n: statistics.median(r["clembed"] / r[n] for r in rounds) for n in names if n != "clembed"}
    result = {"model": args.model, "corpus": args.corpus, "sentences": len(texts), "tokens": tokens,
              "batch_tokens": args.batch_tokens, "threads": args.threads, "device": cl["device"],
              "precision": cl.get("precision"), "rounds": rounds, "median_sentences_per_s": median,
              "median_ratio_clembed_over": ratio, "fidelity_min_cosine": checks,
              "labels": {r.name: r.label for r in runners}, "clembed_last": cl}
    if args.json:
        print(json.dumps(result))
        return
    print("model %s; corpus %s (%d sentences, %d tokens); batches of at most %d tokens; %d rounds" %
          (os.path.basename(args.model.rstrip("/")), args.corpus, len(texts), tokens, args.batch_tokens,
           args.rounds))
    print("  %-24s %12s %10s  %s" % ("", "sentences/s", "clembed x", "what"))
    print("  %-24s %12.1f %10s  %s, weights %s" % ("clembed", median["clembed"], "", cl["device"],
                                                  cl.get("precision")))
    for r in runners:
        print("  %-24s %12.1f %9.2fx  %s" % (r.name, median[r.name], ratio[r.name], r.label))
    print("\nclembed device time per op, last round (%.3f s in all):" % cl["device_seconds"])
    for op in cl["ops"]:
        print("  %-26s %-8s %9.4f s %8d calls %6.1f%%" % (op["op"], op.get("provider") or "", op["seconds"],
                                                         op["calls"], 100 * op["share"]))


if __name__ == "__main__":
    sys.exit(main())
