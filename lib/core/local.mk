# core: status codes, errors, logging, version, strings, paths, files, hashing, timing.
libclembed_core_la_SOURCES += \
	lib/core/status.c lib/core/log.c lib/core/version.c lib/core/util.c lib/core/fileio.c \
	lib/core/hash.c lib/core/timing.c
noinst_HEADERS += lib/core/internal.h lib/core/util.h lib/core/fileio.h
