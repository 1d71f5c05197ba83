#!/bin/sh
# clembed info -m DIR: what was understood of a model directory, as text and as JSON, and the
# errors for directories it cannot honour.
bin=${CLEMBED_BIN:-./clembed}
data=${top_srcdir:-.}/tests/data/model
n=0; fail=0
t() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }
has() { printf '%s\n' "$out" | grep -qF -- "$1"; }

d=$data/st/st6_bert_mean_cls_dense_norm
out=$($bin info -m "$d" 2>&1); rc=$?
t "info -m succeeds" '[ $rc -eq 0 ]'
t "the architecture" 'has "architecture:      BertModel (bert)"'
t "layers, hidden size, heads" 'has "encoder:           2 layers, hidden 8, 2 heads, intermediate 16, gelu"'
t "the module chain with pooling modes in order" 'has "modules:           Transformer -> Pooling (mean+cls) -> Dense (16 -> 6, gelu, bias) -> Normalize"'
t "the output dimension" 'has "output dimension:  6"'
t "the max length" 'has "max sequence:      32 tokens"'
t "the tokenizer" 'has "tokenizer:         tokenizer.json, 66 tokens"'
t "the prompts and the default" 'has "query=\"query: \"" && has "passage=\"passage: \"" && has "default: query"'
t "parameters, dtype, bytes, files" 'has "weights:           2278 parameters in F32, 9112 bytes, 41 tensors in model.safetensors 2_Dense/model.safetensors"'

json=$($bin info -m "$d" --json); rc=$?
t "info -m --json agrees with sentence-transformers' view" '[ $rc -eq 0 ] && printf "%s" "$json" | python3 -c "
import json, sys
d = json.load(sys.stdin)
e = json.load(open(sys.argv[1]))
assert d[\"output_dimension\"] == e[\"output_dimension\"], d
assert d[\"max_seq_length\"] == e[\"max_seq_length\"], d
assert d[\"prompts\"] == e[\"prompts\"], d
assert [m[\"type\"] for m in d[\"modules\"]] == [m[\"type\"] for m in e[\"modules\"]], d
assert d[\"modules\"][1][\"pooling_mode\"] == e[\"modules\"][1][\"pooling_mode\"], d
assert d[\"weights\"][\"parameters\"] == e[\"file_parameters\"], d
" "$d.expected.json"'

out=$($bin info --json -m "$data/st/hf_bert_mlm_sharded" 2>&1)
t "a plain Hugging Face directory gets mean pooling, from shards" 'printf "%s" "$out" | python3 -c "
import json, sys
d = json.load(sys.stdin)
assert d[\"modules_json\"] is False and d[\"modules\"][1][\"pooling_mode\"] == [\"mean\"], d
assert len(d[\"weights\"][\"files\"]) == 3, d
"'
out=$(CLEMBED_LOG=info $bin info -m "$data/st/hf_bert_mlm_sharded" 2>&1)
t "and says so at info level" 'has "no modules.json; using sentence-transformers'"'"' default"'

out=$($bin info -m "$data/malformed/dense_in_mismatch" 2>&1); rc=$?
t "a malformed directory fails with the file and the reason" '[ $rc -eq 1 ] && has "dense_in_mismatch/2_Dense/config.json: in_features 5 does not match the 4 values"'
out=$($bin info -m "$data/malformed/cfg_unsupported_arch" 2>&1); rc=$?
t "an unsupported architecture is named" '[ $rc -eq 1 ] && has "unsupported model or feature" && has "model_type '"'"'gpt2'"'"' is not supported (supported: bert, roberta"'
out=$($bin info -m "$data/no-such-model" 2>&1); rc=$?
t "a missing directory" '[ $rc -eq 1 ] && has "no-such-model: no such directory"'
out=$($bin info -m 2>&1); rc=$?
t "-m needs a directory" '[ $rc -eq 2 ] && has "needs a model directory"'
out=$($bin info --help 2>&1)
t "the help mentions -m" 'has "-m, --model DIR"'
echo "1..$n"
exit $fail
