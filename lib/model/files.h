/* Internal to libclembed: readers of the files of a model directory, one per kind of file, each
 * taking a parsed JSON document (see json.h) and the file's path for messages.  They
 * reproduce what transformers 5 and sentence-transformers 6 make of the same files, and refuse
 * what clembed cannot honour with CLEMBED_ERR_UNSUPPORTED naming it.  Not installed. */
#ifndef CLEMBED_MODEL_FILES_H
#define CLEMBED_MODEL_FILES_H

#include "model/model.h"
#include "model/json.h"

/* Size limits on the JSON files read whole. */
#define CLEMBED__CONFIG_MAX_BYTES (16u << 20)

/* config.json: the encoder's hyperparameters, with transformers' defaults for absent keys. */
clembed_status clembed__parse_config(const char *label, const cJSON *root,
                                     clembed__encoder_config *cfg);
const char *clembed__act_name(clembed__act act);

/* modules.json: the module chain.  Fills kind and path of each module (malloc'ed array, paths
 * malloc'ed; release with clembed__modules_free). */
clembed_status clembed__parse_modules(const char *label, const cJSON *root, clembed__module **mods,
                                      size_t *n);
void clembed__modules_free(clembed__module *mods, size_t n);

/* <module>/config.json of Pooling: legacy pooling_mode_* booleans or pooling_mode (a string or a
 * list), embedding_dimension (or word_embedding_dimension), include_prompt. */
clembed_status clembed__parse_pooling(const char *label, const cJSON *root, clembed__module *m);
const char *clembed__pool_name(unsigned mode);

/* <module>/config.json of Dense: in/out features, bias, activation.  *bias says whether the
 * weights file must hold linear.bias. */
clembed_status clembed__parse_dense(const char *label, const cJSON *root, clembed__module *m,
                                    int *bias);

/* <module>/config.json of Normalize (optional). */
clembed_status clembed__parse_normalize(const char *label, const cJSON *root);

/* sentence_bert_config.json (or its legacy names) of the Transformer module. */
typedef struct clembed__sbert_config {
    int     has_max_seq_length;
    int64_t max_seq_length;
    int     do_lower_case;
    int     has_model_max_length;     /* processor_kwargs (tokenizer_args).model_max_length */
    double  model_max_length;         /* 1e30 when given as null: no limit */
    int     has_max_length;           /* processing_kwargs text (or common) max_length */
    int64_t max_length;
} clembed__sbert_config;

/* The legacy file names tried in order, NULL-terminated. */
extern const char *const clembed__sbert_config_names[];

clembed_status clembed__parse_sbert_config(const char *label, const cJSON *root,
                                           clembed__sbert_config *out);

/* tokenizer_config.json: model_max_length (or the older max_len); *has = 0 when not given. */
clembed_status clembed__parse_tokenizer_config(const char *label, const cJSON *root, int *has,
                                               double *model_max_length);

/* The max sequence length sentence-transformers uses: an explicit model_max_length or
 * max_seq_length, else the tokenizer's model_max_length capped at max_position_embeddings;
 * processing_kwargs' max_length wins for truncation.  Then capped at the positions the model has
 * (warning when that changes it).  `sbert` may be NULL (no modules.json). */
clembed_status clembed__effective_max_len(const char *dir, const clembed__sbert_config *sbert,
                                          int tok_has, double tok_mml,
                                          const clembed__encoder_config *cfg, size_t *out);

/* The prompts every SentenceTransformer has ("query" and "document", empty) and
 * config_sentence_transformers.json's: prompts, default_prompt_name, similarity_fn_name,
 * truncate_dim, model_type.  root may be NULL (no such file). */
clembed_status clembed__parse_st_config(const char *label, const cJSON *root, clembed_model *m);

/* model.safetensors.index.json: the shard files (malloc'ed names, relative to the directory)
 * and, per tensor of the weight map, its name and shard.  Release with clembed__index_free. */
typedef struct clembed__index {
    char  **files;
    size_t  n_files;
    char  **names;       /* weight_map keys */
    size_t *file_of;     /* index into files */
    size_t  n_names;
    int     has_total_size;
    double  total_size;
} clembed__index;

clembed_status clembed__parse_index(const char *label, const cJSON *root, clembed__index *out);
void clembed__index_free(clembed__index *ix);

#endif
