# Manual pages: clembed(1), clembed-tune(1), libclembed(3).  tests/man.sh lints
# them and compares their options with each program's --help.
dist_man1_MANS = man/clembed.1 man/clembed-tune.1
dist_man3_MANS = man/libclembed.3
TESTS += tests/man.sh
EXTRA_DIST += tests/man.sh
