/* Shared body of the fuzz targets of the model directory's JSON readers: the input is the text of
 * one file; it goes through the strict JSON parser, then through one reader. */
#ifndef CLEMBED_FUZZ_CONFIG_H
#define CLEMBED_FUZZ_CONFIG_H

#include "model/files.h"

#include <stdint.h>
#include <string.h>

#define FUZZ_JSON_TARGET(reader)                                                              \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);                             \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                              \
    {                                                                                         \
        cJSON *root = NULL;                                                                   \
        clembed_log_set_level(CLEMBED_LOG_NONE);                                              \
        if (clembed__mj_parse("fuzz.json", (const char *)data, size, &root) == CLEMBED_OK)  \
            reader(root);                                                                     \
        cJSON_Delete(root);                                                                   \
        /* Every failure leaves a readable message. */                                        \
        return strlen(clembed_errmsg()) > 4096;                                               \
    }

#endif
