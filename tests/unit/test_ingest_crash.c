/* ingest: nothing acknowledged is lost (DESIGN.md §4 rule 5). A child process ingests batches in
 * a loop and reports each batch on a pipe only after ingest_reads returned PK_OK (the moment a
 * server would acknowledge it); the parent kills it with SIGKILL at random moments, then checks
 * that the database is intact and holds every acknowledged read and its image. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ingest_fixture.h"

#define N_READS 200000
#define BATCH 100
#define ROUNDS 8

static demo_config crash_cfg(void) {
    demo_config c = {.seed = 77, .n_reads = N_READS, .image_every = 37,
                     .start_ms = pk_days_from_civil(2025, 1, 1) * PK_MS_PER_DAY};
    return c;
}

/* The child: ingest from read `from` on, writing the next index to fd after every commit. */
static _Noreturn void child(const char *db, int64_t from, int fd) {
    store *st;
    pk_err err;
    if (store_open(db, 0, &st, &err)) _exit(3);
    ingest_opts o;
    ingest_opts_init(&o, st);
    ingest *in = ingest_new(st, &o);
    demo_config cfg = crash_cfg();
    demo_gen *g = demo_gen_new(&cfg);
    static ingest_read rd[BATCH];
    static demo_item it[BATCH];
    static unsigned char jpg[BATCH][4096];
    ingest_result res;
    ingest_result_init(&res);
    for (int64_t i = from; i < N_READS;) {
        size_t k = 0;
        for (; k < BATCH && i < N_READS; k++, i++) {
            demo_gen_at(g, i, &it[k]);
            memset(&rd[k], 0, sizeof rd[k]);
            rd[k].read = it[k].read;
            rd[k].read.candidates = it[k].candidates;
            rd[k].read.vehicle = it[k].vehicle;
            if (it[k].plate_jpeg && it[k].plate_jpeg_len <= sizeof jpg[k]) {
                memcpy(jpg[k], it[k].plate_jpeg, it[k].plate_jpeg_len);
                rd[k].plate_jpeg = jpg[k];
                rd[k].plate_jpeg_len = it[k].plate_jpeg_len;
            }
        }
        if (ingest_reads(in, rd, k, &res, &err) != PK_OK) _exit(4);
        /* acknowledged: the commit returned */
        if (write(fd, &i, sizeof i) != sizeof i) _exit(5);
        res.n_rejects = 0;
    }
    _exit(0);
}

static void test_sigkill(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    char db[4200];
    snprintf(db, sizeof db, "%s", store_path(st));
    store_close(st);
    uint64_t rnd = (uint64_t)time(NULL) ^ (uint64_t)getpid();
    int64_t acked = 0;
    demo_config cfg = crash_cfg();
    demo_gen *g = demo_gen_new(&cfg);
    for (int round = 0; round < ROUNDS; round++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            child(db, acked, p[1]);
        }
        close(p[1]);
        /* let it run a random while: through opening, batches, commits, image writes */
        struct timespec ts = {0, (long)(20 + tu_rand(&rnd) % 400) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        int64_t v, before = acked;
        ssize_t n;
        while ((n = read(p[0], &v, sizeof v)) == sizeof v) acked = v;
        close(p[0]);
        if (WIFEXITED(status)) fail_msg("child exited by itself with %d", WEXITSTATUS(status));

        pk_err err;
        assert_int_equal(store_open(db, 0, &st, &err), PK_OK);
        if (store_integrity_check(st, &err)) fail_msg("round %d: %s", round, err.msg);
        int64_t count = store_reads_count(st);
        if (count < acked) fail_msg("round %d: %lld acknowledged, %lld stored", round,
                                    (long long)acked, (long long)count);
        for (int64_t i = 0; i < acked; i++) {
            demo_item it;
            demo_gen_at(g, i, &it);
            int64_t id;
            if (store_read_find(st, it.read.uuid, it.read.ts, &id, &err))
                fail_msg("round %d: acknowledged read %lld is missing", round, (long long)i);
            if (i >= before && it.plate_jpeg) { /* its image survived too */
                store_read r;
                assert_int_equal(store_read_get(st, id, &r, &err), PK_OK);
                unsigned char *data;
                size_t len;
                if (store_image_get(st, r.plate_image, &data, &len, &err))
                    fail_msg("round %d: image of read %lld: %s", round, (long long)i, err.msg);
                free(data);
                store_read_fini(&r);
            }
        }
        store_close(st);
        print_message("round %d: killed after %lld acknowledged reads (%lld stored)\n", round,
                      (long long)acked, (long long)count);
    }
    assert_true(acked > 0);
    demo_gen_free(g);
    tu_rmtree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_sigkill)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
