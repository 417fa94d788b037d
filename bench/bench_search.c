/* bench_search: exact, pattern, fuzzy and canvass searches on demo data (DESIGN.md §8).
 *
 * usage: bench_search DIR N_READS
 * Builds DIR/search-<N>.db with the demo generator (seed 1) unless it is there already and
 * complete, loads the plate dictionary index, then runs 200 random queries of each kind and
 * prints median and p95 in milliseconds: the search itself (find + fetch the first page of 50,
 * search__execute), and the whole gated call (search_request: grant, search, access-log entry
 * committed durably, as the server and the CLI run it). Each figure is wall-clock time and the
 * thread's CPU time (on a shared machine the first also counts other processes' turns).
 * PK_BENCH_ONLY=exact|pattern|fuzzy|canvass runs one kind; PK_BENCH_LIMIT=N changes the page. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "access/access.h"
#include "core/pktime.h"
#include "demo/demo.h"
#include "search/search.h"
#include "search/search_int.h"
#include "store/store.h"

#define QUERIES 200
#define LIMIT (getenv("PK_BENCH_LIMIT") ? atoi(getenv("PK_BENCH_LIMIT")) : 50)

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* CPU time of this thread: on a shared machine (2 cores, other jobs) wall time also counts the
 * time other processes held the CPU; both are printed. */
static double cpu_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void die(const char *what, const pk_err *err) {
    fprintf(stderr, "bench_search: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

static int build(const char *path, int64_t n, demo_config *cfg) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.building", path);
    unlink(tmp);
    char wal[4300];
    snprintf(wal, sizeof wal, "%s-wal", tmp);
    unlink(wal);
    store *st;
    pk_err err;
    if (store_open(tmp, STORE_CREATE, &st, &err)) die("open", &err);
    demo_gen *g = demo_gen_new(cfg);
    if (demo_gen_put_cameras(g, st, &err)) die("cameras", &err);
    enum { BATCH = 10000 };
    store_read *batch = calloc(BATCH, sizeof *batch);
    char (*cand)[512] = calloc(BATCH, 512);
    char (*veh)[160] = calloc(BATCH, 160);
    demo_item it;
    double t0 = now_ms();
    int64_t done = 0;
    for (;;) {
        size_t k = 0;
        while (k < BATCH && demo_gen_next(g, &it)) {
            batch[k] = it.read;
            memcpy(cand[k], it.candidates, sizeof cand[k]);
            memcpy(veh[k], it.vehicle, sizeof veh[k]);
            batch[k].candidates = cand[k];
            batch[k].vehicle = veh[k];
            k++;
        }
        if (!k) break;
        if (store_reads_insert(st, batch, k, NULL, &err)) die("insert", &err);
        done += (int64_t)k;
        if (done % 1000000 == 0)
            fprintf(stderr, "  built %lld reads (%.0f reads/s)\n", (long long)done,
                    (double)done / ((now_ms() - t0) / 1e3));
    }
    char nbuf[32];
    snprintf(nbuf, sizeof nbuf, "%lld", (long long)n);
    if (store_setting_set(st, "bench_complete", nbuf, &err)) die("setting", &err);
    store_checkpoint(st, &err);
    store_close(st);
    demo_gen_free(g);
    free(batch);
    free(cand);
    free(veh);
    if (rename(tmp, path)) die("rename", NULL);
    fprintf(stderr, "  built %lld reads in %.1f s\n", (long long)n, (now_ms() - t0) / 1e3);
    return 0;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct stats {
    double t[QUERIES];
    double c[QUERIES];
    double results;
    int n;
} stats;

/* The gated variant: the same query through search_request as user "bench". */
static access_user bench_user;
static stats exact, fuzzy, canvass, pat[3];
static stats exact_l, fuzzy_l, canvass_l, pat_l[3], warm_l;

static stats *log_stats_for(stats *s) {
    if (s == &exact) return &exact_l;
    if (s == &fuzzy) return &fuzzy_l;
    if (s == &canvass) return &canvass_l;
    for (int i = 0; i < 3; i++)
        if (s == &pat[i]) return &pat_l[i];
    warm_l.n = 0;
    return &warm_l;
}


static void report(const char *name, stats *s) {
    if (s->n == 0) return;
    qsort(s->t, (size_t)s->n, sizeof s->t[0], cmp_d);
    qsort(s->c, (size_t)s->n, sizeof s->c[0], cmp_d);
    printf("  %-26s median %7.3f ms  p95 %7.3f ms | cpu median %7.3f ms  p95 %7.3f ms"
           "  (%.0f reads)\n",
           name, s->t[s->n / 2], s->t[(s->n * 95) / 100], s->c[s->n / 2],
           s->c[(s->n * 95) / 100], s->results / s->n);
}

/* PK_BENCH_ONLY=exact|pattern|fuzzy|canvass runs one kind (for profiling). */
static const char *only;

static void run(search_index *idx, store *st, const search_query *q, stats *s) {
    if (only && strcmp(only, s == &exact ? "exact" : s == &fuzzy ? "fuzzy" : s == &canvass ? "canvass" : "pattern"))
        return;
    search_result res;
    pk_err err;
    double t0 = now_ms(), c0 = cpu_ms();
    int rc = search__execute(idx, st, q, &res, &err);
    double t = now_ms() - t0, c = cpu_ms() - c0;
    if (rc) die("search", &err);
    s->c[s->n] = c;
    s->t[s->n++] = t;
    s->results += (double)res.total;
    search_result_fini(&res);

    stats *ls = log_stats_for(s);
    access_request req = {.user = &bench_user, .action = ACCESS_READS_SEARCH,
                          .purpose = "investigation", .case_no = "BENCH-1", .client = "bench"};
    t0 = now_ms();
    c0 = cpu_ms();
    rc = search_request(idx, st, &req, q, &res, &err);
    t = now_ms() - t0;
    c = cpu_ms() - c0;
    if (rc) die("search_request", &err);
    ls->c[ls->n] = c;
    ls->t[ls->n++] = t;
    ls->results += (double)res.total;
    search_result_fini(&res);
}

/* The bench user, created once in the bench database (investigator, trained). */
static void ensure_user(store *st) {
    pk_err err;
    if (access_user_get(st, "bench", &bench_user, &err) == PK_OK) return;
    memset(&bench_user, 0, sizeof bench_user);
    snprintf(bench_user.username, sizeof bench_user.username, "bench");
    snprintf(bench_user.full_name, sizeof bench_user.full_name, "Benchmark Investigator");
    snprintf(bench_user.job_title, sizeof bench_user.job_title, "Detective");
    snprintf(bench_user.agency, sizeof bench_user.agency, "Bench PD");
    bench_user.role = ACCESS_ROLE_INVESTIGATOR;
    if (access_user_add(st, &bench_user, "bench-password-not-secret-1", "bench", &bench_user.id,
                        &err))
        die("user", &err);
    if (access_training_add(st, "bench", "ALPR basics", pk_now_ms() - PK_MS_PER_DAY, "bench", &err))
        die("training", &err);
    if (access_user_get(st, "bench", &bench_user, &err)) die("user", &err);
}

static uint64_t rnd(uint64_t *rs) {
    *rs ^= *rs << 13;
    *rs ^= *rs >> 7;
    *rs ^= *rs << 17;
    return *rs;
}

/* A read of the data set at a random position (for canvasses: where and when traffic is). */
static void pick(demo_gen *g, uint64_t *rs, int64_t n, demo_item *it) {
    demo_gen_at(g, (int64_t)(rnd(rs) % (uint64_t)n), it);
}

/* Every distinct plate, so that plate queries pick vehicles uniformly (picking reads would
 * favour the daily commuters, whose hundreds of reads make every query look like theirs). */
typedef struct plates {
    char (*text)[PK_PLATE_MAX + 1];
    size_t n, cap;
} plates;

static int plates_add(void *ctx, int64_t id, const char *text) {
    (void)id;
    plates *p = ctx;
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 1 << 16;
        p->text = realloc(p->text, p->cap * sizeof *p->text);
    }
    snprintf(p->text[p->n++], PK_PLATE_MAX + 1, "%s", text);
    return 0;
}

static const char *pick_plate(const plates *p, uint64_t *rs, size_t min_len) {
    for (;;) {
        const char *t = p->text[rnd(rs) % p->n];
        if (strlen(t) >= min_len) return t;
    }
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: bench_search DIR N_READS\n");
        return 2;
    }
    const char *dir = argv[1];
    int64_t n = atoll(argv[2]);
    mkdir(dir, 0755);
    /* only the bench user's own password hash: keep its creation quick */
    setenv("PLATEKEEPER_TEST_FAST_PWHASH", "1", 1);
    char path[4096];
    snprintf(path, sizeof path, "%s/search-%lld.db", dir, (long long)n);
    demo_config cfg = {.seed = 1, .n_reads = n};
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "bench_search: building %s with the demo generator\n", path);
        build(path, n, &cfg);
    }
    store *st;
    pk_err err;
    if (store_open(path, 0, &st, &err)) die("open", &err);
    if (store_setting_int(st, "bench_complete", 0) != n) die("incomplete database; delete it", NULL);
    stat(path, &sb);
    search_index *idx = search_index_new();
    double t0 = now_ms(), c0 = cpu_ms();
    if (search_index_load(idx, st, &err)) die("index", &err);
    double tload = now_ms() - t0, cload = cpu_ms() - c0;
    printf("search benchmark: %lld reads, %zu distinct plates, %.0f bytes/read on disk\n",
           (long long)n, search_index_size(idx), (double)sb.st_size / (double)n);
    printf("  plate index load: %.0f ms (cpu %.0f ms), %.0f MiB of memory (%.0f bytes per plate)\n",
           tload, cload,
           (double)search__index_bytes(idx) / 1048576.0,
           (double)search__index_bytes(idx) / (double)search_index_size(idx));

    plates pl = {0};
    if (store_plates_each(st, plates_add, &pl, &err)) die("plates", &err);
    demo_gen *g = demo_gen_new(&cfg);
    uint64_t rs = 12345;
    demo_item it;
    search_query q;
    ensure_user(st);
    only = getenv("PK_BENCH_ONLY");
    /* warm the page cache a little, as a running server would be */
    for (int i = 0; i < 50; i++) {
        search_query_init(&q);
        q.plate = pick_plate(&pl, &rs, 1);
        static stats s;
        s.n = 0;
        run(idx, st, &q, &s);
    }

    static const char *const shapes[3] = {"pattern 7AB*12 shape", "pattern ?ABC12? shape",
                                          "pattern 7A?C1* shape"};
    char buf[PK_PATTERN_MAX + 1];
    for (int i = 0; i < QUERIES; i++) {
        search_query_init(&q);
        q.limit = LIMIT;
        q.plate = pick_plate(&pl, &rs, 1);
        run(idx, st, &q, &exact);

        for (int s = 0; s < 3; s++) {
            const char *p = pick_plate(&pl, &rs, 6); /* the shapes need six characters */
            size_t len = strlen(p);
            if (s == 0) {
                snprintf(buf, sizeof buf, "%.3s*%s", p, p + len - 2);
            } else if (s == 1) {
                snprintf(buf, sizeof buf, "?%.*s?", (int)(len - 2), p + 1);
            } else {
                snprintf(buf, sizeof buf, "%c%c?%c%c*", p[0], p[1], p[3], p[4]);
            }
            search_query_init(&q);
            q.limit = LIMIT;
            q.pattern = buf;
            run(idx, st, &q, &pat[s]);
        }

        /* fuzzy: a plate as a camera might misread it (one character changed) */
        char m[PK_PLATE_MAX + 1];
        snprintf(m, sizeof m, "%s", pick_plate(&pl, &rs, 1));
        size_t ml = strlen(m);
        m[rs % ml] = "0O8B1I5S2Z6GA"[(rs >> 8) % 13];
        search_query_init(&q);
        q.limit = LIMIT;
        q.plate = m;
        q.fuzzy = 1;
        run(idx, st, &q, &fuzzy);

        /* canvass: 1 km around a read's position, 24 h around its time */
        do {
            pick(g, &rs, n, &it);
        } while (!it.read.has_pos);
        search_query_init(&q);
        q.limit = LIMIT;
        q.has_near = 1;
        q.lat = it.read.lat;
        q.lon = it.read.lon;
        q.radius_m = 1000;
        q.has_from = q.has_to = 1;
        q.from = it.read.ts - PK_MS_PER_DAY / 2;
        q.to = it.read.ts + PK_MS_PER_DAY / 2;
        run(idx, st, &q, &canvass);
    }
    printf("  %d random queries of each kind, first page of %d, without the access-log write:\n",
           QUERIES, LIMIT);
    report("exact plate", &exact);
    for (int s = 0; s < 3; s++) report(shapes[s], &pat[s]);
    report("fuzzy (misread-tolerant)", &fuzzy);
    report("canvass 1 km x 24 h", &canvass);
    printf("  the same queries through search_request (grant + search + access-log entry, "
           "committed):\n");
    report("exact plate", &exact_l);
    for (int s = 0; s < 3; s++) report(shapes[s], &pat_l[s]);
    report("fuzzy (misread-tolerant)", &fuzzy_l);
    report("canvass 1 km x 24 h", &canvass_l);
    demo_gen_free(g);
    free(pl.text);
    search_index_free(idx);
    store_close(st);
    return 0;
}
