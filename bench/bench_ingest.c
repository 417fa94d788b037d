/*
 * bench_ingest: in-process ingest throughput (DESIGN.md §8: >= 100,000 reads/s in batches of
 * 1,000, each committed durably) and database bytes per read.
 *
 * Reads come from the demo generator (src/demo) and go through the whole ingest path
 * (ingest_reads: validation, camera cache, plate dictionary, uuid dedup, one transaction per
 * batch with synchronous=FULL). Generating a batch is not timed; ingesting it is.
 *
 * usage: bench_ingest [N_READS] [DIR] [--json]   (default 1000000 reads, a temp directory)
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
#include "ingest/ingest.h"

#define BATCH 1000

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
    ingest_opts o;
    ingest_opts_init(&o, st);
    ingest *in = ingest_new(st, &o);
    demo_config cfg = {.seed = 1, .n_reads = n};
    demo_gen *g = demo_gen_new(&cfg);
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
    char wal[4300];
    snprintf(wal, sizeof wal, "%s-wal", db);
    long long bytes = file_size(db) + file_size(wal);
    printf("ingest in process, %lld reads, batches of %d, synchronous=FULL:\n", (long long)n, BATCH);
    printf("  reads/s: %.0f   (accepted %lld, duplicates %lld, %.2f s ingesting)\n",
           (double)n / t_ingest, (long long)res.accepted, (long long)res.duplicates, t_ingest);
    printf("  CPU per read: %.2f us (user+system; %.0f reads per CPU second)\n",
           c_ingest * 1e6 / (double)n, (double)n / c_ingest);
    printf("  database bytes/read: %.1f   (%lld bytes)\n", (double)bytes / (double)n, bytes);
    fflush(stdout);
    ingest_result_fini(&res);
    free(batch);
    free(items);
    demo_gen_free(g);
    ingest_free(in);
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
