/* libFuzzer target for the search inputs from outside: patterns, misread-tolerant plates and
 * cursors. The first byte picks which; the rest is the text. Patterns and plates are checked
 * against a brute-force scan of a fixed dictionary (the index must agree exactly); cursors go
 * through a whole search on a small store (a bad one must be refused, never crash).
 * Build: make fuzz-search (needs clang). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/pattern.h"
#include "core/plate.h"
#include "search/search_int.h"

#define NDICT 3000

static search_index *idx;
static search_index *idx2; /* for whole searches, which sync it with the store */
static store *st;
static char dict[NDICT][PK_PLATE_MAX + 1];
static char seen_before[NDICT]; /* the text occurred earlier in dict */

static void setup(void) {
    idx = search_index_new();
    idx2 = search_index_new();
    uint64_t s = 1;
    static const char alpha[] = "0ODQ1IT2Z5S8B6GA7X";
    for (int i = 0; i < NDICT; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t n = 1 + (s >> 60) % PK_PLATE_MAX;
        for (size_t k = 0; k < n; k++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            dict[i][k] = alpha[(s >> 33) % (sizeof alpha - 1)];
        }
        dict[i][n] = '\0';
        for (int j = 0; j < i && !seen_before[i]; j++) seen_before[i] = !strcmp(dict[i], dict[j]);
        search_index_add(idx, i + 1, dict[i]); /* duplicates are ignored, as the store would */
    }
    char path[] = "/tmp/fuzz_search.XXXXXX";
    if (!mkdtemp(path)) abort();
    char db[64];
    snprintf(db, sizeof db, "%s/p.db", path);
    pk_err err;
    if (store_open(db, STORE_CREATE, &st, &err)) abort();
    int64_t cam;
    store_camera_put(st, "c", "fixed", 38.5, -121.5, &cam, &err);
    store_read r[20];
    memset(r, 0, sizeof r);
    for (int i = 0; i < 20; i++) {
        memcpy(r[i].uuid, &i, sizeof i);
        snprintf(r[i].plate, sizeof r[i].plate, "%s", i % 2 ? "7ABC123" : "7A8C123");
        r[i].ts = 1700000000000 + i / 2;
        r[i].camera_id = cam;
        r[i].heading = -1;
    }
    store_reads_insert(st, r, 20, NULL, &err);
}

/* The dictionary entries the brute force finds, counted once per distinct text. */
static size_t brute(int mode, const pk_pattern *p, const char *plate) {
    size_t n = 0;
    for (int i = 0; i < NDICT; i++) {
        if (seen_before[i]) continue;
        size_t len = strlen(dict[i]);
        if (mode == 0 ? pk_pattern_match(p, dict[i], len)
                      : pk_plate_closeness(plate, strlen(plate), dict[i], len) >= 0)
            n++;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!idx) setup();
    if (size < 1 || size > 80) return 0;
    char text[80];
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    pk_err err;
    switch (data[0] % 3) {
    case 0: {
        pk_pattern p;
        if (pk_pattern_compile(text, &p, &err)) return 0;
        search__plates got = {0};
        if (search__index_pattern(idx, &p, 1u << 20, &got, &err)) abort();
        if (got.n != brute(0, &p, NULL)) abort();
        free(got.items);
        break;
    }
    case 1: {
        char plate[PK_PLATE_MAX + 1];
        if (pk_plate_normalize(text, plate, &err)) return 0;
        search__plates got = {0};
        search__index_fuzzy(idx, plate, &got);
        if (got.n != brute(1, NULL, plate)) abort();
        free(got.items);
        break;
    }
    default: {
        search_query q;
        search_query_init(&q);
        q.plate = "7ABC123";
        q.fuzzy = 1;
        q.limit = 3;
        q.cursor = text;
        search_result res;
        int rc = search__execute(idx2, st, &q, &res, &err);
        if (rc != PK_OK && rc != PK_EINVAL) abort();
        if (rc == PK_OK && res.n > 3) abort();
        search_result_fini(&res);
        break;
    }
    }
    return 0;
}
