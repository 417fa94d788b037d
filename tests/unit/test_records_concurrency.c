/* records: a purge running beside ingest and search (each thread with its own store handle, as
 * the server runs them) loses no acknowledged read that is within retention, and every due read
 * not held goes. */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records/records.h"

#define OLD_READS 12000
#define BATCH 40

typedef struct shared {
    char path[4200];
    int64_t now;
    atomic_int purge_done;
    atomic_long acked;       /* reads whose batch commit returned OK */
    atomic_long searches;
    atomic_long failures;
    int64_t cam;
} shared;

static store *open_handle(shared *sh) {
    store *st = NULL;
    pk_err err;
    if (store_open(sh->path, 0, &st, &err)) fail_msg("open: %s", err.msg);
    return st;
}

static void mkread(store_read *r, uint32_t n, int64_t ts, int64_t cam) {
    memset(r, 0, sizeof *r);
    memcpy(r->uuid, &n, sizeof n);
    r->uuid[8] = 0xcc;
    snprintf(r->plate, sizeof r->plate, "6ING%03u", n % 500);
    snprintf(r->state, sizeof r->state, "CA");
    r->ts = ts;
    r->camera_id = cam;
    r->heading = -1;
    r->confidence = 88;
}

static void *ingest_thread(void *arg) {
    shared *sh = arg;
    store *st = open_handle(sh);
    uint32_t next = 1;
    int rounds_after = 0;
    /* keep going until the purge is done and then a few batches more */
    while (rounds_after < 5) {
        if (atomic_load(&sh->purge_done)) rounds_after++;
        store_read rs[BATCH];
        for (int i = 0; i < BATCH; i++)
            mkread(&rs[i], next + (uint32_t)i, sh->now - (int64_t)((next + i) % 300) * PK_MS_PER_DAY, sh->cam);
        pk_err err;
        if (store_reads_insert(st, rs, BATCH, NULL, &err) == PK_OK) {
            atomic_fetch_add(&sh->acked, BATCH);
            next += BATCH;
        } else {
            atomic_fetch_add(&sh->failures, 1); /* not acknowledged: may be retried, not counted */
        }
    }
    store_close(st);
    return NULL;
}

static int count_fn(void *ctx, const store_read *r) {
    (void)r;
    (*(int64_t *)ctx)++;
    return 0;
}

static void *search_thread(void *arg) {
    shared *sh = arg;
    store *st = open_handle(sh);
    uint64_t seed = 7;
    while (!atomic_load(&sh->purge_done)) {
        char plate[16];
        snprintf(plate, sizeof plate, "6OLD%03u", (unsigned)(tu_rand(&seed) % 500));
        int64_t pid;
        pk_err err;
        if (store_records_plate_find(st, plate, &pid, &err) != PK_OK) continue;
        store_read_filter f;
        store_read_filter_init(&f);
        f.plate_ids = &pid;
        f.n_plate_ids = 1;
        int64_t n = 0;
        if (store_reads_each(st, &f, count_fn, &n, &err) != PK_OK) atomic_fetch_add(&sh->failures, 1);
        atomic_fetch_add(&sh->searches, 1);
    }
    store_close(st);
    return NULL;
}

typedef struct purge_arg {
    shared *sh;
    records_purge_result res;
    int rc;
    char msg[512];
} purge_arg;

static int64_t clock_now(void *ctx) {
    return ((shared *)ctx)->now;
}

static void *purge_thread(void *arg) {
    purge_arg *pa = arg;
    store *st = open_handle(pa->sh);
    pk_clock clk = {clock_now, pa->sh};
    records_actor sys = {NULL, "test", &clk};
    pk_err err;
    pk_err_clear(&err);
    pa->rc = records_purge(st, &sys, 0, 500, &pa->res, &err);
    snprintf(pa->msg, sizeof pa->msg, "%s", err.msg);
    atomic_store(&pa->sh->purge_done, 1);
    store_close(st);
    return NULL;
}

static void test_purge_beside_ingest_and_search(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    shared *sh = pk_xcalloc(1, sizeof *sh);
    snprintf(sh->path, sizeof sh->path, "%s", store_path(st));
    sh->now = pk_now_ms();
    pk_err err;
    assert_int_equal(store_camera_ensure(st, "cam", 38.5, -121.5, &sh->cam, &err), PK_OK);
    /* due reads, and some recent ones with other uuids */
    assert_int_equal(store_begin(st, &err), PK_OK);
    for (uint32_t i = 0; i < OLD_READS; i++) {
        store_read r;
        mkread(&r, 0x40000000u + i, sh->now - 400 * PK_MS_PER_DAY - i, sh->cam);
        snprintf(r.plate, sizeof r.plate, "6OLD%03u", i % 500);
        assert_int_equal(store_reads_insert(st, &r, 1, NULL, &err), PK_OK);
    }
    assert_int_equal(store_commit(st, &err), PK_OK);

    pthread_t ti, ts, tp;
    purge_arg pa = {sh, {0}, 0, ""};
    assert_int_equal(pthread_create(&ti, NULL, ingest_thread, sh), 0);
    assert_int_equal(pthread_create(&ts, NULL, search_thread, sh), 0);
    assert_int_equal(pthread_create(&tp, NULL, purge_thread, &pa), 0);
    pthread_join(tp, NULL);
    pthread_join(ti, NULL);
    pthread_join(ts, NULL);
    if (pa.rc) fail_msg("purge: %s", pa.msg);
    assert_int_equal(pa.res.reads_deleted, OLD_READS);
    assert_int_equal(atomic_load(&sh->failures), 0);
    assert_true(atomic_load(&sh->searches) > 0);
    /* every acknowledged read is there, nothing else */
    assert_int_equal(store_reads_count(st), atomic_load(&sh->acked));
    for (uint32_t n = 1; n <= (uint32_t)atomic_load(&sh->acked); n += 97) {
        store_read probe;
        /* a retry repeats the read's uuid and timestamp (migration 0008: identity (ts, uuid)) */
        mkread(&probe, n, sh->now - (int64_t)(n % 300) * PK_MS_PER_DAY, sh->cam);
        int dup = 0;
        /* re-inserting an acknowledged read must be a duplicate: it is still stored */
        assert_int_equal(store_reads_insert(st, &probe, 1, &dup, &err), PK_OK);
        assert_int_equal(dup, 1);
    }
    free(sh);
    tu_store_free(st, dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_purge_beside_ingest_and_search),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
