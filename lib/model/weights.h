/* Internal to libclembed: the model reader's private state (clembed_model.priv) and the weights
 * functions shared by model.c and weights.c.  Not installed. */
#ifndef CLEMBED_MODEL_PRIV_H
#define CLEMBED_MODEL_PRIV_H

#include "model/model.h"
#include "model/safetensors.h"

typedef struct clembed__model_priv {
    clembed__st_file **files;         /* encoder weights (shards) first, then modules' weights */
    size_t             n_files;
    size_t             n_enc_files;
    size_t             n_enc_tensors; /* model->tensors[0..n_enc_tensors) are the encoder's */
    size_t            *file_of;       /* per tensor of model->tensors: index into files */
    const char       **dtype_names;   /* per tensor of model->tensors */
    const clembed__tensor **by_name;  /* encoder tensors sorted by name */
    char               prefix[64];    /* the names' architecture prefix ("bert."), or "" */
    char              *weights_label; /* the encoder's weights file or shard index, for messages */
} clembed__model_priv;

/* Opens the encoder's weights in dir: model.safetensors, else the shards that
 * model.safetensors.index.json lists.  PyTorch pickles are refused with a hint. */
clembed_status clembed__weights_open(clembed_model *m, const char *dir);

/* Opens a module's weights file (dir/model.safetensors) and returns its index in priv->files. */
clembed_status clembed__weights_open_module(clembed_model *m, const char *dir, size_t *file);

/* Gathers every file's tensors into model->tensors, finds the architecture prefix and counts
 * parameters and bytes.  After this, tensor pointers are stable. */
clembed_status clembed__weights_finish(clembed_model *m);

/* The tensor `name` of file `file` (for module weights), NULL when absent. */
const clembed__tensor *clembed__weights_in_file(const clembed_model *m, size_t file, const char *name);

/* The file a tensor of model->tensors came from. */
const char *clembed__weights_file_of(const clembed_model *m, const clembed__tensor *t);

/* Finds every tensor the encoder reads under the architecture's names (model/arch.h) and checks
 * that it is F32, F16 or BF16 with the shape config.json implies; fills m->enc and m->enc_sets. */
clembed_status clembed__weights_check_encoder(clembed_model *m, const char *config_label);

void clembed__weights_free(clembed__model_priv *p);

#endif
