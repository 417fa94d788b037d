/* libFuzzer target: a file for `platekeeper ingest` (JSON lines or one JSON document) through
 * the whole ingest path, storing what validates into a scratch data directory.
 * Run: build/fuzz/fuzz_ingest_jsonl fuzz/corpus/ingest_jsonl */
#include <stdint.h>
#include <stdio.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

/* One scratch store per process: fuzzing is about the parser, not about fresh databases. */
static char fuzz_jsonl_dir[32];

static int fuzz_jsonl_rm(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path);
}

/* The scratch directory goes when the process ends (the replay test runs in make test). */
static void fuzz_jsonl_cleanup(void) {
    if (fuzz_jsonl_dir[0]) nftw(fuzz_jsonl_dir, fuzz_jsonl_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static ingest *fuzz_jsonl_ingest(void) {
    static ingest *in;
    if (in) return in;
    char tmpl[] = "/tmp/pkfuzz.XXXXXX";
    char *dir = mkdtemp(tmpl);
    if (!dir) abort();
    snprintf(fuzz_jsonl_dir, sizeof fuzz_jsonl_dir, "%s", dir);
    atexit(fuzz_jsonl_cleanup);
    char db[64];
    snprintf(db, sizeof db, "%s/platekeeper.db", dir);
    store *st;
    if (store_open(db, STORE_CREATE, &st, NULL)) abort();
    ingest_opts o;
    ingest_opts_init(&o, st);
    o.line_max = 1 << 16; /* small limits reach the limit paths with small inputs */
    o.image_max = 1 << 14;
    o.batch = 8;
    in = ingest_new(st, &o);
    return in;
}

int FUZZ_ENTRY(const uint8_t *data, size_t size);
int FUZZ_ENTRY(const uint8_t *data, size_t size) {
    ingest *in = fuzz_jsonl_ingest();
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f) return 0; /* fmemopen refuses size 0 on some libcs */
    ingest_result res;
    ingest_result_init(&res);
    pk_err err;
    ingest_stream(in, f, "fuzz", NULL, NULL, &res, &err);
    fclose(f);
    ingest_result_fini(&res);
    return 0;
}
