/* Internal to libclembed: the safetensors reader.  A file is memory-mapped read-only and its
 * header validated as strictly as the reference `safetensors` library does (and a little more:
 * duplicate names and NUL characters in names are refused).  Not installed. */
#ifndef CLEMBED_SAFETENSORS_H
#define CLEMBED_SAFETENSORS_H

#include "model/model.h"

#include <stddef.h>
#include <stdint.h>

/* The reference library's limit on the header. */
#define CLEMBED__ST_MAX_HEADER 100000000ull
/* More tensors than any encoder has; bounds the work a hostile header can ask for. */
#define CLEMBED__ST_MAX_TENSORS 1000000u

typedef struct clembed__st_file {
    char            *path;          /* as given; errors start with it */
    clembed__tensor *tensors;       /* in data-offset order */
    const char     **dtype_names;   /* per tensor: "F32", "I64", ... (static strings) */
    size_t           n_tensors;
    char           **meta;          /* __metadata__ as key, value, key, value, ... */
    size_t           n_meta;        /* pairs */
    uint64_t         header_len;
    const uint8_t   *data;          /* the data area, after the header */
    size_t           data_len;
    size_t           file_len;
    /* owned storage */
    void            *map;
    size_t           map_len;
    char            *names;
    const clembed__tensor **by_name; /* tensors sorted by name, for clembed__st_find */
    void            *copies;        /* tensors copied out of the file to align them */
} clembed__st_file;

/* Parses a whole safetensors file held in buf[0..len), which must outlive the result (tensor
 * data points into it).  `label` names the file in errors.  Errors: CLEMBED_ERR_FORMAT for a
 * malformed file, CLEMBED_ERR_TOO_LARGE past the limits above, CLEMBED_ERR_UNSUPPORTED for
 * tensors of more than 4 dimensions, CLEMBED_ERR_NOMEM. */
clembed_status clembed__st_parse(const char *label, const uint8_t *buf, size_t len,
                                 clembed__st_file **out);

/* Maps the file at path read-only and parses it. */
clembed_status clembed__st_open(const char *path, clembed__st_file **out);

void clembed__st_free(clembed__st_file *f);

/* The tensor of that exact name, NULL when absent (a binary search). */
const clembed__tensor *clembed__st_find(const clembed__st_file *f, const char *name);

#endif
