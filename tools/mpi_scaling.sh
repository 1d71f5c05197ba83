#!/bin/sh
# Measures clembed-mpi against clembed embed on this machine and fits the scaling model of
# README.md ("Across nodes with MPI"): throughput on 1, 2 and 4 ranks as medians and as
# ratios to one clembed embed process in the same rounds, the per-chunk and MPI-IO costs
# from the ranks' own figures (-v), the file system's write bandwidth and sync latency, and
# the model's prediction for NODES nodes like this one.
#   sh tools/mpi_scaling.sh            in a built tree (configure found MPI)
# Environment: MODEL (models/all-MiniLM-L6-v2, else the tiny test model), CORPUS
# (tests/data/corpus/bench.txt), WINDOW (input bytes per chunk here, 8192: enough chunks
# for 4 ranks), RANKS ("1 2 4"), ROUNDS (3), DEVICE (pocl), NODES (64), RANKS_PER_NODE (the
# fastest measured), TEXTS (texts of the predicted corpus, 1e8), FS_BW (the cluster file
# system's write bandwidth in bytes/s; default: this machine's disk, measured).
set -eu
cd "$(dirname "$0")/.."
bin=./clembed
mpibin=./clembed-mpi
model=${MODEL:-models/all-MiniLM-L6-v2}
[ -f "$model/model.safetensors" ] || model=tests/data/models/tiny-gelu-mean
corpus=${CORPUS:-tests/data/corpus/bench.txt}
window=${WINDOW:-8192}
ranks=${RANKS:-1 2 4}
rounds=${ROUNDS:-3}
device=${DEVICE:-pocl}
mpiexec=${MPIEXEC:-mpirun}
[ -x "$mpibin" ] || { echo "mpi_scaling: no $mpibin (configure found no MPI?)" >&2; exit 1; }
if [ "$(id -u)" = 0 ]; then
    OMPI_ALLOW_RUN_AS_ROOT=1; OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
fi
over=
"$mpiexec" --version 2>&1 | grep -q "Open MPI" && over=--oversubscribe
export CLEMBED_LOG=${CLEMBED_LOG:-error}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/clembed-scaling.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
now() { python3 -c 'import time; print("%.3f" % time.monotonic())'; }

# A warm-up builds the kernels into the cache, so no round pays for compiling.
"$bin" embed -m "$model" -d "$device" -i "$corpus" -f npy -o "$tmp/ref.npy" --window-bytes "$window" 2>/dev/null
echo "model $model, corpus $corpus ($(wc -l <"$corpus") lines, $(wc -c <"$corpus") bytes), windows of $window bytes," \
    "device $device, $(nproc) cores, $rounds rounds" >"$tmp/setup.txt"
for r in $(seq "$rounds"); do
    t0=$(now)
    "$bin" embed -m "$model" -d "$device" -i "$corpus" -f npy -o "$tmp/e.npy" --window-bytes "$window" 2>/dev/null
    t1=$(now)
    cmp -s "$tmp/e.npy" "$tmp/ref.npy"
    echo "embed $r $t0 $t1" >>"$tmp/runs.txt"
    for np in $ranks; do
        t0=$(now)
        "$mpiexec" $over -np "$np" "$mpibin" embed -m "$model" -d "$device" -i "$corpus" -o "$tmp/m.npy" \
            --window-bytes "$window" -v 2>"$tmp/fig-$np-$r.txt"
        t1=$(now)
        cmp -s "$tmp/m.npy" "$tmp/ref.npy" || { echo "mpi_scaling: $np ranks: output differs" >&2; exit 1; }
        echo "mpi$np $r $t0 $t1" >>"$tmp/runs.txt"
    done
    echo "round $r of $rounds done" >&2
done

# The file system under the output: sequential write bandwidth (256 MiB, synced) and the
# latency of a small append with fdatasync (what a chunk's journal line costs).
python3 - "$tmp" >"$tmp/fs.txt" <<'PY'
import os, sys, time
d = sys.argv[1]
buf = os.urandom(1 << 20)
p = os.path.join(d, "bw")
bws = []
for _ in range(3):
    t = time.monotonic()
    with open(p, "wb") as f:
        for _ in range(256):
            f.write(buf)
        f.flush()
        os.fdatasync(f.fileno())
    bws.append(256 * (1 << 20) / (time.monotonic() - t))
    os.remove(p)
fd = os.open(os.path.join(d, "j"), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
lat = []
for _ in range(200):
    t = time.monotonic()
    os.write(fd, b"chunk 0 0 0 0 0 0 0\n")
    os.fdatasync(fd)
    lat.append(time.monotonic() - t)
os.close(fd)
print("%.0f %.6f" % (sorted(bws)[1], sorted(lat)[len(lat) // 2]))
PY

python3 - "$tmp" "$corpus" "$window" "$rounds" "$ranks" "${NODES:-64}" "${RANKS_PER_NODE:-0}" \
    "${TEXTS:-100000000}" "${FS_BW:-0}" "$(nproc)" <<'PY'
import os, re, statistics, sys
tmp, corpus, window, rounds, ranks = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5].split()
nodes, rpn_want, texts_pred, fs_bw_given, cores = int(sys.argv[6]), int(sys.argv[7]), float(sys.argv[8]), float(sys.argv[9]), int(sys.argv[10])
print(open(os.path.join(tmp, "setup.txt")).read().strip())
runs = {}
for line in open(os.path.join(tmp, "runs.txt")):
    name, r, t0, t1 = line.split()
    runs.setdefault(name, {})[int(r)] = float(t1) - float(t0)
lines = sum(1 for _ in open(corpus, "rb"))
in_bytes = os.path.getsize(corpus)
med = statistics.median

def figures(np, r):
    """The -v table of one run: {rank: {column: value}}, and the summary line's numbers."""
    text = open(os.path.join(tmp, "fig-%s-%d.txt" % (np, r))).read()
    head = re.search(r"^clembed-mpi: rank (.*) wait %  device$", text, re.M).group(1).split()
    cols = [h for h in head if h != "s"]
    out = {}
    for m in re.finditer(r"^clembed-mpi: +(\d+) ((?: +[\d.]+)+) +[\d.]+  ", text, re.M):
        out[int(m.group(1))] = dict(zip(cols, map(float, m.group(2).split())))
    dim = int(re.search(r"dimension (\d+)", text).group(1))
    return out, dim

print()
print("| run | median wall s | texts/s (median) | ratio to clembed embed (median of rounds) |")
print("|---|---|---|---|")
base = runs["embed"]
print("| clembed embed, 1 process | %.2f | %.1f | 1.00 |" % (med(base.values()), lines / med(base.values())))
best = None
for np in ranks:
    w = runs["mpi" + np]
    ratio = med([base[r] / w[r] for r in w])
    rate = lines / med(w.values())
    print("| clembed-mpi, %s rank%s | %.2f | %.1f | %.2f |" % (np, "" if np == "1" else "s", med(w.values()), rate, ratio))
    if best is None or rate > best[1]:
        best = (np, rate)

# The model's constants, from every rank of every run (medians over runs).
def per_run(np, f):
    return med([f(*figures(np, r)) for r in range(1, rounds + 1)])

def total(fig, col, ranks_=None):
    return sum(v[col] for k, v in fig.items() if ranks_ is None or k in ranks_)

cols = {}
for np in ranks:
    c = {}
    c["chunk_s"] = per_run(np, lambda fig, dim: (total(fig, "read") + total(fig, "embed") + total(fig, "write") +
                                                 total(fig, "sync")) / total(fig, "chunks"))
    c["texts_per_chunk"] = per_run(np, lambda fig, dim: total(fig, "texts") / total(fig, "chunks"))
    c["write_Bps"] = per_run(np, lambda fig, dim: total(fig, "texts") * dim * 4 / max(total(fig, "write"), 1e-9))
    c["sync_s"] = per_run(np, lambda fig, dim: total(fig, "sync") / total(fig, "chunks"))
    c["journal_s"] = per_run(np, lambda fig, dim: total(fig, "journal") / total(fig, "chunks"))
    c["ask_s"] = per_run(np, lambda fig, dim: total(fig, "ask", set(fig) - {0}) / max(total(fig, "chunks", set(fig) - {0}), 1))
    c["scan_Bps"] = per_run(np, lambda fig, dim: in_bytes / max(med([v["scan"] for v in fig.values()]) * len(fig), 1e-9))
    c["setup_s"] = per_run(np, lambda fig, dim: med([v["setup"] for v in fig.values()]))
    c["wait_share"] = per_run(np, lambda fig, dim: sum(v["ask"] + v["tail"] for v in fig.values()) /
                              sum(v["wall"] for v in fig.values()))
    # The node's rate while its ranks work: each rank's texts per busy second, summed.
    c["node_rate"] = per_run(np, lambda fig, dim: len(fig) * total(fig, "texts") / sum(
        v["read"] + v["embed"] + v["write"] + v["sync"] for v in fig.values()))
    c["dim"] = figures(np, 1)[1]
    cols[np] = c
print()
print("| ranks | rank s per chunk | texts per chunk | write B/s per rank | sync s per chunk | journal s per chunk | "
      "ask s per chunk | scan B/s per rank | setup s | waiting share | node texts/s while busy |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for np in ranks:
    c = cols[np]
    print("| %s | %.3f | %.0f | %.3g | %.4f | %.4f | %.4f | %.3g | %.2f | %.1f%% | %.1f |" % (
        np, c["chunk_s"], c["texts_per_chunk"], c["write_Bps"], c["sync_s"], c["journal_s"], c["ask_s"],
        c["scan_Bps"], c["setup_s"], 100 * c["wait_share"], c["node_rate"]))

fs_bw, sync_lat = map(float, open(os.path.join(tmp, "fs.txt")).read().split())
print()
print("file system here: %.0f MB/s sequential write (synced), %.2f ms per synced journal line" % (fs_bw / 1e6, sync_lat * 1e3))

# Prediction: NODES nodes like this one, RANKS_PER_NODE ranks each (default: the fastest
# measured), a corpus of TEXTS texts of this corpus's lengths in the default 2 MiB windows.
rpn = str(rpn_want) if rpn_want else best[0]
c = cols[rpn]
dim = c["dim"]
node_rate = c["node_rate"]                      # texts/s of one node while busy
bytes_per_text = in_bytes / lines
W = 2 * 1024 * 1024
chunks = texts_pred * bytes_per_text / W
texts_per_chunk = W / bytes_per_text
rank_rate = node_rate / int(rpn)
chunk_s = texts_per_chunk / rank_rate + c["sync_s"] + c["ask_s"]
N = nodes * int(rpn)
t_embed = chunks * chunk_s / N + chunk_s        # the work, and at most one chunk of tail
t_scan = texts_pred * bytes_per_text / (N * c["scan_Bps"])
out_bytes = texts_pred * dim * 4
fsw = fs_bw_given or fs_bw
t_fs = out_bytes / fsw
t_journal = chunks * (c["journal_s"] or sync_lat)
t = c["setup_s"] + t_scan + max(t_embed, t_fs, t_journal)
limit = max((t_embed, "the devices"), (t_fs, "the file system's write bandwidth"), (t_journal, "rank 0's journal"))[1]
print()
print("prediction for %d nodes x %s ranks (%d ranks), %.3g texts of %.0f bytes (%.3g GB in, %.3g GB out, %.0f chunks of 2 MiB):"
      % (nodes, rpn, N, texts_pred, bytes_per_text, texts_pred * bytes_per_text / 1e9, out_bytes / 1e9, chunks))
print("  setup %.1f s + scan %.1f s + max(embed %.0f s, file system %.0f s at %.0f MB/s, journal %.0f s) = %.0f s (%.1f h),"
      " %.0f texts/s, limited by %s" % (c["setup_s"], t_scan, t_embed, t_fs, fsw / 1e6, t_journal, t, t / 3600,
                                        texts_pred / t, limit))
print("  the file system becomes the limit past %.0f nodes like this one (%.0f texts/s per node x %d B per text"
      " = %.3g B/s per node)" % (fsw / (node_rate * dim * 4), node_rate, dim * 4, node_rate * dim * 4))
print("  rank 0's journal becomes the limit past %.0f nodes (%.2f ms per chunk, %.0f texts per chunk)" % (
    texts_per_chunk / (c["journal_s"] or sync_lat) / node_rate, 1e3 * (c["journal_s"] or sync_lat), texts_per_chunk))
PY
