/* FNV-1a with a final avalanche: keys for the kernel cache and profiles. */
#include "core/util.h"

#include <string.h>

uint64_t clembed__hash64(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t clembed__hash64_str(uint64_t h, const char *s)
{
    /* Include the terminator so that ("ab","c") and ("a","bc") differ. */
    return clembed__hash64(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

uint64_t clembed__hash_finish(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}
