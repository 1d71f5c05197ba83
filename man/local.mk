# Manual pages: clembed(1), clembed-tune(1), libclembed(3), and clembed-mpi(1) where
# clembed-mpi is built.  tests/man.sh lints them and compares their options with each
# program's --help.
dist_man1_MANS = man/clembed.1 man/clembed-tune.1
dist_man3_MANS = man/libclembed.3
EXTRA_DIST += man/clembed-mpi.1
if HAVE_MPI
dist_man1_MANS += man/clembed-mpi.1
endif
TESTS += tests/man.sh
EXTRA_DIST += tests/man.sh
