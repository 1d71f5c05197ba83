# clembed-tune: the device tuner (see tuner/).
bin_PROGRAMS += tuner/clembed-tune
tuner_clembed_tune_SOURCES = tuner/clembed-tune.c lib/core/fileio.c lib/core/fileio.h
tuner_clembed_tune_LDADD = libclembed.la -lm

# make install tunes the local device with the freshly installed tuner and
# writes the system profile, unless DESTDIR is set (a package being staged:
# the target machine runs `clembed-tune --system` once) or configure was given
# --disable-install-tune.  A machine without a usable OpenCL device still
# installs: the failure is reported, not fatal.
install-exec-hook: install-tune-profile
install-tune-profile:
if INSTALL_TUNE
	@if test -n "$(DESTDIR)"; then \
	  echo "clembed-tune: DESTDIR is set, so this machine is not tuned now; run"; \
	  echo "clembed-tune:   clembed-tune --system"; \
	  echo "clembed-tune: once on each machine after installing (see README.md)"; \
	else \
	  echo "clembed-tune: tuning the local OpenCL device (about 3 minutes; configure"; \
	  echo "clembed-tune: --disable-install-tune skips this)"; \
	  if "$(bindir)/clembed-tune" --system --quiet; then \
	    echo "clembed-tune: wrote the system profile in $(localstatedir)/lib/clembed/profiles"; \
	  else \
	    echo "clembed-tune: WARNING: tuning failed (status $$?); clembed works with its built-in"; \
	    echo "clembed-tune: WARNING: defaults; run 'clembed-tune --system' once the device works"; \
	  fi; \
	fi
else
	@echo "clembed-tune: not tuning (--disable-install-tune); run 'clembed-tune --system' once"
endif
.PHONY: install-tune-profile
# distcheck's install would tune for minutes and leave the machine's profile behind,
# which make uninstall keeps (it belongs to the machine, not the package).
AM_DISTCHECK_CONFIGURE_FLAGS = --disable-install-tune

TESTS += tests/tune.sh
EXTRA_DIST += tests/tune.sh
