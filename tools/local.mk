dist_noinst_SCRIPTS += tools/embed-cl.sh tools/setup.sh tools/corpus_memory.sh tools/mpi_scaling.sh

# clembed embed's streaming input, options, units, output writers and resume journal
# (tools/embed.h); the same files serve clembed-mpi (below).
EMBED_SHARED = tools/embed.h tools/embed_input.c tools/embed_output.c tools/embed_journal.c \
	tools/embed_opts.c tools/embed_unit.c lib/core/fileio.c lib/core/fileio.h
clembed_SOURCES += $(EMBED_SHARED)
# What a program built from clembed_SOURCES needs besides the library (tests/test_devinfo
# is another).  HDF5 output (-f h5) when configure found libhdf5 (tools/embed_h5.c).
CLI_CPPFLAGS = $(AM_CPPFLAGS)
CLI_LIBS = $(PTHREAD_LIBS)
EXTRA_DIST += tools/embed_h5.c
if HAVE_HDF5
clembed_SOURCES += tools/embed_h5.c
CLI_CPPFLAGS += $(HDF5_CFLAGS) -DHAVE_HDF5
CLI_LIBS += $(HDF5_LIBS)
endif
clembed_CPPFLAGS = $(CLI_CPPFLAGS)
clembed_LDADD += $(CLI_LIBS)

TESTS += tests/corpus.sh
EXTRA_DIST += tests/corpus.sh tests/tap.sh

# HDF5 output read back by a C reader and h5py.
TESTS += tests/h5.sh
EXTRA_DIST += tests/h5.sh tests/h5_read.c
if HAVE_HDF5
check_PROGRAMS += tests/h5_read
tests_h5_read_SOURCES = tests/h5_read.c
tests_h5_read_CPPFLAGS = $(AM_CPPFLAGS) $(HDF5_CFLAGS)
tests_h5_read_LDADD = $(HDF5_LIBS)
endif

# clembed-mpi: clembed embed on MPI ranks into one file (tools/mpi.h), built when configure
# finds MPI; nothing else links MPI.  It writes npy and f32, not HDF5: embed_output.c is
# compiled here without HAVE_HDF5.
EXTRA_DIST += tools/mpi.h tools/mpi_main.c tools/mpi_work.c tools/mpi_journal.c
if HAVE_MPI
bin_PROGRAMS += clembed-mpi
clembed_mpi_SOURCES = tools/mpi.h tools/mpi_main.c tools/mpi_work.c tools/mpi_journal.c $(EMBED_SHARED)
clembed_mpi_CFLAGS = $(AM_CFLAGS) $(MPI_CFLAGS)
clembed_mpi_LDADD = libclembed.la $(CJSON_LIBS) $(MPI_LIBS) $(PTHREAD_LIBS)
endif
