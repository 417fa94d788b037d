/* libFuzzer target: the data directory's key = value configuration file (src/core/conf.c).
 * Build: make fuzz-access (needs clang); run: build/fuzz/fuzz_config fuzz/corpus/config */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pk_conf *c = NULL;
    pk_err err;
    pk_err_clear(&err);
    if (pk_conf_parse((const char *)data, size, &c, &err) == PK_OK) {
        /* every parsed key is found again, and values hold no newline */
        for (size_t i = 0; i < pk_conf_count(c); i++) {
            const char *k = pk_conf_key(c, i), *v = pk_conf_value(c, i);
            if (pk_conf_get(c, k) != v || strchr(v, '\n')) __builtin_trap();
        }
        pk_conf_free(c);
    } else if (c != NULL || err.msg[0] == '\0') {
        __builtin_trap();
    }
    return 0;
}
