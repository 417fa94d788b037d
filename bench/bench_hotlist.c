/* bench_hotlist: the figures of issue 4 item 8 (docs/hotlists.md).
 *
 *   1. import time of an N-line NCIC-style hotlist file (default 2,000,000 lines), atomic
 *      replacement in one transaction, and the time of a second import that replaces it;
 *   2. matcher build time (2 M exact entries + 1,000 patterns) and its memory;
 *   3. match latency per read (median, p99, max) for 1 M reads, alone and while another thread
 *      ingests reads (batches of 1,000 through store_reads_insert + hotlist_alerts_record).
 *
 * usage: bench_hotlist [BUILD_DIR] [LINES]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/pattern.h"
#include "hotlist/hotlist.h"
#include "ncic_file.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void) {
    return bench_rnd(&rng);
}

static const char AN[] = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
static void rand_plate(char *p) {
    /* California-like 1ABC234 most of the time, other shapes sometimes */
    if (rnd() % 4) {
        p[0] = (char)('1' + rnd() % 9);
        for (int i = 1; i < 4; i++) p[i] = (char)('A' + rnd() % 26);
        for (int i = 4; i < 7; i++) p[i] = (char)('0' + rnd() % 10);
        p[7] = '\0';
    } else {
        int n = 5 + (int)(rnd() % 4);
        for (int i = 0; i < n; i++) p[i] = AN[rnd() % (sizeof AN - 1)];
        p[n] = '\0';
    }
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

typedef struct ingest_ctx {
    const char *db;
    hotlist_engine *eng;
    atomic_int stop;
    long reads, alerts;
    char (*hits)[11];
    size_t n_hits;
} ingest_ctx;

/* Another thread ingesting through the real path while latency is measured. */
static void *ingest_thread(void *arg) {
    ingest_ctx *c = arg;
    store *st;
    pk_err err;
    if (store_open(c->db, 0, &st, &err)) return NULL;
    int64_t cam;
    store_camera_ensure(st, "bench-cam", 38.5, -121.5, &cam, &err);
    store_read *rs = calloc(1000, sizeof *rs);
    int *dup = calloc(1000, sizeof *dup);
    uint64_t seq = 1;
    while (!atomic_load(&c->stop)) {
        for (int i = 0; i < 1000; i++) {
            memset(&rs[i], 0, sizeof rs[i]);
            seq++;
            memcpy(rs[i].uuid, &seq, sizeof seq);
            rs[i].uuid[15] = 0xBE;
            if (i % 100 == 0)
                snprintf(rs[i].plate, sizeof rs[i].plate, "%s", c->hits[seq % c->n_hits]);
            else
                rand_plate(rs[i].plate);
            snprintf(rs[i].state, sizeof rs[i].state, "CA");
            rs[i].ts = pk_now_ms();
            rs[i].camera_id = cam;
            rs[i].heading = -1;
            rs[i].confidence = 90;
        }
        hotlist_alert_batch *b = NULL;
        if (store_begin(st, &err)) break;
        if (store_reads_insert(st, rs, 1000, dup, &err) ||
            hotlist_alerts_record(c->eng, st, rs, dup, 1000, &b, &err)) {
            store_rollback(st);
            hotlist_alert_batch_free(b);
            fprintf(stderr, "ingest: %s\n", err.msg);
            break;
        }
        if (store_commit(st, &err)) break;
        c->alerts += (long)hotlist_alert_batch_count(b);
        hotlist_alert_batch_publish(c->eng, b);
        c->reads += 1000;
    }
    free(rs);
    free(dup);
    store_close(st);
    return NULL;
}

typedef struct stall_ctx {
    const char *db;
    atomic_int stop;
    double max_s;
    long batches;
} stall_ctx;

/* Small ingest batches (100 reads, one commit each) while an import runs: the longest wait for
 * the write lock is what a camera would see. */
static void *stall_thread(void *arg) {
    stall_ctx *c = arg;
    store *st;
    pk_err err;
    if (store_open(c->db, 0, &st, &err)) return NULL;
    int64_t cam;
    store_camera_ensure(st, "stall-cam", 38.5, -121.5, &cam, &err);
    store_read rs[100];
    int dup[100];
    uint64_t seq = (uint64_t)1 << 40;
    while (!atomic_load(&c->stop)) {
        for (int i = 0; i < 100; i++) {
            memset(&rs[i], 0, sizeof rs[i]);
            seq++;
            memcpy(rs[i].uuid, &seq, sizeof seq);
            rs[i].uuid[15] = 0x5A;
            rand_plate(rs[i].plate);
            rs[i].ts = pk_now_ms();
            rs[i].camera_id = cam;
            rs[i].heading = -1;
            rs[i].confidence = 90;
        }
        double t = now_s();
        if (store_begin(st, &err) || store_reads_insert(st, rs, 100, dup, &err) ||
            store_commit(st, &err)) {
            store_rollback(st);
            fprintf(stderr, "stall: %s\n", err.msg);
            break;
        }
        t = now_s() - t;
        if (t > c->max_s) c->max_s = t;
        c->batches++;
        usleep(20000);
    }
    store_close(st);
    return NULL;
}

static void latency(const char *label, hotlist_matcher *m, char (*plates)[11], size_t n) {
    uint64_t *ns = malloc(n * sizeof *ns);
    hotlist_hit hits[HOTLIST_MAX_HITS];
    size_t total_hits = 0;
    int64_t now = pk_now_ms();
    double t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        total_hits += hotlist_match(m, plates[i], "CA", now, hits, HOTLIST_MAX_HITS);
        clock_gettime(CLOCK_MONOTONIC, &b);
        ns[i] = (uint64_t)((b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
    }
    double wall = now_s() - t0;
    qsort(ns, n, sizeof *ns, cmp_u64);
    printf("match %-14s reads=%zu hits=%zu median=%.2f us p99=%.2f us p99.9=%.2f us "
           "max=%.1f us throughput=%.2f M reads/s (timer included)\n",
           label, n, total_hits, ns[n / 2] / 1000.0, ns[n * 99 / 100] / 1000.0,
           ns[n * 999 / 1000] / 1000.0, ns[n - 1] / 1000.0, n / wall / 1e6);
    free(ns);
}

int main(int argc, char **argv) {
    const char *build = argc > 1 ? argv[1] : "build";
    long lines = argc > 2 ? atol(argv[2]) : 2000000;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/bench/hotlist.XXXXXX", build);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char db[4200], file[4200], file2[4200];
    snprintf(db, sizeof db, "%s/platekeeper.db", dir);
    snprintf(file, sizeof file, "%s/ncic.csv", dir);
    snprintf(file2, sizeof file2, "%s/ncic2.csv", dir);

    /* the file: NCIC header names, unique plate+state per line */
    size_t n_keep = 10000;
    char(*hits)[11] = calloc(n_keep, sizeof *hits);
    for (int pass = 0; pass < 2; pass++)
        if (bench_write_ncic(pass ? file2 : file, lines, pass, &rng, pass ? NULL : hits, n_keep)) {
            perror(pass ? file2 : file);
            return 1;
        }
    store *st;
    pk_err err;
    pk_err_clear(&err);
    if (store_open(db, STORE_CREATE, &st, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    store_hotlist h;
    memset(&h, 0, sizeof h);
    snprintf(h.name, sizeof h.name, "ncic-stolen");
    snprintf(h.source, sizeof h.source, "import");
    snprintf(h.alert_level, sizeof h.alert_level, "high");
    h.priority = 1;
    h.default_expiry_days = 30;
    h.hit_retention_days = 365;
    store_hotlist_add(st, &h, &err);
    hotlist_import_report r;
    double t0 = now_s();
    if (hotlist_import_file(st, h.id, file, NULL, NULL, &r, &err)) {
        fprintf(stderr, "import: %s\n%s", err.msg, r.errors ? r.errors : "");
        return 1;
    }
    double t_import = now_s() - t0;
    printf("import %ld lines: %.2f s (%.0f lines/s), loaded=%lld bad=%lld\n", lines, t_import,
           lines / t_import, (long long)r.loaded, (long long)r.bad);
    hotlist_import_report_fini(&r);
    stall_ctx sc = {.db = db};
    atomic_init(&sc.stop, 0);
    pthread_t sth;
    pthread_create(&sth, NULL, stall_thread, &sc);
    t0 = now_s();
    hotlist_import_file(st, h.id, file2, NULL, NULL, &r, &err);
    double t_re = now_s() - t0;
    atomic_store(&sc.stop, 1);
    pthread_join(sth, NULL);
    printf("re-import (atomic replacement of %lld entries by %lld): %.2f s; meanwhile %ld ingest "
           "batches of 100 committed, the slowest in %.0f ms\n",
           (long long)r.replaced, (long long)r.loaded, t_re, sc.batches, sc.max_s * 1000);
    hotlist_import_report_fini(&r);
    /* the hits the readers will see are in the first file; import it again */
    hotlist_import_file(st, h.id, file, NULL, NULL, &r, &err);
    hotlist_import_report_fini(&r);

    /* 1,000 patterns on a second list, every shape */
    store_hotlist ph = h;
    snprintf(ph.name, sizeof ph.name, "partials");
    snprintf(ph.source, sizeof ph.source, "local");
    store_hotlist_add(st, &ph, &err);
    store_begin(st, &err);
    int np = 0;
    while (np < 1000) {
        char p[16], q[11];
        rand_plate(q);
        size_t n = strlen(q);
        int shape = (int)(rnd() % 4);
        if (shape == 0)
            snprintf(p, sizeof p, "%.3s*%.2s", q, q + n - 2); /* 7AB*12 */
        else if (shape == 1)
            snprintf(p, sizeof p, "?%.*s?", (int)n - 2, q + 1); /* ?ABC12? */
        else if (shape == 2)
            snprintf(p, sizeof p, "%.2s?%.2s*", q, q + 3); /* 7A?C1* */
        else
            snprintf(p, sizeof p, "*%.4s", q + n - 4); /* *C123 */
        pk_pattern pat;
        if (pk_pattern_compile(p, &pat, NULL)) continue;
        store_hotlist_entry e;
        memset(&e, 0, sizeof e);
        e.hotlist_id = ph.id;
        snprintf(e.plate, sizeof e.plate, "%s", pat.text);
        e.is_pattern = 1;
        snprintf(e.origin, sizeof e.origin, "hand");
        if (store_hotlist_entry_add(st, &e, &err) == PK_OK) np++;
    }
    store_commit(st, &err);

    long rss0 = rss_kb();
    hotlist_matcher *m;
    t0 = now_s();
    if (hotlist_matcher_build(st, 0, &m, &err)) {
        fprintf(stderr, "build: %s\n", err.msg);
        return 1;
    }
    double t_build = now_s() - t0;
    printf("matcher build: %zu entries (%zu patterns) in %.2f s, +%ld MB resident\n",
           hotlist_matcher_size(m), hotlist_matcher_patterns(m), t_build, (rss_kb() - rss0) / 1024);

    /* reads: 1 % hits on the list, 1 % misreads of listed plates, the rest random */
    size_t n = 1000000;
    char(*plates)[11] = malloc(n * sizeof *plates);
    for (size_t i = 0; i < n; i++) {
        if (i % 100 == 0) {
            memcpy(plates[i], hits[rnd() % n_keep], 11);
        } else if (i % 100 == 1) {
            memcpy(plates[i], hits[rnd() % n_keep], 11);
            for (char *c = plates[i]; *c; c++) /* a confusable substitution */
                if (*c == '0') {
                    *c = 'O';
                    break;
                } else if (*c == '8') {
                    *c = 'B';
                    break;
                }
        } else {
            rand_plate(plates[i]);
        }
    }
    latency("alone", m, plates, n);
    hotlist_matcher_release(m);

    hotlist_engine *eng;
    if (hotlist_engine_new(db, &eng, &err)) {
        fprintf(stderr, "engine: %s\n", err.msg);
        return 1;
    }
    ingest_ctx c = {.db = db, .eng = eng, .hits = hits, .n_hits = n_keep};
    atomic_init(&c.stop, 0);
    pthread_t th;
    pthread_create(&th, NULL, ingest_thread, &c);
    usleep(300000);
    m = hotlist_matcher_current(eng);
    t0 = now_s();
    long reads0 = c.reads;
    latency("under ingest", m, plates, n);
    double t_ing = now_s() - t0;
    long reads1 = c.reads;
    atomic_store(&c.stop, 1);
    pthread_join(th, NULL);
    hotlist_matcher_release(m);
    printf("ingest beside it: %.0f reads/s committed with matching and alerts (%ld alerts)\n",
           (reads1 - reads0) / t_ing, c.alerts);
    /* a rebuild while readers hold the old matcher: the swap itself */
    t0 = now_s();
    hotlist_engine_rebuild(eng, &err);
    printf("engine rebuild (background in serve): %.2f s\n", now_s() - t0);
    hotlist_engine_free(eng);
    store_close(st);
    free(plates);
    free(hits);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return 0;
}
