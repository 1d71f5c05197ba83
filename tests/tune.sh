#!/bin/sh
# clembed-tune as a program: the profile it writes and where, the report, clembed info's view,
# interruption and resumption, two tuners on one file, stale, foreign and corrupt files.
tune=${top_builddir:-.}/tuner/clembed-tune
bin=${CLEMBED_BIN:-./clembed}
model=${top_srcdir:-.}/tests/data/models/tiny-gelu-mean
n=0; fail=0
t() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"; }

if ! $bin info 2>/dev/null | grep -q "^device 0:"; then echo "1..0 # SKIP no OpenCL device"; exit 0; fi
[ -d "$model" ] || { echo "1..0 # SKIP $model is missing"; exit 0; }
tmp=$(mktemp -d /tmp/clembed-tune-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
XDG_DATA_HOME=$tmp/xdg; export XDG_DATA_HOME
unset CLEMBED_PROFILE CLEMBED_DEVICE
dir=$XDG_DATA_HOME/clembed/profiles

out=$($tune --bogus 2>&1); rc=$?
t "unknown options are rejected" '[ $rc -eq 2 ] && echo "$out" | grep -q "unknown option"'
out=$($tune --budget soon 2>&1); rc=$?
t "a budget must be a number of seconds" '[ $rc -eq 2 ] && echo "$out" | grep -q "positive number of seconds"'
out=$($tune --help); rc=$?
t "--help explains the options" '[ $rc -eq 0 ] && echo "$out" | grep -q -- "--budget SEC" && echo "$out" | grep -q -- "--system"'
out=$($tune -d 0 --report 2>&1); rc=$?
t "--report without a profile says so" '[ $rc -eq 1 ] && echo "$out" | grep -q "no profile for"'

# A short run into the user directory.
$tune -d 0 -m "$model" --budget 6 --only probe,ops -q; rc=$?
file=$(ls "$dir"/*.json 2>/dev/null)
t "a run writes one profile into \$XDG_DATA_HOME/clembed/profiles" '[ $rc -eq 0 ] && [ $(echo "$file" | wc -l) -eq 1 ] && [ -f "$file" ]'
t "it is a complete profile with the probe and op entries" \
  'json "$file" "d[\"complete\"] and d[\"probe\"][\"read_bandwidth\"] > 0 and d[\"probe\"][\"fp32_flops\"] > 0 and len(d[\"ops\"]) >= 1"'
t "every op entry has its times and roofline" \
  'json "$file" "all(e[\"tuned_s\"] > 0 and e[\"default_s\"] > 0 and e[\"roofline_s\"] > 0 for e in d[\"ops\"])"'
t "no journal, lock or temporary file is left" '[ $(ls -A "$dir" | wc -l) -eq 1 ]'
out=$($bin info)
t "clembed info shows the profile in use" 'echo "$out" | grep -q "profile: *used $file"'
out=$($tune -d 0 --report); rc=$?
t "--report prints the table with roofline fractions" \
  '[ $rc -eq 0 ] && echo "$out" | grep -q "^probe: read" && echo "$out" | grep -q "^op  *kernel  *default  *tuned  *speedup  *roofline" && echo "$out" | grep -Eq "^fill  *fill_f32 .*x  *[0-9]+%"'
out=$(CLEMBED_PROFILE=off $bin info)
t "CLEMBED_PROFILE=off turns it off" 'echo "$out" | grep -q "profile: *off"'

# Tuning never moves results past the fidelity bound: the tuned profile's vectors against the
# built-in defaults' (which test_tiny_models checks against sentence-transformers).
head -n 60 "${top_srcdir:-.}/tests/data/fidelity/texts.jsonl" > "$tmp/texts.jsonl"
$bin embed -m "$model" -d 0 --input-format jsonl -i "$tmp/texts.jsonl" -o "$tmp/tuned.jsonl" 2>/dev/null; rc1=$?
CLEMBED_PROFILE=off $bin embed -m "$model" -d 0 --input-format jsonl -i "$tmp/texts.jsonl" \
  -o "$tmp/off.jsonl" 2>/dev/null; rc2=$?
cosines() {
  python3 -c '
import json, math, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
def cos(x, y):
    return sum(p * q for p, q in zip(x, y)) / math.sqrt(sum(p * p for p in x) * sum(q * q for q in y))
sys.exit(0 if len(a) == len(b) == 60 and min(cos(x, y) for x, y in zip(a, b)) >= 0.99999 else 1)' "$1" "$2"
}
t "the tuned profile gives the defaults' vectors (cosine >= 0.99999)" \
  '[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && cosines "$tmp/tuned.jsonl" "$tmp/off.jsonl"'

# Stale, foreign and corrupt files.
sed 's/"driver_version":[^,]*,/"driver_version":\t"0.0-old",/' "$file" > "$tmp/stale.json"
out=$(CLEMBED_PROFILE=$tmp/stale.json $bin info)
t "a profile from an older driver is stale, and says why" 'echo "$out" | grep -q "profile: *stale $tmp/stale.json (driver version .*(profile: .0.0-old.))"'
sed 's/"compute_units":[^,]*,/"compute_units":\t999,/' "$file" > "$tmp/foreign.json"
out=$(CLEMBED_PROFILE=$tmp/foreign.json $bin info)
t "a profile from other hardware is foreign" 'echo "$out" | grep -q "profile: *foreign .*compute units"'
head -c 300 "$file" > "$tmp/cut.json"
out=$(CLEMBED_PROFILE=$tmp/cut.json $bin info)
t "a truncated profile is reported as corrupt" 'echo "$out" | grep -q "profile: *corrupt $tmp/cut.json (.*ends early"'
out=$($tune -d 0 --report -o "$tmp/cut.json" 2>&1); rc=$?
t "--report on a corrupt file fails with the reason" '[ $rc -eq 1 ] && echo "$out" | grep -q "ends early"'
cp "$tmp/stale.json" "$tmp/restart.json"
out=$($tune -d 0 -m "$model" --budget 3 --only ops -o "$tmp/restart.json" 2>&1 >/dev/null); rc=$?
t "tuning over a stale profile starts from its choices" '[ $rc -eq 0 ] && echo "$out" | grep -q "is stale (driver version" && echo "$out" | grep -q "starting from its choices"'
t "and replaces it with a current one" 'json "$tmp/restart.json" "d[\"stack\"][\"driver_version\"] != \"0.0-old\""'

# Interrupted, then resumed.
part=$tmp/r.json.partial
$tune -d 0 -m "$model" --budget 60 --only ops -o "$tmp/r.json" > /dev/null 2> "$tmp/err1" &
pid=$!
i=0
while [ ! -f "$part" ] && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
kill -INT $pid; wait $pid; rc=$?
t "an interrupted run exits 130 and keeps its journal" '[ $rc -eq 130 ] && [ -f "$part" ] && [ ! -f "$tmp/r.json" ] && grep -q "resumes it" "$tmp/err1"'
t "the journal is an incomplete profile" 'json "$part" "not d[\"complete\"] and len(d[\"ops\"]) >= 1"'
done_before=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['ops']))" "$part")
$tune -d 0 -m "$model" --budget 60 --only ops -o "$tmp/r.json" > "$tmp/out2" 2> "$tmp/err2"; rc=$?
t "running the same command resumes it" '[ $rc -eq 0 ] && grep -q "resuming the interrupted run in $part ($done_before results so far)" "$tmp/err2"'
t "and finishes the profile, removing the journal" 'json "$tmp/r.json" "d[\"complete\"] and len(d[\"ops\"]) >= $done_before" && [ ! -f "$part" ]'

# Two tuners writing the same file at once.
$tune -d 0 --budget 4 --only probe -o "$tmp/c.json" > /dev/null 2> "$tmp/c1" & p1=$!
$tune -d 0 --budget 4 --only probe -o "$tmp/c.json" > /dev/null 2> "$tmp/c2" & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
t "two tuners on one file both succeed" '[ $r1 -eq 0 ] && [ $r2 -eq 0 ]'
t "one waited for the other" 'cat "$tmp/c1" "$tmp/c2" | grep -q "another clembed-tune is writing"'
t "the file is one whole profile, with nothing left beside it" \
  'json "$tmp/c.json" "d[\"complete\"] and d[\"probe\"]" && [ $(ls "$tmp" | grep -c "^c\.json") -eq 1 ]'

# Every device gets its own file in one directory.
ndev=$($bin info --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)['devices']))")
if [ "$ndev" -gt 1 ]; then
  $tune -d 1 --budget 3 --only probe -q; rc=$?
  t "another device's profile goes beside the first" '[ $rc -eq 0 ] && [ $(ls "$dir"/*.json | wc -l) -eq 2 ]'
  out=$($bin info)
  t "and clembed info shows each device with its own" '[ $(echo "$out" | grep -c "profile: *used $dir/") -eq 2 ]'
fi

# llvmpipe's name carries its LLVM version and vector width: a profile written when they were
# others, under the name clembed 0.1.0 gave it then, is stale for today's llvmpipe, not foreign,
# and the tuner carries it over into the file of today's name.
lp=$($bin info --json | python3 -c "
import json, sys
d = json.load(sys.stdin)['devices']
print(next((str(x['index']) for x in d if x.get('platform_kind') == 'rusticl' and x.get('hardware_name') == 'llvmpipe'), ''))")
if [ -n "$lp" ]; then
  XDG_DATA_HOME=$tmp/lp; export XDG_DATA_HOME
  lpdir=$XDG_DATA_HOME/clembed/profiles
  $tune -d "$lp" --budget 3 --only probe -q; rc=$?
  lpfile=$(ls "$lpdir"/llvmpipe-*.json 2>/dev/null | head -n 1)
  t "llvmpipe's profile is named by its hardware part alone" '[ $rc -eq 0 ] && [ -f "$lpfile" ] && ! echo "$lpfile" | grep -q llvm-'
  old="$lpdir/llvmpipe-llvm-14-0-6-128-bits-0123456789ab.json"
  python3 - "$lpfile" "$old" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["device"]["name"] = "llvmpipe (LLVM 14.0.6, 128 bits)"
json.dump(d, open(sys.argv[2], "w"), indent=1)
PY
  rm -f "$lpfile"
  out=$($bin info)
  t "a profile of llvmpipe with another LLVM in its name is stale, not foreign" \
    'echo "$out" | grep -q "profile: *stale $old (software in the device name .LLVM [0-9.]*, [0-9]* bits. (profile: .LLVM 14.0.6, 128 bits.))"'
  out=$($tune -d "$lp" --budget 3 --only probe 2>&1 >/dev/null); rc=$?
  t "clembed-tune carries it over into the file of today's name" \
    '[ $rc -eq 0 ] && echo "$out" | grep -q "under an older name" && [ -f "$lpfile" ]'
  XDG_DATA_HOME=$tmp/xdg; export XDG_DATA_HOME
fi

echo "1..$n"
exit $fail
