# Fortran 2008 module over iso_c_binding, installed as source next to clembed.h
# (a .mod file is specific to one compiler and version); tests/fortran.sh builds
# and runs it with gfortran.
fortrandir = $(includedir)
dist_fortran_DATA = fortran/clembed.f90

TESTS += tests/fortran.sh
EXTRA_DIST += tests/fortran.sh tests/test_fortran.f90
# The sanitizer flags of an --enable-sanitizers build, for programs linked by test scripts.
AM_TESTS_ENVIRONMENT += LDFLAGS='$(LDFLAGS)'; export LDFLAGS;
