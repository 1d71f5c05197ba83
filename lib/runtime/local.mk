# runtime: OpenCL devices, the kernel registry, programs and their binary cache, launches.
libclembed_core_la_SOURCES += \
	lib/runtime/device.c lib/runtime/program.c lib/runtime/kernels.c lib/runtime/launch.c \
	lib/runtime/timeline.c lib/runtime/identity.c lib/runtime/memory.c lib/runtime/fault.c
noinst_HEADERS += lib/runtime/device.h lib/runtime/program.h lib/runtime/kernels.h \
	lib/runtime/launch.h lib/runtime/timeline.h lib/runtime/identity.h lib/runtime/memory.h \
	lib/runtime/fault.h
