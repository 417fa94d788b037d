/* search: the plate index against brute force, every search kind on a known data set,
 * pagination, validation, index sync, and one access-log entry per search. */
#include "testutil.h"
#include "tu_audit.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "audit/audit.h"
#include "core/pattern.h"
#include "core/plate.h"
#include "search/search.h"
#include "search/search_int.h"

#define T0 INT64_C(1700000000000)

/* ---- the index against brute force ---- */

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_plate(const void *a, const void *b) {
    return cmp_i64(&((const search__plate *)a)->id, &((const search__plate *)b)->id);
}

/* Random plates over a small alphabet full of confusable characters, so that patterns and
 * misread-tolerant lookups have many hits and near misses. */
static void rand_plate(uint64_t *rs, char *out) {
    static const char alpha[] = "0ODQ1IT2Z5S8B6GA7X";
    size_t n = 1 + tu_rand(rs) % PK_PLATE_MAX;
    if (tu_rand(rs) % 3) n = 5 + tu_rand(rs) % 4; /* mostly realistic lengths */
    for (size_t i = 0; i < n; i++) out[i] = alpha[tu_rand(rs) % (sizeof alpha - 1)];
    out[n] = '\0';
}

/* A pattern built from a plate: characters replaced by '?', runs replaced by '*'. */
static void rand_pattern(uint64_t *rs, const char *plate, char *out) {
    size_t n = strlen(plate), k = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = tu_rand(rs) % 10;
        if (r < 2) {
            out[k++] = '?';
        } else if (r < 4) {
            out[k++] = '*';
            i += tu_rand(rs) % 3; /* skip 0..2 more characters */
        } else {
            out[k++] = plate[i];
        }
    }
    if (tu_rand(rs) % 4 == 0) out[k++] = '*';
    out[k] = '\0';
}

typedef struct dict {
    int64_t ids[6000];
    char texts[6000][PK_PLATE_MAX + 1];
    size_t n;
} dict;

static search_index *index_random(dict *d, uint64_t *rs, size_t n) {
    search_index *idx = search_index_new();
    d->n = 0;
    for (size_t i = 0; i < n; i++) {
        char p[PK_PLATE_MAX + 1];
        rand_plate(rs, p);
        int dup = 0;
        for (size_t j = 0; j < d->n && !dup; j++) dup = !strcmp(d->texts[j], p);
        if (dup) continue;
        d->ids[d->n] = 1000 + (int64_t)i * 3;
        strcpy(d->texts[d->n], p);
        assert_int_equal(search_index_add(idx, d->ids[d->n], p), PK_OK);
        d->n++;
    }
    assert_int_equal(search_index_size(idx), d->n);
    return idx;
}

static void test_pattern_vs_bruteforce(void **state) {
    (void)state;
    uint64_t rs = 42;
    dict *d = calloc(1, sizeof *d);
    search_index *idx = index_random(d, &rs, 5000);
    int64_t *want = malloc(d->n * sizeof *want);
    for (int t = 0; t < 400; t++) {
        char src[PK_PLATE_MAX + 1], ptext[PK_PATTERN_MAX + 1];
        if (t % 5 == 0) {
            rand_plate(&rs, src); /* not necessarily in the dictionary */
        } else {
            strcpy(src, d->texts[tu_rand(&rs) % d->n]);
        }
        rand_pattern(&rs, src, ptext);
        pk_pattern pat;
        pk_err err;
        if (pk_pattern_compile(ptext, &pat, &err) != PK_OK) continue; /* e.g. "*" alone */
        size_t nw = 0;
        for (size_t i = 0; i < d->n; i++)
            if (pk_pattern_match(&pat, d->texts[i], strlen(d->texts[i]))) want[nw++] = d->ids[i];
        search__plates got = {0};
        assert_int_equal(search__index_pattern(idx, &pat, 1000000, &got, &err), PK_OK);
        if (got.n != nw) fail_msg("pattern %s: index %zu plates, brute force %zu", pat.text, got.n, nw);
        if (got.n) qsort(got.items, got.n, sizeof *got.items, cmp_plate);
        qsort(want, nw, sizeof *want, cmp_i64);
        for (size_t i = 0; i < nw; i++) assert_int_equal(got.items[i].id, want[i]);
        free(got.items);
    }
    /* the limit on matched plates */
    pk_pattern all;
    pk_err err;
    assert_int_equal(pk_pattern_compile("?*", &all, &err), PK_OK);
    search__plates got = {0};
    assert_int_equal(search__index_pattern(idx, &all, 10, &got, &err), PK_ELIMIT);
    assert_non_null(strstr(err.msg, "pattern"));
    free(got.items);
    free(want);
    free(d);
    search_index_free(idx);
}

static void test_fuzzy_vs_bruteforce(void **state) {
    (void)state;
    uint64_t rs = 7;
    dict *d = calloc(1, sizeof *d);
    search_index *idx = index_random(d, &rs, 5000);
    search__plate *want = malloc(d->n * sizeof *want);
    size_t total_hits = 0;
    for (int t = 0; t < 400; t++) {
        char q[PK_PLATE_MAX + 1];
        if (t % 3 == 0) {
            rand_plate(&rs, q);
        } else {
            strcpy(q, d->texts[tu_rand(&rs) % d->n]);
        }
        size_t nw = 0, qn = strlen(q);
        for (size_t i = 0; i < d->n; i++) {
            int cl = pk_plate_closeness(q, qn, d->texts[i], strlen(d->texts[i]));
            if (cl >= 0) want[nw++] = (search__plate){d->ids[i], cl};
        }
        search__plates got = {0};
        search__index_fuzzy(idx, q, &got);
        if (got.n != nw) fail_msg("fuzzy %s: index %zu plates, brute force %zu", q, got.n, nw);
        if (got.n) qsort(got.items, got.n, sizeof *got.items, cmp_plate);
        qsort(want, nw, sizeof *want, cmp_plate);
        for (size_t i = 0; i < nw; i++) {
            assert_int_equal(got.items[i].id, want[i].id);
            assert_int_equal(got.items[i].closeness, want[i].closeness);
        }
        total_hits += nw;
        free(got.items);
    }
    assert_true(total_hits > 400); /* the data set exercises more than exact hits */
    free(want);
    free(d);
    search_index_free(idx);
}

/* ---- the known data set ---- */

typedef struct known {
    char *dir;
    store *st;
    search_index *idx;
    store_read rs[16];
    size_t n;
} known;

static void add_read(known *k, const char *plate, int sec, int64_t cam, double lat, double lon) {
    store_read *r = &k->rs[k->n];
    memset(r, 0, sizeof *r);
    int i = (int)k->n + 1;
    memcpy(r->uuid, &i, sizeof i);
    snprintf(r->plate, sizeof r->plate, "%s", plate);
    snprintf(r->state, sizeof r->state, "CA");
    r->ts = T0 + sec * 1000;
    r->camera_id = cam;
    r->has_pos = !isnan(lat);
    r->lat = lat;
    r->lon = lon;
    r->heading = -1;
    r->confidence = 90;
    k->n++;
}

static void known_setup(known *k) {
    memset(k, 0, sizeof *k);
    k->st = tu_store_new(&k->dir);
    pk_err err;
    int64_t north, south;
    assert_int_equal(store_camera_put(k->st, "north", "fixed", 34.0, -118.0, &north, &err), PK_OK);
    assert_int_equal(store_camera_put(k->st, "south", "fixed", 34.1, -118.0, &south, &err), PK_OK);
    add_read(k, "7ABC123", 1, north, 34.0000, -118.0000);  /* 0 */
    add_read(k, "7ABC123", 5, south, 34.1000, -118.0000);  /* 1 */
    add_read(k, "7ABC128", 2, north, 34.0005, -118.0005);  /* 2 */
    add_read(k, "7A8C123", 3, north, 34.0010, -118.0000);  /* 3 */
    add_read(k, "7ABC1234", 4, south, 34.1001, -118.0001); /* 4 */
    add_read(k, "8XYZ999", 6, north, 34.0100, -118.0000);  /* 5: 1112 m north of north */
    add_read(k, "1ABC123", 7, north, 34.0002, -118.0002);  /* 6 */
    add_read(k, "7ABCI23", 8, south, 34.1002, -118.0000);  /* 7 */
    add_read(k, "7ABD12O", 9, north, 34.0000, -118.0000);  /* 8 */
    add_read(k, "7AB0123", 10, north, NAN, NAN);           /* 9: no position */
    add_read(k, "ZZZ1", 11, south, 34.1000, -118.0000);    /* 10 */
    add_read(k, "7A8C1234", 12, north, 34.0000, -118.0000); /* 11 */
    assert_int_equal(store_reads_insert(k->st, k->rs, k->n, NULL, &err), PK_OK);
    k->idx = search_index_new();
    assert_int_equal(search_index_load(k->idx, k->st, &err), PK_OK);
    assert_int_equal(search_index_size(k->idx), 11);
}

static void known_teardown(known *k) {
    search_index_free(k->idx);
    tu_store_free(k->st, k->dir);
}

/* Runs q and checks the reads (indexes into k->rs, -1 terminated) in order, and the total. */
static void expect(known *k, const search_query *q, const int *want) {
    search_result res;
    pk_err err;
    pk_err_clear(&err);
    int rc = search__execute(k->idx, k->st, q, &res, &err);
    if (rc) fail_msg("search failed: %s", err.msg);
    size_t nw = 0;
    while (want[nw] >= 0) nw++;
    if (res.n != nw || res.total != (int64_t)nw) {
        for (size_t i = 0; i < res.n; i++)
            fprintf(stderr, "  got %s ts+%lld\n", res.hits[i].read.plate,
                    (long long)(res.hits[i].read.ts - T0) / 1000);
        fail_msg("expected %zu reads, got %zu (total %lld)", nw, res.n, (long long)res.total);
    }
    for (size_t i = 0; i < nw; i++) {
        if (res.hits[i].read.id != k->rs[want[i]].id)
            fail_msg("hit %zu: got %s ts+%lld, want read %d (%s)", i, res.hits[i].read.plate,
                     (long long)(res.hits[i].read.ts - T0) / 1000, want[i], k->rs[want[i]].plate);
    }
    assert_string_equal(res.next, "");
    search_result_fini(&res);
}

static void test_known_exact_pattern(void **state) {
    (void)state;
    known k;
    known_setup(&k);
    search_query q;
    search_query_init(&q);
    q.plate = "7abc-123";
    expect(&k, &q, (int[]){1, 0, -1});
    q.camera = "north";
    expect(&k, &q, (int[]){0, -1});
    q.camera = NULL;
    q.has_from = 1;
    q.from = T0 + 2000;
    expect(&k, &q, (int[]){1, -1});
    q.has_from = 0;
    q.plate = "9NOPE99";
    expect(&k, &q, (int[]){-1});

    search_query_init(&q);
    q.pattern = "7ABC12?";
    expect(&k, &q, (int[]){1, 2, 0, -1});
    q.pattern = "7AB*";
    expect(&k, &q, (int[]){9, 8, 7, 1, 4, 2, 0, -1});
    q.pattern = "?ABC12*";
    expect(&k, &q, (int[]){6, 1, 4, 2, 0, -1});
    q.pattern = "*99*";
    expect(&k, &q, (int[]){5, -1});
    q.pattern = "*1*3";
    expect(&k, &q, (int[]){9, 6, 1, 3, 0, -1});
    q.pattern = "7ABC123"; /* no wildcard: the exact plate */
    expect(&k, &q, (int[]){1, 0, -1});
    /* pattern and area: read 9 has no position, 1 and 4 are south */
    q.pattern = "7AB*";
    q.has_near = 1;
    q.lat = 34.0;
    q.lon = -118.0;
    q.radius_m = 200;
    expect(&k, &q, (int[]){8, 2, 0, -1});
    known_teardown(&k);
}

static void test_known_fuzzy(void **state) {
    (void)state;
    known k;
    known_setup(&k);
    search_query q;
    search_query_init(&q);
    q.plate = "7ABC123";
    q.fuzzy = 1;
    /* identical, then confusable (I/1, B/8), then one edit, then one edit after confusables;
     * newest first within each; 7ABD12O is two edits away and 8XYZ999, ZZZ1 far */
    expect(&k, &q, (int[]){1, 0, 7, 3, 9, 6, 4, 2, 11, -1});
    search_result res;
    pk_err err;
    assert_int_equal(search__execute(k.idx, k.st, &q, &res, &err), PK_OK);
    int want_cl[] = {0, 0, 1, 1, 2, 2, 2, 2, 3};
    for (size_t i = 0; i < res.n; i++) assert_int_equal(res.hits[i].closeness, want_cl[i]);
    assert_int_equal(res.plates, 8);
    assert_string_equal(res.kind, "fuzzy");
    search_result_fini(&res);
    q.camera = "south";
    expect(&k, &q, (int[]){1, 7, 4, -1});
    known_teardown(&k);
}

static void test_known_area_time_camera(void **state) {
    (void)state;
    known k;
    known_setup(&k);
    search_query q;
    search_query_init(&q);
    q.has_near = 1;
    q.lat = 34.0;
    q.lon = -118.0;
    q.radius_m = 200;
    expect(&k, &q, (int[]){11, 8, 6, 3, 2, 0, -1});
    q.radius_m = 1200; /* now also read 5, 1112 m away */
    expect(&k, &q, (int[]){11, 8, 6, 5, 3, 2, 0, -1});
    q.radius_m = 1100;
    q.has_from = q.has_to = 1;
    q.from = T0 + 2000;
    q.to = T0 + 9000;
    expect(&k, &q, (int[]){8, 6, 3, 2, -1});
    q.radius_m = 100000; /* wider than the cell limit: the (ts) index path */
    expect(&k, &q, (int[]){8, 7, 6, 5, 1, 4, 3, 2, -1});

    search_query_init(&q);
    q.has_box = 1;
    q.box = (pk_bbox){34.09, -118.01, 34.11, -117.99};
    expect(&k, &q, (int[]){10, 7, 1, 4, -1});
    q.camera = "north";
    expect(&k, &q, (int[]){-1});

    search_query_init(&q);
    q.camera = "south";
    expect(&k, &q, (int[]){10, 7, 1, 4, -1});
    search_query_init(&q);
    q.has_from = q.has_to = 1;
    q.from = T0 + 9000;
    q.to = T0 + 11000;
    expect(&k, &q, (int[]){10, 9, 8, -1});
    known_teardown(&k);
}

static void expect_error(known *k, const search_query *q, int code, const char *field) {
    search_result res;
    pk_err err;
    pk_err_clear(&err);
    assert_int_equal(search__execute(k->idx, k->st, q, &res, &err), code);
    if (strncmp(err.msg, field, strlen(field)) != 0)
        fail_msg("error '%s' does not start with '%s'", err.msg, field);
    assert_int_equal(res.n, 0);
    assert_null(res.hits);
}

static void test_validation(void **state) {
    (void)state;
    known k;
    known_setup(&k);
    search_query q;
    search_query_init(&q);
    expect_error(&k, &q, PK_EINVAL, "query:");
    q.plate = "7ABC123";
    q.pattern = "7AB*";
    expect_error(&k, &q, PK_EINVAL, "plate:");
    q.plate = NULL;
    q.fuzzy = 1;
    expect_error(&k, &q, PK_EINVAL, "fuzzy:");
    search_query_init(&q);
    q.plate = "7ABC1234567";
    expect_error(&k, &q, PK_EINVAL, "plate:");
    q.plate = "7ABÄ";
    expect_error(&k, &q, PK_EINVAL, "plate:");
    search_query_init(&q);
    q.pattern = "*";
    expect_error(&k, &q, PK_EINVAL, "pattern:");
    search_query_init(&q);
    q.has_near = 1;
    q.lat = 34;
    q.lon = -118;
    q.radius_m = 0;
    expect_error(&k, &q, PK_EINVAL, "near:");
    q.radius_m = 100;
    q.lat = 91;
    expect_error(&k, &q, PK_EINVAL, "near:");
    q.lat = 34;
    q.has_box = 1;
    expect_error(&k, &q, PK_EINVAL, "near:");
    search_query_init(&q);
    q.has_box = 1;
    q.box = (pk_bbox){35, -118, 34, -117};
    expect_error(&k, &q, PK_EINVAL, "box:");
    search_query_init(&q);
    q.plate = "7ABC123";
    q.has_from = q.has_to = 1;
    q.from = 10;
    q.to = 5;
    expect_error(&k, &q, PK_EINVAL, "from:");
    q.has_from = q.has_to = 0;
    q.limit = SEARCH_LIMIT_MAX + 1;
    expect_error(&k, &q, PK_EINVAL, "limit:");
    q.limit = 0;
    q.cursor = "garbage";
    expect_error(&k, &q, PK_EINVAL, "cursor:");
    q.cursor = NULL;
    q.camera = "nowhere";
    expect_error(&k, &q, PK_ENOTFOUND, "camera:");
    known_teardown(&k);
}


/* Canvasses on random positions against a brute-force distance check over every read: the
 * C cell formula and the generated column must agree, and cell edges must lose nothing. */
static void test_canvass_vs_bruteforce(void **state) {
    (void)state;
    known k;
    memset(&k, 0, sizeof k);
    k.st = tu_store_new(&k.dir);
    k.idx = search_index_new();
    pk_err err;
    int64_t cam;
    assert_int_equal(store_camera_put(k.st, "c", "mobile", NAN, NAN, &cam, &err), PK_OK);
    enum { N = 3000 };
    store_read *rs = calloc(N, sizeof *rs);
    uint64_t seed = 99;
    for (int i = 0; i < N; i++) {
        store_read *r = &rs[i];
        memcpy(r->uuid, &i, sizeof i);
        snprintf(r->plate, sizeof r->plate, "R%d", i % 50);
        r->ts = T0 + (int64_t)(tu_rand(&seed) % 86400000);
        r->camera_id = cam;
        r->has_pos = 1;
        /* around 0.01-degree cell edges, on both signs of longitude */
        r->lat = 37.99 + (double)(tu_rand(&seed) % 20000) / 1e6;
        r->lon = (i % 2 ? -0.01 : -122.01) + (double)(tu_rand(&seed) % 20000) / 1e6;
        r->heading = -1;
        r->confidence = 50;
    }
    assert_int_equal(store_reads_insert(k.st, rs, N, NULL, &err), PK_OK);
    for (int t = 0; t < 60; t++) {
        search_query q;
        search_query_init(&q);
        const store_read *c = &rs[tu_rand(&seed) % N];
        q.has_near = 1;
        q.lat = c->lat + 0.001;
        q.lon = c->lon - 0.001;
        q.radius_m = 50 + (double)(tu_rand(&seed) % 1500);
        q.has_from = q.has_to = 1;
        q.from = T0 + (int64_t)(tu_rand(&seed) % 40000000);
        q.to = q.from + 43200000;
        q.limit = SEARCH_LIMIT_MAX;
        int64_t want = 0;
        for (int i = 0; i < N; i++)
            want += rs[i].ts >= q.from && rs[i].ts <= q.to &&
                    pk_geo_distance_m(q.lat, q.lon, rs[i].lat, rs[i].lon) <= q.radius_m;
        search_result res;
        assert_int_equal(search__execute(k.idx, k.st, &q, &res, &err), PK_OK);
        assert_int_equal(res.total, want);
        assert_int_equal(res.n, want);
        for (size_t i = 0; i < res.n; i++) {
            assert_true(pk_geo_distance_m(q.lat, q.lon, res.hits[i].read.lat,
                                          res.hits[i].read.lon) <= q.radius_m);
            if (i) /* newest first */
                assert_true(res.hits[i].read.ts < res.hits[i - 1].read.ts ||
                            (res.hits[i].read.ts == res.hits[i - 1].read.ts &&
                             res.hits[i].read.id < res.hits[i - 1].read.id));
        }
        /* a short page is the head of the full order (the page is selected, not sorted whole) */
        search_result page;
        q.limit = 1 + tu_rand(&seed) % 20;
        assert_int_equal(search__execute(k.idx, k.st, &q, &page, &err), PK_OK);
        assert_int_equal(page.total, want);
        assert_int_equal(page.n, want < (int64_t)q.limit ? (size_t)want : q.limit);
        for (size_t i = 0; i < page.n; i++)
            assert_int_equal(page.hits[i].read.id, res.hits[i].read.id);
        search_result_fini(&page);
        search_result_fini(&res);
    }
    free(rs);
    known_teardown(&k);
}

/* ---- pagination ---- */

static void walk_pages(known *k, search_query *q, size_t limit, int64_t want_total) {
    char cursor[SEARCH_CURSOR_MAX] = "";
    int64_t seen[400];
    size_t nseen = 0;
    int64_t last_ts = INT64_MAX, last_id = INT64_MAX;
    q->limit = limit;
    for (int page = 0; page < 100; page++) {
        q->cursor = cursor;
        search_result res;
        pk_err err;
        assert_int_equal(search__execute(k->idx, k->st, q, &res, &err), PK_OK);
        assert_int_equal(res.total, want_total);
        assert_true(res.n <= limit);
        for (size_t i = 0; i < res.n; i++) {
            const store_read *r = &res.hits[i].read;
            assert_true(r->ts < last_ts || (r->ts == last_ts && r->id < last_id));
            last_ts = r->ts;
            last_id = r->id;
            for (size_t j = 0; j < nseen; j++) assert_int_not_equal(seen[j], r->id);
            seen[nseen++] = r->id;
        }
        snprintf(cursor, sizeof cursor, "%s", res.next);
        search_result_fini(&res);
        if (!cursor[0]) break;
    }
    assert_int_equal(nseen, want_total);
}

static void test_pagination(void **state) {
    (void)state;
    known k;
    memset(&k, 0, sizeof k);
    k.st = tu_store_new(&k.dir);
    pk_err err;
    int64_t cam;
    assert_int_equal(store_camera_put(k.st, "c1", "fixed", 34.0, -118.0, &cam, &err), PK_OK);
    store_read *rs = calloc(300, sizeof *rs);
    for (int i = 0; i < 300; i++) {
        store_read *r = &rs[i];
        memcpy(r->uuid, &i, sizeof i);
        snprintf(r->plate, sizeof r->plate, "P%02d", i % 20);
        r->ts = T0 + (i / 3) * 1000; /* three reads share each timestamp */
        r->camera_id = cam;
        r->has_pos = 1;
        r->lat = 34.0 + (i % 7) * 0.0001;
        r->lon = -118.0;
        r->heading = -1;
        r->confidence = 80;
    }
    assert_int_equal(store_reads_insert(k.st, rs, 300, NULL, &err), PK_OK);
    free(rs);
    k.idx = search_index_new();
    assert_int_equal(search_index_load(k.idx, k.st, &err), PK_OK);
    search_query q;
    search_query_init(&q);
    q.pattern = "P*";
    walk_pages(&k, &q, 7, 300);
    walk_pages(&k, &q, 300, 300);
    walk_pages(&k, &q, 1000, 300);
    search_query_init(&q);
    q.pattern = "P1?";
    walk_pages(&k, &q, 13, 150);
    search_query_init(&q);
    q.has_near = 1;
    q.lat = 34.0;
    q.lon = -118.0;
    q.radius_m = 500;
    walk_pages(&k, &q, 11, 300);
    /* fuzzy ranks first: the cursor carries the rank */
    search_query_init(&q);
    q.plate = "P1";
    q.fuzzy = 1;
    q.limit = 4;
    char cursor[SEARCH_CURSOR_MAX] = "";
    size_t n = 0;
    int last_rank = 0;
    int64_t total = -1;
    do {
        q.cursor = cursor;
        search_result res;
        assert_int_equal(search__execute(k.idx, k.st, &q, &res, &err), PK_OK);
        total = res.total;
        for (size_t i = 0; i < res.n; i++) {
            assert_true(res.hits[i].closeness >= last_rank);
            last_rank = res.hits[i].closeness;
        }
        n += res.n;
        snprintf(cursor, sizeof cursor, "%s", res.next);
        search_result_fini(&res);
    } while (cursor[0]);
    assert_int_equal((int64_t)n, total);
    assert_true(total >= 15 * 10); /* P1 is one edit from P00..P19 (P1x) and P01, P11... */
    known_teardown(&k);
}

/* ---- keeping the index current ---- */

static void test_sync(void **state) {
    (void)state;
    known k;
    known_setup(&k);
    pk_err err;
    /* a plate written after the index was loaded (say by another process) */
    store_read r = k.rs[0];
    int i = 99;
    memset(r.uuid, 0, 16);
    memcpy(r.uuid, &i, sizeof i);
    snprintf(r.plate, sizeof r.plate, "NEW1234");
    r.ts = T0 + 50000;
    assert_int_equal(store_reads_insert(k.st, &r, 1, NULL, &err), PK_OK);
    search_query q;
    search_query_init(&q);
    q.pattern = "NEW*";
    search_result res;
    assert_int_equal(search__execute(k.idx, k.st, &q, &res, &err), PK_OK);
    assert_int_equal(res.n, 1);
    assert_string_equal(res.hits[0].read.plate, "NEW1234");
    search_result_fini(&res);
    assert_int_equal(search_index_size(k.idx), 12);
    /* adding what is there already changes nothing; bad text is refused */
    assert_int_equal(search_index_add(k.idx, r.plate_id, "NEW1234"), PK_OK);
    assert_int_equal(search_index_size(k.idx), 12);
    store_read batch[2] = {r, r};
    snprintf(batch[1].plate, sizeof batch[1].plate, "ADD9");
    batch[1].plate_id = 777;
    search_index_add_reads(k.idx, batch, 2);
    assert_int_equal(search_index_size(k.idx), 13);
    search__plates got = {0};
    pk_pattern pat;
    assert_int_equal(pk_pattern_compile("ADD?", &pat, &err), PK_OK);
    assert_int_equal(search__index_pattern(k.idx, &pat, 10, &got, &err), PK_OK);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.items[0].id, 777);
    free(got.items);
    assert_int_equal(search_index_add(k.idx, 5, "new-1"), PK_EINVAL);
    assert_int_equal(search_index_add(k.idx, 5, ""), PK_EINVAL);
    known_teardown(&k);
}

/* One writer adds plates while readers look patterns up: run under the sanitizers to catch
 * races on the index's arrays as they grow. */
typedef struct race {
    search_index *idx;
    int done;
} race;

static void *race_writer(void *arg) {
    race *r = arg;
    char p[PK_PLATE_MAX + 1];
    for (int i = 0; i < 40000; i++) {
        snprintf(p, sizeof p, "W%06d", i);
        search_index_add(r->idx, i + 1, p);
    }
    __atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void test_concurrent_add(void **state) {
    (void)state;
    race r = {search_index_new(), 0};
    pthread_t w;
    pthread_create(&w, NULL, race_writer, &r);
    pk_pattern pat;
    pk_err err;
    assert_int_equal(pk_pattern_compile("W*7", &pat, &err), PK_OK);
    size_t last = 0;
    while (!__atomic_load_n(&r.done, __ATOMIC_ACQUIRE)) {
        search__plates got = {0};
        assert_int_equal(search__index_pattern(r.idx, &pat, 1000000, &got, &err), PK_OK);
        assert_true(got.n >= last); /* append-only: never fewer */
        last = got.n;
        free(got.items);
        search__plates fz = {0};
        search__index_fuzzy(r.idx, "W000123", &fz);
        free(fz.items);
    }
    pthread_join(w, NULL);
    search__plates got = {0};
    assert_int_equal(search__index_pattern(r.idx, &pat, 1000000, &got, &err), PK_OK);
    assert_int_equal(got.n, 4000);
    free(got.items);
    search_index_free(r.idx);
}

/* ---- output ---- */

static void test_json(void **state) {
    (void)state;
    known k;
    known_setup(&k);
    search_query q;
    search_query_init(&q);
    q.plate = "7abc123";
    q.fuzzy = 1;
    q.camera = "so\"uth\x01";
    q.has_from = 1;
    q.from = T0;
    char *js = search_query_json(&q);
    assert_non_null(strstr(js, "\"plate\":\"7ABC123\""));
    assert_non_null(strstr(js, "\"fuzzy\":true"));
    assert_non_null(strstr(js, "\"from\":\"2023-11-14T22:13:20.000Z\""));
    assert_non_null(strstr(js, "\"camera\":\"so\\\"uth?\""));
    free(js);
    char *lj = search__log_json(&q, "fuzzy", "camera: bad\xff");
    assert_non_null(strstr(lj, "\"kind\":\"fuzzy\""));
    assert_non_null(strstr(lj, "\"error\":\"camera: bad?\""));
    free(lj);

    search_query_init(&q);
    q.plate = "7ABC123";
    search_result res;
    pk_err err;
    assert_int_equal(search__execute(k.idx, k.st, &q, &res, &err), PK_OK);
    char *hj = search_hit_json(&res.hits[0], 0);
    assert_non_null(strstr(hj, "\"plate\":\"7ABC123\""));
    assert_non_null(strstr(hj, "\"camera\":\"south\""));
    assert_non_null(strstr(hj, "\"ts\":\"2023-11-14T22:13:25.000Z\""));
    assert_non_null(strstr(hj, "\"uuid\":\"02000000-0000-0000-0000-000000000000\""));
    assert_non_null(strstr(hj, "\"lat\":34.1"));
    assert_null(strstr(hj, "closeness"));
    free(hj);
    search_result_fini(&res);
    known_teardown(&k);
}


/* ---- through the gate: exactly one access-log entry per search ---- */

static const char PW[] = "correct-horse-7-battery";


static access_user add_user(store *st, const char *name, access_role role, int trained) {
    access_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.username, sizeof u.username, "%s", name);
    snprintf(u.full_name, sizeof u.full_name, "Full %s", name);
    snprintf(u.job_title, sizeof u.job_title, "Detective");
    snprintf(u.agency, sizeof u.agency, "Example PD");
    u.role = role;
    pk_err err;
    if (access_user_add(st, &u, PW, "root", &u.id, &err)) fail_msg("user_add: %s", err.msg);
    if (trained &&
        access_training_add(st, name, "ALPR basics", pk_now_ms() - PK_MS_PER_DAY, "root", &err))
        fail_msg("training_add: %s", err.msg);
    snprintf(u.status, sizeof u.status, "active");
    return u;
}

/* One search_request; checks its return code and that the log grew by exactly one entry. */
static tu_log_entry one_entry(known *k, const access_user *u, const char *purpose,
                            const char *case_no, const search_query *q, int want_rc,
                            size_t want_n) {
    int64_t before = tu_log_count(k->st);
    access_request req = {.user = u, .action = ACCESS_READS_SEARCH, .purpose = purpose,
                          .case_no = case_no, .client = "cli"};
    search_result res;
    pk_err err;
    pk_err_clear(&err);
    int rc = search_request(k->idx, k->st, &req, q, &res, &err);
    if (rc != want_rc) fail_msg("search_request: %d (%s), want %d", rc, err.msg, want_rc);
    assert_int_equal(res.n, want_n);
    if (rc) assert_null(res.hits);
    search_result_fini(&res);
    assert_int_equal(tu_log_count(k->st), before + 1);
    return tu_log_newest(k->st);
}

static void test_one_log_entry_per_search(void **state) {
    (void)state;
    known k;
    known_setup(&k);
    access_user inv = add_user(k.st, "ivy", ACCESS_ROLE_INVESTIGATOR, 1);
    access_user aud = add_user(k.st, "otto", ACCESS_ROLE_AUDITOR, 1);
    access_user fresh = add_user(k.st, "newbie", ACCESS_ROLE_INVESTIGATOR, 0);
    search_query q;
    search_query_init(&q);
    q.plate = "7ABC123";
    q.fuzzy = 1;
    q.camera = "south";

    /* granted: the entry names every query element, the purpose, the case and the count */
    tu_log_entry e = one_entry(&k, &inv, "investigation", "24-0042", &q, PK_OK, 3);
    assert_string_equal(e.action, "search");
    assert_string_equal(e.outcome, "ok");
    assert_string_equal(e.username, "ivy");
    assert_string_equal(e.purpose, "investigation");
    assert_string_equal(e.case_no, "24-0042");
    assert_int_equal(e.count, 3);
    assert_non_null(strstr(e.query, "\"plate\":\"7ABC123\""));
    assert_non_null(strstr(e.query, "\"fuzzy\":true"));
    assert_non_null(strstr(e.query, "\"camera\":\"south\""));
    assert_non_null(strstr(e.query, "\"kind\":\"fuzzy\""));

    /* every kind of search, each one entry */
    search_query_init(&q);
    q.pattern = "7AB*";
    q.limit = 2;
    e = one_entry(&k, &inv, "missing-person", NULL, &q, PK_OK, 2);
    assert_int_equal(e.count, 2); /* what came back, not the total */
    search_query_init(&q);
    q.has_near = 1;
    q.lat = 34.0;
    q.lon = -118.0;
    q.radius_m = 200;
    q.has_from = q.has_to = 1;
    q.from = T0;
    q.to = T0 + PK_MS_PER_DAY;
    e = one_entry(&k, &inv, "investigation", "24-0042", &q, PK_OK, 6);
    assert_non_null(strstr(e.query, "\"near\":{"));
    assert_non_null(strstr(e.query, "\"from\":\"2023-11-14T22:13:20.000Z\""));
    assert_non_null(strstr(e.query, "\"kind\":\"canvass\""));

    /* a malformed query and an unknown camera: granted, recorded with the error, no reads */
    search_query_init(&q);
    q.plate = "7ABC-12345678";
    e = one_entry(&k, &inv, "investigation", "24-0042", &q, PK_EINVAL, 0);
    assert_int_equal(e.count, 0);
    assert_non_null(strstr(e.query, "\"error\":\"plate:"));
    search_query_init(&q);
    q.plate = "7ABC123";
    q.camera = "nowhere";
    e = one_entry(&k, &inv, "investigation", "24-0042", &q, PK_ENOTFOUND, 0);
    assert_non_null(strstr(e.query, "\"error\":\"camera:"));

    /* refused by the gate: no purpose, unknown purpose, no case, wrong role, no training */
    search_query_init(&q);
    q.plate = "7ABC123";
    e = one_entry(&k, &inv, NULL, NULL, &q, PK_EPURPOSE, 0);
    assert_string_equal(e.outcome, "refused");
    assert_non_null(strstr(e.query, "7ABC123"));
    e = one_entry(&k, &inv, "curiosity", NULL, &q, PK_EPURPOSE, 0);
    assert_string_equal(e.outcome, "refused");
    e = one_entry(&k, &inv, "investigation", NULL, &q, PK_ECASE, 0);
    assert_string_equal(e.outcome, "refused");
    e = one_entry(&k, &aud, "audit", NULL, &q, PK_EDENIED, 0);
    assert_string_equal(e.outcome, "refused");
    assert_string_equal(e.username, "otto");
    e = one_entry(&k, &fresh, "investigation", "24-0042", &q, PK_ETRAINING, 0);
    assert_string_equal(e.outcome, "refused");

    /* a grant records once: reusing it returns nothing and writes nothing more */
    access_request req = {.user = &inv, .action = ACCESS_READS_SEARCH,
                          .purpose = "investigation", .case_no = "24-0042", .client = "cli"};
    access_grant *g = NULL;
    pk_err err;
    assert_int_equal(access_grant_open(k.st, &req, NULL, &g, &err), PK_OK);
    search_result res;
    assert_int_equal(search_run(k.idx, g, &q, &res, &err), PK_OK);
    assert_int_equal(res.n, 2);
    search_result_fini(&res);
    int64_t before = tu_log_count(k.st);
    assert_int_equal(search_run(k.idx, g, &q, &res, &err), PK_ECONFLICT);
    assert_int_equal(res.n, 0);
    assert_null(res.hits);
    assert_int_equal(tu_log_count(k.st), before);
    access_grant_free(g);
    known_teardown(&k);
}

int main(void) {
    setenv("PLATEKEEPER_TEST_FAST_PWHASH", "1", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pattern_vs_bruteforce),
        cmocka_unit_test(test_fuzzy_vs_bruteforce),
        cmocka_unit_test(test_known_exact_pattern),
        cmocka_unit_test(test_known_fuzzy),
        cmocka_unit_test(test_known_area_time_camera),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_canvass_vs_bruteforce),
        cmocka_unit_test(test_pagination),
        cmocka_unit_test(test_sync),
        cmocka_unit_test(test_concurrent_add),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_one_log_entry_per_search),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
