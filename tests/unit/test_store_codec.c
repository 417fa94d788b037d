/* store: candidates and vehicle kept in compact form come back as the identical JSON text;
 * text in any other shape is kept as it came. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "demo/demo.h"
#include "store/store.h"

typedef struct expect {
    const char *cand, *veh;
    int seen;
} expect;

static int check_fn(void *ctx, const store_read *r) {
    expect *e = ctx;
    if (e->cand) assert_string_equal(r->candidates, e->cand);
    else assert_null(r->candidates);
    if (e->veh) assert_string_equal(r->vehicle, e->veh);
    else assert_null(r->vehicle);
    e->seen++;
    return 0;
}

static void roundtrip(store *st, int64_t cam, uint32_t n, const char *plate, double conf,
                      const char *cand, const char *veh) {
    store_read r;
    memset(&r, 0, sizeof r);
    memcpy(r.uuid, &n, sizeof n);
    snprintf(r.plate, sizeof r.plate, "%s", plate);
    r.ts = 1000 + n;
    r.camera_id = cam;
    r.heading = -1;
    r.confidence = conf;
    r.candidates = cand;
    r.vehicle = veh;
    pk_err err;
    assert_int_equal(store_reads_insert(st, &r, 1, NULL, &err), PK_OK);
    store_read got;
    assert_int_equal(store_read_get(st, r.id, &got, &err), PK_OK);
    if (cand) assert_string_equal(got.candidates, cand);
    else assert_null(got.candidates);
    if (veh) assert_string_equal(got.vehicle, veh);
    else assert_null(got.vehicle);
    store_read_fini(&got);
    /* and through the filter walk */
    store_read_filter f;
    store_read_filter_init(&f);
    f.from = f.to = r.ts;
    expect e = {cand, veh, 0};
    assert_int_equal(store_reads_each(st, &f, check_fn, &e, &err), PK_OK);
    assert_int_equal(e.seen, 1);
}

static void test_codec(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    int64_t cam;
    pk_err err;
    assert_int_equal(store_camera_ensure(st, "c", NAN, NAN, &cam, &err), PK_OK);
    uint32_t n = 1;
    /* canonical shapes (what ingest writes) */
    roundtrip(st, cam, n++, "7ABC123", 91.25,
              "[{\"plate\":\"7ABC123\",\"confidence\":91.25},{\"plate\":\"7A8C123\",\"confidence\":70.00}]",
              "{\"color\":\"white\",\"make\":\"Toyota\",\"model\":\"Camry\"}");
    roundtrip(st, cam, n++, "7ABC123", 91.25, "[{\"plate\":\"7A8C123\",\"confidence\":91.25}]",
              "{\"make\":\"Toyota\"}");
    roundtrip(st, cam, n++, "1", 0, "[{\"plate\":\"1\",\"confidence\":0.00}]", "{\"model\":\"F-150\"}");
    roundtrip(st, cam, n++, "7ABC123", 91.256, "[{\"plate\":\"7ABC123\",\"confidence\":91.26}]",
              "{\"color\":\"dark blue\",\"model\":\"Model 3\"}");
    roundtrip(st, cam, n++, "7ABC123", 50, NULL, NULL);
    /* other shapes are kept verbatim */
    roundtrip(st, cam, n++, "7ABC123", 50, "[ {\"plate\": \"7ABC123\"} ]", "{\"make\":\"A|B\"}");
    roundtrip(st, cam, n++, "7ABC123", 50, "[]", "{}");
    roundtrip(st, cam, n++, "7ABC123", 50, "~looks compact", "{\"make\":\"Q\\\"uote\"}");
    roundtrip(st, cam, n++, "7ABC123", 50, "~~two", "~vehicle text");
    roundtrip(st, cam, n++, "7ABC123", 50, "~", "{\"color\":\"~tilde\"}");
    roundtrip(st, cam, n++, "7ABC123", 50,
              "[{\"plate\":\"7ABC123\",\"confidence\":1},{\"plate\":\"x\",\"confidence\":2}]",
              "{\"color\":\"red\",\"extra\":\"x\"}");
    roundtrip(st, cam, n++, "7ABC123", 50, "[{\"plate\":\"7ABC123\",\"confidence\":1}]x",
              "{\"make\":\"\"}");
    /* a few thousand generated reads */
    demo_config cfg = {.seed = 9, .n_reads = 2000};
    demo_gen *g = demo_gen_new(&cfg);
    demo_item it;
    while (demo_gen_next(g, &it))
        roundtrip(st, cam, 1000 + (uint32_t)it.index, it.read.plate, it.read.confidence,
                  it.candidates, it.vehicle);
    demo_gen_free(g);
    tu_store_free(st, dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_codec)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
