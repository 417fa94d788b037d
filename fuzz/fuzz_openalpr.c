/* libFuzzer target: an HTTP body for POST /reads (our batch, or an OpenALPR alpr_group /
 * alpr_results / heartbeat message) through ingest_json_text, storing what validates.
 * Run: build/fuzz/fuzz_openalpr fuzz/corpus/openalpr */
#include <stdint.h>
#include <stdio.h>
#include <ftw.h>
#include <stdlib.h>

#include "ingest/ingest.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

static char fuzz_openalpr_dir[32];

static int fuzz_openalpr_rm(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path);
}

/* The scratch directory goes when the process ends (the replay test runs in make test). */
static void fuzz_openalpr_cleanup(void) {
    if (fuzz_openalpr_dir[0]) nftw(fuzz_openalpr_dir, fuzz_openalpr_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static ingest *fuzz_openalpr_ingest(void) {
    static ingest *in;
    if (in) return in;
    char tmpl[] = "/tmp/pkfuzz.XXXXXX";
    char *dir = mkdtemp(tmpl);
    if (!dir) abort();
    snprintf(fuzz_openalpr_dir, sizeof fuzz_openalpr_dir, "%s", dir);
    atexit(fuzz_openalpr_cleanup);
    char db[64];
    snprintf(db, sizeof db, "%s/platekeeper.db", dir);
    store *st;
    if (store_open(db, STORE_CREATE, &st, NULL)) abort();
    ingest_opts o;
    ingest_opts_init(&o, st);
    o.image_max = 1 << 14;
    in = ingest_new(st, &o);
    return in;
}

int FUZZ_ENTRY(const uint8_t *data, size_t size);
int FUZZ_ENTRY(const uint8_t *data, size_t size) {
    ingest *in = fuzz_openalpr_ingest();
    ingest_result res;
    ingest_result_init(&res);
    pk_err err;
    ingest_json_text(in, (const char *)data, size, &res, &err);
    ingest_result_fini(&res);
    return 0;
}
