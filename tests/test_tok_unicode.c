/* Every code point through each normalizer and pre-tokenizer, against the
 * reference: tests/data/tokenizers/unicode_expected.json holds, per
 * component, a CRC-32 of the Hugging Face library's outputs for each block
 * of 4096 code points (tools/gen_unicode_tables.py --expected).  The inputs
 * and the output encoding here are the same as there. */
#define _POSIX_C_SOURCE 200809L
#include "tokenizers/tk_tokenizer.h"
#include "tap.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc_add(uint32_t crc, const void *data, size_t n)
{
    const unsigned char *p = data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = crc_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

static char *slurp(const char *cmd, size_t *len)
{
    FILE *f = popen(cmd, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    pclose(f);
    if (buf)
        buf[n] = 0;
    *len = n;
    return buf;
}

/* The input as a piece with identity alignment. */
static clembed__piece make_piece(clembed__arena *a, const char *s, size_t len)
{
    clembed__span *al = clembed__arena_alloc(a, (len + 1) * sizeof *al);
    for (size_t i = 0; i < len;) {
        size_t k = clembed__utf8_seqlen((unsigned char)s[i]);
        for (size_t j = 0; j < k; j++)
            al[i + j] = (clembed__span){(uint32_t)i, (uint32_t)(i + k)};
        i += k;
    }
    clembed__piece p = {s, al, (uint32_t)len, 0, -1};
    return p;
}

static size_t char_index(const char *s, size_t byte)
{
    size_t n = 0;
    for (size_t i = 0; i < byte; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    if (!top)
        top = ".";
    crc_init();
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cat '%s/tests/data/tokenizers/unicode_expected.json'", top);
    size_t len = 0;
    char *text = slurp(cmd, &len);
    cJSON *root = text ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    if (!root)
        skip_all("cannot read tests/data/tokenizers/unicode_expected.json");
    snprintf(cmd, sizeof cmd, "gzip -dc '%s/tests/data/tokenizers/t5-small.json.gz'", top);
    char *t5 = slurp(cmd, &len);
    cJSON *t5j = t5 ? cJSON_ParseWithLength(t5, len) : NULL;
    free(t5);
    const cJSON *block_j = cJSON_GetObjectItem(root, "block");
    size_t block = cJSON_IsNumber(block_j) ? (size_t)block_j->valuedouble : 4096;
    const cJSON *comp;
    clembed__arena a = {0};
    cJSON_ArrayForEach(comp, cJSON_GetObjectItem(root, "components")) {
        const char *kind = cJSON_GetObjectItem(comp, "kind")->valuestring;
        const cJSON *spec = cJSON_GetObjectItem(comp, "json");
        if (cJSON_IsString(spec) && !strcmp(spec->valuestring, "t5"))
            spec = cJSON_GetObjectItem(t5j, "normalizer");
        char *desc = cJSON_PrintUnformatted(spec);
        if (desc && strlen(desc) > 70)
            strcpy(desc + 67, "...");
        int is_norm = !strcmp(kind, "normalizer");
        clembed__normalizer *norm = NULL;
        clembed__pretok *pt = NULL;
        clembed_status rc = is_norm ? clembed__normalizer_load(spec, 0, &norm) : clembed__pretok_load(spec, 0, &pt);
        if (!ok(rc == CLEMBED_OK, "load %s %s", kind, desc ? desc : "")) {
            diag("%s", clembed_errmsg());
            free(desc);
            continue;
        }
        const cJSON *hashes = cJSON_GetObjectItem(comp, "hashes");
        size_t nblk = (size_t)cJSON_GetArraySize(hashes), bad = 0, checked = 0;
        for (size_t b = 0; b < nblk; b++) {
            uint32_t crc = 0;
            for (uint32_t c = (uint32_t)(b * block); c < (b + 1) * block; c++) {
                if (c >= 0xD800 && c < 0xE000)
                    continue;
                checked++;
                char ch[5];
                size_t cl = clembed__utf8_enc(c, ch);
                char in[2][32];
                size_t il[2];
                if (is_norm) {
                    memcpy(in[0], ch, cl);
                    il[0] = cl;
                    in[1][0] = 'a';
                    memcpy(in[1] + 1, ch, cl);
                    memcpy(in[1] + 1 + cl, "\xcc\x81", 2);
                    il[1] = cl + 3;
                } else {
                    memcpy(in[0], ch, cl);
                    il[0] = cl;
                    size_t k = 0;
                    in[1][k++] = 'x';
                    memcpy(in[1] + k, ch, cl);
                    k += cl;
                    in[1][k++] = '1';
                    in[1][k++] = ' ';
                    memcpy(in[1] + k, ch, cl);
                    k += cl;
                    in[1][k++] = '.';
                    il[1] = k;
                }
                for (int t = 0; t < 2; t++) {
                    clembed__piece p = make_piece(&a, in[t], il[t]);
                    if (is_norm) {
                        if (clembed__normalize(&a, norm, &p))
                            crc = crc_add(crc, p.s, p.len);
                        crc = crc_add(crc, "", 1);
                    } else {
                        clembed__pieces inp = {0}, out = {0};
                        CLEMBED__VEC_PUSH(&a, inp, p);
                        if (clembed__pretokenize(&a, pt, &inp, &out)) {
                            for (size_t i = 0; i < out.n; i++) {
                                const clembed__piece *q = &out.v[i];
                                char num[64];
                                size_t s0 = char_index(in[t], q->shift);
                                size_t e0 = char_index(in[t], q->len ? q->al[q->len - 1].e : q->shift);
                                int nl = snprintf(num, sizeof num, "\001%zu,%zu\002", s0, e0);
                                crc = crc_add(crc, q->s, q->len);
                                crc = crc_add(crc, num, (size_t)nl);
                            }
                        }
                        crc = crc_add(crc, "", 1);
                    }
                    clembed__arena_reset(&a);
                }
            }
            char want[16];
            snprintf(want, sizeof want, "%08x", crc);
            const cJSON *h = cJSON_GetArrayItem(hashes, (int)b);
            if (!cJSON_IsString(h) || strcmp(h->valuestring, want)) {
                if (++bad <= 5)
                    diag("%s: block U+%05zX..U+%05zX differs (tools/gen_unicode_tables.py --block N %zx shows it)",
                         desc ? desc : kind, b * block, (b + 1) * block - 1, b);
            }
        }
        ok(bad == 0 && nblk * block == 0x110000, "%s %s: %zu code points, %zu of %zu blocks match", kind,
           desc ? desc : "", checked, nblk - bad, nblk);
        clembed__normalizer_free(norm);
        clembed__pretok_free(pt);
        free(desc);
    }
    clembed__arena_free(&a);
    cJSON_Delete(t5j);
    cJSON_Delete(root);
    return done_testing();
}
