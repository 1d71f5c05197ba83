#!/bin/sh
# clembed info and the environment: bad values give clear messages, the library keeps working.
bin=${CLEMBED_BIN:-./clembed}
n=0; fail=0
t() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }
out=$($bin info 2>&1)
if echo "$out" | grep -q "no OpenCL devices"; then echo "1..0 # SKIP no OpenCL device"; exit 0; fi
t "info lists devices" 'echo "$out" | grep -q "^device 0:"'
t "info shows the cache" 'echo "$out" | grep -q "^kernel cache: "'
json=$($bin info --json)
t "info --json is valid JSON with devices" 'echo "$json" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"devices\"] and \"compute_units\" in d[\"devices\"][0]"'
t "every device shows the selectors that pick it" '[ "$(echo "$out" | grep -c "^device ")" = "$(echo "$out" | grep -c "^  select with: *-d [0-9]")" ]'
# Every selector info shows for a device picks that device, through the real selection.
sel_ok=1
for pair in $(echo "$json" | python3 -c '
import json, sys
for d in json.load(sys.stdin)["devices"]:
    for s in d["selectors"]:
        print("%d=%s" % (d["index"], s.replace(" ", "%20")))'); do
    idx=${pair%%=*}; sel=$(echo "${pair#*=}" | sed 's/%20/ /g')
    got=$(CLEMBED_DEVICE="$sel" $bin info --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["default_device"])')
    [ "$got" = "$idx" ] || { echo "# selector '$sel' picked '$got', info says $idx"; sel_ok=0; }
done
t "each selector shown picks its device" '[ $sel_ok = 1 ]'
pocl=$(echo "$json" | python3 -c 'import json,sys; print(next((d["index"] for d in json.load(sys.stdin)["devices"] if d["platform"] == "Portable Computing Language"), "none"))')
got=$(CLEMBED_DEVICE=pocl $bin info --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["default_device"])')
t "CLEMBED_DEVICE=pocl picks the PoCL device ($pocl)" '[ "$pocl" = none ] || [ "$got" = "$pocl" ]'
ndev=$(echo "$json" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["devices"]))')
out=$(CLEMBED_DEVICE=/ $bin info 2>&1)
t "a selector matching several devices is ambiguous and lists them" '[ "$ndev" -lt 2 ] || echo "$out" | grep -q "CLEMBED_DEVICE ./. is ambiguous: it matches $ndev devices (0: .*; 1: "'
out=$(echo hi | $bin embed -m $top_srcdir/tests/data/models/tiny-gelu-mean -d no-such-gpu 2>&1); rc=$?
t "embed -d with an unknown selector fails listing the devices" '[ $rc -ne 0 ] && echo "$out" | grep -q "device selector .no-such-gpu. matches no OpenCL device (devices: 0:"'
out=$($bin info 2>&1)
t "info reads each name apart and shows the memory plan and profile levels" \
  'echo "$out" | grep -q "^  hardware:  " && echo "$out" | grep -q "^  software in name:  " && echo "$out" | grep -q "^  memory plan: .* MiB for weights and scratch" && echo "$out" | grep -q "^  profile levels:  "'
t "info says which device is the default, and why" 'echo "$out" | grep -q "^default device: [0-9]* (.*)"'
t "info --json has the details of every device" 'echo "$json" | python3 -c "import json,sys; d=json.load(sys.stdin); assert all(\"hardware_name\" in x and \"subgroups_from\" in x and x[\"max_buffer_bytes\"] > 0 and x[\"same_hardware_count\"] >= 1 for x in d[\"devices\"]) and d[\"default_reason\"]"'
out=$(CLEMBED_CACHE_DIR=/dev/null/clembed $bin info 2>&1)
t "an unusable cache directory warns and disables the cache" 'echo "$out" | grep -q "kernel cache disabled: cannot create directory /dev/null" && echo "$out" | grep -q "^kernel cache: disabled"'
out=$(CLEMBED_CACHE_DIR=off $bin info 2>&1)
t "CLEMBED_CACHE_DIR=off disables the cache quietly" 'echo "$out" | grep -q "^kernel cache: disabled" && ! echo "$out" | grep -q warn'
out=$(CLEMBED_DEVICE=no-such-gpu $bin info 2>&1)
t "an unknown CLEMBED_DEVICE is reported with the device list" 'echo "$out" | grep -q "CLEMBED_DEVICE .no-such-gpu. matches no OpenCL device (devices: 0:"'
out=$(CLEMBED_LOG=chatty $bin info 2>&1)
t "a bad CLEMBED_LOG is named" 'echo "$out" | grep -q "CLEMBED_LOG=.chatty. is not one of"'
out=$(env -u RUSTICL_ENABLE $bin info 2>&1)
t "rusticl without RUSTICL_ENABLE gets a hint" '! echo "$out" | grep -q "^platform .rusticl" || echo "$out" | grep -q "RUSTICL_ENABLE=radeonsi"'
out=$($bin info --bogus 2>&1); rc=$?
t "unknown options are rejected" '[ $rc -eq 2 ] && echo "$out" | grep -q "unknown option"'
out=$($bin frobnicate 2>&1); rc=$?
t "unknown commands are rejected" '[ $rc -eq 2 ] && echo "$out" | grep -q "unknown command"'
echo "1..$n"
exit $fail
