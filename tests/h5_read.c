/* A plain C reader of clembed's HDF5 output for tests/h5.sh, through libhdf5 alone:
 *   h5_read FILE DATASET OUT   prints the dataset's shape, type, layout and attributes,
 * writes its rows to OUT as little-endian float32 and, when DATASET_ids exists, the line
 * numbers to OUT.ids, one a line. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void attr(hid_t d, const char *name)
{
    if (H5Aexists(d, name) <= 0) {
        printf(" %s=<none>", name);
        return;
    }
    hid_t a = H5Aopen(d, name, H5P_DEFAULT), t = H5Aget_type(a);
    if (H5Tget_class(t) == H5T_STRING) {
        char buf[512] = "";
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, sizeof buf);
        H5Tset_cset(mt, H5Tget_cset(t));
        H5Aread(a, mt, buf);
        H5Tclose(mt);
        printf(" %s=%s", name, buf);
    } else {
        long long v = 0;
        H5Aread(a, H5T_NATIVE_LLONG, &v);
        printf(" %s=%lld", name, v);
    }
    H5Tclose(t);
    H5Aclose(a);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: h5_read FILE DATASET OUT\n");
        return 2;
    }
    hid_t f = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return 1;
    hid_t d = H5Dopen2(f, argv[2], H5P_DEFAULT);
    if (d < 0)
        return 1;
    hid_t s = H5Dget_space(d), t = H5Dget_type(d), pl = H5Dget_create_plist(d);
    hsize_t dims[2] = {0, 0};
    int rank = H5Sget_simple_extent_dims(s, dims, NULL);
    int f32 = H5Tequal(t, H5T_IEEE_F32LE) > 0;
    printf("rank=%d shape=(%llu, %llu) float32le=%d chunked=%d", rank, (unsigned long long)dims[0],
           (unsigned long long)dims[1], f32, H5Pget_layout(pl) == H5D_CHUNKED);
    attr(d, "model");
    attr(d, "dimension");
    attr(d, "normalize");
    attr(d, "normalized");
    attr(d, "clembed_version");
    printf("\n");
    size_t n = (size_t)(dims[0] * dims[1]);
    float *v = malloc((n ? n : 1) * sizeof *v);
    if (n && H5Dread(d, H5T_IEEE_F32LE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
        return 1;
    FILE *o = fopen(argv[3], "wb");
    if (!o || fwrite(v, sizeof *v, n, o) != n || fclose(o) != 0)
        return 1;
    free(v);
    char ids_name[512];
    snprintf(ids_name, sizeof ids_name, "%s_ids", argv[2]);
    if (H5Lexists(f, ids_name, H5P_DEFAULT) > 0) {
        hid_t di = H5Dopen2(f, ids_name, H5P_DEFAULT), si = H5Dget_space(di);
        hsize_t ni = 0;
        H5Sget_simple_extent_dims(si, &ni, NULL);
        unsigned long long *ids = malloc((ni ? ni : 1) * sizeof *ids);
        if (ni && H5Dread(di, H5T_NATIVE_ULLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids) < 0)
            return 1;
        char path[4096];
        snprintf(path, sizeof path, "%s.ids", argv[3]);
        FILE *io = fopen(path, "w");
        for (hsize_t i = 0; io && i < ni; i++)
            fprintf(io, "%llu\n", ids[i]);
        if (io)
            fclose(io);
        free(ids);
        H5Sclose(si);
        H5Dclose(di);
    }
    H5Pclose(pl);
    H5Tclose(t);
    H5Sclose(s);
    H5Dclose(d);
    H5Fclose(f);
    return 0;
}
