# TAP for the shell tests, sourced after `set -u`: a temporary directory $tmp removed on
# exit, and ok, notok and check ("check $? WHAT": ok when 0, else not ok with the first
# $tap_err_lines lines, default 8, of $tmp/err).  Each test ends with
#   echo "1..$n"; [ "$failed" -eq 0 ]
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() {
    if [ "$1" -eq 0 ]; then ok "$2"; else
        notok "$2"
        sed 's/^/# /' "$tmp/err" 2>/dev/null | head -n "${tap_err_lines:-8}"
    fi
}
