/* libFuzzer target for the server's request parsing (src/server/parse.c): the JSON body parser
 * with its depth limit, the body validator against a field spec, route patterns against the
 * request path, cookie lookup and integer parameters. The first input byte picks the parser;
 * the rest is the outside input.
 *
 *   make fuzz && build/fuzz/fuzz_http_json fuzz/corpus/http_json
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

int pk_fuzz_http_json(const uint8_t *data, size_t size);

int pk_fuzz_http_json(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t which = data[0] % 4;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    char *s = pk_xmalloc(n + 1);
    memcpy(s, in, n);
    s[n] = '\0';
    switch (which) {
    case 0: {
        static const server_field spec[] = {
            {"username", SF_STRING, 1, 63}, {"count", SF_INT, 0, 0},  {"ok", SF_BOOL, 0, 0},
            {"list", SF_ARRAY, 0, 0},       {"obj", SF_OBJECT, 0, 0}, {"x", SF_NUMBER, 0, 0},
            {0},
        };
        server_perr e;
        json_t *v = NULL;
        if (!server__json_parse(in, n, SERVER__MAX_DEPTH, &v, &e)) {
            PK_ASSERT(json_is_object(v));
            if (!server__json_check(v, spec, &e))
                PK_ASSERT(json_is_string(json_object_get(v, "username")));
            else
                PK_ASSERT(e.code && e.msg[0]);
            json_decref(v);
        } else {
            PK_ASSERT(!v && e.code);
        }
        break;
    }
    case 1: {
        static const char *const patterns[] = {"/api/v1/users/{id}/training",
                                               "/api/v1/hotlists/{id}/entries/{eid}",
                                               "/api/v1/reads/{id}", "/health"};
        for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
            server_params p;
            if (server__path_match(patterns[i], s, &p))
                for (int k = 0; k < p.n; k++) PK_ASSERT(p.value[k][0] && !strchr(p.value[k], '/'));
        }
        break;
    }
    case 2: {
        char out[ACCESS_TOKEN_MAX];
        if (server__cookie_get(s, "pk_session", out, sizeof out)) PK_ASSERT(strlen(out) < sizeof out);
        break;
    }
    case 3: {
        int64_t v;
        if (!server__parse_i64(s, -1000, 1000, &v)) PK_ASSERT(v >= -1000 && v <= 1000);
        break;
    }
    }
    free(s);
    return 0;
}

#ifndef PK_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return pk_fuzz_http_json(data, size);
}
#endif
