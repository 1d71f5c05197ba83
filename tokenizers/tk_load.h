/* Internal to libclembed: reading the components of a tokenizer.json. */
#ifndef CLEMBED_TK_LOAD_H
#define CLEMBED_TK_LOAD_H

#include "tk.h"

#include <cjson/cJSON.h>

/* The string at key, NULL when absent or not a string. */
const char *clembed__tkjson_str(const cJSON *j, const char *key);
/* The boolean at key; dflt when absent or null. */
int clembed__tkjson_bool(const cJSON *j, const char *key, int dflt);
/* The integer at key; dflt when absent, null or not an integer. */
long long clembed__tkjson_int(const cJSON *j, const char *key, long long dflt);
/* A malloc'ed copy of s and its length. */
char *clembed__tkjson_strdup(const char *s, size_t *len);

/* A {token: id} object into vocab (indexed). */
clembed_status clembed__vocab_load_map(const cJSON *v, clembed__vocab *vocab);

/* {"String": "..."} or {"Regex": "..."}. */
clembed_status clembed__pattern_load(const cJSON *j, clembed__pattern *out);
clembed_status clembed__normalizer_load(const cJSON *j, int depth, clembed__normalizer **out);
clembed_status clembed__pretok_load(const cJSON *j, int depth, clembed__pretok **out);

/* Maps each byte of p to the byte-level alphabet (GPT-2's bytes_to_unicode). */
int clembed__bytelevel_map(clembed__arena *a, clembed__piece *p);
/* The byte-level alphabet: byte -> code point, and back (-1 when not in it). */
uint32_t clembed__bytelevel_char(unsigned char b);
int clembed__bytelevel_byte(uint32_t c);

#endif
