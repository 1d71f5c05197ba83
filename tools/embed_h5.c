/* clembed embed -f h5: vectors into an HDF5 dataset (serial libhdf5), built only when
 * configure found it.
 *
 * Layout: dataset NAME (default "embeddings"), float32, n x dim, chunked and extendible
 * along the rows, with attributes model, model_path, dimension, normalize, normalized and
 * clembed_version; with --ids, dataset NAME_ids (uint64, n) holding each row's input line.
 *
 * What HDF5 can guarantee and what it cannot:
 *  - The dataset is written as NAME.partial and moved to NAME (H5Lmove) only when complete;
 *    a new file is also written as FILE.partial and renamed, so FILE never looks whole when
 *    it is not.
 *  - Rows are placed by their row index (a hyperslab at `first`), so a parallel-HDF5
 *    writer (MPI-IO, collective writes at each rank's offsets) can take this interface.
 *  - After each window the file is flushed (H5Fflush) and synced.  libhdf5 has no
 *    journal: a process killed while it writes can leave the file's metadata torn.  So
 *    --resume reopens the file, reads back every done row and compares it with the
 *    journal's hash; a file libhdf5 cannot open, or rows that differ, are refused (start
 *    over).  A resumed dataset then holds the same values as an uninterrupted run, but the
 *    file's bytes (free space, object addresses) may differ: the byte-for-byte promise is
 *    about the rows, not the container.
 *  - Appending a dataset to an existing file writes into that file in place: a crash can
 *    damage what it held before.  Keep a copy of a file you cannot regenerate.
 */
#define _POSIX_C_SOURCE 200809L
#include "embed.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct eh5 {
    hid_t file, dset, ids;
    char *name, *partial, *ids_name, *ids_partial;
    const char *path;
    int append, want_ids;
    size_t dim;
    uint64_t rows;
};

static int exists(hid_t file, const char *name)
{
    return H5Lexists(file, name, H5P_DEFAULT) > 0;
}

void eh5_close(eh5 *h)
{
    if (!h)
        return;
    if (h->ids >= 0)
        H5Dclose(h->ids);
    if (h->dset >= 0)
        H5Dclose(h->dset);
    if (h->file >= 0)
        H5Fclose(h->file);
    free(h->name);
    free(h->partial);
    free(h->ids_name);
    free(h->ids_partial);
    free(h);
}

/* Rows [0, rows) of dset, hashed as little-endian float32 (as the journal's hash is). */
static int hash_rows(hid_t dset, uint64_t rows, size_t dim, uint64_t *out)
{
    ehash hs;
    ehash_init(&hs);
    const uint64_t block = 4096;
    float *buf = malloc(block * dim * sizeof *buf);
    hid_t fs = H5Dget_space(dset);
    int good = buf && fs >= 0;
    for (uint64_t r = 0; good && r < rows; r += block) {
        hsize_t start[2] = {r, 0}, count[2] = {rows - r < block ? rows - r : block, dim};
        hid_t ms = H5Screate_simple(2, count, NULL);
        good = ms >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
               H5Dread(dset, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, buf) >= 0;
        if (ms >= 0)
            H5Sclose(ms);
        for (size_t i = 0; good && i < count[0] * dim; i++) {
            uint32_t u;
            memcpy(&u, &buf[i], 4);
            unsigned char b[4] = {u & 0xff, (u >> 8) & 0xff, (u >> 16) & 0xff, u >> 24};
            ehash_add(&hs, b, 4);
        }
    }
    if (fs >= 0)
        H5Sclose(fs);
    free(buf);
    *out = ehash_value(&hs);
    return good;
}

eh5 *eh5_open(const char *path, int append, const char *name, int ids, int resume, uint64_t rows,
              uint64_t hash)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);   /* we say what failed, once */
    eh5 *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->file = h->dset = h->ids = -1;
    h->path = path;
    h->append = append;
    h->want_ids = ids;
    h->rows = rows;
    h->name = strdup(name);
    h->partial = esuffixed(name, ".partial");
    h->ids_name = esuffixed(name, "_ids");
    h->ids_partial = esuffixed(name, "_ids.partial");
    if (!h->name || !h->partial || !h->ids_name || !h->ids_partial)
        goto fail;
    if (append || resume) {
        h->file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        if (h->file < 0) {
            fprintf(stderr, "clembed embed: %s: libhdf5 cannot open it for writing%s\n", path,
                    resume ? " (a run killed while writing can leave it torn: remove it and its journal "
                             "to start over)" : " (not an HDF5 file?)");
            goto fail;
        }
    } else {
        h->file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        if (h->file < 0) {
            fprintf(stderr, "clembed embed: cannot create the HDF5 file %s\n", path);
            goto fail;
        }
    }
    if (append && (exists(h->file, name) || (ids && exists(h->file, h->ids_name)))) {
        fprintf(stderr, "clembed embed: %s already has a dataset '%s'; choose another --dataset\n", path,
                exists(h->file, name) ? name : h->ids_name);
        goto fail;
    }
    if (!resume) {
        /* What an earlier, failed run left. */
        if (exists(h->file, h->partial))
            H5Ldelete(h->file, h->partial, H5P_DEFAULT);
        if (exists(h->file, h->ids_partial))
            H5Ldelete(h->file, h->ids_partial, H5P_DEFAULT);
        return h;
    }
    h->dset = H5Dopen2(h->file, h->partial, H5P_DEFAULT);
    if (ids)
        h->ids = H5Dopen2(h->file, h->ids_partial, H5P_DEFAULT);
    hsize_t dims[2] = {0, 0};
    hid_t fs = h->dset >= 0 ? H5Dget_space(h->dset) : -1;
    int nd = fs >= 0 ? H5Sget_simple_extent_dims(fs, dims, NULL) : -1;
    if (fs >= 0)
        H5Sclose(fs);
    uint64_t got = 0;
    if (h->dset < 0 || (ids && h->ids < 0) || nd != 2 || dims[0] < rows ||
        !hash_rows(h->dset, rows, (size_t)dims[1], &got) || got != hash) {
        fprintf(stderr, "clembed embed: --resume: dataset '%s' in %s does not hold the %llu rows the "
                        "journal describes; remove the file (or the dataset) and the journal to start over\n",
                h->partial, path, (unsigned long long)rows);
        goto fail;
    }
    h->dim = (size_t)dims[1];
    hsize_t keep[2] = {rows, dims[1]}, keep1[1] = {rows};
    if (H5Dset_extent(h->dset, keep) < 0 || (h->ids >= 0 && H5Dset_extent(h->ids, keep1) < 0)) {
        fprintf(stderr, "clembed embed: --resume: cannot cut dataset '%s' to %llu rows\n", h->partial,
                (unsigned long long)rows);
        goto fail;
    }
    return h;
fail:
    eh5_close(h);
    return NULL;
}

static int attr_str(hid_t obj, const char *key, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR);
    H5Tset_size(t, strlen(value) + 1);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t a = H5Acreate2(obj, key, t, s, H5P_DEFAULT, H5P_DEFAULT);
    int good = a >= 0 && H5Awrite(a, t, value) >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    return good;
}

static int attr_int(hid_t obj, const char *key, long long value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, key, H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    int good = a >= 0 && H5Awrite(a, H5T_NATIVE_LLONG, &value) >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(s);
    return good;
}

static hid_t create(hid_t file, const char *name, int rank, hsize_t cols, hid_t type)
{
    hsize_t dims[2] = {0, cols}, max[2] = {H5S_UNLIMITED, cols};
    /* Chunks of about 1 MiB of rows. */
    hsize_t rows = cols ? ((hsize_t)1 << 18) / cols : 1 << 17;
    hsize_t chunk[2] = {rows ? rows : 1, cols};
    hid_t s = H5Screate_simple(rank, dims, max), pl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t d = -1;
    if (s >= 0 && pl >= 0 && H5Pset_chunk(pl, rank, chunk) >= 0)
        d = H5Dcreate2(file, name, type, s, H5P_DEFAULT, pl, H5P_DEFAULT);
    if (pl >= 0)
        H5Pclose(pl);
    if (s >= 0)
        H5Sclose(s);
    return d;
}

int eh5_start(eh5 *h, size_t dim, const eout_params *p)
{
    if (h->dset >= 0) {   /* resumed */
        if (h->dim != dim) {
            fprintf(stderr, "clembed embed: --resume: dataset '%s' has %zu columns, the model gives %zu\n",
                    h->partial, h->dim, dim);
            return 0;
        }
        return 1;
    }
    h->dim = dim;
    h->dset = create(h->file, h->partial, 2, dim, H5T_IEEE_F32LE);
    if (h->want_ids)
        h->ids = create(h->file, h->ids_partial, 1, 0, H5T_STD_U64LE);
    int good = h->dset >= 0 && (!h->want_ids || h->ids >= 0) &&
               attr_str(h->dset, "model", p->model_name) && attr_str(h->dset, "model_path", p->model_path) &&
               attr_int(h->dset, "dimension", (long long)dim) && attr_str(h->dset, "normalize", p->normalize) &&
               attr_int(h->dset, "normalized", p->normalized) &&
               attr_str(h->dset, "clembed_version", p->version);
    if (good && h->ids >= 0)
        good = attr_str(h->ids, "description", "input line number (1-based) of each row of the dataset");
    if (!good)
        fprintf(stderr, "clembed embed: %s: cannot create dataset '%s'\n", h->path, h->partial);
    return good;
}

static int write_block(hid_t d, int rank, uint64_t first, size_t n, size_t cols, hid_t mtype,
                       const void *data)
{
    hsize_t ext[2] = {first + n, cols}, start[2] = {first, 0}, count[2] = {n, cols};
    if (H5Dset_extent(d, ext) < 0)
        return 0;
    hid_t fs = H5Dget_space(d), ms = H5Screate_simple(rank, count, NULL);
    int good = fs >= 0 && ms >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
               H5Dwrite(d, mtype, ms, fs, H5P_DEFAULT, data) >= 0;
    if (ms >= 0)
        H5Sclose(ms);
    if (fs >= 0)
        H5Sclose(fs);
    return good;
}

int eh5_rows(eh5 *h, uint64_t first, const float *v, const uint64_t *ids, size_t n, size_t dim)
{
    if (n == 0)
        return 1;
    if (!write_block(h->dset, 2, first, n, dim, H5T_NATIVE_FLOAT, v) ||
        (h->ids >= 0 && !write_block(h->ids, 1, first, n, 1, H5T_NATIVE_UINT64, ids))) {
        fprintf(stderr, "clembed embed: writing %s: libhdf5 failed to write rows %llu-%llu\n", h->path,
                (unsigned long long)first, (unsigned long long)(first + n - 1));
        return 0;
    }
    if (first + n > h->rows)
        h->rows = first + n;
    return 1;
}

int eh5_flush(eh5 *h)
{
    void *handle = NULL;
    if (H5Fflush(h->file, H5F_SCOPE_LOCAL) < 0 || H5Fget_vfd_handle(h->file, H5P_DEFAULT, &handle) < 0 ||
        !handle || fsync(*(int *)handle) != 0) {
        fprintf(stderr, "clembed embed: writing %s: libhdf5 failed to flush it\n", h->path);
        return 0;
    }
    return 1;
}

int eh5_finish(eh5 *h, uint64_t rows)
{
    int good = h->dset >= 0 && rows == h->rows;
    if (good && (H5Lmove(h->file, h->partial, h->file, h->name, H5P_DEFAULT, H5P_DEFAULT) < 0 ||
                 (h->ids >= 0 && H5Lmove(h->file, h->ids_partial, h->file, h->ids_name, H5P_DEFAULT,
                                         H5P_DEFAULT) < 0)))
        good = 0;
    good = good && eh5_flush(h);
    if (!good)
        fprintf(stderr, "clembed embed: %s: cannot finish dataset '%s'\n", h->path, h->name);
    if (h->ids >= 0)
        H5Dclose(h->ids);
    H5Dclose(h->dset);
    h->ids = h->dset = -1;
    if (H5Fclose(h->file) < 0 && good) {
        fprintf(stderr, "clembed embed: writing %s: libhdf5 failed to close it\n", h->path);
        good = 0;
    }
    h->file = -1;
    eh5_close(h);
    return good;
}
