/* Internal to libclembed: the tokenizer models (WordPiece, WordLevel, BPE, Unigram). */
#ifndef CLEMBED_TK_MODEL_H
#define CLEMBED_TK_MODEL_H

#include "tk.h"
#include "tk_load.h"

enum clembed__model_kind { CLEMBED__WORDPIECE, CLEMBED__WORDLEVEL, CLEMBED__BPE, CLEMBED__UNIGRAM };

typedef struct clembed__bpe clembed__bpe;
typedef struct clembed__unigram clembed__unigram;

struct clembed__model {
    enum clembed__model_kind kind;
    clembed__vocab vocab;
    char   *unk;             /* unk_token, NULL when none */
    size_t  unk_len;
    /* WordPiece */
    char   *prefix;          /* continuing_subword_prefix */
    size_t  prefix_len;
    size_t  max_chars;       /* max_input_chars_per_word */
    clembed__bpe     *bpe;
    clembed__unigram *uni;
};

clembed_status clembed__bpe_load(const cJSON *j, clembed__model *m);
int clembed__bpe_tokenize(clembed__arena *a, const clembed__model *m, const clembed__piece *p,
                          clembed__toks *out);
void clembed__bpe_free(clembed__bpe *b);

clembed_status clembed__unigram_load(const cJSON *j, clembed__model *m);
int clembed__unigram_tokenize(clembed__arena *a, const clembed__model *m, const clembed__piece *p,
                              clembed__toks *out);
void clembed__unigram_free(clembed__unigram *u);

clembed_status clembed__model_load(const cJSON *j, clembed__model **out);

/* Negative results of a model's tokenize: */
#define CLEMBED__TK_NOMEM 0
#define CLEMBED__TK_OK 1
#define CLEMBED__TK_NO_UNK (-1)   /* an unknown piece and no unk token */

#endif
