/* Python's str.lower() as sentence-transformers applies it under
 * do_lower_case: tests/data/pylower.jsonl holds inputs and Python's output
 * (tools/gen_pylower_tables.py --golden), from UDHR texts to every mapped
 * code point and capital sigma in each context of the Final_Sigma rule. */
#include "tap.h"
#include "tokenizers/tk.h"
#include "core/util.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    const char *top = getenv("top_srcdir");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/pylower.jsonl", top ? top : ".");
    char *data = NULL;
    size_t len = 0;
    if (!ok(clembed__read_file(path, (size_t)16 << 20, &data, &len) == CLEMBED_OK, "read %s", path))
        return done_testing();
    size_t cases = 0, wrong = 0;
    for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *pair = cJSON_Parse(line);
        const char *in = cJSON_GetStringValue(cJSON_GetArrayItem(pair, 0));
        const char *want = cJSON_GetStringValue(cJSON_GetArrayItem(pair, 1));
        if (!in || !want) {
            ok(0, "case %zu is a pair of strings", cases);
            cJSON_Delete(pair);
            continue;
        }
        size_t n = 0;
        char *got = clembed__py_lower(in, strlen(in), &n);
        if (!got || n != strlen(want) || strcmp(got, want) != 0) {
            if (++wrong <= 5)
                diag("case %zu: '%s' gave '%s', Python gives '%s'", cases, in, got ? got : "(null)", want);
        }
        free(got);
        cJSON_Delete(pair);
        cases++;
    }
    ok(cases > 600 && wrong == 0, "%zu of %zu cases as Python lowercases them", cases - wrong, cases);
    free(data);

    char *e = clembed__py_lower("", 0, NULL);
    ok(e && !*e, "the empty text");
    free(e);
    return done_testing();
}
