#!/bin/sh
# clembed tokenize: JSON lines with the reference's ids, type ids and code-point
# offsets (values from Hugging Face tokenizers 0.23.3, bert-base-uncased).
bin=${CLEMBED_BIN:-./clembed}
data=${top_srcdir:-.}/tests/data/tokenizers
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
gzip -dc "$data/bert-base-uncased.json.gz" > "$tmp/tokenizer.json" || { echo "1..0 # SKIP cannot decompress"; exit 0; }
n=0
fail=0
check() { # description, command output, expected substring
    n=$((n + 1))
    case $2 in
    *"$3"*) echo "ok $n - $1" ;;
    *) echo "not ok $n - $1"; echo "# got: $2"; echo "# want: $3"; fail=1 ;;
    esac
}
out=$(printf 'Hello, world!\n' | "$bin" tokenize --tokenizer "$tmp/tokenizer.json" 2>&1)
check "ids of a sentence" "$out" '"ids":[101,7592,1010,2088,999,102]'
check "tokens" "$out" '"tokens":["[CLS]","hello",",","world","!","[SEP]"]'
check "offsets" "$out" '"offsets":[[0,0],[0,5],[5,6],[7,12],[12,13],[0,0]]'
out=$(printf 'Café 東京\n' | "$bin" tokenize --tokenizer "$tmp/tokenizer.json" 2>&1)
check "offsets count code points" "$out" '"offsets":[[0,0],[0,4],[5,6],[6,7],[0,0]]'
out=$(printf 'A question?\tAn answer.\n' | "$bin" tokenize --tokenizer "$tmp/tokenizer.json" --pair 2>&1)
check "a pair" "$out" '"ids":[101,1037,3160,1029,102,2019,3437,1012,102],"tokens":["[CLS]","a","question","?","[SEP]","an","answer",".","[SEP]"],"type_ids":[0,0,0,0,0,1,1,1,1]'
out=$(printf 'one two three four five\n' | "$bin" tokenize --tokenizer "$tmp/tokenizer.json" --max-length 4 2>&1)
check "--max-length" "$out" '"ids":[101,2028,2048,102]'
out=$(printf 'one\ntwo words\n' | "$bin" tokenize --tokenizer "$tmp/tokenizer.json" --no-special 2>&1)
check "one line per input line" "$(echo "$out" | wc -l | tr -d ' ')" '2'
check "--no-special" "$out" '"ids":[2048,2616]'
out=$(printf 'bad \377 byte\n' | "$bin" tokenize --tokenizer "$tmp/tokenizer.json" 2>&1; echo "status $?")
check "invalid UTF-8 fails with the byte offset" "$out" 'invalid UTF-8 at byte 4'
check "and a non-zero status" "$out" 'status 1'
out=$(printf 'bad \377 byte\n' | "$bin" tokenize --tokenizer "$tmp/tokenizer.json" --replace-invalid 2>&1)
check "--replace-invalid" "$out" '"ids":[101,2919,24880,102]'
printf 'Hello, world!\n' > "$tmp/in.txt"
out=$("$bin" tokenize --tokenizer "$tmp/tokenizer.json" --decode "$tmp/in.txt" 2>&1)
check "input file and --decode" "$out" '"decoded":"hello, world!"'
out=$(printf '"a\\tb\\nc \\u00e9\\ud83d\\ude00"\n["A question?", "An answer."]\n' | "$bin" tokenize --tokenizer "$tmp/tokenizer.json" --json 2>&1)
check "--json: escapes and surrogate pairs" "$out" '"ids":[101,1037,1038,1039,100,102],'
check "--json: offsets" "$out" '"offsets":[[0,0],[0,1],[2,3],[4,5],[6,8],[0,0]]'
check "--json: a pair" "$out" '"ids":[101,1037,3160,1029,102,2019,3437,1012,102]'
mkdir "$tmp/model" && cp "$tmp/tokenizer.json" "$tmp/model/"
out=$(printf 'Hello\n' | "$bin" tokenize -m "$tmp/model" 2>&1)
check "-m DIR" "$out" '"ids":[101,7592,102]'
out=$("$bin" tokenize 2>&1; echo "status $?")
check "no tokenizer is a usage error" "$out" 'status 2'
echo "1..$n"
exit $fail
