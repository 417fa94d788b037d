/* Shared by the ingest tests: a store with an ingest handle, a fixed clock, a good read. */
#ifndef PK_TEST_INGEST_FIXTURE_H
#define PK_TEST_INGEST_FIXTURE_H

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>

#include "core/pktime.h"
#include "demo/demo.h"
#include "ingest/ingest.h"
#include "testutil.h"

static const char *const UUID1 = "0f8e2a6c-1b2d-4e3f-8a9b-0c1d2e3f4a5b";

/* A base64 JPEG (a rendered plate), malloc'd. */
static inline char *jpeg_b64(const char *plate) {
    unsigned char *jpg;
    size_t len;
    assert_int_equal(demo_plate_jpeg(plate, &jpg, &len, NULL), PK_OK);
    size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *b = malloc(n);
    sodium_bin2base64(b, n, jpg, len, sodium_base64_VARIANT_ORIGINAL);
    free(jpg);
    return b;
}

static inline json_t *good_read(void) {
    char *img = jpeg_b64("7ABC123");
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:[{s:s,s:f},{s:s,s:f}],"
                          " s:{s:s,s:s,s:s}, s:s}",
                          "uuid", UUID1, "plate", "7abc-123", "state", "ca", "ts",
                          "2026-06-01T12:00:00Z", "camera", "J St & 16th St", "lat", 38.5765,
                          "lon", -121.4858, "heading", 90.5, "confidence", 91.25, "candidates",
                          "plate", "7ABC123", "confidence", 91.25, "plate", "7A8C123",
                          "confidence", 70.0, "vehicle", "make", "Toyota", "model", "Camry",
                          "color", "white", "plate_image", img);
    free(img);
    return o;
}

typedef struct fixture {
    char *dir;
    store *st;
    ingest *in;
    ingest_opts o;
} fixture;

static inline int64_t fixed_now(void *ctx) {
    (void)ctx;
    return pk_days_from_civil(2026, 6, 2) * PK_MS_PER_DAY; /* 2026-06-02T00:00Z */
}
static const pk_clock clock_fixed = {fixed_now, NULL};

static inline void fx_open(fixture *f) {
    f->st = tu_store_new(&f->dir);
    ingest_opts_init(&f->o, f->st);
    f->o.clock = &clock_fixed;
    f->in = ingest_new(f->st, &f->o);
}

static inline void fx_close(fixture *f) {
    ingest_free(f->in);
    tu_store_free(f->st, f->dir);
}

#endif
