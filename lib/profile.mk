# Tuning profiles (runtime side).
libclembed_core_la_SOURCES += lib/profile.c
noinst_HEADERS += lib/profile.h lib/ops.h lib/model.h
