/* Internal to libclembed: the tokenizer's building blocks (Unicode tables,
 * normalized strings with alignments, pre-tokenizers, models, post-processors).
 *
 * Text flows as in the Hugging Face tokenizers library, which is the
 * reference: added tokens are split out, each remaining piece is normalized,
 * pre-tokenized into smaller pieces, and each piece is cut into tokens by the
 * model.  Every normalized byte carries the span of original bytes it comes
 * from (absolute offsets into the input text), as the reference's
 * NormalizedString alignments do, so token offsets map back to the input. */
#ifndef CLEMBED_TK_H
#define CLEMBED_TK_H

#include "core/internal.h"

#include <stddef.h>
#include <stdint.h>

/* ---- Unicode ------------------------------------------------------------ */

enum {
    CLEMBED__UC_RWS = 1 << 0,        /* Rust char::is_whitespace */
    CLEMBED__UC_BERT_DROP = 1 << 1,  /* removed by BertNormalizer clean_text */
    CLEMBED__UC_BERT_SPACE = 1 << 2, /* turned into ' ' by clean_text */
    CLEMBED__UC_CJK = 1 << 3,        /* BertNormalizer handle_chinese_chars */
    CLEMBED__UC_MN = 1 << 4,         /* combining mark (StripAccents) */
    CLEMBED__UC_BERT_PUNC = 1 << 5,  /* BertPreTokenizer punctuation */
    CLEMBED__UC_PUNCT = 1 << 6,      /* Punctuation pre-tokenizer */
    CLEMBED__UC_NUMERIC = 1 << 7,    /* Digits pre-tokenizer */
    CLEMBED__UC_W = 1 << 8,          /* regex \w */
    CLEMBED__UC_S = 1 << 9,          /* regex \s */
    CLEMBED__UC_L = 1 << 10,         /* regex \p{L} */
    CLEMBED__UC_N = 1 << 11,         /* regex \p{N} */
    CLEMBED__UC_LOWER = 1 << 12,     /* has a lowercase mapping */
    CLEMBED__UC_NFD = 1 << 13,       /* canonical decomposition (not Hangul) */
    CLEMBED__UC_NFKD = 1 << 14,      /* compatibility decomposition (not Hangul) */
    CLEMBED__UC_CCC = 1 << 15,       /* non-zero canonical combining class */
    CLEMBED__UC_BERT_MN = 1 << 16,   /* nonspacing mark (BertNormalizer strip_accents) */
    CLEMBED__UC_RE_L = 1 << 17,      /* \p{L}, \p{N}, \s, \w, \d of Split's regex engine */
    CLEMBED__UC_RE_N = 1 << 18,
    CLEMBED__UC_RE_S = 1 << 19,
    CLEMBED__UC_RE_W = 1 << 20,
    CLEMBED__UC_RE_D = 1 << 21
};

typedef struct clembed__uc_map { uint32_t cp, off, n; } clembed__uc_map;
typedef struct clembed__uc_ccc { uint32_t cp; uint8_t ccc; } clembed__uc_ccc;
typedef struct clembed__uc_comp { uint32_t a, b, c; } clembed__uc_comp;

extern const uint16_t clembed__uc_stage1[4352];
extern const uint32_t clembed__uc_stage2[][256];
extern const uint32_t clembed__uc_pool[];
extern const clembed__uc_map clembed__uc_lower[], clembed__uc_nfd[], clembed__uc_nfkd[];
extern const size_t clembed__uc_lower_len, clembed__uc_nfd_len, clembed__uc_nfkd_len;
extern const clembed__uc_ccc clembed__uc_ccc_table[];
extern const size_t clembed__uc_ccc_len;
extern const clembed__uc_comp clembed__uc_comp_table[];
extern const size_t clembed__uc_comp_len;

static inline unsigned clembed__uc_flags(uint32_t c)
{
    return c < 0x110000 ? clembed__uc_stage2[clembed__uc_stage1[c >> 8]][c & 255] : 0;
}

/* Decodes one code point from UTF-8 at s (n bytes left, n >= 1); returns
 * its length.  Input is validated before it gets here; a truncated sequence
 * still never reads past n (it decodes as its first byte). */
static inline size_t clembed__utf8_dec(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0xC0 || n < 2) {
        *cp = u[0];
        return 1;
    }
    if (u[0] < 0xE0) {
        *cp = ((uint32_t)(u[0] & 0x1F) << 6) | (u[1] & 0x3F);
        return 2;
    }
    if (n < 3) {
        *cp = u[0];
        return 1;
    }
    if (u[0] < 0xF0) {
        *cp = ((uint32_t)(u[0] & 0x0F) << 12) | ((uint32_t)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
        return 3;
    }
    if (n < 4) {
        *cp = u[0];
        return 1;
    }
    *cp = ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3F) << 12) |
          ((uint32_t)(u[2] & 0x3F) << 6) | (u[3] & 0x3F);
    return 4;
}

static inline size_t clembed__utf8_len(uint32_t c)
{
    return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

/* Writes c as UTF-8 to out (4 bytes room); returns the length. */
size_t clembed__utf8_enc(uint32_t c, char *out);
/* Byte length of the UTF-8 sequence starting with byte b (1 for stray bytes). */
static inline size_t clembed__utf8_seqlen(unsigned char b)
{
    return b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

/* Length of the maximal ill-formed subpart at s (one U+FFFD each). */
size_t clembed__utf8_maximal_invalid(const char *s, size_t n);
/* Checks UTF-8 validity; returns the offset of the first invalid byte, or len. */
size_t clembed__utf8_check(const char *s, size_t len);

/* The entry of sorted table t (n entries) for c, NULL when none. */
const clembed__uc_map *clembed__uc_find_map(const clembed__uc_map *t, size_t n, uint32_t c);
/* Lowercase mapping (Rust char::to_lowercase): writes up to 3 code points. */
size_t clembed__uc_tolower(uint32_t c, uint32_t out[3]);
/* Python's str.lower() (tools/gen_pylower_tables.py), as sentence-transformers
 * applies it under do_lower_case: full mappings and the Final_Sigma rule.
 * s must be valid UTF-8; returns a NUL-terminated copy (NULL when out of
 * memory) and its length in *out_len. */
char *clembed__py_lower(const char *s, size_t n, size_t *out_len);
typedef struct clembed__uc_run { uint32_t cp; uint8_t cls; } clembed__uc_run;
extern const uint32_t clembed__pylower_pool[];
extern const clembed__uc_map clembed__pylower_map[];
extern const size_t clembed__pylower_map_len;
extern const clembed__uc_run clembed__pylower_class[];
extern const size_t clembed__pylower_class_len;
/* Full decomposition; returns the count written to out (up to 18), 1 when none. */
size_t clembed__uc_decompose(uint32_t c, int compat, uint32_t out[18]);
unsigned clembed__uc_ccc_of(uint32_t c);
/* Canonical composition of a pair, 0 when none. */
uint32_t clembed__uc_compose(uint32_t a, uint32_t b);

/* ---- arena -------------------------------------------------------------- */

typedef struct clembed__arena_chunk clembed__arena_chunk;
typedef struct clembed__arena {
    clembed__arena_chunk *head;  /* current chunk; older ones follow */
    size_t used;                 /* in the current chunk */
    int    failed;               /* an allocation failed since the last reset */
} clembed__arena;

/* 16-byte aligned memory that lives until the next reset; NULL (and
 * arena->failed set) when out of memory. */
void *clembed__arena_alloc(clembed__arena *a, size_t n);
/* Keeps the largest chunk for reuse, frees the rest. */
void clembed__arena_reset(clembed__arena *a);
void clembed__arena_free(clembed__arena *a);

/* A growable array in an arena. */
#define CLEMBED__VEC(T) struct { T *v; size_t n, cap; }
int clembed__vec_grow(clembed__arena *a, void **v, size_t *cap, size_t elem, size_t need);
#define CLEMBED__VEC_PUSH(A, vec, item) \
    (((vec).n < (vec).cap || clembed__vec_grow((A), (void **)&(vec).v, &(vec).cap, sizeof *(vec).v, (vec).n + 1)) \
         ? ((vec).v[(vec).n++] = (item), 1) : 0)

/* ---- normalized pieces -------------------------------------------------- */

typedef struct clembed__span { uint32_t s, e; } clembed__span;

/* A piece of normalized text.  al[i] is the original span of normalized
 * byte i.  Buffers live in the encoding's arena (or in the input). */
typedef struct clembed__piece {
    const char          *s;
    const clembed__span *al;
    uint32_t             len;
    uint32_t             shift;   /* original start (the reference's original_shift) */
    int32_t              added;   /* added token id, or -1 */
} clembed__piece;

typedef CLEMBED__VEC(clembed__piece) clembed__pieces;

/* A (code point, change) item of the reference's transform(): change 0
 * replaces the next original char, +1 inserts, -k replaces and removes k. */
typedef struct clembed__change { uint32_t c; int32_t change; } clembed__change;

/* The reference's NormalizedString::transform_range over normalized bytes
 * [rs, re), skipping `initial` chars first.  0 on out of memory. */
int clembed__transform(clembed__arena *a, clembed__piece *p, size_t rs, size_t re,
                       const clembed__change *items, size_t n, size_t initial);

/* A builder for per-char rewrites where each output char keeps the span of
 * the char it comes from (what transform() gives for replace/insert-after). */
typedef struct clembed__nbuild {
    char          *s;
    clembed__span *al;
    size_t         len, cap;
} clembed__nbuild;

int clembed__nb_init(clembed__arena *a, clembed__nbuild *b, size_t cap);
int clembed__nb_push(clembed__arena *a, clembed__nbuild *b, uint32_t c, clembed__span sp);
int clembed__nb_bytes(clembed__arena *a, clembed__nbuild *b, const char *s, size_t n,
                      const clembed__span *al);
void clembed__nb_finish(clembed__nbuild *b, clembed__piece *p);

/* The original span of normalized bytes [s, e) of p, as convert_offsets(). */
clembed__span clembed__piece_orig(const clembed__piece *p, size_t s, size_t e);
/* p's normalized bytes [s, e) as a new piece. */
clembed__piece clembed__piece_slice(const clembed__piece *p, size_t s, size_t e);

/* ---- components --------------------------------------------------------- */

typedef enum clembed__behavior {
    CLEMBED__REMOVED, CLEMBED__ISOLATED, CLEMBED__MERGED_PREV, CLEMBED__MERGED_NEXT,
    CLEMBED__CONTIGUOUS
} clembed__behavior;

typedef struct clembed__regex clembed__regex;  /* compiled PCRE2 pattern */

/* A pattern of Replace/Split: a literal string or a regex. */
typedef struct clembed__pattern {
    char           *lit;     /* literal (NULL for a regex) */
    size_t          lit_len;
    clembed__regex *re;
} clembed__pattern;

/* A match list over a piece: [s, e) byte ranges, is_match flag. */
typedef struct clembed__match { uint32_t s, e; int m; } clembed__match;
typedef CLEMBED__VEC(clembed__match) clembed__matches;

static inline int clembed__match_push(clembed__arena *a, clembed__matches *out, size_t s, size_t e, int m)
{
    clembed__match x = {(uint32_t)s, (uint32_t)e, m};
    return CLEMBED__VEC_PUSH(a, *out, x);
}

/* Finds the matches of pat in s (non-overlapping, left to right) and fills
 * `out` with matches and the gaps between them, as the reference's
 * Pattern::find_matches.  0 on out of memory or regex failure. */
int clembed__pattern_find(clembed__arena *a, const clembed__pattern *pat, const char *s,
                          size_t len, clembed__matches *out);
void clembed__pattern_free(clembed__pattern *pat);
clembed_status clembed__pattern_compile(const char *regex, clembed__pattern *out);

/* Splits piece p by matches (with the behavior) and appends the non-empty
 * slices to out. */
int clembed__split_matches(clembed__arena *a, const clembed__piece *p, clembed__matches *m,
                           clembed__behavior beh, clembed__pieces *out);

typedef struct clembed__normalizer clembed__normalizer;
typedef struct clembed__pretok clembed__pretok;

/* Normalizes p in place (its buffers replaced by arena ones). */
int clembed__normalize(clembed__arena *a, const clembed__normalizer *n, clembed__piece *p);
void clembed__normalizer_free(clembed__normalizer *n);

/* Pre-tokenizes `in` (pieces with added >= 0 pass through) into out. */
int clembed__pretokenize(clembed__arena *a, const clembed__pretok *pt, clembed__pieces *in,
                         clembed__pieces *out);
void clembed__pretok_free(clembed__pretok *pt);

/* ---- vocabulary --------------------------------------------------------- */

/* String -> id hash table over a string pool; immutable after building. */
typedef struct clembed__vocab {
    char     *pool;     /* NUL-terminated token strings */
    size_t    pool_len, pool_cap;
    uint32_t *off;      /* id -> offset in pool (UINT32_MAX: no token) */
    uint32_t *len;      /* id -> length */
    size_t    n_ids;    /* ids 0..n_ids-1 */
    uint64_t *slots;    /* open addressing: hash high half | (id + 1); 0 = empty */
    size_t    mask;
    uint64_t  len_mask; /* bit n: a token of n bytes exists (bit 63: 63 or more) */
    size_t    max_len;  /* longest token in bytes */
} clembed__vocab;

uint64_t clembed__strhash(const char *s, size_t n);
clembed_status clembed__vocab_add(clembed__vocab *v, const char *s, size_t n, uint32_t id);
clembed_status clembed__vocab_index(clembed__vocab *v);
/* id or -1. */
int32_t clembed__vocab_get(const clembed__vocab *v, const char *s, size_t n);
static inline const char *clembed__vocab_str(const clembed__vocab *v, uint32_t id, size_t *n)
{
    if (id >= v->n_ids || v->off[id] == UINT32_MAX)
        return NULL;
    *n = v->len[id];
    return v->pool + v->off[id];
}
void clembed__vocab_free(clembed__vocab *v);

/* A token from a model: id, its string, normalized byte offsets in the piece. */
typedef struct clembed__tok {
    int32_t     id;
    uint32_t    vlen;
    const char *val;
    uint32_t    s, e;
} clembed__tok;
typedef CLEMBED__VEC(clembed__tok) clembed__toks;

typedef struct clembed__model clembed__model;
/* Appends the tokens of one piece to out. */
int clembed__model_tokenize(clembed__arena *a, const clembed__model *m, const clembed__piece *p,
                            clembed__toks *out);
void clembed__model_free(clembed__model *m);

#endif
