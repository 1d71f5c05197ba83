bin_PROGRAMS += clembed
clembed_SOURCES = tools/clembed.c tools/cli.h tools/cmd_info.c
clembed_LDADD = libclembed.la
dist_noinst_SCRIPTS += tools/embed-cl.sh
