#!/usr/bin/env python3
"""Helpers for tools/device-check.sh: a stand-in for a model whose weights are too big to carry
to a borrowed machine, and a PyTorch reference timed on the same corpus.

    device-model.py header  MODEL.safetensors  HEADER.json
        the safetensors header (tensor names, dtypes, shapes, offsets) of a real model
    device-model.py weights HEADER.json  OUT.safetensors  [--seed N] [--std S]
        a safetensors file with that exact header and random weights: LayerNorm weights 1 and
        biases 0, position_ids 0..n-1, everything else normal(0, std); numpy, else
        plain Python
    device-model.py reference MODEL_DIR CORPUS OUT.json [--batch 64] [--max-len 256]
                    [--compare A.jsonl[,B.jsonl] --compare-n N]
        BertModel (transformers) in fp32 on CUDA (else CPU) over the corpus: sorted by length,
        batches of --batch, mean pooling, L2 normalisation; sentences/s end to end and for the
        model alone, on CUDA also the model alone in fp16.  With --compare, the cosine between its vectors of the first N texts and
        those in each clembed output file (one JSON array per line).  Without transformers it
        records torch's version and stops.

Same shapes give the same speed, so the stand-in times like the real model; its outputs only
mean something against the reference run on the same weights."""

import json
import os
import struct
import sys
import time


def read_header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n))


def cmd_header(src, out):
    h = read_header(src)
    with open(out, "w") as f:
        json.dump(h, f)
    print("%s: %d tensors" % (out, sum(1 for k in h if k != "__metadata__")))


NP_DTYPES = {"F32": ("float32", 4), "F16": ("float16", 2), "I64": ("int64", 8), "I32": ("int32", 4)}


def tensor_bytes(name, meta, rng_kind, rng, std):
    dt, size = NP_DTYPES[meta["dtype"]]
    count = 1
    for s in meta["shape"]:
        count *= s
    is_ln = "LayerNorm" in name or "layer_norm" in name or name.endswith("ln.weight")
    if rng_kind == "numpy":
        import numpy as np
        if dt.startswith("int"):
            a = np.arange(count, dtype=dt) % (meta["shape"][-1] if meta["shape"] else 1)
        elif is_ln and name.endswith("weight"):
            a = np.ones(count, dtype=dt)
        elif name.endswith("bias") and is_ln:
            a = np.zeros(count, dtype=dt)
        else:
            a = (rng.standard_normal(count, dtype="float32") * std).astype(dt)
        return a.tobytes()
    import array
    if dt.startswith("int"):
        last = meta["shape"][-1] if meta["shape"] else 1
        return struct.pack("<%d%s" % (count, "q" if size == 8 else "i"), *[i % last for i in range(count)])
    if dt != "float32":
        raise SystemExit("plain Python writes only F32 and integer tensors, not %s" % meta["dtype"])
    if is_ln:
        a = array.array("f", [1.0 if name.endswith("weight") else 0.0]) * count
    else:
        a = array.array("f", (rng.gauss(0.0, std) for _ in range(count)))
    if sys.byteorder != "little":
        a.byteswap()
    return a.tobytes()


def cmd_weights(header_path, out, seed=0, std=0.02):
    with open(header_path) as f:
        h = json.load(f)
    try:
        import numpy as np
        kind, rng = "numpy", np.random.default_rng(seed)
    except ImportError:
        import random
        kind, rng = "python", random.Random(seed)
    head = json.dumps(h, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    names = sorted((k for k in h if k != "__metadata__"), key=lambda k: h[k]["data_offsets"][0])
    t0 = time.time()
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        pos = 0
        for k in names:
            b, e = h[k]["data_offsets"]
            if b != pos:
                raise SystemExit("%s: gap before %s (offset %d, expected %d)" % (header_path, k, b, pos))
            data = tensor_bytes(k, h[k], kind, rng, std)
            if len(data) != e - b:
                raise SystemExit("%s: %d bytes, header says %d" % (k, len(data), e - b))
            f.write(data)
            pos = e
    os.replace(tmp, out)
    print("%s: %d tensors, %d bytes of data, random weights from %s in %.1f s"
          % (out, len(names), pos, kind, time.time() - t0))


def cmd_reference(model_dir, corpus, out, batch=64, max_len=256, compare=None, compare_n=256):
    res = {"model": model_dir, "corpus": corpus, "batch": batch, "max_len": max_len}

    def save():
        with open(out, "w") as f:
            json.dump(res, f, indent=1)
        print(json.dumps(res, indent=1))

    try:
        import torch
    except ImportError as e:
        res["skipped"] = "no torch: %s" % e
        return save()
    res["torch"] = torch.__version__
    res["cuda_available"] = torch.cuda.is_available()
    if torch.cuda.is_available():
        res["cuda_device"] = torch.cuda.get_device_name(0)
        res["cuda_version"] = torch.version.cuda
    try:
        import transformers
        from transformers import AutoTokenizer, BertModel
    except Exception as e:  # noqa: BLE001 - any import failure means: no reference
        res["skipped"] = "transformers not importable: %s" % e
        return save()
    res["transformers"] = transformers.__version__
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    res["device"] = dev
    with open(corpus, encoding="utf-8") as f:
        texts = [line.rstrip("\r\n") for line in f if line.strip()]
    tok = AutoTokenizer.from_pretrained(model_dir)
    model, info = BertModel.from_pretrained(model_dir, output_loading_info=True)
    res["missing_keys"] = list(info.get("missing_keys", []))
    res["unexpected_keys"] = list(info.get("unexpected_keys", []))
    res["attn_implementation"] = getattr(model.config, "_attn_implementation", None)
    model = model.float().to(dev).eval()
    if dev == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False

    lens = [len(x) for x in tok(texts, truncation=True, max_length=max_len)["input_ids"]]
    order = sorted(range(len(texts)), key=lambda i: (-lens[i], i))
    batches = [order[i:i + batch] for i in range(0, len(order), batch)]
    res["sentences"] = len(texts)
    res["tokens"] = sum(lens)

    def sync():
        if dev == "cuda":
            torch.cuda.synchronize()

    def embed(enc):
        o = model(**enc).last_hidden_state
        m = enc["attention_mask"].unsqueeze(-1).to(o.dtype)
        v = (o * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(v, p=2, dim=1)

    vecs = [None] * len(texts)
    with torch.inference_mode():
        for b in batches[:2]:  # warm-up
            embed(tok([texts[i] for i in b], padding=True, truncation=True, max_length=max_len,
                      return_tensors="pt").to(dev))
        sync()
        t0 = time.perf_counter()
        for b in batches:
            enc = tok([texts[i] for i in b], padding=True, truncation=True, max_length=max_len,
                      return_tensors="pt").to(dev)
            v = embed(enc).cpu()
            for j, i in enumerate(b):
                vecs[i] = v[j]
        sync()
        secs = time.perf_counter() - t0
        res["end_to_end"] = {"seconds": secs, "sentences_per_s": len(texts) / secs,
                             "tokens_per_s": sum(lens) / secs}
        encs = [tok([texts[i] for i in b], padding=True, truncation=True, max_length=max_len,
                    return_tensors="pt").to(dev) for b in batches]
        sync()
        reps = 3

        def model_only():
            t0 = time.perf_counter()
            for _ in range(reps):
                for enc in encs:
                    embed(enc)
            sync()
            secs = (time.perf_counter() - t0) / reps
            return {"seconds": secs, "sentences_per_s": len(texts) / secs,
                    "tokens_per_s": sum(lens) / secs, "repeats": reps}

        res["model_only"] = model_only()
        if dev == "cuda":   # the same in half precision, what clembed --precision fp16 is held to
            model.half()
            res["model_only_fp16"] = model_only()
            model.float()

    if compare:
        res["compare"] = {}
        for path in compare.split(","):
            try:
                got = []
                with open(path) as f:
                    for line in f:
                        if line.strip():
                            got.append(json.loads(line))
                n = min(compare_n, len(got), len(texts))
                cos = []
                for i in range(n):
                    a = torch.tensor(got[i], dtype=torch.float64)
                    b = vecs[i].to(torch.float64)
                    cos.append(float(torch.dot(a, b) / (a.norm() * b.norm()).clamp(min=1e-30)))
                worst = sorted(range(n), key=lambda i: cos[i])[:5]
                res["compare"][path] = {
                    "n": n, "min_cosine": min(cos) if cos else None,
                    "mean_cosine": sum(cos) / n if n else None,
                    "below_0.99999": sum(c < 0.99999 for c in cos),
                    "worst": [{"line": i, "tokens": lens[i], "cosine": cos[i]} for i in worst]}
            except Exception as e:  # noqa: BLE001 - record and go on
                res["compare"][path] = {"error": repr(e)}
    return save()


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0 if len(argv) >= 2 else 2
    cmd, args = argv[1], argv[2:]
    opts, pos = {}, []
    i = 0
    while i < len(args):
        if args[i].startswith("--"):
            opts[args[i][2:]] = args[i + 1]
            i += 2
        else:
            pos.append(args[i])
            i += 1
    if cmd == "header" and len(pos) == 2:
        cmd_header(*pos)
    elif cmd == "weights" and len(pos) == 2:
        cmd_weights(*pos, seed=int(opts.get("seed", 0)), std=float(opts.get("std", 0.02)))
    elif cmd == "reference" and len(pos) == 3:
        cmd_reference(*pos, batch=int(opts.get("batch", 64)), max_len=int(opts.get("max-len", 256)),
                      compare=opts.get("compare"), compare_n=int(opts.get("compare-n", 256)))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
