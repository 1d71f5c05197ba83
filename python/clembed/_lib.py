"""ctypes declarations of libclembed (clembed.h is the specification).

The library is found by, in order: the CLEMBED_LIBRARY environment variable (a
path to libclembed.so, e.g. a build tree's .libs/libclembed.so), the system's
search (ctypes.util.find_library, ldconfig), then the plain names
libclembed.so.0 and libclembed.so for the dynamic loader.

ctypes.CDLL releases the GIL for the duration of every foreign call, so other
Python threads run while a text batch is embedded.
"""

import ctypes
import ctypes.util
import os

c_size_t = ctypes.c_size_t


class ContextParams(ctypes.Structure):
    """clembed_context_params of this version; `size` tells the library which
    fields the caller knows, so a newer library accepts it as it is."""

    _fields_ = [
        ("size", c_size_t),
        ("device", ctypes.c_char_p),
        ("profile", ctypes.c_char_p),
        ("max_tokens", ctypes.c_uint32),
        ("batch_tokens", ctypes.c_uint32),
        ("normalize", ctypes.c_int),
        ("truncate_dim", ctypes.c_uint32),
        ("prompt_name", ctypes.c_char_p),
        ("prompt", ctypes.c_char_p),
        ("profiling", ctypes.c_int),
        ("precision", ctypes.c_char_p),
    ]


class EmbedInfo(ctypes.Structure):
    _fields_ = [("tokens", ctypes.c_uint32), ("truncated", ctypes.c_int)]


# The C status names by number (clembed.h CLEMBED_STATUS_LIST); appended only.
STATUS_NAMES = (
    "OK", "ERR_INVALID_ARG", "ERR_NOMEM", "ERR_IO", "ERR_FORMAT", "ERR_UNSUPPORTED",
    "ERR_NO_DEVICE", "ERR_OPENCL", "ERR_BUILD", "ERR_DEVICE_MEMORY", "ERR_UTF8",
    "ERR_NOT_FOUND", "ERR_PROFILE", "ERR_TOO_LARGE", "ERR_INTERNAL", "ERR_MISMATCH",
)


def _candidates():
    env = os.environ.get("CLEMBED_LIBRARY")
    if env:
        return [env]
    names = []
    found = ctypes.util.find_library("clembed")
    if found:
        names.append(found)
    return names + ["libclembed.so.0", "libclembed.so"]


def load():
    """The library with its functions declared; OSError naming every place tried."""
    tried = []
    for name in _candidates():
        try:
            lib = ctypes.CDLL(name)
            break
        except OSError as e:
            tried.append("%s (%s)" % (name, e))
    else:
        raise OSError("cannot load libclembed: tried " + "; ".join(tried) +
                      ". Install clembed (make install, or the libclembed0 package) "
                      "or set CLEMBED_LIBRARY to the path of libclembed.so")
    vp, sz, st = ctypes.c_void_p, c_size_t, ctypes.c_int
    decl = {
        "clembed_version_string": (ctypes.c_char_p, []),
        "clembed_strerror": (ctypes.c_char_p, [st]),
        "clembed_errmsg": (ctypes.c_char_p, []),
        "clembed_device_count": (sz, []),
        "clembed_device_select": (st, [ctypes.c_char_p, ctypes.POINTER(sz)]),
        "clembed_model_open": (st, [ctypes.c_char_p, vp, ctypes.POINTER(vp)]),
        "clembed_model_free": (None, [vp]),
        "clembed_model_dim": (sz, [vp]),
        "clembed_model_max_tokens": (sz, [vp]),
        "clembed_model_describe_json": (st, [vp, ctypes.POINTER(vp)]),
        "clembed_context_new": (st, [vp, ctypes.POINTER(ContextParams), ctypes.POINTER(vp)]),
        "clembed_context_free": (None, [vp]),
        "clembed_context_dim": (sz, [vp]),
        "clembed_embed": (st, [vp, ctypes.POINTER(ctypes.c_char_p), sz, vp, sz,
                               ctypes.POINTER(EmbedInfo)]),
    }
    for name, (res, args) in decl.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    # The process's free(), as the library's malloc() is: an allocator loaded
    # first (a sanitizer, jemalloc) replaces both, and libc's own would not match.
    free = ctypes.CDLL(None).free
    free.restype, free.argtypes = None, [vp]
    return lib, free
