/* store: migrations, settings, cameras, plates, reads (insert, duplicates, filters, order). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"

static void test_open_migrates(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    assert_true(store_schema_version(st) >= 1);
    pk_err err;
    char *v = NULL;
    assert_int_equal(store_setting_get(st, "nope", &v, &err), PK_ENOTFOUND);
    assert_int_equal(store_setting_set(st, "retention_days", "400", &err), PK_OK);
    assert_int_equal(store_setting_int(st, "retention_days", 365), 400);
    assert_int_equal(store_setting_int(st, "missing", 7), 7);
    /* reopening applies nothing twice */
    char path[4200];
    snprintf(path, sizeof path, "%s", store_path(st));
    int ver = store_schema_version(st);
    store_close(st);
    assert_int_equal(store_open(path, 0, &st, &err), PK_OK);
    assert_int_equal(store_schema_version(st), ver);
    assert_int_equal(store_setting_int(st, "retention_days", 365), 400);
    tu_store_free(st, dir);
}

static void test_open_missing(void **state) {
    (void)state;
    store *st;
    pk_err err;
    assert_int_not_equal(store_open("/nonexistent/dir/x.db", 0, &st, &err), PK_OK);
    assert_null(st);
    assert_non_null(strstr(err.msg, "/nonexistent/dir/x.db"));
}

static store_read mkread(int i, const char *plate, int64_t ts, int64_t cam) {
    store_read r;
    memset(&r, 0, sizeof r);
    memset(r.uuid, 0, 16);
    memcpy(r.uuid, &i, sizeof i);
    snprintf(r.plate, sizeof r.plate, "%s", plate);
    snprintf(r.state, sizeof r.state, "CA");
    r.ts = ts;
    r.camera_id = cam;
    r.has_pos = 1;
    r.lat = 34.0 + i * 0.001;
    r.lon = -118.0;
    r.heading = -1;
    r.confidence = 90;
    return r;
}

typedef struct collect {
    int64_t ids[64];
    int n;
} collect;

static int collect_fn(void *ctx, const store_read *r) {
    collect *c = ctx;
    if (c->n < 64) c->ids[c->n++] = r->id;
    return 0;
}

static void test_reads(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    int64_t cam1, cam2, again;
    assert_int_equal(store_camera_ensure(st, "north-1", 34.0, -118.0, &cam1, &err), PK_OK);
    assert_int_equal(store_camera_ensure(st, "south-2", NAN, NAN, &cam2, &err), PK_OK);
    assert_int_equal(store_camera_ensure(st, "north-1", 0, 0, &again, &err), PK_OK);
    assert_int_equal(again, cam1);

    store_read rs[4] = {mkread(1, "7ABC123", 1000, cam1), mkread(2, "7ABC123", 3000, cam2),
                        mkread(3, "8XYZ999", 2000, cam1), mkread(4, "8XYZ999", 3000, cam1)};
    int dup[4];
    assert_int_equal(store_reads_insert(st, rs, 4, dup, &err), PK_OK);
    for (int i = 0; i < 4; i++) assert_int_equal(dup[i], 0);
    assert_int_equal(rs[0].plate_id, rs[1].plate_id);
    assert_int_not_equal(rs[0].plate_id, rs[2].plate_id);
    assert_int_equal(store_reads_count(st), 4);

    /* the same uuids again: all duplicates, nothing added */
    store_read again_rs[2] = {mkread(1, "7ABC123", 1000, cam1), mkread(5, "1NEW000", 5, cam1)};
    assert_int_equal(store_reads_insert(st, again_rs, 2, dup, &err), PK_OK);
    assert_int_equal(dup[0], 1);
    assert_int_equal(dup[1], 0);
    assert_int_equal(store_reads_count(st), 5);

    store_read_filter f;
    collect c = {0};
    store_read_filter_init(&f);
    f.plate_ids = &rs[0].plate_id;
    f.n_plate_ids = 1;
    assert_int_equal(store_reads_each(st, &f, collect_fn, &c, &err), PK_OK);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.ids[0], rs[1].id); /* newest first */
    assert_int_equal(c.ids[1], rs[0].id);

    store_read_filter_init(&f);
    f.camera_id = cam1;
    f.from = 1500;
    f.to = 3000;
    c.n = 0;
    assert_int_equal(store_reads_each(st, &f, collect_fn, &c, &err), PK_OK);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.ids[0], rs[3].id);
    assert_int_equal(c.ids[1], rs[2].id);

    /* cursor: continue after the first page */
    store_read_filter_init(&f);
    f.has_cursor = 1;
    f.after_ts = 3000;
    f.after_id = rs[3].id;
    c.n = 0;
    assert_int_equal(store_reads_each(st, &f, collect_fn, &c, &err), PK_OK);
    assert_int_equal(c.n, 4);
    assert_int_equal(c.ids[0], rs[1].id);

    /* area */
    store_read_filter_init(&f);
    f.has_box = 1;
    f.box = (pk_bbox){34.0015, -118.1, 34.0035, -117.9};
    c.n = 0;
    assert_int_equal(store_reads_each(st, &f, collect_fn, &c, &err), PK_OK);
    assert_int_equal(c.n, 2); /* reads 2 (34.002) and 3 (34.003) */

    store_read one;
    assert_int_equal(store_read_get(st, rs[2].id, &one, &err), PK_OK);
    assert_string_equal(one.plate, "8XYZ999");
    assert_string_equal(one.camera, "north-1");
    assert_string_equal(one.state, "CA");
    store_read_fini(&one);
    assert_int_equal(store_read_get(st, 999999, &one, &err), PK_ENOTFOUND);
    tu_store_free(st, dir);
}

static void test_rollback_leaves_nothing(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    int64_t cam;
    assert_int_equal(store_camera_ensure(st, "c", NAN, NAN, &cam, &err), PK_OK);
    assert_int_equal(store_begin(st, &err), PK_OK);
    store_read r = mkread(9, "ROLL1", 10, cam);
    assert_int_equal(store_reads_insert(st, &r, 1, NULL, &err), PK_OK);
    store_rollback(st);
    assert_int_equal(store_reads_count(st), 0);
    tu_store_free(st, dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_migrates),
        cmocka_unit_test(test_open_missing),
        cmocka_unit_test(test_reads),
        cmocka_unit_test(test_rollback_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
