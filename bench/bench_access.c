/* Access and audit benchmark: access-log appends (one transaction each, alone and from several
 * threads), verification speed, the gate's cost (open + record), and login at the production
 * argon2id cost. Prints its figures; `make bench-access`. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "access/access.h"
#include "audit/audit.h"
#include "core/pktime.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void die(const char *what, const pk_err *err) {
    fprintf(stderr, "bench_access: %s: %s\n", what, err->msg);
    exit(1);
}

static const audit_entry ENTRY = {.username = "bench", .agency = "PD", .action = "search",
                                  .query = "{\"plate\":\"7ABC123\",\"fuzzy\":true}",
                                  .purpose = "investigation", .case_no = "24-001",
                                  .result_count = 3, .client = "10.0.0.1", .outcome = "ok"};

typedef struct worker {
    const char *path;
    int n;
} worker;

static void *append_thread(void *arg) {
    worker *w = arg;
    store *st;
    pk_err err;
    if (store_open(w->path, 0, &st, &err)) die("open", &err);
    for (int i = 0; i < w->n; i++)
        if (audit_append(st, &ENTRY, NULL, &err)) die("append", &err);
    store_close(st);
    return NULL;
}

int main(int argc, char **argv) {
    const char *base = argc > 1 ? argv[1] : "/tmp";
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/bench_access.XXXXXX", base);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/platekeeper.db", dir);
    store *st;
    pk_err err;
    if (store_open(path, STORE_CREATE, &st, &err)) die("open", &err);

    enum { SINGLE = 2000, THREADS = 4, PER_THREAD = 500, BULK = 200000, GATE = 2000 };
    double *lat = malloc(sizeof(double) * SINGLE);
    double t0 = now_s();
    for (int i = 0; i < SINGLE; i++) {
        double a = now_s();
        if (audit_append(st, &ENTRY, NULL, &err)) die("append", &err);
        lat[i] = now_s() - a;
    }
    double el = now_s() - t0;
    qsort(lat, SINGLE, sizeof *lat, cmp_d);
    printf("access-log append, own durable transaction each: %.0f/s, median %.3f ms, p95 %.3f ms\n",
           SINGLE / el, lat[SINGLE / 2] * 1e3, lat[SINGLE * 95 / 100] * 1e3);

    pthread_t th[THREADS];
    worker w = {path, PER_THREAD};
    t0 = now_s();
    for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, append_thread, &w);
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    el = now_s() - t0;
    printf("access-log append, %d threads with their own connections: %.0f/s in all\n", THREADS,
           THREADS * PER_THREAD / el);

    if (store_begin(st, &err)) die("begin", &err);
    for (int i = 0; i < BULK; i++)
        if (audit_append(st, &ENTRY, NULL, &err)) die("append", &err);
    if (store_commit(st, &err)) die("commit", &err);
    audit_verify_result res;
    t0 = now_s();
    if (audit_verify(st, &res, &err)) die("verify", &err);
    el = now_s() - t0;
    printf("audit verify: %lld entries in %.2f s (%.0f entries/s), intact=%d\n",
           (long long)res.checked, el, res.checked / el, res.intact);

    /* the gate: a trained investigator, open + record per access */
    setenv("PLATEKEEPER_TEST_FAST_PWHASH", "1", 1);
    access_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.username, sizeof u.username, "inv");
    snprintf(u.full_name, sizeof u.full_name, "Inv");
    snprintf(u.job_title, sizeof u.job_title, "Detective");
    snprintf(u.agency, sizeof u.agency, "PD");
    u.role = ACCESS_ROLE_INVESTIGATOR;
    const char *pw = "bench-password-long-enough";
    if (access_user_add(st, &u, pw, "bench", &u.id, &err)) die("user", &err);
    if (access_training_add(st, "inv", "ALPR", pk_now_ms(), "bench", &err)) die("train", &err);
    access_request req = {.user = &u, .action = ACCESS_READS_SEARCH, .purpose = "investigation",
                          .case_no = "24-001", .client = "10.0.0.1"};
    double *g = malloc(sizeof(double) * GATE);
    for (int i = 0; i < GATE; i++) {
        double a = now_s();
        access_grant *gr;
        if (access_grant_open(st, &req, NULL, &gr, &err)) die("grant", &err);
        if (access_grant_record(gr, ENTRY.query, 3, &err)) die("record", &err);
        access_grant_free(gr);
        g[i] = now_s() - a;
    }
    qsort(g, GATE, sizeof *g, cmp_d);
    printf("gate (grant open + log entry, durable): median %.3f ms, p95 %.3f ms\n",
           g[GATE / 2] * 1e3, g[GATE * 95 / 100] * 1e3);

    /* login at the production cost */
    unsetenv("PLATEKEEPER_TEST_FAST_PWHASH");
    if (access_password_reset(st, "inv", "production-cost-password", "bench", NULL, &err))
        die("reset", &err);
    double l[9];
    for (int i = 0; i < 9; i++) {
        access_user me;
        double a = now_s();
        if (access_login(st, "inv", "production-cost-password", "bench", &me, &err))
            die("login", &err);
        l[i] = now_s() - a;
    }
    qsort(l, 9, sizeof *l, cmp_d);
    printf("login (argon2id, interactive cost, 64 MiB): median %.1f ms\n", l[4] * 1e3);

    store_close(st);
    free(lat);
    free(g);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return 0;
}
