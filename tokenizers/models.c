/* Model dispatch, WordPiece and WordLevel. */
#include "tk_model.h"

#include <stdlib.h>
#include <string.h>

static int push_tok(clembed__arena *a, const clembed__model *m, clembed__toks *out, int32_t id,
                    size_t s, size_t e)
{
    size_t n = 0;
    const char *v = clembed__vocab_str(&m->vocab, (uint32_t)id, &n);
    clembed__tok t = {id, (uint32_t)n, v ? v : "", (uint32_t)s, (uint32_t)e};
    return CLEMBED__VEC_PUSH(a, *out, t);
}

static int push_unk(clembed__arena *a, const clembed__model *m, clembed__toks *out, size_t len)
{
    int32_t id = m->unk ? clembed__vocab_get(&m->vocab, m->unk, m->unk_len) : -1;
    if (id < 0)
        return CLEMBED__TK_NO_UNK;
    clembed__tok t = {id, (uint32_t)m->unk_len, m->unk, 0, (uint32_t)len};
    return CLEMBED__VEC_PUSH(a, *out, t);
}

static int wordpiece(clembed__arena *a, const clembed__model *m, const clembed__piece *p, clembed__toks *out)
{
    const char *s = p->s;
    size_t len = p->len;
    size_t chars = 0;
    for (size_t i = 0; i < len; i++)
        chars += ((unsigned char)s[i] & 0xC0) != 0x80;
    if (chars > m->max_chars)
        return push_unk(a, m, out, len);
    size_t first = out->n;
    char stackbuf[256];
    char *buf = stackbuf;
    if (m->prefix_len + len > sizeof stackbuf) {
        buf = clembed__arena_alloc(a, m->prefix_len + len);
        if (!buf)
            return CLEMBED__TK_NOMEM;
    }
    memcpy(buf, m->prefix, m->prefix_len);
    size_t maxl = m->vocab.max_len;
    size_t start = 0;
    while (start < len) {
        size_t pre = start > 0 ? m->prefix_len : 0;
        size_t end = len;
        /* no key is longer than max_len bytes: start there, on a char boundary */
        if (pre + (end - start) > maxl) {
            end = maxl >= pre ? start + (maxl - pre) : start;
            while (end > start && ((unsigned char)s[end] & 0xC0) == 0x80)
                end--;
        }
        int32_t id = -1;
        while (end > start) {
            if (pre) {
                memcpy(buf + pre, s + start, end - start);
                id = clembed__vocab_get(&m->vocab, buf, pre + end - start);
            } else {
                id = clembed__vocab_get(&m->vocab, s + start, end - start);
            }
            if (id >= 0)
                break;
            end--;
            while (end > start && ((unsigned char)s[end] & 0xC0) == 0x80)
                end--;
        }
        if (id < 0) {
            out->n = first;
            return push_unk(a, m, out, len);
        }
        if (!push_tok(a, m, out, id, start, end))
            return CLEMBED__TK_NOMEM;
        start = end;
    }
    return CLEMBED__TK_OK;
}

static int wordlevel(clembed__arena *a, const clembed__model *m, const clembed__piece *p, clembed__toks *out)
{
    int32_t id = clembed__vocab_get(&m->vocab, p->s, p->len);
    if (id >= 0)
        return push_tok(a, m, out, id, 0, p->len) ? CLEMBED__TK_OK : CLEMBED__TK_NOMEM;
    return push_unk(a, m, out, p->len);
}

int clembed__model_tokenize(clembed__arena *a, const clembed__model *m, const clembed__piece *p,
                            clembed__toks *out)
{
    switch (m->kind) {
    case CLEMBED__WORDPIECE: return wordpiece(a, m, p, out);
    case CLEMBED__WORDLEVEL: return wordlevel(a, m, p, out);
    case CLEMBED__BPE: return clembed__bpe_tokenize(a, m, p, out);
    case CLEMBED__UNIGRAM: return clembed__unigram_tokenize(a, m, p, out);
    }
    return CLEMBED__TK_OK;
}

void clembed__model_free(clembed__model *m)
{
    if (!m)
        return;
    clembed__vocab_free(&m->vocab);
    free(m->unk);
    free(m->prefix);
    clembed__bpe_free(m->bpe);
    clembed__unigram_free(m->uni);
    free(m);
}

clembed_status clembed__model_load(const cJSON *j, clembed__model **out)
{
    *out = NULL;
    if (!cJSON_IsObject(j))
        return clembed__fail(CLEMBED_ERR_FORMAT, "tokenizer.json: no \"model\" object");
    clembed__model *m = calloc(1, sizeof *m);
    if (!m)
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    const char *type = clembed__tkjson_str(j, "type");
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(j, "vocab");
    clembed_status rc = CLEMBED_OK;
    if (!type) {
        /* Old files have no type: infer it from the fields, in the order the
         * reference tries them. */
        if (cJSON_GetObjectItemCaseSensitive(j, "merges"))
            type = "BPE";
        else if (cJSON_IsArray(vocab))
            type = "Unigram";
        else if (cJSON_GetObjectItemCaseSensitive(j, "continuing_subword_prefix") ||
                 cJSON_GetObjectItemCaseSensitive(j, "max_input_chars_per_word"))
            type = "WordPiece";
        else
            type = "WordLevel";
    }
    const char *unk = clembed__tkjson_str(j, "unk_token");
    if (unk && !(m->unk = clembed__tkjson_strdup(unk, &m->unk_len)))
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    if (rc != CLEMBED_OK) {
    } else if (!strcmp(type, "WordPiece")) {
        m->kind = CLEMBED__WORDPIECE;
        if (!m->unk && !(m->unk = clembed__tkjson_strdup("[UNK]", &m->unk_len)))
            rc = clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
        const char *pre = clembed__tkjson_str(j, "continuing_subword_prefix");
        if (rc == CLEMBED_OK && !(m->prefix = clembed__tkjson_strdup(pre ? pre : "##", &m->prefix_len)))
            rc = clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
        long long mc = clembed__tkjson_int(j, "max_input_chars_per_word", 100);
        m->max_chars = mc < 0 ? 0 : (size_t)mc;
        if (rc == CLEMBED_OK)
            rc = clembed__vocab_load_map(vocab, &m->vocab);
    } else if (!strcmp(type, "WordLevel")) {
        m->kind = CLEMBED__WORDLEVEL;
        rc = clembed__vocab_load_map(vocab, &m->vocab);
    } else if (!strcmp(type, "BPE")) {
        m->kind = CLEMBED__BPE;
        rc = clembed__bpe_load(j, m);
    } else if (!strcmp(type, "Unigram")) {
        m->kind = CLEMBED__UNIGRAM;
        rc = clembed__unigram_load(j, m);
    } else {
        rc = clembed__fail(CLEMBED_ERR_UNSUPPORTED, "tokenizer.json: model type \"%s\" is not supported", type);
    }
    if (rc != CLEMBED_OK) {
        clembed__model_free(m);
        return rc;
    }
    *out = m;
    return CLEMBED_OK;
}
