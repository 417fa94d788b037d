/*
 * bench_ingest: in-process ingest throughput (DESIGN.md §8: >= 100,000 reads/s in batches of
 * 1,000, each committed durably) and database bytes per read.
 *
 * Reads come from the demo generator (src/demo) and go through the whole ingest path as the
 * server links it (ingest_reads: validation, camera cache, plate dictionary, uuid dedup, one
 * transaction per batch with synchronous=FULL; the standard hooks: every read matched against
 * the hotlists, alerts written in the batch's transaction, new plates added to the search
 * dictionary). The hotlists hold PK_BENCH_HOTLIST_LINES entries (default 2,000,000, the size
 * DESIGN.md §8 names; 0 for none) plus a list of WANTED plates the demo's vehicles carry, so that
 * some reads hit. Generating a batch is not timed; ingesting it is.
 *
 * usage: bench_ingest [N_READS] [DIR]   (default 1000000 reads, a temp directory)
 * Also prints the JSON path (ingest_json on the same reads as JSON text) on a smaller sample.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "core/pktime.h"
#include "demo/demo.h"
#include "hotlist/hotlist.h"
#include "ingest/ingest.h"
#include "ncic_file.h"
#include "search/search.h"

#define BATCH 1000
/* Plates of the demo's vehicles put on a list: about 0.6% of the reads then hit (the demo's
 * vehicles pass often), the order of a busy department's hit rate. */
#define WANTED 15

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) this process has used: on a shared machine the wall clock also
 * counts other jobs' time, so both are reported. */
static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static long long file_size(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* Adds a hotlist named NAME holding FILE's lines. */
static int add_list(store *st, const char *name, const char *file, pk_err *err) {
    store_hotlist h;
    memset(&h, 0, sizeof h);
    snprintf(h.name, sizeof h.name, "%s", name);
    snprintf(h.source, sizeof h.source, "import");
    snprintf(h.alert_level, sizeof h.alert_level, "high");
    h.priority = 1;
    h.default_expiry_days = 30;
    h.hit_retention_days = 365;
    if (store_hotlist_add(st, &h, err)) return 1;
    hotlist_import_report r;
    int rc = hotlist_import_file(st, h.id, file, NULL, NULL, &r, err);
    if (!rc) printf("  hotlist %s: %lld entries\n", name, (long long)r.loaded);
    hotlist_import_report_fini(&r);
    return rc;
}

/* The hotlists: LINES NCIC-style entries, and WANTED plates of the demo's vehicles (the true
 * plates of reads a thousand apart), which its reads carry again. */
static int put_hotlists(store *st, demo_gen *g, const char *dir, long lines, pk_err *err) {
    char file[4200];
    if (lines > 0) {
        uint64_t rng = 0x9E3779B97F4A7C15ULL;
        snprintf(file, sizeof file, "%s/ncic.csv", dir);
        if (bench_write_ncic(file, lines, 0, &rng, NULL, 0))
            return pk_err_set(err, PK_EIO, "%s: cannot write", file);
        if (add_list(st, "ncic-stolen", file, err)) return 1;
    }
    snprintf(file, sizeof file, "%s/hits.csv", dir);
    FILE *f = fopen(file, "w");
    if (!f) return pk_err_set(err, PK_EIO, "%s: cannot write", file);
    fprintf(f, "LIC\n");
    demo_item it;
    char seen[WANTED][PK_PLATE_MAX + 1];
    int n = 0;
    for (int64_t i = 0; n < WANTED && i < 100000; i++) {
        demo_gen_at(g, i * 1000 % 1000003, &it);
        int dup = 0;
        for (int k = 0; k < n && !dup; k++) dup = !strcmp(seen[k], it.true_plate);
        if (dup) continue;
        memcpy(seen[n++], it.true_plate, sizeof seen[0]);
        fprintf(f, "%s\n", it.true_plate);
    }
    fclose(f);
    return add_list(st, "demo-wanted", file, err);
}

static int run_structured(const char *dir, int64_t n) {
    char db[4200];
    snprintf(db, sizeof db, "%s/platekeeper.db", dir);
    store *st;
    pk_err err;
    pk_err_clear(&err);
    if (store_open(db, STORE_CREATE, &st, &err)) {
        fprintf(stderr, "bench_ingest: %s\n", err.msg);
        return 1;
    }
    demo_config cfg = {.seed = 1, .n_reads = n};
    demo_gen *g = demo_gen_new(&cfg);
    const char *env = getenv("PK_BENCH_HOTLIST_LINES");
    long lines = env ? atol(env) : 2000000;
    hotlist_engine *eng = NULL;
    search_index *idx = search_index_new();
    if (put_hotlists(st, g, dir, lines, &err) || hotlist_engine_new(db, &eng, &err) ||
        search_index_load(idx, st, &err)) {
        fprintf(stderr, "bench_ingest: %s\n", err.msg);
        return 1;
    }
    /* the lists' own pages are not the reads' bytes */
    char wal[4300];
    snprintf(wal, sizeof wal, "%s-wal", db);
    store_checkpoint(st, &err);
    long long before = file_size(db) + file_size(wal);
    ingest_links links;
    ingest_links_init(&links, idx, eng);
    ingest_opts o;
    ingest_opts_init(&o, st);
    o.hooks = ingest_links_hooks(&links);
    ingest *in = ingest_new(st, &o);
    /* the demo's year ends before "now" for any current clock: no future rejects */
    ingest_read *batch = calloc(BATCH, sizeof *batch);
    demo_item *items = calloc(BATCH, sizeof *items);
    ingest_result res;
    ingest_result_init(&res);
    double t_ingest = 0, t_last = 0, c_ingest = 0;
    int64_t done = 0, last_report = 0;
    while (done < n) {
        size_t k = 0;
        while (k < BATCH && demo_gen_next(g, &items[k])) {
            memset(&batch[k], 0, sizeof batch[k]);
            batch[k].read = items[k].read;
            batch[k].read.candidates = items[k].candidates;
            batch[k].read.vehicle = items[k].vehicle;
            k++;
        }
        double t0 = now_s(), c0 = cpu_s();
        if (ingest_reads(in, batch, k, &res, &err)) {
            fprintf(stderr, "bench_ingest: %s\n", err.msg);
            return 1;
        }
        double dt = now_s() - t0;
        c_ingest += cpu_s() - c0;
        t_ingest += dt;
        t_last += dt;
        done += (int64_t)k;
        if (done - last_report >= n / 10 && n >= 1000000) {
            printf("  %9lld reads: %8.0f reads/s over the last %lld\n", (long long)done,
                   (double)(done - last_report) / t_last, (long long)(done - last_report));
            fflush(stdout);
            last_report = done;
            t_last = 0;
        }
    }
    if (res.rejected) {
        fprintf(stderr, "bench_ingest: %lld reads rejected: %s: %s\n", (long long)res.rejected,
                res.rejects[0].field, res.rejects[0].reason);
        return 1;
    }
    store_checkpoint(st, &err);
    long long bytes = file_size(db) + file_size(wal) - before;
    printf("ingest in process, %lld reads, batches of %d, synchronous=FULL, matched against %ld + "
           "%d hotlist entries, search dictionary kept:\n",
           (long long)n, BATCH, lines > 0 ? lines : 0, WANTED);
    printf("  reads/s: %.0f   (accepted %lld, duplicates %lld, %.2f s ingesting)\n",
           (double)n / t_ingest, (long long)res.accepted, (long long)res.duplicates, t_ingest);
    printf("  CPU per read: %.2f us (user+system; %.0f reads per CPU second)\n",
           c_ingest * 1e6 / (double)n, (double)n / c_ingest);
    printf("  database bytes/read: %.1f   (%lld bytes besides the hotlists)\n",
           (double)bytes / (double)n, bytes);
    printf("  alerts: %lld; plates in the search dictionary: %zu\n", (long long)links.n_alerts,
           search_index_size(idx));
    fflush(stdout);
    ingest_result_fini(&res);
    free(batch);
    free(items);
    demo_gen_free(g);
    ingest_free(in);
    ingest_links_fini(&links);
    hotlist_engine_free(eng);
    search_index_free(idx);
    store_close(st);
    return 0;
}

/* The JSON path of POST /reads: parse, validate, store, 1,000 reads per body. */
static int run_json(const char *dir, int64_t n) {
    char db[4200];
    snprintf(db, sizeof db, "%s/json.db", dir);
    store *st;
    pk_err err;
    pk_err_clear(&err);
    if (store_open(db, STORE_CREATE, &st, &err)) return 1;
    ingest_opts o;
    ingest_opts_init(&o, st);
    ingest *in = ingest_new(st, &o);
    demo_config cfg = {.seed = 2, .n_reads = n};
    demo_gen *g = demo_gen_new(&cfg);
    ingest_result res;
    ingest_result_init(&res);
    double t = 0;
    size_t cap = BATCH * 700 + 64;
    char *body = malloc(cap);
    demo_item it;
    for (int64_t done = 0; done < n;) {
        size_t len = (size_t)snprintf(body, cap, "{\"reads\":[");
        int k = 0;
        for (; k < BATCH && demo_gen_next(g, &it); k++) {
            char *line = demo_item_json(g, &it);
            len += (size_t)snprintf(body + len, cap - len, "%s%s", k ? "," : "", line);
            free(line);
        }
        len += (size_t)snprintf(body + len, cap - len, "]}");
        double t0 = now_s();
        if (ingest_json_text(in, body, len, &res, &err)) {
            fprintf(stderr, "bench_ingest: %s\n", err.msg);
            return 1;
        }
        t += now_s() - t0;
        done += k;
    }
    printf("ingest of JSON bodies ({\"reads\": [1,000 reads]}), %lld reads:\n", (long long)n);
    printf("  reads/s: %.0f   (accepted %lld, rejected %lld)\n", (double)n / t,
           (long long)res.accepted, (long long)res.rejected);
    free(body);
    ingest_result_fini(&res);
    demo_gen_free(g);
    ingest_free(in);
    store_close(st);
    return 0;
}

int main(int argc, char **argv) {
    int64_t n = argc > 1 ? atoll(argv[1]) : 1000000;
    char tmpl[] = "/tmp/pkbench.XXXXXX";
    const char *dir = argc > 2 ? argv[2] : mkdtemp(tmpl);
    if (!dir || n <= 0) {
        fprintf(stderr, "usage: bench_ingest [N_READS] [DIR]\n");
        return 2;
    }
    int rc = run_structured(dir, n);
    if (!rc && !getenv("PK_BENCH_NO_JSON")) rc = run_json(dir, n < 200000 ? n : 200000);
    if (argc <= 2) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "bench_ingest: could not remove %s\n", dir);
    }
    return rc;
}
