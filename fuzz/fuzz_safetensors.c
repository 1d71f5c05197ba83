/* Fuzz target: a whole safetensors file (header and data area). */
#include "model/safetensors.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clembed__st_file *f = NULL;
    clembed_log_set_level(CLEMBED_LOG_NONE);
    if (clembed__st_parse("fuzz.safetensors", data, size, &f) == CLEMBED_OK) {
        /* Every accepted tensor lies inside the input and converts without reading past it. */
        for (size_t i = 0; i < f->n_tensors; i++) {
            const clembed__tensor *t = &f->tensors[i];
            if (t->nbytes && ((const uint8_t *)t->data < data ||
                              (const uint8_t *)t->data + t->nbytes > data + size) && !f->copies)
                __builtin_trap();
            if (t->dtype != CLEMBED__OTHER && clembed__tensor_numel(t) <= 4096) {
                float buf[4096];
                clembed__tensor_to_f32(t, buf);
            }
        }
        clembed__st_free(f);
    }
    return strlen(clembed_errmsg()) > 4096;
}
