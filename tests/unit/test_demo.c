/* demo: the generator is deterministic, its reads are valid and look like a city's traffic. */
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "core/pktime.h"
#include "demo/demo.h"

static demo_gen *gen(int64_t n, uint64_t seed, int image_every) {
    demo_config cfg = {.seed = seed, .n_reads = n, .image_every = image_every};
    return demo_gen_new(&cfg);
}

static void test_deterministic(void **state) {
    (void)state;
    demo_gen *a = gen(2000, 7, 10), *b = gen(2000, 7, 10), *c = gen(2000, 8, 10);
    demo_item x, y, z;
    int differ = 0;
    for (int i = 0; i < 2000; i++) {
        assert_int_equal(demo_gen_next(a, &x), 1);
        demo_gen_at(b, i, &y); /* random access gives the same item */
        assert_memory_equal(x.read.uuid, y.read.uuid, 16);
        assert_string_equal(x.read.plate, y.read.plate);
        assert_int_equal(x.read.ts, y.read.ts);
        assert_string_equal(x.candidates, y.candidates);
        demo_gen_at(c, i, &z);
        differ += strcmp(x.read.plate, z.read.plate) != 0;
    }
    assert_int_equal(demo_gen_next(a, &x), 0);
    assert_true(differ > 1500); /* another seed, other data */
    demo_gen_free(a);
    demo_gen_free(b);
    demo_gen_free(c);
}

static void test_reads_valid(void **state) {
    (void)state;
    const int n = 20000;
    demo_gen *g = gen(n, 1, 100);
    demo_item it;
    int64_t prev = INT64_MIN, t0 = pk_days_from_civil(2025, 12, 1) * PK_MS_PER_DAY;
    int misread = 0, ca = 0, night = 0, day = 0, images = 0;
    while (demo_gen_next(g, &it)) {
        const store_read *r = &it.read;
        assert_true(pk_plate_valid(r->plate));
        assert_true(pk_plate_valid(it.true_plate));
        assert_true(r->ts >= prev);
        prev = r->ts;
        assert_true(r->ts >= t0 && r->ts < t0 + 366 * PK_MS_PER_DAY);
        assert_true(fabs(r->lat - 38.57) < 0.15 && fabs(r->lon + 121.47) < 0.15);
        assert_true(r->confidence > 0 && r->confidence <= 100);
        assert_true(r->camera_id >= 1 && r->camera_id <= (int64_t)demo_gen_camera_count(g));
        assert_true((r->uuid[6] >> 4) == 4);
        json_t *cand = json_loads(it.candidates, 0, NULL);
        assert_non_null(cand);
        assert_true(json_array_size(cand) >= 1);
        assert_string_equal(json_string_value(json_object_get(json_array_get(cand, 0), "plate")),
                            r->plate);
        json_decref(cand);
        json_t *veh = json_loads(it.vehicle, 0, NULL);
        assert_non_null(json_object_get(veh, "make"));
        json_decref(veh);
        misread += strcmp(r->plate, it.true_plate) != 0;
        ca += !strcmp(r->state, "CA");
        int local_hour = (int)(((r->ts - 8 * 3600000) % PK_MS_PER_DAY) / 3600000);
        if (local_hour >= 2 && local_hour < 4) night++;
        if (local_hour >= 16 && local_hour < 18) day++;
        if (it.plate_jpeg) {
            images++;
            tjhandle tj = tjInitDecompress();
            int w, h, sub, cs;
            assert_int_equal(tjDecompressHeader3(tj, it.plate_jpeg, it.plate_jpeg_len, &w, &h,
                                                 &sub, &cs), 0);
            assert_true(w >= 120 && h >= 40);
            tjDestroy(tj);
        }
    }
    assert_true(misread > n / 50 && misread < n / 10);
    assert_true(ca > n * 80 / 100 && ca < n * 95 / 100);
    assert_true(day > 5 * night); /* rush hour is busier than the small hours */
    assert_int_equal(images, n / 100);
    demo_gen_free(g);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp((const char *)a, (const char *)b);
}

/* Recurrence: a few vehicles often, most once; distinct plates about a fifth of the reads. */
static void test_recurrence(void **state) {
    (void)state;
    const int n = 100000;
    demo_gen *g = gen(n, 3, 0);
    char(*plates)[PK_PLATE_MAX + 1] = malloc((size_t)n * sizeof *plates);
    demo_item it;
    for (int i = 0; demo_gen_next(g, &it); i++) memcpy(plates[i], it.true_plate, sizeof plates[0]);
    qsort(plates, (size_t)n, sizeof plates[0], cmp_str);
    int distinct = 0, once = 0, max_run = 0;
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && !strcmp(plates[i], plates[j])) j++;
        distinct++;
        once += j - i == 1;
        if (j - i > max_run) max_run = j - i;
        i = j;
    }
    free(plates);
    assert_true(distinct > n * 15 / 100 && distinct < n * 30 / 100);
    assert_true(once > distinct / 2);
    assert_true(max_run > 50);
    demo_gen_free(g);
}

static void test_into_store(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    demo_gen *g = gen(500, 5, 0);
    pk_err err;
    assert_int_equal(demo_gen_put_cameras(g, st, &err), PK_OK);
    store_read rs[500];
    demo_item it;
    /* candidates/vehicle are borrowed on insert and reused by the generator: insert one by one */
    for (int i = 0; demo_gen_next(g, &it); i++) {
        rs[i] = it.read;
        assert_int_equal(store_reads_insert(st, &rs[i], 1, NULL, &err), PK_OK);
    }
    assert_int_equal(store_reads_count(st), 500);
    int64_t id;
    assert_int_equal(store_camera_find(st, "J St & 16th St", &id, &err), PK_OK);
    assert_int_equal(store_camera_find(st, "Patrol 1A11", &id, &err), PK_OK);
    demo_gen_free(g);
    tu_store_free(st, dir);
}

static void test_item_json(void **state) {
    (void)state;
    demo_gen *g = gen(10, 9, 1);
    demo_item it;
    demo_gen_next(g, &it);
    char *line = demo_item_json(g, &it);
    json_t *o = json_loads(line, 0, NULL);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "plate")), it.read.plate);
    assert_int_equal(strlen(json_string_value(json_object_get(o, "uuid"))), 36);
    assert_non_null(json_object_get(o, "plate_image"));
    int64_t ts;
    assert_int_equal(pk_time_parse(json_string_value(json_object_get(o, "ts")), &ts, NULL), PK_OK);
    assert_int_equal(ts, it.read.ts);
    json_decref(o);
    free(line);
    unsigned char *jpg;
    size_t len;
    assert_int_equal(demo_plate_jpeg("bad plate", &jpg, &len, NULL), PK_EINVAL);
    demo_gen_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic), cmocka_unit_test(test_reads_valid),
        cmocka_unit_test(test_recurrence),    cmocka_unit_test(test_into_store),
        cmocka_unit_test(test_item_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
