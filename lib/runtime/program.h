/* Internal to libclembed: embedded kernel sources and the program builder with its binary cache. */
#ifndef CLEMBED_PROGRAM_H
#define CLEMBED_PROGRAM_H

#include "runtime/device.h"

#include <stdint.h>

typedef struct clembed__cl_source {
    const char *name;  /* file stem in cl/, e.g. "layernorm" */
    const char *text;
} clembed__cl_source;

/* Generated from the cl/ sources at build time (lib/runtime/cl_sources.c). */
extern const clembed__cl_source clembed__cl_sources[];
extern const size_t clembed__n_cl_sources;

/* Source text by stem, NULL when unknown. */
const char *clembed__cl_source_text(const char *name);
/* Hash of all embedded kernel sources: profiles built with other kernels are stale. */
uint64_t clembed__cl_sources_hash(void);

typedef struct clembed__build_stats {
    int    from_cache;     /* 1 when the binary came from the disk cache */
    double seconds;        /* wall time of the build or the load */
} clembed__build_stats;

/* Builds the program for source `name` (the "common" source is prepended)
 * with `options`, through the on-disk binary cache.  A cache entry that is
 * corrupt, truncated or for another device/driver is ignored and replaced.
 * On a build failure the status is CLEMBED_ERR_BUILD and clembed_errmsg()
 * carries the build log.  stats may be NULL. */
clembed_status clembed__program_build(cl_context ctx, const clembed__device *dev, const char *name,
                                      const char *options, cl_program *out,
                                      clembed__build_stats *stats);

/* The same for a complete source text; `name` labels messages. */
clembed_status clembed__program_build_source(cl_context ctx, const clembed__device *dev,
                                             const char *name, const char *src, const char *options,
                                             cl_program *out, clembed__build_stats *stats);

#endif
