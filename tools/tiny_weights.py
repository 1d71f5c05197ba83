#!/usr/bin/env python3
"""Regenerates the weights of a tiny test model from its manifest.

    python3 tools/tiny_weights.py MODEL_DIR OUT_DIR

MODEL_DIR is a committed model folder (tests/data/families/NAME) with every
file of a sentence-transformers model except the weights, plus weights.json:

    {"seed": 20261205,
     "tokenizer": "tests/data/tokenizers/roberta-base.json.gz",   (optional)
     "files": [{"path": "model.safetensors", "sha256": "...",
                "metadata": {"format": "pt"},
                "tensors": [{"name": "...", "shape": [250002, 32], "dtype": "F32",
                             "init": ["uniform", CENTER, HALF_WIDTH]}, ...]}]}

The folder is copied to OUT_DIR (weights.json left out), the tokenizer named
by "tokenizer" (relative to the repository root, gzipped or not) is written
as OUT_DIR/tokenizer.json, and every file of "files" is written with its
tensors in the order listed.  The script fails when a written file's sha256
differs from the manifest's.

Why: real tokenizers have 30k-250k vocabularies, so even a model with hidden
size 32 holds megabytes of embeddings; those are not committed.  The expected
vectors in tests/data/families were computed from exactly these bytes
(tools/gen_families.py uses this module to write them).

The values depend on nothing but the manifest: tensor NAME draws 32-bit words
w from SHAKE-256 over "SEED:NAME" (little-endian), and each element is
float32(lo + (w + 0.5) * step) with lo = CENTER - HALF_WIDTH and
step = 2 * HALF_WIDTH / 2**32, evaluated in IEEE double precision and rounded
to nearest float32; a tensor of dtype F16 or BF16 holds that float32 rounded
once more, to nearest even, as torch rounds it.  Python standard library
only: make check runs this on machines without numpy or torch.
"""

import array
import gzip
import hashlib
import json
import os
import shutil
import struct
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
MANIFEST = "weights.json"
CHUNK = 1 << 20  # elements drawn per step: bounds the memory of the list of floats


class ManifestError(Exception):
    pass


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def narrow(vals, dtype):
    """float32 values (an array("f")) as the little-endian bytes of dtype: F32
    as they are, F16 the IEEE half nearest each (ties to even, as
    torch.Tensor.half() rounds), BF16 the upper 16 bits of each float rounded
    to nearest even (as torch.Tensor.bfloat16() rounds)."""
    if dtype == "F32":
        if sys.byteorder != "little":
            vals.byteswap()
        return vals.tobytes()
    if dtype == "F16":
        return struct.pack("<%de" % len(vals), *vals)
    words = array.array("I")
    if words.itemsize != 4:
        words = array.array("L")
    words.frombytes(vals.tobytes())
    return struct.pack("<%dH" % len(words), *[(w + 0x7FFF + ((w >> 16) & 1)) >> 16 for w in words])


def tensor_bytes(seed, spec):
    """The little-endian bytes of one tensor: float32 values, stored as its
    dtype says (F32, F16 or BF16; see narrow)."""
    name, shape, dtype, init = spec["name"], spec["shape"], spec["dtype"], spec["init"]
    if dtype not in ("F32", "F16", "BF16"):
        raise ManifestError("%s: dtype %s (expected F32, F16 or BF16)" % (name, dtype))
    if not (isinstance(init, list) and len(init) == 3 and init[0] == "uniform"):
        raise ManifestError("%s: init %r (expected [\"uniform\", center, half_width])" % (name, init))
    center, half = float(init[1]), float(init[2])
    lo = center - half
    step = (2.0 * half) / 4294967296.0
    n = numel(shape)
    stream = hashlib.shake_256(("%d:%s" % (seed, name)).encode("utf-8")).digest(4 * n)
    out = bytearray()
    for start in range(0, n, CHUNK):
        words = array.array("I")
        if words.itemsize != 4:
            words = array.array("L")
        words.frombytes(stream[4 * start:4 * min(n, start + CHUNK)])
        if sys.byteorder != "little":
            words.byteswap()
        vals = array.array("f", [lo + (w + 0.5) * step for w in words])
        out += narrow(vals, dtype)
    return bytes(out)


def safetensors_bytes(seed, fspec):
    """A safetensors file: 8-byte header length, JSON header padded with spaces
    to a multiple of 8, then the tensors back to back in the listed order."""
    header = {}
    if fspec.get("metadata"):
        header["__metadata__"] = fspec["metadata"]
    blobs, off = [], 0
    for spec in fspec["tensors"]:
        b = tensor_bytes(seed, spec)
        header[spec["name"]] = {"dtype": spec["dtype"], "shape": spec["shape"], "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def load_manifest(model_dir):
    with open(os.path.join(model_dir, MANIFEST), encoding="utf-8") as f:
        return json.load(f)


def write_tokenizer(rel, out_dir):
    src = os.path.join(ROOT, rel)
    opener = gzip.open if src.endswith(".gz") else open
    with opener(src, "rb") as f, open(os.path.join(out_dir, "tokenizer.json"), "wb") as g:
        shutil.copyfileobj(f, g)


def generate(model_dir, out_dir, check=True):
    """Copies model_dir to out_dir and writes the weights; returns {path: sha256}.
    With check, a sha256 that differs from the manifest's raises ManifestError."""
    m = load_manifest(model_dir)
    seed = int(m["seed"])
    tmp = out_dir.rstrip("/") + ".part"
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    shutil.copytree(model_dir, tmp, ignore=shutil.ignore_patterns(MANIFEST))
    if m.get("tokenizer"):
        write_tokenizer(m["tokenizer"], tmp)
    sums, bad = {}, []
    for fspec in m["files"]:
        data = safetensors_bytes(seed, fspec)
        path = os.path.join(tmp, fspec["path"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        sums[fspec["path"]] = hashlib.sha256(data).hexdigest()
        if check and sums[fspec["path"]] != fspec.get("sha256"):
            bad.append("%s: sha256 %s, the manifest says %s" % (fspec["path"], sums[fspec["path"]], fspec.get("sha256")))
    if bad:
        shutil.rmtree(tmp)
        raise ManifestError("; ".join(bad))
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    os.rename(tmp, out_dir)
    return sums


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    try:
        generate(sys.argv[1], sys.argv[2])
    except (ManifestError, OSError, ValueError, KeyError) as e:
        sys.exit("tiny_weights.py: %s: %s" % (sys.argv[1], e))


if __name__ == "__main__":
    main()
