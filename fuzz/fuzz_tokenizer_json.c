/* Fuzz target: tokenizer.json loading, then a few encodes and decodes with
 * whatever loaded. */
#include "tokenizers/tk_tokenizer.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clembed_tokenizer *tok = NULL;
    if (clembed__tokenizer_from_json((const char *)data, size, &tok) != CLEMBED_OK)
        return 0;
    static const char *const texts[] = {"Hello, world! [CLS] <s> don't 1234 ", "Café naïve 東京 🎉\t\n",
                                        "  ▁ a\u0301 \xe2\x80\x8b ", ""};
    clembed_encode_params p;
    clembed_encode_params_init(&p);
    p.padding = 1;
    p.replace_invalid_utf8 = 1;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        clembed_encoding *e = NULL;
        if (clembed_tokenizer_encode(tok, texts[i], (size_t)-1, i == 1 ? texts[0] : NULL, (size_t)-1, &p, &e) ==
            CLEMBED_OK) {
            char *s = NULL;
            if (clembed_tokenizer_decode(tok, e->ids, e->n, (int)(i & 1), &s) == CLEMBED_OK)
                free(s);
        }
        clembed_encoding_free(e);
    }
    int32_t ids[] = {0, 1, 2, 3, 100, 101, 102, 1000, -1, 0x7FFFFFFF};
    char *s = NULL;
    if (clembed_tokenizer_decode(tok, ids, sizeof ids / sizeof ids[0], 0, &s) == CLEMBED_OK)
        free(s);
    clembed_tokenizer_free(tok);
    return 0;
}
