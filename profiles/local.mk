# Profiles shipped for classes of devices ("architecture-gfx1151.json", "family-gfx11.json",
# "vendor-1002-gpu.json"), installed into $(pkgdatadir)/profiles, the last place contexts look
# (README.md, "Tuning").  Each is made with `clembed-tune --export-class LEVEL` on the hardware
# it serves and listed here; none is yet.
profilesdir = $(pkgdatadir)/profiles
dist_profiles_DATA =
EXTRA_DIST += profiles/README.md
