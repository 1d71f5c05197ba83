libclembed_core_la_SOURCES += \
	lib/status.c lib/log.c lib/version.c lib/util.c lib/hash.c \
	lib/device.c lib/program.c lib/kernels.c
noinst_HEADERS += lib/internal.h lib/device.h lib/program.h lib/kernels.h lib/util.h
