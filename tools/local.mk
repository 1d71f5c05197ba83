dist_noinst_SCRIPTS += tools/embed-cl.sh tools/setup.sh

# clembed embed's streaming input, output writers and resume journal (tools/embed.h).
clembed_LDADD += $(PTHREAD_LIBS)
clembed_SOURCES += tools/embed.h tools/embed_input.c tools/embed_output.c tools/embed_journal.c \
	lib/core/fileio.c lib/core/fileio.h
# HDF5 output (-f h5) when configure found libhdf5; a parallel writer for clembed-mpi
# would take the same interface (tools/embed_h5.c).
EXTRA_DIST += tools/embed_h5.c
if HAVE_HDF5
clembed_SOURCES += tools/embed_h5.c
clembed_CPPFLAGS = $(AM_CPPFLAGS) $(HDF5_CFLAGS) -DHAVE_HDF5
clembed_LDADD += $(HDF5_LIBS)
endif

TESTS += tests/corpus.sh
EXTRA_DIST += tests/corpus.sh
