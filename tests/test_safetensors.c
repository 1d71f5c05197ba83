/* The safetensors reader on files built here byte by byte: what the format allows (empty files,
 * zero-size and scalar tensors, leading and trailing whitespace, metadata, every dtype), what it
 * forbids (with the reason in the message), alignment, and fp16/bf16 conversion against values
 * fixed by IEEE 754 and the bfloat16 definition. */
#include "model/safetensors.h"
#include "tap.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A file: 8-byte length, `lead` spaces and the header, then data. */
static uint8_t *build(const char *header, const void *data, size_t data_len, size_t lead,
                      size_t *len)
{
    size_t hl = strlen(header);
    if (lead == (size_t)-1)   /* data area at a multiple of 8 from the start */
        lead = (8 - hl % 8) % 8;
    uint8_t *b = calloc(1, 8 + lead + hl + data_len + 8);
    uint64_t n = lead + hl;
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(n >> (8 * i));
    memset(b + 8, ' ', lead);
    memcpy(b + 8 + lead, header, hl);
    if (data_len)
        memcpy(b + 8 + n, data, data_len);
    *len = 8 + n + data_len;
    return b;
}

static void expect_fail(const char *header, size_t data_len, clembed_status want, const char *sub,
                        const char *what)
{
    uint8_t zeros[256] = {0};
    clembed__st_file *f = NULL;
    size_t len;
    uint8_t *b = build(header, zeros, data_len, 0, &len);
    clembed_status rc = clembed__st_parse("t.safetensors", b, len, &f);
    int good = rc == want && f == NULL && strstr(clembed_errmsg(), "t.safetensors: ") == clembed_errmsg() &&
               strstr(clembed_errmsg(), sub);
    ok(good, "%s: %s", what, sub);
    if (!good)
        diag("  got %s: %s", clembed_strerror(rc), clembed_errmsg());
    clembed__st_free(f);
    free(b);
}

static float f16(uint16_t h)
{
    clembed__tensor t = {.name = "h", .dtype = CLEMBED__F16, .ndim = 1, .shape = {1}};
    uint8_t b[2] = {(uint8_t)h, (uint8_t)(h >> 8)};
    float out;
    t.data = b;
    t.nbytes = 2;
    clembed__tensor_to_f32(&t, &out);
    return out;
}

static float bf16(uint16_t h)
{
    clembed__tensor t = {.name = "b", .dtype = CLEMBED__BF16, .ndim = 1, .shape = {1}};
    uint8_t b[2] = {(uint8_t)h, (uint8_t)(h >> 8)};
    float out;
    t.data = b;
    t.nbytes = 2;
    clembed__tensor_to_f32(&t, &out);
    return out;
}

int main(void)
{
    clembed__st_file *f = NULL;
    size_t len;
    uint8_t *b;
    clembed_log_set_level(CLEMBED_LOG_NONE);

    /* Accepted, as by the reference library. */
    float vals[6] = {0, 1, 2, 3, 4, 5};
    b = build("{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],"
              "\"data_offsets\":[0,24]}}", vals, sizeof vals, 0, &len);
    clembed_status rc = clembed__st_parse("t.safetensors", b, len, &f);
    ok(rc == CLEMBED_OK && f->n_tensors == 1 && f->n_meta == 1 && strcmp(f->meta[0], "format") == 0 &&
       strcmp(f->meta[1], "pt") == 0, "a tensor with metadata");
    if (rc == CLEMBED_OK) {
        const clembed__tensor *t = clembed__st_find(f, "w");
        float out[6];
        ok(t && t->dtype == CLEMBED__F32 && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3 &&
           t->nbytes == 24 && clembed__tensor_numel(t) == 6, "its dtype, shape and size");
        clembed__tensor_to_f32(t, out);
        ok(memcmp(out, vals, sizeof vals) == 0, "its values");
        ok(clembed__st_find(f, "x") == NULL, "an absent name is not found");
        clembed__st_free(f);
    }
    free(b);

    b = build("{}", NULL, 0, 0, &len);
    ok(clembed__st_parse("t.safetensors", b, len, &f) == CLEMBED_OK && f->n_tensors == 0,
       "an empty header and no data");
    clembed__st_free(f);
    free(b);

    uint8_t four[4] = {0, 0, 128, 63};
    b = build("{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
              "\"z\":{\"dtype\":\"F16\",\"shape\":[0,5],\"data_offsets\":[4,4]}}   \n", four, 4, 3, &len);
    rc = clembed__st_parse("t.safetensors", b, len, &f);
    ok(rc == CLEMBED_OK && f->n_tensors == 2, "a scalar, a zero-size tensor, whitespace around the header");
    if (rc == CLEMBED_OK) {
        const clembed__tensor *s = clembed__st_find(f, "s"), *z = clembed__st_find(f, "z");
        float one = 0;
        clembed__tensor_to_f32(s, &one);
        ok(s->ndim == 0 && clembed__tensor_numel(s) == 1 && one == 1.0f && z->nbytes == 0 &&
           clembed__tensor_numel(z) == 0, "the scalar is 1.0, the zero-size tensor is empty");
        clembed__st_free(f);
    }
    free(b);

    uint8_t many[64] = {0};
    b = build("{\"a\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
              "\"b\":{\"dtype\":\"F4\",\"shape\":[4],\"data_offsets\":[16,18]},"
              "\"c\":{\"dtype\":\"F6_E2M3\",\"shape\":[4],\"data_offsets\":[18,21]},"
              "\"d\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[21,24]},"
              "\"e\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[24,28]},"
              "\"f\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[28,36]}}", many, 36, 0, &len);
    rc = clembed__st_parse("t.safetensors", b, len, &f);
    ok(rc == CLEMBED_OK && f->n_tensors == 6 && clembed__st_find(f, "a")->dtype == CLEMBED__OTHER &&
       clembed__st_find(f, "e")->dtype == CLEMBED__BF16 && strcmp(f->dtype_names[1], "F4") == 0,
       "dtypes that are not weights validate too (I64, F4, F6, BOOL, C64)");
    if (rc == CLEMBED_OK)
        clembed__st_free(f);
    free(b);

    /* A float tensor at an odd address is copied to an aligned one. */
    uint8_t odd[12] = {0, 0, 0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0};
    b = build("{\"u\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]},"
              "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[3,11]},"
              "\"v\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[11,12]}}", odd, 12, (size_t)-1, &len);
    rc = clembed__st_parse("t.safetensors", b, len, &f);
    if (ok(rc == CLEMBED_OK, "misaligned tensors are accepted")) {
        const clembed__tensor *w = clembed__st_find(f, "w");
        const float *p = w->data;
        ok((uintptr_t)w->data % 4 == 0 && f->copies != NULL && p[0] == 1.0f && p[1] == 2.0f,
           "and read from an aligned copy");
        clembed__st_free(f);
    }
    free(b);

    /* Refused, each with its reason. */
    b = build("{}", NULL, 0, 0, &len);
    ok(clembed__st_parse("t.safetensors", b, 7, &f) == CLEMBED_ERR_FORMAT && f == NULL &&
       strstr(clembed_errmsg(), "file is 7 bytes"), "7 bytes: too short");
    ok(clembed__st_parse("t.safetensors", b, 0, &f) == CLEMBED_ERR_FORMAT, "0 bytes: too short");
    b[0] = 3;
    ok(clembed__st_parse("t.safetensors", b, len, &f) == CLEMBED_ERR_FORMAT &&
       strstr(clembed_errmsg(), "header length 3 runs past the end of the file (10 bytes)"),
       "header length past the end");
    memset(b, 0xff, 8);
    ok(clembed__st_parse("t.safetensors", b, len, &f) == CLEMBED_ERR_TOO_LARGE &&
       strstr(clembed_errmsg(), "header length 18446744073709551615 is more than the limit"),
       "header length 2^64-1");
    free(b);
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, CLEMBED_ERR_FORMAT,
                "tensor 'a': data_offsets [0, 8] past the end of the data area (4 bytes)", "data cut short");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, CLEMBED_ERR_FORMAT,
                "the tensors cover 4 bytes but the data area has 8", "trailing data");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, CLEMBED_ERR_FORMAT,
                "bytes [0, 4) of the data area belong to no tensor", "a gap");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, CLEMBED_ERR_FORMAT,
                "tensors 'a' [0, 8] and 'b' [4, 8] overlap", "overlapping tensors");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}", 8, CLEMBED_ERR_FORMAT,
                "overlap", "a zero-size tensor inside another");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, CLEMBED_ERR_FORMAT,
                "shape [3] of F32 is 12 bytes, but data_offsets [0, 8] span 8", "size against shape");
    expect_fail("{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2, CLEMBED_ERR_FORMAT,
                "3 elements of F4 do not fill a whole number of bytes", "sub-byte dtypes");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483648,2147483648],\"data_offsets\":[0,8]}}", 8,
                CLEMBED_ERR_TOO_LARGE, "more bytes than 64 bits count", "2^62 elements of F32");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8,
                CLEMBED_ERR_TOO_LARGE, "has more elements than 64 bits count", "2^64 elements");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[100000000000000000],\"data_offsets\":[0,8]}}", 8,
                CLEMBED_ERR_TOO_LARGE, "larger than 2^53", "a dimension past 2^53");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[1e400],\"data_offsets\":[0,8]}}", 8,
                CLEMBED_ERR_TOO_LARGE, "shape entry inf is larger than 2^53", "a number past the double range");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 8, CLEMBED_ERR_FORMAT,
                "data_offsets [4, 0] end before they begin", "reversed offsets");
    expect_fail("{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, CLEMBED_ERR_FORMAT,
                "unknown dtype 'f32'", "dtypes are case-sensitive");
    expect_fail("{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, CLEMBED_ERR_FORMAT,
                "dtype must be a string, not a number", "dtype of the wrong type");
    expect_fail("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, CLEMBED_ERR_FORMAT,
                "tensor 'a': no 'dtype'", "no dtype");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[true],\"data_offsets\":[0,4]}}", 4, CLEMBED_ERR_FORMAT,
                "shape entry must be a non-negative integer, not true", "a boolean dimension");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"0\":4}}}", 4, CLEMBED_ERR_FORMAT,
                "data_offsets must be an array of two integers [begin, end], not an object", "offsets object");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,-4]}}", 4, CLEMBED_ERR_FORMAT,
                "data_offsets end must be a non-negative integer, not -4", "a negative offset");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],\"data_offsets\":[0,4]}}", 4,
                CLEMBED_ERR_UNSUPPORTED, "has 5 dimensions", "five dimensions");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, CLEMBED_ERR_FORMAT,
                "tensor name 'a' appears twice", "a duplicate name");
    expect_fail("{\"__metadata__\":[],\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                CLEMBED_ERR_FORMAT, "__metadata__ must be an object of strings, not an array", "metadata list");
    expect_fail("{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                CLEMBED_ERR_FORMAT, "escaped NUL", "a NUL in a name");
    expect_fail("{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                CLEMBED_ERR_FORMAT, "not valid JSON", "a lone surrogate escape");
    expect_fail("{\"a\xc0\x80\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                CLEMBED_ERR_FORMAT, "not valid UTF-8 (byte 0xc0 at offset 3)", "an overlong UTF-8 form");
    expect_fail("{\"a\xed\xa0\x80\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                CLEMBED_ERR_FORMAT, "not valid UTF-8", "an encoded surrogate");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}\x01", 4,
                CLEMBED_ERR_FORMAT, "control character 0x01", "a control character after the header");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}}", 4,
                CLEMBED_ERR_FORMAT, "extra data after the value", "a second closing brace");
    expect_fail("[]", 0, CLEMBED_ERR_FORMAT, "header must be a JSON object, not an array", "an array header");
    expect_fail("", 0, CLEMBED_ERR_FORMAT, "header: empty", "an empty header");

    /* The names in messages are made printable. */
    expect_fail("{\"a\\u0007b\":5}", 0, CLEMBED_ERR_FORMAT, "tensor 'a?b': entry must be an object",
                "control characters in names are shown as ?");

    /* IEEE 754 binary16 and bfloat16 to binary32. */
    ok(f16(0x3c00) == 1.0f && f16(0xc000) == -2.0f && f16(0x7bff) == 65504.0f &&
       f16(0x3555) == 0x1.554p-2f, "f16 normal numbers");
    ok(f16(0x0001) == 0x1p-24f && f16(0x03ff) == 0x1.ff8p-15f && f16(0x8200) == -0x1p-15f,
       "f16 subnormals");
    ok(f16(0x0000) == 0.0f && !signbit(f16(0x0000)) && signbit(f16(0x8000)), "f16 signed zeros");
    ok(isinf(f16(0x7c00)) && f16(0x7c00) > 0 && isinf(f16(0xfc00)) && f16(0xfc00) < 0 &&
       isnan(f16(0x7e00)), "f16 infinities and NaN");
    ok(bf16(0x3f80) == 1.0f && bf16(0xc049) == -3.140625f && bf16(0x0001) == 0x1p-133f &&
       isinf(bf16(0x7f80)) && isnan(bf16(0x7fc0)), "bf16");

    /* Files on disk. */
    ok(clembed__st_open("/nonexistent/model.safetensors", &f) == CLEMBED_ERR_NOT_FOUND && f == NULL &&
       strstr(clembed_errmsg(), "/nonexistent/model.safetensors: cannot open"), "a missing file");
    ok(clembed__st_open("/", &f) == CLEMBED_ERR_IO && strstr(clembed_errmsg(), "not a regular file"),
       "a directory");
    return done_testing();
}
