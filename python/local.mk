# Python binding (ctypes): a package installed with `pip install ./python`, not
# by make install (pip knows where Python packages go); tests/python.sh runs its
# pytest suite against the build tree's library.
EXTRA_DIST += python/pyproject.toml python/README.md python/clembed/__init__.py \
	python/clembed/_lib.py python/tests/test_clembed.py
TESTS += tests/python.sh
EXTRA_DIST += tests/python.sh
