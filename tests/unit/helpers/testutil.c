#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *tu_tempdir(void) {
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/pktest.XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    if (!d) fail_msg("mkdtemp failed");
    return strdup(d);
}

void tu_rmtree(const char *path) {
    if (!path || !*path || strcmp(path, "/") == 0) return;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", path);
}

store *tu_store_new(char **dir) {
    *dir = tu_tempdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/platekeeper.db", *dir);
    store *st = NULL;
    pk_err err;
    pk_err_clear(&err);
    if (store_open(path, STORE_CREATE, &st, &err)) fail_msg("store_open: %s", err.msg);
    return st;
}

void tu_store_free(store *st, char *dir) {
    store_close(st);
    tu_rmtree(dir);
    free(dir);
}

uint64_t tu_rand(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

const char *tu_root(void) {
    const char *r = getenv("PK_ROOT");
    return r && *r ? r : ".";
}

void tu_models_dir(char *buf, size_t n) {
    snprintf(buf, n, "%s/models", tu_root());
}

void tu_bench_file(char *buf, size_t n, const char *rel) {
    const char *data = getenv("PK_DATA");
    if (data && *data)
        snprintf(buf, n, "%s/openalpr-benchmarks/%s", data, rel);
    else
        snprintf(buf, n, "%s/../shared/data/openalpr-benchmarks/%s", tu_root(), rel);
}

void tu_us_scene(char *buf, size_t n, const char *file) {
    char rel[512];
    snprintf(rel, sizeof rel, "endtoend/us/%s", file);
    tu_bench_file(buf, n, rel);
}
