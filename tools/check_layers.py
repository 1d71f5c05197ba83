#!/usr/bin/env python3
"""Checks that calls in the library run down its layers, never up or around.

    python3 tools/check_layers.py [--tap] SRCDIR [BUILDDIR]

The layers (README.md, "Hacking"), lowest first, and what each may use:

    core        nothing (status, log, strings, files, hashing, timing)
    tokenizers  core
    runtime     core (devices, kernel registry, programs, launches)
    model       core, tokenizers
    profile     core, runtime
    encoder     core, tokenizers, runtime, model, profile
    tune        core, runtime, model, profile, encoder

Three checks:
  1. includes: every `#include "..."` in lib/<layer>/ and tokenizers/ names the
     public header, configure's config.h, a header of its own folder, or a
     header of a layer below;
     the programs (tools/, tuner/) include only the public header, their own
     headers and lib/core/fileio.h.
  2. symbols (when BUILDDIR holds the built objects): every internal function
     an object file calls is defined in its own layer or one below, and no two
     files call each other, directly or through others (no cycles of files,
     inside a folder either).
  3. MPI: the library is MPI-free (clembed-mpi and the examples bring their
     own): no file of a layer includes mpi.h, no library object calls MPI.
"""

import collections
import os
import re
import shutil
import subprocess
import sys

LAYERS = {
    "core": [],
    "tokenizers": ["core"],
    "runtime": ["core"],
    "model": ["core", "tokenizers"],
    "profile": ["core", "runtime"],
    "encoder": ["core", "tokenizers", "runtime", "model", "profile"],
    "tune": ["core", "runtime", "model", "profile", "encoder"],
}
PROGRAM_DIRS = ["tools", "tuner"]
PROGRAM_MAY_INCLUDE = {"clembed.h", "core/fileio.h"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
MPI_INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]mpi\.h[>"]', re.M)
MPI_SYMBOL = re.compile(r"^P?MPI_|^ompi_|^MPIR_")


def layer_dirs(src):
    """(layer, folder relative to src) for each layer."""
    return [(name, "tokenizers" if name == "tokenizers" else "lib/" + name) for name in LAYERS]


def sources(src, folder):
    d = os.path.join(src, folder)
    if not os.path.isdir(d):
        return []
    return sorted(f for f in os.listdir(d) if f.endswith((".c", ".h")) and not f.startswith("."))


def check_includes(src):
    """A list of (what, problems)."""
    results = []
    for layer, folder in layer_dirs(src):
        allowed = set(LAYERS[layer]) | {layer}
        problems = []
        for f in sources(src, folder):
            with open(os.path.join(src, folder, f), encoding="utf-8", errors="replace") as fh:
                for inc in INCLUDE.findall(fh.read()):
                    # config.h: what configure found (the host BLAS), below every layer.
                    if inc in ("clembed.h", "config.h") or "/" not in inc:
                        if "/" not in inc and inc not in ("clembed.h", "config.h") and \
                                not os.path.exists(os.path.join(src, folder, inc)) and \
                                not inc.endswith("cl_sources.c"):
                            problems.append("%s/%s includes \"%s\", which is not in its folder" %
                                            (folder, f, inc))
                        continue
                    top = inc.split("/", 1)[0]
                    if top not in LAYERS:
                        problems.append("%s/%s includes \"%s\": not a layer's header" % (folder, f, inc))
                    elif top not in allowed:
                        problems.append("%s/%s (%s) includes \"%s\" (%s): %s may use %s" %
                                        (folder, f, layer, inc, top, layer,
                                         "only " + ", ".join(LAYERS[layer]) if LAYERS[layer] else "no other layer"))
        results.append(("includes in %s" % folder, problems))
    mpi = []
    for layer, folder in layer_dirs(src):
        for f in sources(src, folder):
            with open(os.path.join(src, folder, f), encoding="utf-8", errors="replace") as fh:
                if MPI_INCLUDE.search(fh.read()):
                    mpi.append("%s/%s includes mpi.h: the library stays MPI-free" % (folder, f))
    results.append(("no layer includes mpi.h", mpi))
    for folder in PROGRAM_DIRS:
        problems = []
        for f in sources(src, folder):
            with open(os.path.join(src, folder, f), encoding="utf-8", errors="replace") as fh:
                for inc in INCLUDE.findall(fh.read()):
                    if inc in PROGRAM_MAY_INCLUDE or ("/" not in inc and
                                                      os.path.exists(os.path.join(src, folder, inc))):
                        continue
                    problems.append("%s/%s includes \"%s\": programs use the public header" %
                                    (folder, f, inc))
        results.append(("includes in %s" % folder, problems))
    return results


def object_files(build):
    """{(layer, file stem): path of its object} for the library's objects."""
    out = {}
    for layer, folder in layer_dirs(build):
        d = os.path.join(build, folder)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            m = re.match(r"libclembed_core_la-(.+)\.o$", f)
            if m:
                out[(layer, "%s/%s" % (folder, m.group(1)))] = os.path.join(d, f)
    return out


def check_symbols(build):
    objs = object_files(build)
    if not objs or not shutil.which("nm"):
        return None
    defs, uses = {}, collections.defaultdict(set)
    for (layer, name), path in objs.items():
        out = subprocess.run(["nm", path], capture_output=True, text=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "TDRBVW":
                defs[parts[2]] = (layer, name)
            elif len(parts) == 2 and parts[0] == "U":
                uses[(layer, name)].add(parts[1])
    up, edges, mpi = [], collections.defaultdict(set), []
    for (layer, name), syms in sorted(uses.items()):
        for s in sorted(syms):
            if MPI_SYMBOL.match(s):
                mpi.append("%s (%s) calls %s: the library stays MPI-free" % (name, layer, s))
            if s not in defs or defs[s][1] == name:
                continue
            tlayer, tname = defs[s]
            edges[name].add(tname)
            if tlayer != layer and tlayer not in LAYERS[layer]:
                up.append("%s (%s) calls %s of %s (%s)" % (name, layer, s, tname, tlayer))
    # Cycles of files: strongly connected components of more than one file.
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted({n for (_, n) in objs}):
        if v not in index:
            visit(v)
    cycles = ["files that call each other: " + " <-> ".join(c) for c in comps]
    return [("calls run down the layers", up), ("no cycles of files", cycles),
            ("no library object calls MPI", mpi)]


def main(argv):
    tap = "--tap" in argv
    args = [a for a in argv[1:] if a != "--tap"]
    if not args:
        sys.exit(__doc__)
    src = args[0]
    build = args[1] if len(args) > 1 else src
    results = check_includes(src)
    sym = check_symbols(build)
    skipped = sym is None
    results += sym or []
    failed = 0
    if tap:
        print("1..%d" % (len(results) + (1 if skipped else 0)))
    for i, (what, problems) in enumerate(results, 1):
        failed += bool(problems)
        if tap:
            print("%s %d - %s" % ("not ok" if problems else "ok", i, what))
            for p in problems:
                print("#   " + p)
        else:
            for p in problems:
                print("%s: %s" % (what, p))
    if skipped and tap:
        print("ok %d # SKIP no built objects or no nm: symbol checks not run" % (len(results) + 1))
    return 1 if failed and not tap else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
