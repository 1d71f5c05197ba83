#!/bin/bash
# Check clembed on a borrowed GPU machine in one go: a machine with the vendor's driver (NVIDIA here),
# CUDA and PyTorch, but without the OpenCL ICD loader, CLBlast, cJSON, utf8proc, PCRE2, maybe without
# pkg-config or autotools, and without network.  Everything it needs is prepared here, under the
# ignored folder device/in/, and carried there; results go to $OUT.
#
#   sh-like use, from the repository root:
#     tools/device-check.sh --prepare [BUILD_DIR]   on Debian 12 with network: fill device/in/ (Debian
#                                                   packages, dist tarball made in the configured
#                                                   out-of-tree BUILD_DIR, a prebuilt fallback, the
#                                                   small files of models/all-MiniLM-L6-v2 and its
#                                                   safetensors header)
#     OUT=DIR tools/device-check.sh                 on the GPU machine
#     OUT=DIR tools/device-check.sh --local         here: the system's OpenCL platforms (PoCL), no ICD
#                                                   set-up, to try the script before spending device time
#
#   With the device tool: run(command="OUT=$OUT tools/device-check.sh", carry=["device/in"]).
#
# Steps (each under `timeout`, each logged to $OUT/NAME.log; a failed step does not stop the rest;
# $OUT/steps.log has the outline, $OUT/summary.txt the numbers):
#   diag      host, GPU, glibc, compilers, torch
#   unpack    the Debian packages into a prefix ($WORK/root); LD_LIBRARY_PATH and pkg-config point there
#   icd       find libnvidia-opencl.so.1 and register it in an ICD folder named by OCL_ICD_VENDORS
#   build     configure and make from the dist tarball (else the prebuilt binaries)
#   info      clembed info: the NVIDIA device must be listed
#   tests     make check TESTS="tests/test_ops tests/test_tiny_models": kernels and tiny models against
#             the committed expected outputs, on every device present
#   weights   all-MiniLM-L6-v2 with random weights of the real names, shapes and dtypes
#   bench     clembed bench --json with the built-in defaults, tuned (clembed-tune -m, $TUNE_BUDGET s),
#             and the defaults again; clembed embed of the first 256 texts with both
#   reference BertModel fp32 (transformers, CUDA) on the same weights and corpus, batch 64, mean
#             pooling: sentences/s and the cosine against clembed's vectors
#   moretests the other device tests (device, program, tune, embed errors), if time is left
#   bench-fp16 / embed-fp16  weights in half precision (--precision fp16): speed, and the vectors
#             against the fp32 reference (cosine >= 0.9999); the reference also times PyTorch fp16
#   bench-bt16k  the defaults with --batch-tokens 16384, if time is left; bench-gemm-kernel: the
#             defaults with CLEMBED_GEMM=kernel
# On the device all results are packed into $OUT/results.tar.gz (PACK=0: not), with summary.txt
# and steps.log beside it: the device tool brings back only a few files.
#
# Environment: OUT (results, default device/results/HOST-DATE), WORK (scratch, default
# /tmp/clembed-device), DEADLINE (seconds for the whole run, default 400), TUNE_BUDGET (default 120),
# JOBS (default nproc), BENCH_REPEAT (default 20), CORPUS (default the tarball's
# tests/data/corpus/bench.txt), FORCE_PREBUILT=1 (skip the build, to try the fallback).
set -u

ROOT=$(pwd)
IN=$ROOT/device/in
MODE=device
case "${1:-}" in
  --prepare) MODE=prepare ;;
  --local) MODE=local ;;
  "") ;;
  -h|--help) sed -n '2,/^set -u/p' "$0" | sed 's/^# \{0,1\}//;$d'; exit 0 ;;
  *) echo "usage: $0 [--prepare [BUILD_DIR] | --local]" >&2; exit 2 ;;
esac

DEBS="ocl-icd-libopencl1 ocl-icd-opencl-dev opencl-c-headers opencl-clhpp-headers libclblast1
libclblast-dev libcjson1 libcjson-dev libutf8proc2 libutf8proc-dev libpcre2-8-0 libpcre2-16-0
libpcre2-32-0 libpcre2-posix3 libpcre2-dev"
MODEL_SMALL="config.json tokenizer.json tokenizer_config.json special_tokens_map.json vocab.txt
modules.json sentence_bert_config.json config_sentence_transformers.json 1_Pooling/config.json"

# ---- --prepare: here, with network -------------------------------------------------------------
if [ $MODE = prepare ]; then
  set -e
  BUILD=${2:-/tmp/gpu-build}
  PREBUILT=${PREBUILT:-/tmp/gpu-prebuilt}
  mkdir -p "$IN/debs" "$IN/minilm/1_Pooling"
  (cd "$IN/debs" && rm -f ./*.deb && apt-get download $DEBS)
  [ -f "$BUILD/Makefile" ] || { mkdir -p "$BUILD"; (cd "$BUILD" && "$ROOT/configure"); }
  make -C "$BUILD" dist
  cp "$BUILD"/clembed-*.tar.gz "$IN/"
  # Prebuilt, for an image without a C compiler: static libclembed, the check programs too.
  [ -f "$PREBUILT/Makefile" ] || { mkdir -p "$PREBUILT"; (cd "$PREBUILT" && "$ROOT/configure" --disable-shared --disable-install-tune); }
  make -C "$PREBUILT" -j"$(nproc)"
  make -C "$PREBUILT" -j"$(nproc)" check TESTS=
  (cd "$PREBUILT" && find clembed tuner/clembed-tune tests -maxdepth 1 -type f -perm -u+x \
     ! -name '*.sh' ! -name '*.o' ! -name 'fuzz_*' | tar czf "$IN/prebuilt.tar.gz" -T -)
  M=$ROOT/models/all-MiniLM-L6-v2
  for f in $MODEL_SMALL; do cp "$M/$f" "$IN/minilm/$f"; done
  python3 "$ROOT/tools/device-model.py" header "$M/model.safetensors" "$IN/minilm-header.json"
  du -sh "$IN"
  exit 0
fi

# ---- the check ----------------------------------------------------------------------------------
START=$(date +%s)
DEADLINE=${DEADLINE:-400}
TUNE_BUDGET=${TUNE_BUDGET:-120}
BENCH_REPEAT=${BENCH_REPEAT:-20}
JOBS=${JOBS:-$(nproc)}
WORK=${WORK:-/tmp/clembed-device}
OUT=${OUT:-$ROOT/device/results/$(hostname)-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT" "$WORK"
OUT=$(cd "$OUT" && pwd)
P=$WORK/root
LIBDIR=$P/usr/lib/x86_64-linux-gnu
SRC=$WORK/clembed-0.1.0
CORPUS=${CORPUS:-$SRC/tests/data/corpus/bench.txt}
MODEL=$WORK/minilm
export CLEMBED_CACHE_DIR=$WORK/kcache
export HOME=$WORK/home XDG_DATA_HOME=$WORK/home/.local/share XDG_CACHE_HOME=$WORK/home/.cache
mkdir -p "$HOME"
export ROOT IN OUT WORK P LIBDIR SRC CORPUS MODEL JOBS MODE

elapsed() { echo $(( $(date +%s) - START )); }
log() { echo "[+$(elapsed)s] $*" | tee -a "$OUT/steps.log"; }

# step NAME SECONDS COMMAND...: run it under timeout (cut to what is left of DEADLINE), output to
# $OUT/NAME.log; the tail of a failure goes to the outline.
step() {
  local name=$1 t=$2; shift 2
  local left=$(( DEADLINE - $(elapsed) - 5 ))
  if [ $left -lt 15 ]; then
    log "SKIP $name: deadline"; echo "skipped: no time left" > "$OUT/$name.log"; return 124
  fi
  [ "$t" -gt $left ] && t=$left
  log "START $name (timeout ${t}s)"
  local t0; t0=$(date +%s)
  if declare -F "$1" > /dev/null; then   # a shell function, exported with export -f
    timeout -k 10 "$t" bash -c '"$@"' _ "$@" > "$OUT/$name.log" 2>&1
  else
    timeout -k 10 "$t" "$@" > "$OUT/$name.log" 2>&1
  fi
  local rc=$?
  log "END $name rc=$rc in $(( $(date +%s) - t0 ))s"
  if [ $rc -ne 0 ]; then
    tail -n 20 "$OUT/$name.log" | sed 's/^/    | /' | tee -a "$OUT/steps.log"
  fi
  return $rc
}

log "device-check mode=$MODE out=$OUT work=$WORK deadline=${DEADLINE}s"

# ---- diag
diag() {
  echo "== host"; uname -a; grep -E '^(PRETTY_NAME|VERSION)=' /etc/os-release
  ldd --version 2>&1 | head -1; echo "cpus: $(nproc)"; free -g | head -2; df -h "$WORK" | tail -1
  echo "== gpu"; nvidia-smi -L
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv
  echo "== tools"
  for t in gcc cc make pkg-config dpkg-deb ar python3 autoreconf ldconfig; do
    printf '%-11s %s\n' "$t" "$(command -v $t || echo MISSING)"
  done
  gcc --version 2>&1 | head -1; make --version 2>&1 | head -1; pkg-config --version 2>&1
  python3 -c 'import sys, torch; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available())' 2>&1 | tail -1
  python3 -c 'import transformers; print("transformers", transformers.__version__)' 2>&1 | tail -1
  python3 -c 'import numpy; print("numpy", numpy.__version__)' 2>&1 | tail -1
  echo "== OpenCL vendors in the image"; ls -l /etc/OpenCL/vendors 2>&1; cat /etc/OpenCL/vendors/*.icd 2>/dev/null
  echo "== env"; env | grep -E '^(NVIDIA|CUDA|LD_LIBRARY|OCL|PATH=)' | sort
  return 0
}
export -f diag
step diag 30 diag
head -n 40 "$OUT/diag.log"

# ---- unpack the Debian packages into the prefix
unpack_deb() {  # DEB DEST
  if command -v dpkg-deb >/dev/null; then dpkg-deb -x "$1" "$2"; return; fi
  python3 - "$1" "$2" <<'EOF'
import io, sys, tarfile
f = open(sys.argv[1], "rb")
assert f.read(8) == b"!<arch>\n", "not an ar archive"
while True:
    h = f.read(60)
    if len(h) < 60:
        break
    name, size = h[:16].decode().strip().rstrip("/"), int(h[48:58])
    data = f.read(size)
    if size % 2:
        f.read(1)
    if name.startswith("data.tar"):
        tarfile.open(fileobj=io.BytesIO(data)).extractall(sys.argv[2])
EOF
}
unpack() {
  rm -rf "$P"; mkdir -p "$P"
  for d in "$IN"/debs/*.deb; do echo "$(basename "$d")"; unpack_deb "$d" "$P" || return 1; done
  ls -l "$LIBDIR" "$LIBDIR/pkgconfig"
  ls "$P/usr/include" "$P/usr/include/CL"
}
export -f unpack_deb unpack
step unpack 60 unpack
ORIG_LD_LIBRARY_PATH=${LD_LIBRARY_PATH-}
export LD_LIBRARY_PATH=$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PKG_CONFIG_LIBDIR=$LIBDIR/pkgconfig:$P/usr/share/pkgconfig PKG_CONFIG_SYSROOT_DIR=$P

# ---- register NVIDIA's OpenCL driver with the loader from the prefix
if [ $MODE = device ]; then
  {
    NVLIB=
    for c in $(ldconfig -p 2>/dev/null | awk '/libnvidia-opencl\.so/ {print $NF}') \
             /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 /usr/lib64/libnvidia-opencl.so.1 \
             /usr/local/nvidia/lib64/libnvidia-opencl.so.1 /usr/local/nvidia/lib/libnvidia-opencl.so.1 \
             /usr/lib/nvidia/libnvidia-opencl.so.1 /usr/local/cuda/compat/libnvidia-opencl.so.1; do
      if [ -e "$c" ]; then NVLIB=$c; break; fi
    done
    if [ -z "$NVLIB" ]; then
      echo "not in ldconfig or the usual folders; searching /"
      NVLIB=$(timeout 60 find / \( -path /proc -o -path /sys -o -path /dev \) -prune -o \
              -name 'libnvidia-opencl.so*' -print 2>/dev/null | sort | head -1)
    fi
    echo "libnvidia-opencl: ${NVLIB:-NOT FOUND}"
    if [ -n "$NVLIB" ]; then
      ls -lL "$NVLIB"; ldd "$NVLIB" 2>&1 | grep -E 'not found|libcuda|libc\.so' ; true
      mkdir -p "$WORK/icd"; echo "$NVLIB" > "$WORK/icd/nvidia.icd"
      echo "$WORK/icd/nvidia.icd: $(cat "$WORK/icd/nvidia.icd")"
    fi
    ldconfig -p 2>/dev/null | grep -E 'libcuda\.so|libnvidia-opencl|libnvidia-ptxjit|libnvidia-compiler'
  } > "$OUT/icd.log" 2>&1
  cat "$OUT/icd.log" | tee -a "$OUT/steps.log"
  export OCL_ICD_VENDORS=$WORK/icd
  log "OCL_ICD_VENDORS=$OCL_ICD_VENDORS"
else
  log "local: the system's OpenCL platforms ($(ls /etc/OpenCL/vendors 2>/dev/null | tr '\n' ' '))"
fi

# ---- build from the dist tarball; the prebuilt binaries when that fails
build() {
  rm -rf "$SRC" && tar xzf "$IN"/clembed-0.1.0.tar.gz -C "$WORK" && cd "$SRC" || return 1
  [ "${FORCE_PREBUILT:-0}" = 1 ] && { echo "FORCE_PREBUILT=1"; return 3; }
  command -v cc >/dev/null || command -v gcc >/dev/null || { echo "no C compiler"; return 3; }
  command -v make >/dev/null || { echo "no make"; return 3; }
  ./configure --disable-install-tune CPPFLAGS="-I$P/usr/include" \
    LDFLAGS="-L$LIBDIR -Wl,-rpath-link,$LIBDIR -Wl,-rpath,$LIBDIR" || { tail -n 40 config.log; return 1; }
  make -j"$JOBS" || return 1
  make -j"$JOBS" check TESTS= || return 1
  ls -l clembed tuner/clembed-tune .libs/libclembed.so* 2>&1
}
export -f build
if step build 240 build; then
  B=$SRC; MAKE_OK=1
else
  log "build failed: using the prebuilt binaries"
  [ -d "$SRC" ] || tar xzf "$IN"/clembed-0.1.0.tar.gz -C "$WORK"
  B=$WORK/prebuilt; MAKE_OK=0
  mkdir -p "$B" && tar xzf "$IN/prebuilt.tar.gz" -C "$B"
fi
CLEMBED=$B/clembed; TUNE=$B/tuner/clembed-tune
export B MAKE_OK CLEMBED TUNE
"$CLEMBED" --help > /dev/null 2>&1 || log "WARNING: $CLEMBED does not run"

# ---- clembed info
step info 60 "$CLEMBED" info
cat "$OUT/info.log" >> "$OUT/steps.log"; head -n 40 "$OUT/info.log"
if grep -qi nvidia "$OUT/info.log"; then
  log "info: NVIDIA device listed"
else
  log "info: NO NVIDIA device listed"
  step info-debug 30 env OCL_ICD_DEBUG=15 "$CLEMBED" info
  tail -n 30 "$OUT/info-debug.log"
fi

# ---- tests against committed expected outputs
run_tests() {  # TEST...
  mkdir -p "$OUT/tests"
  if [ "$MAKE_OK" = 1 ]; then
    make -C "$B" -j"$JOBS" check TESTS="$*"; local rc=$?
    for t in "$@"; do cp "$B/$t.log" "$B/$t.trs" "$OUT/tests/" 2>/dev/null; done
    cp "$B/test-suite.log" "$OUT/tests/test-suite-$(basename "$1").log" 2>/dev/null
    return $rc
  fi
  local rc=0 t
  for t in "$@"; do
    echo "== $t"
    (cd "$B" && env top_srcdir="$SRC" top_builddir="$B" CLEMBED_BIN="$CLEMBED" \
       RUSTICL_ENABLE="${RUSTICL_ENABLE-llvmpipe}" sh -c "case $t in *.sh) sh $SRC/$t;; *) ./$t;; esac") \
      > "$OUT/tests/$(basename "$t").log" 2>&1 || rc=1
    grep -E '^(not ok|# |1\.\.)' "$OUT/tests/$(basename "$t").log" | head -n 30
    echo "$t: $(grep -c '^ok' "$OUT/tests/$(basename "$t").log") ok, $(grep -c '^not ok' "$OUT/tests/$(basename "$t").log") not ok"
  done
  return $rc
}
export -f run_tests
step tests 150 run_tests tests/test_ops tests/test_tiny_models
mkdir -p "$OUT/tests"; cp "$B"/tests/*.log "$B"/tests/*.trs "$OUT/tests/" 2>/dev/null
grep -hE '^(# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR)|(FAIL|ERROR|XPASS):|tests/.*not ok$)' "$OUT/tests.log" | tee -a "$OUT/steps.log"
grep -h '^not ok' "$OUT"/tests/*.log 2>/dev/null | head -n 40 | tee -a "$OUT/steps.log"

# ---- the model stand-in
weights() {
  rm -rf "$MODEL"; cp -r "$IN/minilm" "$MODEL" && \
  python3 "$ROOT/tools/device-model.py" weights "$IN/minilm-header.json" "$MODEL/model.safetensors" --std 0.05
}
export -f weights
step weights 120 weights

# ---- bench: defaults, tuned, defaults again; embeddings of the first 256 texts with both
step bench-default 90 "$CLEMBED" bench -m "$MODEL" --profile off --json --repeat "$BENCH_REPEAT" "$CORPUS"
head -n 256 "$CORPUS" > "$WORK/first256.txt"
step embed-default 60 "$CLEMBED" embed -m "$MODEL" --profile off -i "$WORK/first256.txt" -o "$OUT/embed-default.jsonl" -v
left=$(( DEADLINE - $(elapsed) - 150 ))
tb=$TUNE_BUDGET; [ $left -lt "$tb" ] && tb=$left; [ "$tb" -lt 30 ] && tb=30
step tune $(( tb + 90 )) "$TUNE" -m "$MODEL" -b "$tb" -o "$OUT/profile.json"
if [ -s "$OUT/profile.json" ]; then
  step bench-tuned 90 "$CLEMBED" bench -m "$MODEL" --profile "$OUT/profile.json" --json --repeat "$BENCH_REPEAT" "$CORPUS"
  step embed-tuned 60 "$CLEMBED" embed -m "$MODEL" --profile "$OUT/profile.json" -i "$WORK/first256.txt" -o "$OUT/embed-tuned.jsonl" -v
  step info-tuned 30 env CLEMBED_PROFILE="$OUT/profile.json" "$CLEMBED" info
else
  log "no profile written: no tuned bench"
fi
step bench-default2 90 "$CLEMBED" bench -m "$MODEL" --profile off --json --repeat "$BENCH_REPEAT" "$CORPUS"
# ---- weights in half precision: speed, and the vectors against the fp32 reference's
step bench-fp16 60 "$CLEMBED" bench -m "$MODEL" --precision fp16 --json --repeat "$BENCH_REPEAT" "$CORPUS"
step embed-fp16 60 "$CLEMBED" embed -m "$MODEL" --precision fp16 -i "$WORK/first256.txt" -o "$OUT/embed-fp16.jsonl" -v

# ---- the PyTorch reference on the same weights (without the prefix's libraries)
cmp=$(ls "$OUT"/embed-*.jsonl 2>/dev/null | tr '\n' ',' | sed 's/,$//')
step reference 150 env LD_LIBRARY_PATH="$ORIG_LD_LIBRARY_PATH" python3 "$ROOT/tools/device-model.py" reference "$MODEL" "$CORPUS" \
  "$OUT/reference.json" --batch 64 ${cmp:+--compare "$cmp"} --compare-n 256

# ---- the other device tests, with what time is left
step moretests 120 run_tests tests/test_device tests/test_program tests/test_tune tests/test_embed_errors tests/embed.sh
cp "$B"/tests/*.log "$B"/tests/*.trs "$OUT/tests/" 2>/dev/null
grep -hE '^(# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR)|(FAIL|ERROR|XPASS):|tests/.*not ok$)' "$OUT/moretests.log" | tee -a "$OUT/steps.log"
grep -h '^not ok' "$OUT"/tests/*.log 2>/dev/null | head -n 40 | tee -a "$OUT/steps.log"

# ---- larger device batches, and the built-in GEMM kernel instead of CLBlast, if time is left
step bench-bt16k 60 "$CLEMBED" bench -m "$MODEL" --profile off --batch-tokens 16384 --json --repeat "$BENCH_REPEAT" "$CORPUS"
step bench-gemm-kernel 60 env CLEMBED_GEMM=kernel "$CLEMBED" bench -m "$MODEL" --profile off --json --repeat "$BENCH_REPEAT" "$CORPUS"

# ---- summary
python3 - "$OUT" > "$OUT/summary.txt" 2>&1 <<'EOF'
import glob, json, os, sys
out = sys.argv[1]
def load(name):
    try:
        with open(os.path.join(out, name)) as f:
            txt = f.read()
        if name.endswith(".json"):
            return json.loads(txt)
        for line in txt.splitlines():
            if line.startswith('{"model"'):
                return json.loads(line)
        return {"error": "no JSON line in " + name}
    except Exception as e:
        return {"error": repr(e)}
benches = {}
for name in ("bench-default", "bench-tuned", "bench-default2", "bench-bt16k", "bench-gemm-kernel", "bench-fp16"):
    b = load(name + ".log")
    benches[name] = b
    if "sentences_per_s" not in b:
        print("%-15s %s" % (name, b.get("error", "no result")))
        continue
    print("%-15s %s: %.1f sentences/s, %.0f tokens/s, %.3f s for %d sentences (%d tokens), device %.3f s, warm-up %.2f s"
          % (name, b["device"], b["sentences_per_s"], b["tokens_per_s"], b["seconds"], b["sentences"],
             b["tokens"], b["device_seconds"], b["warmup_seconds"]))
    for op in b["ops"][:8]:
        rf = op.get("roofline_fraction")
        print("    %-24s %-8s %8.4f s %7d calls %5.1f%% %9.1f GFLOP/s %s" % (
            op["op"], op.get("provider") or "", op["seconds"], op["calls"], 100 * op["share"],
            op.get("gflops", 0), "" if rf is None else "%.0f%% of the probed peak" % (100 * rf)))
d, t = benches.get("bench-default", {}), benches.get("bench-tuned", {})
if "sentences_per_s" in d and "sentences_per_s" in t:
    print("tuned / default: %.3f" % (t["sentences_per_s"] / d["sentences_per_s"]))
r = load("reference.json")
if "end_to_end" in r:
    print("reference %s %s on %s: %.1f sentences/s end to end, %.1f model only (batch %d, fp32, %s)"
          % (r.get("transformers"), r.get("torch"), r.get("cuda_device", r.get("device")),
             r["end_to_end"]["sentences_per_s"], r["model_only"]["sentences_per_s"], r["batch"],
             r.get("attn_implementation")))
    for k in ("bench-tuned", "bench-default"):
        if "sentences_per_s" in benches.get(k, {}):
            print("clembed (%s) / reference end to end: %.3f" % (k, benches[k]["sentences_per_s"] / r["end_to_end"]["sentences_per_s"]))
    if "model_only_fp16" in r and "sentences_per_s" in benches.get("bench-fp16", {}):
        print("clembed --precision fp16 / PyTorch fp16 model alone: %.3f (%.1f vs %.1f sentences/s)" % (
            benches["bench-fp16"]["sentences_per_s"] / r["model_only_fp16"]["sentences_per_s"],
            benches["bench-fp16"]["sentences_per_s"], r["model_only_fp16"]["sentences_per_s"]))
    for path, c in r.get("compare", {}).items():
        print("cosine vs reference, %s: %s" % (os.path.basename(path), {k: v for k, v in c.items() if k != "worst"}))
else:
    print("reference: %s" % {k: v for k, v in r.items() if k in ("torch", "skipped", "error", "cuda_available")})
EOF
cat "$OUT/summary.txt" | tee -a "$OUT/steps.log"
log "done"
# The device tool brings back only a few files: on the device, everything goes into one tarball.
if [ $MODE = device ] && [ "${PACK:-1}" = 1 ]; then
  (cd "$OUT" && tar czf "$WORK/results.tar.gz" --exclude=results.tar.gz . && \
   find . -mindepth 1 ! -name summary.txt ! -name steps.log -delete && mv "$WORK/results.tar.gz" .)
  ls -l "$OUT"
fi
exit 0
