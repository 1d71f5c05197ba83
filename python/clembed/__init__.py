"""clembed: sentence-transformers embeddings on OpenCL devices.

    import clembed
    model = clembed.Model("models/all-MiniLM-L6-v2", device="pocl")
    emb = model.encode(["A cat sits on the mat.", "A dog runs in the park."])
    print(model.similarity(emb, emb))

The interface follows sentence-transformers' SentenceTransformer: encode()
returns a float32 numpy array (one row per text, written by the library
straight into the array), similarity() applies the model's similarity
function.  Errors raise clembed.Error with the library's message.  The GIL is
released while the device works, so other threads run; a Model may be used
from several threads at once (each concurrent call gets a context of its own).
"""

import ctypes
import json
import threading

import numpy as np

from . import _lib

__all__ = ["Model", "Error", "version", "devices", "SIMILARITY_FUNCTIONS"]
__version__ = "0.1.0"

_LIB, _FREE = None, None
_LOAD_LOCK = threading.Lock()


def _lib_():
    global _LIB, _FREE
    with _LOAD_LOCK:
        if _LIB is None:
            _LIB, _FREE = _lib.load()
    return _LIB


class Error(RuntimeError):
    """A clembed failure.  `status` is the C status number, `name` its name
    ("ERR_NOT_FOUND"), `reason` clembed_strerror(), `detail` clembed_errmsg()."""

    def __init__(self, status, reason, detail):
        self.status = status
        self.name = _lib.STATUS_NAMES[status] if 0 <= status < len(_lib.STATUS_NAMES) else str(status)
        self.reason = reason
        self.detail = detail
        super().__init__("%s: %s" % (reason, detail) if detail else reason)


def _check(rc):
    if rc != 0:
        lib = _lib_()
        # clembed_errmsg() is thread-local and ctypes calls run in this thread.
        raise Error(rc, lib.clembed_strerror(rc).decode(), (lib.clembed_errmsg() or b"").decode("utf-8", "replace"))


def version():
    """The version of the libclembed loaded."""
    return _lib_().clembed_version_string().decode()


def devices():
    """Device indices, as `clembed info` lists them and device= accepts."""
    return list(range(_lib_().clembed_device_count()))


def _enc(s):
    return None if s is None else s.encode("utf-8")


# sentence-transformers' similarity functions (sentence_transformers.util),
# on float32 numpy arrays: rows of a against rows of b.
def _cos(a, b):
    na = np.linalg.norm(a, axis=1, keepdims=True)
    nb = np.linalg.norm(b, axis=1, keepdims=True)
    return (a / np.maximum(na, 1e-12)) @ (b / np.maximum(nb, 1e-12)).T


def _dot(a, b):
    return a @ b.T


def _euclidean(a, b):
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return -np.sqrt(np.maximum(d, 0.0))


def _manhattan(a, b):
    return -np.abs(a[:, None, :] - b[None, :, :]).sum(-1)


SIMILARITY_FUNCTIONS = {"cosine": _cos, "dot": _dot, "euclidean": _euclidean, "manhattan": _manhattan}


def _as_batch(x):
    x = np.asarray(x, dtype=np.float32)
    return x[None, :] if x.ndim == 1 else x


class Model:
    """A sentence-transformers model directory on an OpenCL device.

    device: a selector as `clembed -d` takes it: an index, "pocl", "rusticl",
    "cpu", "gpu", "nvidia", "amd", "intel", or part of the device name; None =
    CLEMBED_DEVICE, else the first GPU, else the first device.
    truncate_dim: the default for encode() (None = the model's).
    profile: a tuning profile file or directory, or "off"; None = the usual lookup.
    max_tokens: cut texts at this many tokens (None = the model's max_seq_length).
    weight_precision: how the weights are stored on the device: "fp32", "fp16"
    (half the memory; vectors within cosine 0.9999 of fp32) or None = "auto" (an
    F16 or BF16 model keeps its 16 bits where clembed's own GEMM kernel runs).
    Arithmetic is float32 in every case (encode's `precision` is the output's).
    """

    def __init__(self, model_name_or_path, device=None, *, truncate_dim=None, profile=None,
                 max_tokens=None, similarity_fn_name=None, weight_precision=None):
        lib = _lib_()
        self._model = None
        self._contexts = {}
        self._busy = 0  # contexts in use by encode() calls
        self._closing = False
        self._lock = threading.Lock()
        self.path = str(model_name_or_path)
        self.device = None if device is None else str(device)
        self.truncate_dim = truncate_dim
        self.profile = profile
        self.max_tokens = max_tokens
        self.weight_precision = weight_precision
        m = ctypes.c_void_p()
        _check(lib.clembed_model_open(_enc(self.path), None, ctypes.byref(m)))
        self._model = m
        desc = ctypes.c_void_p()
        _check(lib.clembed_model_describe_json(m, ctypes.byref(desc)))
        try:
            self._describe = json.loads(ctypes.string_at(desc).decode("utf-8"))
        finally:
            _FREE(desc)
        if device is not None:
            index = ctypes.c_size_t()
            _check(lib.clembed_device_select(_enc(self.device), ctypes.byref(index)))
        self.prompts = dict(self._describe.get("prompts") or {})
        self.default_prompt_name = self._describe.get("default_prompt_name")
        self.max_seq_length = int(lib.clembed_model_max_tokens(m))
        self._similarity_fn_name = None
        self.similarity_fn_name = similarity_fn_name or self._describe.get("similarity_fn_name") or "cosine"

    # -- what sentence-transformers users look up ---------------------------------

    def get_sentence_embedding_dimension(self):
        """The output dimension, truncate_dim applied."""
        dim = int(_lib_().clembed_model_dim(self._handle()))
        return min(dim, self.truncate_dim) if self.truncate_dim else dim

    @property
    def similarity_fn_name(self):
        return self._similarity_fn_name

    @similarity_fn_name.setter
    def similarity_fn_name(self, name):
        if name not in SIMILARITY_FUNCTIONS:
            raise ValueError("similarity_fn_name %r: expected one of %s" % (name, ", ".join(SIMILARITY_FUNCTIONS)))
        self._similarity_fn_name = name

    def similarity(self, embeddings1, embeddings2):
        """A len(embeddings1) x len(embeddings2) float32 matrix of the model's
        similarity function: cosine (default), dot, or the negative euclidean
        or manhattan distance, as sentence-transformers defines them."""
        return SIMILARITY_FUNCTIONS[self._similarity_fn_name](_as_batch(embeddings1), _as_batch(embeddings2))

    def similarity_pairwise(self, embeddings1, embeddings2):
        """The similarity of each row of embeddings1 with the same row of embeddings2."""
        a, b = _as_batch(embeddings1), _as_batch(embeddings2)
        return np.array([self.similarity(x, y)[0, 0] for x, y in zip(a, b)], dtype=np.float32)

    # -- encoding -------------------------------------------------------------------

    def encode(self, sentences, batch_size=None, show_progress_bar=None, output_value="sentence_embedding",
               precision="float32", convert_to_numpy=True, convert_to_tensor=False, device=None,
               normalize_embeddings=False, prompt_name=None, prompt=None, truncate_dim=None,
               module_normalize=True):
        """Embeds one text (a 1-D array back) or a list of texts (n x dim).

        normalize_embeddings: L2-normalize the output (after truncate_dim).
        prompt_name / prompt: a prompt of the model's configuration, or literal
        text, prepended (None = the model's default prompt, if any).
        truncate_dim: keep the first N dimensions (None = the Model's).
        batch_size: texts per device batch as sentence-transformers counts them;
        clembed packs texts by tokens, so this sets a budget of batch_size x
        max_seq_length tokens (None = the tuning profile's, else 4096 tokens).
        The results do not depend on it.
        module_normalize (clembed): False skips the model's own Normalize module.
        convert_to_numpy=False gives a list of 1-D arrays (views of one array).
        """
        if output_value != "sentence_embedding":
            raise ValueError("output_value %r: clembed returns sentence embeddings only" % (output_value,))
        if precision != "float32":
            raise ValueError("precision %r: clembed returns float32" % (precision,))
        if convert_to_tensor:
            raise ValueError("convert_to_tensor: clembed returns numpy arrays, not torch tensors")
        if device is not None and str(device) != self.device:
            raise ValueError("device is chosen when the Model is made (Model(path, device=...))")
        single = isinstance(sentences, (str, bytes))
        texts = [sentences] if single else list(sentences)
        raw = []
        for i, t in enumerate(texts):
            b = t if isinstance(t, bytes) else str(t).encode("utf-8")
            if b"\0" in b:
                raise ValueError("text %d contains a NUL character, which C strings cannot carry" % i)
            raw.append(b)
        if truncate_dim is None:
            truncate_dim = self.truncate_dim
        key = (1 if normalize_embeddings else (-1 if module_normalize else 0),
               int(truncate_dim or 0), prompt_name, prompt,
               int(batch_size) * self.max_seq_length if batch_size else 0)
        ctx = self._acquire(key)
        try:
            lib = _lib_()
            dim = int(lib.clembed_context_dim(ctx))
            out = np.empty((len(raw), dim), dtype=np.float32)
            if raw:
                arr = (ctypes.c_char_p * len(raw))(*raw)
                _check(lib.clembed_embed(ctx, arr, len(raw), out.ctypes.data, out.size, None))
        finally:
            self._release(key, ctx)
        if single:
            return out[0]
        return out if convert_to_numpy else list(out)

    # -- contexts: one per concurrent call and set of options -----------------------

    def _handle(self):
        if self._model is None or self._closing:
            raise Error(1, "invalid argument", "the model is closed")
        return self._model

    def _acquire(self, key):
        with self._lock:
            handle = self._handle()
            self._busy += 1
            idle = self._contexts.setdefault(key, [])
            if idle:
                return idle.pop()
        try:
            return self._new_context(handle, key)
        except BaseException:
            self._release(key, None)
            raise

    def _new_context(self, handle, key):
        normalize, truncate_dim, prompt_name, prompt, batch_tokens = key
        p = _lib.ContextParams()
        p.size = ctypes.sizeof(_lib.ContextParams)
        p.device = _enc(self.device)
        p.profile = _enc(self.profile)
        p.max_tokens = int(self.max_tokens or 0)
        p.batch_tokens = batch_tokens
        p.normalize = normalize
        p.truncate_dim = truncate_dim
        p.prompt_name = _enc(prompt_name)
        p.prompt = _enc(prompt)
        p.precision = _enc(self.weight_precision)
        ctx = ctypes.c_void_p()
        _check(_lib_().clembed_context_new(handle, ctypes.byref(p), ctypes.byref(ctx)))
        return ctx

    def _release(self, key, ctx):
        with self._lock:
            self._busy -= 1
            if ctx is not None:
                self._contexts.setdefault(key, []).append(ctx)
            last = self._closing and self._busy == 0
        if last:
            self._free_all()

    def close(self):
        """Frees the device contexts and the model (also done when collected).
        Calls still embedding in other threads finish first: the last of
        them frees what is left."""
        with self._lock:
            self._closing = True
            if self._busy:
                return
        self._free_all()

    def _free_all(self):
        lib = _LIB
        with self._lock:
            contexts = [c for idle in self._contexts.values() for c in idle]
            self._contexts = {}
            model, self._model = self._model, None
        if lib is not None:
            for c in contexts:
                lib.clembed_context_free(c)
            if model is not None:
                lib.clembed_model_free(model)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        return "clembed.Model(%r, device=%r, dim=%s, similarity_fn_name=%r)" % (
            self.path, self.device,
            self.get_sentence_embedding_dimension() if self._model is not None and not self._closing else "closed",
            self._similarity_fn_name)
