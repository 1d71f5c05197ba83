/* Readers of tokenizer.json values, lenient as the reference's serde defaults are. */
#include "tk_load.h"

#include <stdlib.h>
#include <string.h>

const char *clembed__tkjson_str(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int clembed__tkjson_bool(const cJSON *j, const char *key, int dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    return dflt;
}

long long clembed__tkjson_int(const cJSON *j, const char *key, long long dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    /* in range before the conversion, which is undefined outside it */
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= -9.0e18 && v->valuedouble <= 9.0e18) ||
        v->valuedouble != (double)(long long)v->valuedouble)
        return dflt;
    return (long long)v->valuedouble;
}

char *clembed__tkjson_strdup(const char *s, size_t *len)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    if (len)
        *len = n;
    return d;
}
