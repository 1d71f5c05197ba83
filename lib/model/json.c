/* Strict JSON for model files: what Python's json module (which sentence-transformers and
 * transformers use) accepts, checked before cJSON sees the text, and typed getters. */
#include "model/json.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int clembed__mj_utf8_valid(const uint8_t *s, size_t n, size_t *bad)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            goto fail;
        }
        if (n - i < len)
            goto fail;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                goto fail;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            goto fail;
        i += len;
    }
    return 1;
fail:
    if (bad)
        *bad = i;
    return 0;
}

static void line_col(const char *text, size_t off, size_t *line, size_t *col)
{
    size_t l = 1, c = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n')
            l++, c = 1;
        else
            c++;
    }
    *line = l;
    *col = c;
}

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* cJSON skips any byte <= 0x20 as whitespace and copies control characters into strings;
 * Python's json refuses both.  An escaped NUL would silently cut a C string short. */
static clembed_status scan(const char *label, const char *text, size_t len)
{
    int in_str = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        size_t line, col;
        if (!in_str) {
            if (c == '"')
                in_str = 1;
            else if (c < 0x20 && !is_ws(c)) {
                line_col(text, i, &line, &col);
                return clembed__fail(CLEMBED_ERR_FORMAT,
                                     "%s: not valid JSON: control character 0x%02x at line %zu, "
                                     "column %zu", label, c, line, col);
            }
            continue;
        }
        if (c == '"') {
            in_str = 0;
        } else if (c < 0x20) {
            line_col(text, i, &line, &col);
            return clembed__fail(CLEMBED_ERR_FORMAT,
                                 "%s: not valid JSON: control character 0x%02x inside a string at "
                                 "line %zu, column %zu", label, c, line, col);
        } else if (c == '\\' && i + 1 < len) {
            if (text[i + 1] == 'u' && i + 5 < len && strncmp(text + i + 2, "0000", 4) == 0) {
                line_col(text, i, &line, &col);
                return clembed__fail(CLEMBED_ERR_FORMAT,
                                     "%s: a string holds an escaped NUL (\\u0000) at line %zu, "
                                     "column %zu; NUL characters are not supported in names or "
                                     "values", label, line, col);
            }
            i++;
        }
    }
    return CLEMBED_OK;
}

clembed_status clembed__mj_parse(const char *label, const char *text, size_t len, cJSON **out)
{
    *out = NULL;
    size_t bad = 0;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        return clembed__fail(CLEMBED_ERR_FORMAT,
                             "%s: starts with a UTF-8 byte-order mark, which JSON does not allow",
                             label);
    if (!clembed__mj_utf8_valid((const uint8_t *)text, len, &bad))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: not valid UTF-8 (byte 0x%02x at offset %zu)",
                             label, (unsigned char)text[bad], bad);
    clembed_status rc = scan(label, text, len);
    if (rc != CLEMBED_OK)
        return rc;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    size_t line, col;
    if (!root) {
        size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        if (len == 0)
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: empty, expected JSON", label);
        line_col(text, off, &line, &col);
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: not valid JSON near line %zu, column %zu",
                             label, line, col);
    }
    size_t off = end ? (size_t)(end - text) : len;
    while (off < len && is_ws((unsigned char)text[off]))
        off++;
    if (off < len) {
        cJSON_Delete(root);
        line_col(text, off, &line, &col);
        return clembed__fail(CLEMBED_ERR_FORMAT,
                             "%s: not valid JSON: extra data after the value at line %zu, column %zu",
                             label, line, col);
    }
    *out = root;
    return CLEMBED_OK;
}

clembed_status clembed__mj_load(const char *path, size_t max_bytes, cJSON **out)
{
    char *text = NULL;
    size_t len = 0;
    *out = NULL;
    clembed_status rc = clembed__read_file(path, max_bytes, &text, &len);
    if (rc != CLEMBED_OK)
        return rc;
    rc = clembed__mj_parse(path, text, len, out);
    free(text);
    return rc;
}

const char *clembed__mj_kind(const cJSON *v)
{
    if (!v)
        return "missing";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v) ? "true" : "false";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "an unknown value";
}

const cJSON *clembed__mj_get(const cJSON *obj, const char *key)
{
    const cJSON *found = NULL, *it;
    if (!cJSON_IsObject(obj))
        return NULL;
    cJSON_ArrayForEach(it, obj)
        if (it->string && strcmp(it->string, key) == 0)
            found = it;
    return found;
}

clembed_status clembed__mj_int(const char *label, const char *name, const cJSON *v, int64_t min,
                                 int64_t max, int64_t *out)
{
    if (!cJSON_IsNumber(v))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: '%s' must be an integer, not %s", label, name,
                             clembed__mj_kind(v));
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: '%s' must be an integer, not %g", label, name, d);
    if (d < (double)min || d > (double)max || fabs(d) > CLEMBED__MJ_INT_MAX)
        return clembed__fail(CLEMBED_ERR_FORMAT, fabs(d) <= CLEMBED__MJ_INT_MAX
                             ? "%s: '%s' is %.0f, outside the range [%lld, %lld]"
                             : "%s: '%s' is %g, outside the range [%lld, %lld]",
                             label, name, d, (long long)min, (long long)max);
    *out = (int64_t)d;
    return CLEMBED_OK;
}

clembed_status clembed__mj_num(const char *label, const char *name, const cJSON *v, double min,
                                 double max, double *out)
{
    if (!cJSON_IsNumber(v))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: '%s' must be a number, not %s", label, name,
                             clembed__mj_kind(v));
    double d = v->valuedouble;
    if (!isfinite(d) || d < min || d > max)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: '%s' is %g, outside the range [%g, %g]", label,
                             name, d, min, max);
    *out = d;
    return CLEMBED_OK;
}

clembed_status clembed__mj_bool(const char *label, const char *name, const cJSON *v, int *out)
{
    if (!cJSON_IsBool(v))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: '%s' must be true or false, not %s", label,
                             name, clembed__mj_kind(v));
    *out = cJSON_IsTrue(v) ? 1 : 0;
    return CLEMBED_OK;
}

clembed_status clembed__mj_str(const char *label, const char *name, const cJSON *v,
                                 const char **out)
{
    if (!cJSON_IsString(v) || !v->valuestring)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: '%s' must be a string, not %s", label, name,
                             clembed__mj_kind(v));
    *out = v->valuestring;
    return CLEMBED_OK;
}

static const cJSON *member(const cJSON *obj, const char *key, int null_ok, int *present)
{
    const cJSON *v = clembed__mj_get(obj, key);
    *present = v && !(null_ok && cJSON_IsNull(v));
    return *present ? v : NULL;
}

clembed_status clembed__mj_get_int(const char *label, const cJSON *obj, const char *key,
                                     int null_ok, int64_t min, int64_t max, int64_t *out,
                                     int *present)
{
    const cJSON *v = member(obj, key, null_ok, present);
    return v ? clembed__mj_int(label, key, v, min, max, out) : CLEMBED_OK;
}

clembed_status clembed__mj_get_bool(const char *label, const cJSON *obj, const char *key,
                                      int null_ok, int *out, int *present)
{
    const cJSON *v = member(obj, key, null_ok, present);
    return v ? clembed__mj_bool(label, key, v, out) : CLEMBED_OK;
}

clembed_status clembed__mj_get_str(const char *label, const cJSON *obj, const char *key,
                                     int null_ok, const char **out, int *present)
{
    const cJSON *v = member(obj, key, null_ok, present);
    return v ? clembed__mj_str(label, key, v, out) : CLEMBED_OK;
}

clembed_status clembed__mj_get_obj(const char *label, const cJSON *obj, const char *key,
                                     int null_ok, const cJSON **out)
{
    int present;
    const cJSON *v = member(obj, key, null_ok, &present);
    *out = NULL;
    if (!v)
        return CLEMBED_OK;
    if (!cJSON_IsObject(v))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: '%s' must be an object, not %s", label, key,
                             clembed__mj_kind(v));
    *out = v;
    return CLEMBED_OK;
}

const char *clembed__mj_printable(const char *s, char *buf, size_t cap)
{
    size_t n = 0, i = 0;
    if (cap == 0)
        return "";
    for (; s && s[i] && n + 1 < cap; i++)
        buf[n++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    if (s && s[i] && cap > 4) {
        /* Cut at a character boundary so that the message stays valid UTF-8. */
        n = n > cap - 4 ? cap - 4 : n;
        while (n > 0 && ((unsigned char)buf[n] & 0xc0) == 0x80)
            n--;
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}
