/* Internal to libclembed: the whole tokenizer (added tokens, truncation,
 * padding, post-processor, decoder) as loaded from tokenizer.json. */
#ifndef CLEMBED_TK_TOKENIZER_H
#define CLEMBED_TK_TOKENIZER_H

#include "tk_model.h"

typedef struct clembed__added {
    char    *content;
    size_t   len;
    char    *norm;        /* content as the normalizer makes it (normalized tokens) */
    size_t   norm_len;
    int32_t  id;
    int      special, single_word, lstrip, rstrip, normalized;
} clembed__added;

/* Added tokens of one kind (normalized or not), indexed by first byte and
 * sorted longest first within a byte. */
typedef struct clembed__added_set {
    clembed__added **v;
    size_t           n;
    uint32_t         first[257];
    int              normalized;
} clembed__added_set;

enum { CLEMBED__TRUNC_LONGEST_FIRST, CLEMBED__TRUNC_ONLY_FIRST, CLEMBED__TRUNC_ONLY_SECOND };

typedef struct clembed__trunc {
    int    enabled;
    size_t max_length;
    int    strategy;
    int    left;
} clembed__trunc;

typedef struct clembed__padding {
    int      enabled;
    size_t   fixed;       /* 0: BatchLongest */
    size_t   multiple;
    int      left;
    int32_t  id, type_id;
    char    *token;
    size_t   token_len;
} clembed__padding;

/* A token of the encoding being built. */
typedef struct clembed__etok {
    int32_t     id;
    int32_t     type;
    uint8_t     special;
    int8_t      seq;
    uint32_t    vlen;
    const char *val;
    size_t      s, e;
} clembed__etok;
typedef CLEMBED__VEC(clembed__etok) clembed__etoks;

typedef struct clembed__post clembed__post;
typedef struct clembed__decoder clembed__decoder;

typedef struct clembed__tokenizer_impl {
    clembed__normalizer *normalizer;
    clembed__pretok     *pretok;
    clembed__model      *model;
    clembed__post       *post;
    clembed__decoder    *decoder;
    clembed__added      *added;      /* all added tokens */
    size_t               n_added;
    clembed__added_set   added_raw, added_norm;
    clembed__trunc       trunc;
    clembed__padding     pad;
    size_t               vocab_size;
} clembed__tokenizer_impl;

struct clembed_tokenizer {
    clembed__tokenizer_impl impl;
};

/* Builds a tokenizer from the text of a tokenizer.json. */
clembed_status clembed__tokenizer_from_json(const char *json, size_t len, clembed_tokenizer **out);

/* Post-processing: the special tokens it adds for a single text or a pair. */
size_t clembed__post_added(const clembed__post *p, int pair);
/* Applies the post-processor (NULL: plain concatenation) to a and b (b may
 * be NULL) into out.  Offsets are already in chars. */
clembed_status clembed__post_process(clembed__arena *ar, const clembed__post *p, clembed__etoks *a,
                                     clembed__etoks *b, int add_special, clembed__etoks *out);
clembed_status clembed__post_load(const cJSON *j, const clembed__tokenizer_impl *tk, int depth,
                                  clembed__post **out);
void clembed__post_free(clembed__post *p);

clembed_status clembed__decoder_load(const cJSON *j, int depth, clembed__decoder **out);
void clembed__decoder_free(clembed__decoder *d);

#endif
