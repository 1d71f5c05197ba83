/* clembed tokenize: one JSON object per input line with the tokenizer's output. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clembed tokenize (-m DIR | --tokenizer FILE) [OPTIONS] [INPUT]\n"
            "\n"
            "Reads one text per line from INPUT (default: standard input) and prints one JSON\n"
            "object per line: ids, tokens, type_ids, attention_mask, special_tokens_mask and\n"
            "offsets (in Unicode code points of the input, as Hugging Face tokenizers reports).\n"
            "\n"
            "  -m, --model DIR        model directory (its tokenizer.json)\n"
            "  -t, --tokenizer FILE   a tokenizer.json\n"
            "  -p, --pair             each line is TEXT<TAB>PAIR\n"
            "  -j, --json             each line is a JSON string, or an array of two strings\n"
            "                         (a pair): texts with newlines, tabs or NULs\n"
            "  --max-length N         truncate to N tokens (special tokens included)\n"
            "  --no-truncation        do not truncate, whatever tokenizer.json says\n"
            "  --no-padding           do not pad, whatever tokenizer.json says\n"
            "  --no-special           do not add special tokens (no post-processor)\n"
            "  --replace-invalid      replace invalid UTF-8 by U+FFFD instead of failing\n"
            "  --decode               also print the decoded text of the ids\n"
            "  -h, --help             this help\n");
}

/* Decodes the JSON string literal at *p into out (NUL-terminated, *len bytes,
 * NULs kept); advances *p past it.  0 when malformed. */
static int json_string(const char **p, char *out, size_t *len)
{
    const char *s = *p;
    size_t n = 0;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s++ != '"')
        return 0;
    for (; *s && *s != '"'; s++) {
        if (*s != '\\') {
            out[n++] = *s;
            continue;
        }
        s++;
        const char *esc = strchr("\"\\/bfnrt", *s);
        if (*s && esc) {
            out[n++] = "\"\\/\b\f\n\r\t"[esc - "\"\\/bfnrt"];
            continue;
        }
        if (*s != 'u')
            return 0;
        unsigned long c = 0;
        for (int k = 1; k <= 4; k++) {
            char h = s[k];
            int v = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
            if (v < 0)
                return 0;
            c = c * 16 + (unsigned long)v;
        }
        s += 4;
        if (c >= 0xD800 && c < 0xDC00 && s[1] == '\\' && s[2] == 'u') {
            unsigned long lo = strtoul((char[5]){s[3], s[4], s[5], s[6], 0}, NULL, 16);
            if (lo >= 0xDC00 && lo < 0xE000) {
                c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                s += 6;
            }
        }
        if (c < 0x80) {
            out[n++] = (char)c;
        } else if (c < 0x800) {
            out[n++] = (char)(0xC0 | (c >> 6));
            out[n++] = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out[n++] = (char)(0xE0 | (c >> 12));
            out[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[n++] = (char)(0x80 | (c & 0x3F));
        } else {
            out[n++] = (char)(0xF0 | (c >> 18));
            out[n++] = (char)(0x80 | ((c >> 12) & 0x3F));
            out[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[n++] = (char)(0x80 | (c & 0x3F));
        }
    }
    if (*s != '"')
        return 0;
    out[n] = 0;
    *len = n;
    *p = s + 1;
    return 1;
}

static void print_array_i32(FILE *f, const char *name, const int32_t *v, size_t n)
{
    fprintf(f, "\"%s\":[", name);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%d", i ? "," : "", v[i]);
    fputc(']', f);
}

static void print_array_u8(FILE *f, const char *name, const uint8_t *v, size_t n)
{
    fprintf(f, "\"%s\":[", name);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%u", i ? "," : "", v[i]);
    fputc(']', f);
}

int clembed_cmd_tokenize(int argc, char **argv)
{
    const char *model = NULL, *file = NULL, *input = NULL;
    int pair = 0, decode = 0, json = 0;
    clembed_encode_params ep;
    clembed_encode_params_init(&ep);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if ((!strcmp(a, "-m") || !strcmp(a, "--model")) && i + 1 < argc) {
            model = argv[++i];
        } else if ((!strcmp(a, "-t") || !strcmp(a, "--tokenizer")) && i + 1 < argc) {
            file = argv[++i];
        } else if (!strcmp(a, "-p") || !strcmp(a, "--pair")) {
            pair = 1;
        } else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--max-length") && i + 1 < argc) {
            char *end;
            unsigned long long v = strtoull(argv[++i], &end, 10);
            if (*end || v == 0) {
                fprintf(stderr, "clembed tokenize: --max-length needs a positive integer\n");
                return 2;
            }
            ep.truncation = 1;
            ep.max_length = (size_t)v;
        } else if (!strcmp(a, "--no-truncation")) {
            ep.truncation = 0;
        } else if (!strcmp(a, "--no-padding")) {
            ep.padding = 0;
        } else if (!strcmp(a, "--no-special")) {
            ep.add_special = 0;
        } else if (!strcmp(a, "--replace-invalid")) {
            ep.replace_invalid_utf8 = 1;
        } else if (!strcmp(a, "--decode")) {
            decode = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "clembed tokenize: unknown option '%s'\n\n", a);
            usage(stderr);
            return 2;
        } else if (!input) {
            input = a;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!model == !file) {
        fprintf(stderr, "clembed tokenize: give exactly one of -m DIR or --tokenizer FILE\n\n");
        usage(stderr);
        return 2;
    }
    FILE *in = stdin;
    if (input && strcmp(input, "-") != 0 && !(in = fopen(input, "rb"))) {
        perror(input);
        return 1;
    }
    clembed_tokenizer *tok = NULL;
    clembed_status rc = clembed_tokenizer_open(model ? model : file, &tok);
    if (rc != CLEMBED_OK) {
        if (in != stdin)
            fclose(in);
        return cli_fail("cannot open the tokenizer", rc);
    }
    char *line = NULL, *jbuf = NULL;
    size_t cap = 0, jcap = 0;
    ssize_t got;
    int status = 0;
    size_t lineno = 0;
    while ((got = getline(&line, &cap, in)) >= 0) {
        lineno++;
        size_t len = (size_t)got;
        if (len && line[len - 1] == '\n')
            line[--len] = 0;
        const char *second = NULL;
        size_t second_len = 0;
        if (json) {
            /* the decoded texts are never longer than the line */
            if (jcap < 2 * len + 2) {
                char *nb = realloc(jbuf, 2 * len + 2);
                if (!nb) {
                    status = cli_fail("out of memory", CLEMBED_ERR_NOMEM);
                    break;
                }
                jbuf = nb;
                jcap = 2 * len + 2;
            }
            const char *q = line;
            while (*q == ' ')
                q++;
            int arr = *q == '[';
            if (arr)
                q++;
            size_t l1 = 0, l2 = 0;
            int okj = json_string(&q, jbuf, &l1);
            if (okj && arr) {
                while (*q == ' ')
                    q++;
                okj = *q++ == ',' && json_string(&q, jbuf + l1 + 1, &l2);
                while (okj && *q == ' ')
                    q++;
                okj = okj && *q == ']';
                second = jbuf + l1 + 1;
                second_len = l2;
            }
            if (!okj) {
                fprintf(stderr, "clembed tokenize: line %zu is not a JSON string or [string, string]\n", lineno);
                status = 1;
                break;
            }
            memmove(line, jbuf, l1);
            len = l1;
        } else if (pair) {
            char *tab = memchr(line, '\t', len);
            if (!tab) {
                fprintf(stderr, "clembed tokenize: line %zu has no tab (--pair)\n", lineno);
                status = 1;
                break;
            }
            second = tab + 1;
            second_len = len - (size_t)(second - line);
            len = (size_t)(tab - line);
        }
        clembed_encoding *enc = NULL;
        rc = clembed_tokenizer_encode(tok, line, len, second, second_len, &ep, &enc);
        if (rc != CLEMBED_OK) {
            char what[64];
            snprintf(what, sizeof what, "line %zu", lineno);
            status = cli_fail(what, rc);
            break;
        }
        FILE *o = stdout;
        fputc('{', o);
        print_array_i32(o, "ids", enc->ids, enc->n);
        fputs(",\"tokens\":[", o);
        for (size_t i = 0; i < enc->n; i++) {
            if (i)
                fputc(',', o);
            cli_json_string(o, enc->tokens[i]);
        }
        fputs("],", o);
        print_array_i32(o, "type_ids", enc->type_ids, enc->n);
        fputc(',', o);
        print_array_u8(o, "attention_mask", enc->attention_mask, enc->n);
        fputc(',', o);
        print_array_u8(o, "special_tokens_mask", enc->special_mask, enc->n);
        fputs(",\"offsets\":[", o);
        for (size_t i = 0; i < enc->n; i++)
            fprintf(o, "%s[%zu,%zu]", i ? "," : "", enc->offsets[i][0], enc->offsets[i][1]);
        fputc(']', o);
        if (decode) {
            char *text = NULL;
            rc = clembed_tokenizer_decode(tok, enc->ids, enc->n, 1, &text);
            if (rc == CLEMBED_OK) {
                fputs(",\"decoded\":", o);
                cli_json_string(o, text);
            }
            free(text);
        }
        fputs("}\n", o);
        clembed_encoding_free(enc);
        if (rc != CLEMBED_OK) {
            status = cli_fail("decode", rc);
            break;
        }
    }
    free(line);
    free(jbuf);
    if (in != stdin)
        fclose(in);
    clembed_tokenizer_free(tok);
    return status;
}
