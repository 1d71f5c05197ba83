/* The byte-level alphabet (GPT-2's bytes_to_unicode) and the ByteLevel mapping. */
#include "tk.h"
#include "tk_load.h"

#include <pthread.h>

uint32_t clembed__bytelevel_char(unsigned char b)
{
    if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE)
        return b;
    /* the others, in byte order, get 256, 257, ... */
    unsigned n = 0;
    for (unsigned x = 0; x < b; x++)
        if (!((x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || x >= 0xAE))
            n++;
    return 256 + n;
}

static uint32_t bl_table[256];
static int16_t bl_rev[324];
static pthread_once_t bl_once = PTHREAD_ONCE_INIT;

static void bl_fill(void)
{
    for (unsigned b = 0; b < 324; b++)
        bl_rev[b] = -1;
    for (unsigned b = 0; b < 256; b++) {
        uint32_t c = clembed__bytelevel_char((unsigned char)b);
        bl_rev[c] = (int16_t)b;
    }
    for (unsigned b = 0; b < 256; b++)
        bl_table[b] = clembed__bytelevel_char((unsigned char)b);
}

static void bl_init(void)
{
    pthread_once(&bl_once, bl_fill);
}

int clembed__bytelevel_byte(uint32_t c)
{
    bl_init();
    return c < 324 ? bl_rev[c] : -1;
}

int clembed__bytelevel_map(clembed__arena *a, clembed__piece *p)
{
    bl_init();
    clembed__nbuild b;
    if (!clembed__nb_init(a, &b, p->len * 2 + 8))
        return 0;
    for (size_t i = 0; i < p->len;) {
        size_t k = clembed__utf8_seqlen((unsigned char)p->s[i]);
        if (k > p->len - i)
            k = p->len - i;
        clembed__span sp = p->al[i];
        for (size_t j = 0; j < k; j++)
            if (!clembed__nb_push(a, &b, bl_table[(unsigned char)p->s[i + j]], sp))
                return 0;
        i += k;
    }
    clembed__nb_finish(&b, p);
    return 1;
}
