/* safetensors: 8-byte little-endian header length, a JSON header, then the data area that the
 * tensors' data_offsets must cover exactly, without gaps or overlaps. */
#define _POSIX_C_SOURCE 200809L
#include "model/safetensors.h"
#include "model/json.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Element sizes in bits: every dtype the reference library knows, so that a file holding
 * tensors we do not use (I64 position ids, F64 statistics) still validates. */
static const struct {
    const char    *name;
    unsigned       bits;
    clembed__dtype dtype;
} dtypes[] = {
    {"F32", 32, CLEMBED__F32},        {"F16", 16, CLEMBED__F16},
    {"BF16", 16, CLEMBED__BF16},      {"BOOL", 8, CLEMBED__OTHER},
    {"F4", 4, CLEMBED__OTHER},        {"F6_E2M3", 6, CLEMBED__OTHER},
    {"F6_E3M2", 6, CLEMBED__OTHER},   {"U8", 8, CLEMBED__OTHER},
    {"I8", 8, CLEMBED__OTHER},        {"F8_E5M2", 8, CLEMBED__OTHER},
    {"F8_E4M3", 8, CLEMBED__OTHER},   {"F8_E8M0", 8, CLEMBED__OTHER},
    {"F8_E4M3FNUZ", 8, CLEMBED__OTHER}, {"F8_E5M2FNUZ", 8, CLEMBED__OTHER},
    {"I16", 16, CLEMBED__OTHER},      {"U16", 16, CLEMBED__OTHER},
    {"I32", 32, CLEMBED__OTHER},      {"U32", 32, CLEMBED__OTHER},
    {"C64", 64, CLEMBED__OTHER},      {"F64", 64, CLEMBED__OTHER},
    {"I64", 64, CLEMBED__OTHER},      {"U64", 64, CLEMBED__OTHER},
};

typedef struct entry {
    const char *name;       /* in the cJSON tree while parsing */
    unsigned    dt;         /* index into dtypes */
    int         ndim;
    int64_t     shape[4];
    uint64_t    start, end;
} entry;

#define NAMEBUF 160
#define P(s, b) clembed__mj_printable((s), (b), sizeof (b))

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const entry *const *)a)->name, (*(const entry *const *)b)->name);
}

static int by_offset(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return 0;
}

static int tensor_by_name(const void *a, const void *b)
{
    return strcmp((*(const clembed__tensor *const *)a)->name, (*(const clembed__tensor *const *)b)->name);
}

static void shape_str(const entry *e, char *buf, size_t cap)
{
    size_t n = 0;
    n += (size_t)snprintf(buf + n, cap - n, "[");
    for (int i = 0; i < e->ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? ", " : "", (long long)e->shape[i]);
    if (n < cap)
        snprintf(buf + n, cap - n, "]");
}

/* A non-negative integer that a 64-bit file offset can hold; the JSON number must be exact. */
static clembed_status offset_value(const char *label, const char *tname, const char *what,
                                   const cJSON *v, uint64_t *out)
{
    char nb[NAMEBUF];
    if (!cJSON_IsNumber(v))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor '%s': %s must be a non-negative integer, "
                             "not %s", label, P(tname, nb), what, clembed__mj_kind(v));
    double d = v->valuedouble;
    if (!(d >= 0))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor '%s': %s must be a non-negative integer, "
                             "not %g", label, P(tname, nb), what, d);
    if (d > CLEMBED__MJ_INT_MAX)
        return clembed__fail(CLEMBED_ERR_TOO_LARGE, "%s: tensor '%s': %s %.17g is larger than 2^53",
                             label, P(tname, nb), what, d);
    if (d != floor(d))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor '%s': %s must be a non-negative integer, "
                             "not %g", label, P(tname, nb), what, d);
    *out = (uint64_t)d;
    return CLEMBED_OK;
}

static clembed_status parse_entry(const char *label, const cJSON *item, entry *e)
{
    char nb[NAMEBUF];
    const char *tn = item->string;
    if (!cJSON_IsObject(item))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor '%s': entry must be an object, not %s",
                             label, P(tn, nb), clembed__mj_kind(item));
    const cJSON *dt = clembed__mj_get(item, "dtype");
    const cJSON *shape = clembed__mj_get(item, "shape");
    const cJSON *offs = clembed__mj_get(item, "data_offsets");
    const char *missing = !dt ? "dtype" : !shape ? "shape" : !offs ? "data_offsets" : NULL;
    if (missing)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor '%s': no '%s'", label, P(tn, nb), missing);
    if (!cJSON_IsString(dt))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor '%s': dtype must be a string, not %s",
                             label, P(tn, nb), clembed__mj_kind(dt));
    size_t k = 0;
    while (k < CLEMBED_ARRAY_LEN(dtypes) && strcmp(dtypes[k].name, dt->valuestring) != 0)
        k++;
    if (k == CLEMBED_ARRAY_LEN(dtypes)) {
        char db[32];
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor '%s': unknown dtype '%s'", label,
                             P(tn, nb), P(dt->valuestring, db));
    }
    e->dt = (unsigned)k;
    if (!cJSON_IsArray(shape))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor '%s': shape must be an array, not %s",
                             label, P(tn, nb), clembed__mj_kind(shape));
    int nd = cJSON_GetArraySize(shape);
    if (nd > 4)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: tensor '%s' has %d dimensions; at most 4 "
                             "are supported", label, P(tn, nb), nd);
    e->ndim = nd;
    int i = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, shape) {
        uint64_t v;
        clembed_status rc = offset_value(label, tn, "shape entry", d, &v);
        if (rc != CLEMBED_OK)
            return rc;
        e->shape[i++] = (int64_t)v;
    }
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor '%s': data_offsets must be an array of "
                             "two integers [begin, end], not %s%s", label, P(tn, nb),
                             clembed__mj_kind(offs), cJSON_IsArray(offs) ? " of another length" : "");
    clembed_status rc = offset_value(label, tn, "data_offsets begin", offs->child, &e->start);
    if (rc == CLEMBED_OK)
        rc = offset_value(label, tn, "data_offsets end", offs->child->next, &e->end);
    return rc;
}

/* Element count and byte size with every product checked, as the reference does. */
static clembed_status entry_bytes(const char *label, const entry *e, uint64_t *numel, uint64_t *bytes)
{
    char nb[NAMEBUF], sb[128];
    uint64_t n = 1;
    for (int i = 0; i < e->ndim; i++) {
        uint64_t s = (uint64_t)e->shape[i];
        if (s != 0 && n > UINT64_MAX / s) {
            shape_str(e, sb, sizeof sb);
            return clembed__fail(CLEMBED_ERR_TOO_LARGE, "%s: tensor '%s': shape %s has more elements "
                                 "than 64 bits count", label, P(e->name, nb), sb);
        }
        n *= s;
    }
    unsigned bits = dtypes[e->dt].bits;
    if (n > UINT64_MAX / bits) {
        shape_str(e, sb, sizeof sb);
        return clembed__fail(CLEMBED_ERR_TOO_LARGE, "%s: tensor '%s': shape %s of %s needs more bytes "
                             "than 64 bits count", label, P(e->name, nb), sb, dtypes[e->dt].name);
    }
    if (n * bits % 8 != 0)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor '%s': %llu elements of %s do not fill a "
                             "whole number of bytes", label, P(e->name, nb), (unsigned long long)n,
                             dtypes[e->dt].name);
    *numel = n;
    *bytes = n * bits / 8;
    return CLEMBED_OK;
}

static clembed_status parse_metadata(const char *label, const cJSON *m, clembed__st_file *f)
{
    if (cJSON_IsNull(m))
        return CLEMBED_OK;
    if (!cJSON_IsObject(m))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: __metadata__ must be an object of strings, not %s",
                             label, clembed__mj_kind(m));
    size_t n = (size_t)cJSON_GetArraySize(m);
    f->meta = calloc(2 * n + 1, sizeof *f->meta);
    if (!f->meta)
        return clembed__fail(CLEMBED_ERR_NOMEM, "%s: out of memory", label);
    const cJSON *it;
    cJSON_ArrayForEach(it, m) {
        char nb[NAMEBUF];
        if (!cJSON_IsString(it))
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: __metadata__ '%s' must be a string, not %s",
                                 label, P(it->string, nb), clembed__mj_kind(it));
        char *k = clembed__strdup(it->string), *v = clembed__strdup(it->valuestring);
        f->meta[2 * f->n_meta] = k;
        f->meta[2 * f->n_meta + 1] = v;
        f->n_meta++;
        if (!k || !v)
            return clembed__fail(CLEMBED_ERR_NOMEM, "%s: out of memory", label);
    }
    return CLEMBED_OK;
}

/* Float tensors must sit at addresses aligned to their element size for the encoder to read
 * them in place; writers align them, but a hand-made file may not.  Such tensors are copied. */
static clembed_status align_tensors(const char *label, clembed__st_file *f)
{
    size_t need = 0, count = 0;
    for (size_t i = 0; i < f->n_tensors; i++) {
        const clembed__tensor *t = &f->tensors[i];
        size_t el = t->dtype == CLEMBED__F32 ? 4 : t->dtype == CLEMBED__OTHER ? 1 : 2;
        if ((uintptr_t)t->data % el != 0)
            need += (t->nbytes + 15) & ~(size_t)15, count++;
    }
    if (count == 0)
        return CLEMBED_OK;
    char *buf = malloc(need);
    if (!buf)
        return clembed__fail(CLEMBED_ERR_NOMEM, "%s: cannot allocate %zu bytes to align tensors",
                             label, need);
    f->copies = buf;
    for (size_t i = 0; i < f->n_tensors; i++) {
        clembed__tensor *t = &f->tensors[i];
        size_t el = t->dtype == CLEMBED__F32 ? 4 : t->dtype == CLEMBED__OTHER ? 1 : 2;
        if ((uintptr_t)t->data % el != 0) {
            memcpy(buf, t->data, t->nbytes);
            t->data = buf;
            buf += (t->nbytes + 15) & ~(size_t)15;
        }
    }
    clembed__warn("%s: %zu tensors are not aligned in the file; copied them (%zu bytes)", label,
                  count, need);
    return CLEMBED_OK;
}

clembed_status clembed__st_parse(const char *label, const uint8_t *buf, size_t len,
                                 clembed__st_file **out)
{
    clembed_status rc = CLEMBED_OK;
    cJSON *root = NULL;
    entry *es = NULL;
    entry **sorted = NULL;
    char nb[NAMEBUF], nb2[NAMEBUF];
    *out = NULL;
    clembed__st_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = clembed__strdup(label))) {
        free(f);
        return clembed__fail(CLEMBED_ERR_NOMEM, "%s: out of memory", label);
    }
    f->file_len = len;
    if (len < 8) {
        rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: file is %zu bytes, shorter than the 8-byte header "
                           "length that starts a safetensors file", label, len);
        goto fail;
    }
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | buf[i];
    f->header_len = n;
    if (n > CLEMBED__ST_MAX_HEADER) {
        rc = clembed__fail(CLEMBED_ERR_TOO_LARGE, "%s: header length %llu is more than the limit of "
                           "%llu bytes", label, (unsigned long long)n, CLEMBED__ST_MAX_HEADER);
        goto fail;
    }
    if (n > len - 8) {
        rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: header length %llu runs past the end of the file "
                           "(%zu bytes)", label, (unsigned long long)n, len);
        goto fail;
    }
    f->data = buf + 8 + n;
    f->data_len = len - 8 - (size_t)n;
    {
        char *hl = clembed__asprintf("%s: header", label);
        if (!hl) {
            rc = clembed__fail(CLEMBED_ERR_NOMEM, "%s: out of memory", label);
            goto fail;
        }
        rc = clembed__mj_parse(hl, (const char *)buf + 8, (size_t)n, &root);
        free(hl);
        if (rc != CLEMBED_OK)
            goto fail;
    }
    if (!cJSON_IsObject(root)) {
        rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: header must be a JSON object, not %s", label,
                           clembed__mj_kind(root));
        goto fail;
    }
    size_t count = (size_t)cJSON_GetArraySize(root);
    if (count > CLEMBED__ST_MAX_TENSORS + 1) {
        rc = clembed__fail(CLEMBED_ERR_TOO_LARGE, "%s: header lists %zu tensors, more than the limit "
                           "of %u", label, count, CLEMBED__ST_MAX_TENSORS);
        goto fail;
    }
    es = calloc(count + 1, sizeof *es);
    sorted = calloc(count + 1, sizeof *sorted);
    if (!es || !sorted) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "%s: out of memory", label);
        goto fail;
    }
    size_t nt = 0, names_len = 0;
    int have_meta = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, root) {
        if (strcmp(it->string, "__metadata__") == 0) {
            if (have_meta++) {
                rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: __metadata__ appears twice", label);
                goto fail;
            }
            if ((rc = parse_metadata(label, it, f)) != CLEMBED_OK)
                goto fail;
            continue;
        }
        entry *e = &es[nt];
        e->name = it->string;
        if ((rc = parse_entry(label, it, e)) != CLEMBED_OK)
            goto fail;
        names_len += strlen(e->name) + 1;
        sorted[nt] = e;
        nt++;
    }
    qsort(sorted, nt, sizeof *sorted, by_name);
    for (size_t i = 1; i < nt; i++)
        if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0) {
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor name '%s' appears twice", label,
                               P(sorted[i]->name, nb));
            goto fail;
        }
    /* Each tensor's own numbers first, then how they tile the data area. */
    for (size_t i = 0; i < nt; i++) {
        entry *e = &es[i];
        uint64_t numel = 0, bytes = 0;
        char sb[128];
        if ((rc = entry_bytes(label, e, &numel, &bytes)) != CLEMBED_OK)
            goto fail;
        if (e->end < e->start) {
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor '%s': data_offsets [%llu, %llu] end "
                               "before they begin", label, P(e->name, nb),
                               (unsigned long long)e->start, (unsigned long long)e->end);
            goto fail;
        }
        if (e->end > f->data_len) {
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor '%s': data_offsets [%llu, %llu] past the "
                               "end of the data area (%zu bytes)", label, P(e->name, nb),
                               (unsigned long long)e->start, (unsigned long long)e->end, f->data_len);
            goto fail;
        }
        if (e->end - e->start != bytes) {
            shape_str(e, sb, sizeof sb);
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor '%s': shape %s of %s is %llu bytes, but "
                               "data_offsets [%llu, %llu] span %llu", label, P(e->name, nb), sb,
                               dtypes[e->dt].name, (unsigned long long)bytes,
                               (unsigned long long)e->start, (unsigned long long)e->end,
                               (unsigned long long)(e->end - e->start));
            goto fail;
        }
    }
    qsort(es, nt, sizeof *es, by_offset);
    uint64_t covered = 0;
    for (size_t i = 0; i < nt; i++) {
        const entry *e = &es[i];
        if (e->start < covered) {
            const entry *prev = &es[i - 1];
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensors '%s' [%llu, %llu] and '%s' [%llu, %llu] "
                               "overlap", label, P(prev->name, nb), (unsigned long long)prev->start,
                               (unsigned long long)prev->end, P(e->name, nb2),
                               (unsigned long long)e->start, (unsigned long long)e->end);
            goto fail;
        }
        if (e->start > covered) {
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: bytes [%llu, %llu) of the data area belong to no "
                               "tensor (before tensor '%s')", label, (unsigned long long)covered,
                               (unsigned long long)e->start, P(e->name, nb));
            goto fail;
        }
        covered = e->end;
    }
    if (covered != f->data_len) {
        rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: the tensors cover %llu bytes but the data area has "
                           "%zu: the file has trailing bytes", label, (unsigned long long)covered,
                           f->data_len);
        goto fail;
    }
    f->tensors = calloc(nt + 1, sizeof *f->tensors);
    f->dtype_names = calloc(nt + 1, sizeof *f->dtype_names);
    f->names = malloc(names_len + 1);
    if (!f->tensors || !f->dtype_names || !f->names) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "%s: out of memory", label);
        goto fail;
    }
    char *np = f->names;
    for (size_t i = 0; i < nt; i++) {
        const entry *e = &es[i];
        clembed__tensor *t = &f->tensors[i];
        size_t l = strlen(e->name) + 1;
        memcpy(np, e->name, l);
        t->name = np;
        np += l;
        t->dtype = dtypes[e->dt].dtype;
        f->dtype_names[i] = dtypes[e->dt].name;
        t->ndim = e->ndim;
        memcpy(t->shape, e->shape, sizeof t->shape);
        t->data = f->data + e->start;
        t->nbytes = (size_t)(e->end - e->start);
    }
    f->n_tensors = nt;
    if ((rc = align_tensors(label, f)) != CLEMBED_OK)
        goto fail;
    if (!(f->by_name = calloc(nt + 1, sizeof *f->by_name))) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "%s: out of memory", label);
        goto fail;
    }
    for (size_t i = 0; i < nt; i++)
        f->by_name[i] = &f->tensors[i];
    qsort(f->by_name, nt, sizeof *f->by_name, tensor_by_name);
    cJSON_Delete(root);
    free(es);
    free(sorted);
    *out = f;
    return CLEMBED_OK;
fail:
    cJSON_Delete(root);
    free(es);
    free(sorted);
    clembed__st_free(f);
    return rc;
}

clembed_status clembed__st_open(const char *path, clembed__st_file **out)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return clembed__fail(errno == ENOENT ? CLEMBED_ERR_NOT_FOUND : CLEMBED_ERR_IO,
                             "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return clembed__fail(CLEMBED_ERR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > SIZE_MAX / 2) {
        close(fd);
        return clembed__fail(CLEMBED_ERR_TOO_LARGE, "%s: file of %lld bytes is too large to map",
                             path, (long long)st.st_size);
    }
    size_t len = (size_t)st.st_size;
    void *map = NULL;
    if (len > 0) {
        map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            int err = errno;
            close(fd);
            return clembed__fail(err == ENOMEM ? CLEMBED_ERR_NOMEM : CLEMBED_ERR_IO,
                                 "%s: cannot map %zu bytes: %s", path, len, strerror(err));
        }
    }
    close(fd);
    static const uint8_t empty[1];
    clembed_status rc = clembed__st_parse(path, map ? map : empty, len, out);
    if (rc != CLEMBED_OK) {
        if (map)
            munmap(map, len);
        return rc;
    }
    (*out)->map = map;
    (*out)->map_len = len;
    return CLEMBED_OK;
}

void clembed__st_free(clembed__st_file *f)
{
    if (!f)
        return;
    if (f->map)
        munmap(f->map, f->map_len);
    for (size_t i = 0; f->meta && i < 2 * f->n_meta; i++)
        free(f->meta[i]);
    free(f->meta);
    free(f->tensors);
    free(f->by_name);
    free(f->dtype_names);
    free(f->names);
    free(f->copies);
    free(f->path);
    free(f);
}

const clembed__tensor *clembed__st_find(const clembed__st_file *f, const char *name)
{
    size_t lo = 0, hi = f->by_name ? f->n_tensors : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(f->by_name[mid]->name, name);
        if (c == 0)
            return f->by_name[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
