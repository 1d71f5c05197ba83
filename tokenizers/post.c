/* Post-processors: special tokens, type ids, offset trimming. */
#include "tk_tokenizer.h"

#include <stdlib.h>
#include <string.h>

enum post_kind { POST_TEMPLATE, POST_BERT, POST_ROBERTA, POST_BYTELEVEL, POST_SEQ };

typedef struct special {
    char    *name;          /* the template's id for it */
    int32_t *ids;
    char   **tokens;
    size_t  *lens;
    size_t   n;
} special;

typedef struct piece_t {
    int     is_seq;         /* 1: a sequence (A = 0, B = 1), 0: a special token */
    int     which;          /* sequence index, or index into specials */
    int32_t type_id;
} piece_t;

struct clembed__post {
    enum post_kind kind;
    /* Bert, Roberta */
    char   *cls, *sep;
    size_t  cls_len, sep_len;
    int32_t cls_id, sep_id;
    int     trim_offsets, add_prefix_space;
    /* Template */
    piece_t *single, *pair;
    size_t   n_single, n_pair;
    special *specials;
    size_t   n_specials;
    size_t   added_single, added_pair;
    clembed__post **seq;
    size_t   n_seq;
};

size_t clembed__post_added(const clembed__post *p, int pair)
{
    if (!p)
        return 0;
    switch (p->kind) {
    case POST_TEMPLATE: return pair ? p->added_pair : p->added_single;
    case POST_BERT: return pair ? 3 : 2;
    case POST_ROBERTA: return pair ? 4 : 2;
    case POST_BYTELEVEL: return 0;
    case POST_SEQ: {
        size_t n = 0;
        for (size_t i = 0; i < p->n_seq; i++)
            n += clembed__post_added(p->seq[i], pair);
        return n;
    }
    }
    return 0;
}

static int is_space_char(uint32_t c)
{
    return c == 0x120 || (clembed__uc_flags(c) & CLEMBED__UC_RWS);
}

/* The reference's byte_level::process_offsets. */
static void trim_offsets(clembed__etoks *e, int add_prefix_space)
{
    for (size_t i = 0; i < e->n; i++) {
        clembed__etok *t = &e->v[i];
        size_t lead = 0, trail = 0, j = 0;
        while (j < t->vlen) {
            uint32_t c;
            size_t k = clembed__utf8_dec(t->val + j, t->vlen - j, &c);
            if (!is_space_char(c))
                break;
            lead++;
            j += k;
        }
        j = t->vlen;
        while (j > 0) {
            size_t s = j - 1;
            while (s > 0 && ((unsigned char)t->val[s] & 0xC0) == 0x80)
                s--;
            uint32_t c;
            clembed__utf8_dec(t->val + s, j - s, &c);
            if (!is_space_char(c))
                break;
            trail++;
            j = s;
        }
        if (lead == 0 && trail == 0)
            continue;
        if (lead > 0) {
            int first = i == 0 || t->s == 0;
            if (first && add_prefix_space && lead == 1)
                lead = 0;
            t->s = t->s + lead < t->e ? t->s + lead : t->e;
        }
        if (trail > 0 && t->e >= trail)
            t->e = t->e - trail > t->s ? t->e - trail : t->s;
    }
}

/* Encodings flow through the processors as a list of parts. */
typedef CLEMBED__VEC(clembed__etoks) parts;

static int push_special(clembed__arena *a, clembed__etoks *e, int32_t id, const char *tok, size_t len,
                        int32_t type)
{
    clembed__etok t = {id, type, 1, -1, (uint32_t)len, tok, 0, 0};
    return CLEMBED__VEC_PUSH(a, *e, t);
}

static void set_types(clembed__etoks *e, int32_t type)
{
    for (size_t i = 0; i < e->n; i++)
        e->v[i].type = type;
}

static int process(clembed__arena *a, const clembed__post *p, parts *in, int add_special, parts *out)
{
    out->n = 0;
    switch (p->kind) {
    case POST_BYTELEVEL:
        if (p->trim_offsets)
            for (size_t i = 0; i < in->n; i++)
                trim_offsets(&in->v[i], p->add_prefix_space);
        *out = *in;
        return 1;
    case POST_BERT:
    case POST_ROBERTA: {
        int rob = p->kind == POST_ROBERTA;
        if (rob) {
            for (size_t i = 0; i < in->n; i++) {
                if (p->trim_offsets)
                    trim_offsets(&in->v[i], p->add_prefix_space);
                set_types(&in->v[i], 0);
            }
        }
        if (!add_special) {
            *out = *in;
            return 1;
        }
        for (size_t i = 0; i < in->n && i < 2; i++) {
            clembed__etoks e = {0};
            int32_t ty = rob ? 0 : (int32_t)i;
            if (i == 0 && !push_special(a, &e, p->cls_id, p->cls, p->cls_len, 0))
                return 0;
            if (i == 1 && rob && !push_special(a, &e, p->sep_id, p->sep, p->sep_len, 0))
                return 0;
            for (size_t k = 0; k < in->v[i].n; k++)
                if (!CLEMBED__VEC_PUSH(a, e, in->v[i].v[k]))
                    return 0;
            if (!push_special(a, &e, p->sep_id, p->sep, p->sep_len, ty))
                return 0;
            if (!CLEMBED__VEC_PUSH(a, *out, e))
                return 0;
        }
        return 1;
    }
    case POST_TEMPLATE: {
        const piece_t *tpl = in->n >= 2 ? p->pair : p->single;
        size_t nt = in->n >= 2 ? p->n_pair : p->n_single;
        for (size_t k = 0; k < nt; k++) {
            clembed__etoks e = {0};
            if (tpl[k].is_seq) {
                if ((size_t)tpl[k].which >= in->n)
                    continue;
                for (size_t x = 0; x < in->v[tpl[k].which].n; x++) {
                    clembed__etok t = in->v[tpl[k].which].v[x];
                    t.type = tpl[k].type_id;
                    if (!CLEMBED__VEC_PUSH(a, e, t))
                        return 0;
                }
            } else {
                if (!add_special)
                    continue;
                const special *sp = &p->specials[tpl[k].which];
                for (size_t x = 0; x < sp->n; x++)
                    if (!push_special(a, &e, sp->ids[x], sp->tokens[x], sp->lens[x], tpl[k].type_id))
                        return 0;
            }
            if (!CLEMBED__VEC_PUSH(a, *out, e))
                return 0;
        }
        return 1;
    }
    case POST_SEQ: {
        parts cur = *in;
        for (size_t i = 0; i < p->n_seq; i++) {
            parts next = {0};
            if (!process(a, p->seq[i], &cur, add_special, &next))
                return 0;
            cur = next;
        }
        *out = cur;
        return 1;
    }
    }
    return 1;
}

clembed_status clembed__post_process(clembed__arena *ar, const clembed__post *p, clembed__etoks *a,
                                     clembed__etoks *b, int add_special, clembed__etoks *out)
{
    parts in = {0}, res = {0};
    if (!CLEMBED__VEC_PUSH(ar, in, *a) || (b && !CLEMBED__VEC_PUSH(ar, in, *b)))
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    if (p) {
        /* the reference sets each sequence's type id to its index first */
        for (size_t i = 0; i < in.n; i++)
            set_types(&in.v[i], (int32_t)i);
        if (!process(ar, p, &in, add_special, &res))
            return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    } else {
        res = in;
    }
    out->n = 0;
    for (size_t i = 0; i < res.n; i++)
        for (size_t k = 0; k < res.v[i].n; k++)
            if (!CLEMBED__VEC_PUSH(ar, *out, res.v[i].v[k]))
                return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    return CLEMBED_OK;
}

void clembed__post_free(clembed__post *p)
{
    if (!p)
        return;
    free(p->cls);
    free(p->sep);
    free(p->single);
    free(p->pair);
    for (size_t i = 0; i < p->n_specials; i++) {
        special *s = &p->specials[i];
        free(s->name);
        free(s->ids);
        for (size_t k = 0; k < s->n; k++)
            free(s->tokens[k]);
        free(s->tokens);
        free(s->lens);
    }
    free(p->specials);
    for (size_t i = 0; i < p->n_seq; i++)
        clembed__post_free(p->seq[i]);
    free(p->seq);
    free(p);
}

/* ["[SEP]", 102] */
static clembed_status load_pair(const cJSON *j, const char *key, char **s, size_t *len, int32_t *id)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    const cJSON *a = cJSON_GetArrayItem(v, 0), *b = cJSON_GetArrayItem(v, 1);
    if (!cJSON_IsArray(v) || !cJSON_IsString(a) || !cJSON_IsNumber(b) || b->valuedouble < 0 ||
        b->valuedouble > 0x7FFFFFFF)
        return clembed__fail(CLEMBED_ERR_FORMAT, "post_processor: \"%s\" is not [token, id]", key);
    if (!(*s = clembed__tkjson_strdup(a->valuestring, len)))
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    *id = (int32_t)b->valuedouble;
    return CLEMBED_OK;
}

static clembed_status load_template(const cJSON *arr, clembed__post *p, piece_t **out, size_t *n_out,
                                    size_t *added)
{
    if (!cJSON_IsArray(arr))
        return clembed__fail(CLEMBED_ERR_FORMAT, "TemplateProcessing: template is not an array");
    size_t n = (size_t)cJSON_GetArraySize(arr);
    piece_t *v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    *out = v;
    *n_out = 0;
    *added = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) {
        const cJSON *seq = cJSON_GetObjectItemCaseSensitive(e, "Sequence");
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(e, "SpecialToken");
        piece_t *pc = &v[(*n_out)++];
        const cJSON *body = seq ? seq : sp;
        const char *id = clembed__tkjson_str(body, "id");
        long long ty = clembed__tkjson_int(body, "type_id", 0);
        if (!id || ty < 0 || ty > 0x7FFFFFFF)
            return clembed__fail(CLEMBED_ERR_FORMAT, "TemplateProcessing: a piece has no id or a bad type_id");
        pc->type_id = (int32_t)ty;
        if (seq) {
            pc->is_seq = 1;
            if (!strcmp(id, "A"))
                pc->which = 0;
            else if (!strcmp(id, "B"))
                pc->which = 1;
            else
                return clembed__fail(CLEMBED_ERR_FORMAT, "TemplateProcessing: sequence \"%s\" is not A or B", id);
        } else {
            size_t k = 0;
            while (k < p->n_specials && strcmp(p->specials[k].name, id))
                k++;
            if (k == p->n_specials)
                return clembed__fail(CLEMBED_ERR_FORMAT, "TemplateProcessing: special token \"%s\" is not defined",
                                     id);
            pc->which = (int)k;
            *added += p->specials[k].n;
        }
    }
    return CLEMBED_OK;
}

static clembed_status load_specials(const cJSON *j, clembed__post *p)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "special_tokens");
    if (!st || cJSON_IsNull(st))
        return CLEMBED_OK;
    if (!cJSON_IsObject(st))
        return clembed__fail(CLEMBED_ERR_FORMAT, "TemplateProcessing: special_tokens is not an object");
    size_t n = (size_t)cJSON_GetArraySize(st);
    p->specials = calloc(n ? n : 1, sizeof *p->specials);
    if (!p->specials)
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    const cJSON *e;
    cJSON_ArrayForEach(e, st) {
        special *s = &p->specials[p->n_specials++];
        const char *id = clembed__tkjson_str(e, "id");
        const cJSON *ids = cJSON_GetObjectItemCaseSensitive(e, "ids");
        const cJSON *toks = cJSON_GetObjectItemCaseSensitive(e, "tokens");
        if (!id || !cJSON_IsArray(ids) || !cJSON_IsArray(toks) ||
            cJSON_GetArraySize(ids) != cJSON_GetArraySize(toks))
            return clembed__fail(CLEMBED_ERR_FORMAT,
                                 "TemplateProcessing: special token needs id, and as many ids as tokens");
        s->n = (size_t)cJSON_GetArraySize(ids);
        s->name = clembed__tkjson_strdup(id, NULL);
        s->ids = calloc(s->n ? s->n : 1, sizeof *s->ids);
        s->tokens = calloc(s->n ? s->n : 1, sizeof *s->tokens);
        s->lens = calloc(s->n ? s->n : 1, sizeof *s->lens);
        if (!s->name || !s->ids || !s->tokens || !s->lens)
            return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
        for (size_t k = 0; k < s->n; k++) {
            const cJSON *iv = cJSON_GetArrayItem(ids, (int)k), *tv = cJSON_GetArrayItem(toks, (int)k);
            if (!cJSON_IsNumber(iv) || iv->valuedouble < 0 || iv->valuedouble > 0x7FFFFFFF || !cJSON_IsString(tv))
                return clembed__fail(CLEMBED_ERR_FORMAT, "TemplateProcessing: bad special token \"%s\"", id);
            s->ids[k] = (int32_t)iv->valuedouble;
            if (!(s->tokens[k] = clembed__tkjson_strdup(tv->valuestring, &s->lens[k])))
                return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
        }
    }
    return CLEMBED_OK;
}

clembed_status clembed__post_load(const cJSON *j, const clembed__tokenizer_impl *tk, int depth,
                                  clembed__post **out)
{
    *out = NULL;
    if (depth > 16)
        return clembed__fail(CLEMBED_ERR_FORMAT, "post_processor: nested too deeply");
    const char *type = clembed__tkjson_str(j, "type");
    if (!type)
        return clembed__fail(CLEMBED_ERR_FORMAT, "post_processor: no \"type\"");
    clembed__post *p = calloc(1, sizeof *p);
    if (!p)
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    clembed_status rc = CLEMBED_OK;
    if (!strcmp(type, "TemplateProcessing")) {
        p->kind = POST_TEMPLATE;
        rc = load_specials(j, p);
        if (rc == CLEMBED_OK)
            rc = load_template(cJSON_GetObjectItemCaseSensitive(j, "single"), p, &p->single, &p->n_single,
                               &p->added_single);
        if (rc == CLEMBED_OK)
            rc = load_template(cJSON_GetObjectItemCaseSensitive(j, "pair"), p, &p->pair, &p->n_pair,
                               &p->added_pair);
    } else if (!strcmp(type, "BertProcessing") || !strcmp(type, "RobertaProcessing")) {
        p->kind = type[0] == 'B' ? POST_BERT : POST_ROBERTA;
        rc = load_pair(j, "sep", &p->sep, &p->sep_len, &p->sep_id);
        if (rc == CLEMBED_OK)
            rc = load_pair(j, "cls", &p->cls, &p->cls_len, &p->cls_id);
        p->trim_offsets = clembed__tkjson_bool(j, "trim_offsets", 1);
        p->add_prefix_space = clembed__tkjson_bool(j, "add_prefix_space", 1);
    } else if (!strcmp(type, "ByteLevel")) {
        p->kind = POST_BYTELEVEL;
        p->trim_offsets = clembed__tkjson_bool(j, "trim_offsets", 1);
        p->add_prefix_space = clembed__tkjson_bool(j, "add_prefix_space", 1);
    } else if (!strcmp(type, "Sequence")) {
        p->kind = POST_SEQ;
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "processors");
        if (!cJSON_IsArray(arr)) {
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "post_processor Sequence: no \"processors\" array");
        } else {
            size_t cnt = (size_t)cJSON_GetArraySize(arr);
            p->seq = calloc(cnt ? cnt : 1, sizeof *p->seq);
            if (!p->seq)
                rc = clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
            const cJSON *e;
            cJSON_ArrayForEach(e, arr) {
                if (rc != CLEMBED_OK)
                    break;
                rc = clembed__post_load(e, tk, depth + 1, &p->seq[p->n_seq]);
                if (rc == CLEMBED_OK)
                    p->n_seq++;
            }
        }
    } else {
        rc = clembed__fail(CLEMBED_ERR_UNSUPPORTED, "post_processor type \"%s\" is not supported", type);
    }
    if (rc != CLEMBED_OK) {
        clembed__post_free(p);
        return rc;
    }
    *out = p;
    return CLEMBED_OK;
}
