#!/bin/sh
# The library's layers: includes and calls run down them (tools/check_layers.py).
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 is not installed"; exit 0; }
exec python3 "${top_srcdir:-.}/tools/check_layers.py" --tap "${top_srcdir:-.}" "${top_builddir:-.}"
