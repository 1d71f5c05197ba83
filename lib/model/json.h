/* Internal to libclembed: strict JSON for the model directory's files, and typed getters whose
 * errors name the file, the key and what was expected.  Not installed. */
#ifndef CLEMBED_MODEL_JSON_H
#define CLEMBED_MODEL_JSON_H

#include "core/internal.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Largest integer a JSON number (a double in cJSON) holds exactly. */
#define CLEMBED__MJ_INT_MAX 9007199254740992.0

/* Checks that s[0..n) is well-formed UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF).  On failure returns 0 and sets *bad to the offset of the first bad byte. */
int clembed__mj_utf8_valid(const uint8_t *s, size_t n, size_t *bad);

/* Parses text[0..len) (no NUL terminator needed) as one JSON value, as strictly as Python's
 * json module: valid UTF-8 without a byte-order mark, no control characters in strings, nothing
 * but whitespace after the value.  Strings holding an escaped NUL (\u0000) are refused too,
 * since names here are C strings.  Errors (CLEMBED_ERR_FORMAT) start with `label`. */
clembed_status clembed__mj_parse(const char *label, const char *text, size_t len, cJSON **out);

/* Reads a whole file (at most max_bytes) and parses it as above; the label is the path. */
clembed_status clembed__mj_load(const char *path, size_t max_bytes, cJSON **out);

/* "a string", "an array", "null", ... for messages. */
const char *clembed__mj_kind(const cJSON *v);

/* The member `key` of obj, the last one when the key repeats (as Python's json keeps the last);
 * NULL when absent or obj is not an object. */
const cJSON *clembed__mj_get(const cJSON *obj, const char *key);

/* Typed readers of a value `v` called `name` in messages ("hidden_size",
 * "processing_kwargs.text.max_length").  They fail with CLEMBED_ERR_FORMAT saying what was
 * found instead. */
clembed_status clembed__mj_int(const char *label, const char *name, const cJSON *v, int64_t min,
                                 int64_t max, int64_t *out);
clembed_status clembed__mj_num(const char *label, const char *name, const cJSON *v, double min,
                                 double max, double *out);
clembed_status clembed__mj_bool(const char *label, const char *name, const cJSON *v, int *out);
clembed_status clembed__mj_str(const char *label, const char *name, const cJSON *v,
                                 const char **out);

/* Member readers: *present = 0 and *out untouched when the key is absent, or null where
 * null_ok says null means "not given". */
clembed_status clembed__mj_get_int(const char *label, const cJSON *obj, const char *key,
                                     int null_ok, int64_t min, int64_t max, int64_t *out,
                                     int *present);
clembed_status clembed__mj_get_bool(const char *label, const cJSON *obj, const char *key,
                                      int null_ok, int *out, int *present);
clembed_status clembed__mj_get_str(const char *label, const cJSON *obj, const char *key,
                                     int null_ok, const char **out, int *present);
/* An object member; *out = NULL when absent (or null with null_ok). */
clembed_status clembed__mj_get_obj(const char *label, const cJSON *obj, const char *key,
                                     int null_ok, const cJSON **out);

/* Copies a possibly hostile string into buf for a message: at most cap-1 bytes, control
 * characters shown as '?', cut with "..." when long.  Returns buf. */
const char *clembed__mj_printable(const char *s, char *buf, size_t cap);

#endif
