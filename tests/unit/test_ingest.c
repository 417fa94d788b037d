/* ingest: every field's bad values, batches, idempotent re-ingest, OpenALPR messages, files,
 * hooks and the image store. */
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/pktime.h"
#include "demo/demo.h"
#include "ingest/ingest.h"
#include "ingest_fixture.h"

static void test_good_read(void **state) {
    (void)state;
    fixture f;
    fx_open(&f);
    json_t *o = good_read();
    ingest_result res;
    ingest_result_init(&res);
    pk_err err;
    assert_int_equal(ingest_json(f.in, o, &res, &err), PK_OK);
    assert_int_equal(res.accepted, 1);
    assert_int_equal(res.rejected, 0);
    assert_int_equal(store_reads_count(f.st), 1);
    store_read r;
    assert_int_equal(store_read_get(f.st, 1, &r, &err), PK_OK);
    assert_string_equal(r.plate, "7ABC123");
    assert_string_equal(r.state, "CA");
    assert_string_equal(r.camera, "J St & 16th St");
    int64_t ts;
    pk_time_parse("2026-06-01T12:00:00Z", &ts, NULL);
    assert_int_equal(r.ts, ts);
    assert_true(fabs(r.lat - 38.5765) < 1e-9 && fabs(r.lon + 121.4858) < 1e-9);
    assert_true(fabs(r.heading - 90.5) < 1e-9 && fabs(r.confidence - 91.25) < 1e-9);
    assert_string_equal(r.candidates,
                        "[{\"plate\":\"7ABC123\",\"confidence\":91.25},{\"plate\":\"7A8C123\","
                        "\"confidence\":70.00}]");
    assert_string_equal(r.vehicle, "{\"color\":\"white\",\"make\":\"Toyota\",\"model\":\"Camry\"}");
    assert_int_equal(strlen(r.plate_image), 64);
    char path[4400];
    assert_int_equal(store_image_path(f.st, r.plate_image, path, sizeof path, &err), PK_OK);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    char expect_prefix[4400];
    snprintf(expect_prefix, sizeof expect_prefix, "%s/images/%.2s/%.2s/", f.dir, r.plate_image,
             r.plate_image + 2);
    assert_memory_equal(path, expect_prefix, strlen(expect_prefix));
    unsigned char *data;
    size_t len;
    assert_int_equal(store_image_get(f.st, r.plate_image, &data, &len, &err), PK_OK);
    assert_int_equal(len, (size_t)sb.st_size);
    free(data);
    store_read_fini(&r);
    /* epoch milliseconds work as well as ISO 8601 */
    json_object_set_new(o, "uuid", json_string("0f8e2a6c1b2d4e3f8a9b0c1d2e3f4a5c"));
    json_object_set_new(o, "ts", json_integer(ts));
    json_object_del(o, "plate_image");
    assert_int_equal(ingest_json(f.in, o, &res, &err), PK_OK);
    assert_int_equal(res.accepted, 2);
    json_decref(o);
    ingest_result_fini(&res);
    fx_close(&f);
}

/* One bad value per case: the read is refused naming the field, nothing is stored. */
typedef struct bad_case {
    const char *key;   /* field to change */
    const char *json;  /* new value as JSON text, NULL to delete the field */
    const char *field; /* expected field in the reject */
    const char *why;   /* expected substring of the reason */
} bad_case;

static const bad_case bad_cases[] = {
    {"uuid", NULL, "uuid", "missing"},
    {"uuid", "\"not-a-uuid\"", "uuid", "not a UUID"},
    {"uuid", "12", "uuid", "not a UUID"},
    {"plate", NULL, "plate", "missing"},
    {"plate", "7", "plate", "must be a string"},
    {"plate", "\"7AB$123\"", "plate", "not allowed"},
    {"plate", "\"ABCDEFGHIJK\"", "plate", "longer than 10"},
    {"plate", "\" - \"", "plate", "empty"},
    {"plate", "\"7\u00c9BC\"", "plate", "non-ASCII"},
    {"state", "\"C\"", "state", "2 or 3 letters"},
    {"state", "\"C1\"", "state", "2 or 3 letters"},
    {"state", "\"CALI\"", "state", "longer than 3"},
    {"state", "[]", "state", "must be a string"},
    {"ts", NULL, "ts", "missing"},
    {"ts", "true", "ts", "ISO 8601 text or integer"},
    {"ts", "1.5", "ts", "ISO 8601 text or integer"},
    {"ts", "\"yesterday\"", "ts", "ISO 8601"},
    {"ts", "\"2026-02-30T00:00:00Z\"", "ts", "no such date"},
    {"ts", "\"2026-06-03T01:00:00Z\"", "ts", "in the future"},
    {"ts", "1800000000000", "ts", "in the future"},
    {"ts", "\"1999-12-31T23:59:59Z\"", "ts", "before 2000"},
    {"camera", NULL, "camera", "missing"},
    {"camera", "5", "camera", "must be a string"},
    {"camera", "\"\"", "camera", "empty"},
    {"camera", "\"a\\u0001b\"", "camera", "control character"},
    {"camera", "\"0123456789012345678901234567890123456789012345678901234567890123\"", "camera",
     "longer than 63"},
    {"lat", "91", "lat", "between -90 and 90"},
    {"lat", "-90.0001", "lat", "between -90 and 90"},
    {"lon", "180.5", "lon", "between -180 and 180"},
    {"lat", "\"38.5\"", "lat", "must be a number"},
    {"lon", NULL, "lon", "missing (a position needs both"},
    {"heading", "361", "heading", "between 0 and 360"},
    {"heading", "-5", "heading", "between 0 and 360"},
    {"heading", "\"N\"", "heading", "must be a number"},
    {"confidence", NULL, "confidence", "missing"},
    {"confidence", "100.5", "confidence", "between 0 and 100"},
    {"confidence", "-1", "confidence", "between 0 and 100"},
    {"candidates", "{}", "candidates", "must be an array"},
    {"candidates", "[1]", "candidates[0]", "must be an object"},
    {"candidates", "[{\"plate\":\"#!\"}]", "candidates[0].plate", "not allowed"},
    {"candidates", "[{\"plate\":\"7ABC123\",\"confidence\":\"x\"}]", "candidates[0].confidence",
     "must be a number"},
    {"vehicle", "\"Toyota\"", "vehicle", "must be an object"},
    {"vehicle", "{\"make\":7}", "vehicle.make", "must be a string"},
    {"plate_image", "17", "plate_image", "must be a base64 string"},
    {"plate_image", "\"%%%not base64%%%\"", "plate_image", "not valid base64"},
    {"plate_image", "\"aGVsbG8gd29ybGQ=\"", "plate_image", "not a JPEG"},
    {"plate_image",
     "\"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJ"
     "ggg==\"",
     "plate_image", "not a JPEG"},
    {"plate_image", "\"/9j/4AAQSkZJRgABAQ==\"", "plate_image", "not a JPEG"}, /* truncated JPEG */
    {"scene_image", "\"\"", "scene_image", "empty"},
};

static void test_bad_fields(void **state) {
    (void)state;
    fixture f;
    fx_open(&f);
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *c = &bad_cases[i];
        json_t *o = good_read();
        if (c->json) {
            json_error_t je;
            json_t *v = json_loads(c->json, JSON_DECODE_ANY, &je);
            if (!v) fail_msg("case %zu: bad test JSON %s", i, c->json);
            json_object_set_new(o, c->key, v);
        } else {
            json_object_del(o, c->key);
        }
        ingest_result res;
        ingest_result_init(&res);
        pk_err err;
        assert_int_equal(ingest_json(f.in, o, &res, &err), PK_OK);
        if (res.rejected != 1 || res.n_rejects != 1)
            fail_msg("case %zu (%s=%s): not rejected", i, c->key, c->json ? c->json : "missing");
        if (strcmp(res.rejects[0].field, c->field) || !strstr(res.rejects[0].reason, c->why))
            fail_msg("case %zu: got '%s: %s', want '%s: ...%s...'", i, res.rejects[0].field,
                     res.rejects[0].reason, c->field, c->why);
        assert_int_equal(res.accepted, 0);
        ingest_result_fini(&res);
        json_decref(o);
    }
    assert_int_equal(store_reads_count(f.st), 0);
    fx_close(&f);
}

/* Oversize images are refused from the setting, before decoding. */
static void test_oversize_image(void **state) {
    (void)state;
    fixture f;
    fx_open(&f);
    size_t n = 2 * 1024 * 1024 + 300; /* more than the 2 MB default once decoded */
    unsigned char *big = malloc(n);
    memset(big, 0xAB, n);
    big[0] = 0xFF, big[1] = 0xD8, big[2] = 0xFF;
    size_t bn = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(bn);
    sodium_bin2base64(b64, bn, big, n, sodium_base64_VARIANT_ORIGINAL);
    json_t *o = good_read();
    json_object_set_new(o, "scene_image", json_string(b64));
    ingest_result res;
    ingest_result_init(&res);
    assert_int_equal(ingest_json(f.in, o, &res, NULL), PK_OK);
    assert_int_equal(res.rejected, 1);
    assert_string_equal(res.rejects[0].field, "scene_image");
    assert_non_null(strstr(res.rejects[0].reason, "larger than 2097152 bytes"));
    ingest_result_fini(&res);
    /* a lower setting applies to a new handle */
    assert_int_equal(store_setting_set(f.st, "ingest.image_max_bytes", "1000", NULL), PK_OK);
    ingest_opts o2;
    ingest_opts_init(&o2, f.st);
    assert_int_equal(o2.image_max, 1000);
    json_decref(o);
    free(big);
    free(b64);
    fx_close(&f);
}

static void test_batch_and_reingest(void **state) {
    (void)state;
    fixture f;
    fx_open(&f);
    const char *body = "{\"reads\": ["
                       "{\"uuid\":\"00000000-0000-4000-8000-000000000001\",\"plate\":\"1ABC234\","
                       "\"ts\":1780000000000,"
                       "\"camera\":\"cam-a\",\"confidence\":90},"
                       "{\"uuid\":\"00000000-0000-4000-8000-000000000002\",\"plate\":\"1ABC235\","
                       "\"ts\":1780000000000,"
                       "\"camera\":\"cam-a\",\"confidence\":90,\"lat\":100,\"lon\":0},"
                       "{\"uuid\":\"00000000-0000-4000-8000-000000000003\",\"plate\":\"12345A1\","
                       "\"ts\":1780000001000,"
                       "\"camera\":\"cam-b\",\"confidence\":80},"
                       "{\"uuid\":\"00000000-0000-4000-8000-000000000003\",\"plate\":\"12345A1\","
                       "\"ts\":1780000001000,"
                       "\"camera\":\"cam-b\",\"confidence\":80}"
                       "]}";
    ingest_result res;
    ingest_result_init(&res);
    pk_err err;
    assert_int_equal(ingest_json_text(f.in, body, strlen(body), &res, &err), PK_OK);
    assert_int_equal(res.accepted, 2);
    assert_int_equal(res.duplicates, 1); /* the same read twice in one batch */
    assert_int_equal(res.rejected, 1);
    assert_int_equal(res.rejects[0].index, 1);
    assert_string_equal(res.rejects[0].field, "lat");
    ingest_result_fini(&res);
    ingest_result_init(&res);
    assert_int_equal(ingest_json_text(f.in, body, strlen(body), &res, &err), PK_OK);
    assert_int_equal(res.accepted, 0);
    assert_int_equal(res.duplicates, 3);
    assert_int_equal(store_reads_count(f.st), 2);
    ingest_result_fini(&res);
    /* bodies that are not batches */
    ingest_result_init(&res);
    assert_int_equal(ingest_json_text(f.in, "{\"reads\": 5}", 12, &res, &err), PK_OK);
    assert_int_equal(res.rejected, 1);
    assert_string_equal(res.rejects[0].field, "reads");
    assert_int_equal(ingest_json_text(f.in, "[1, {", 5, &res, &err), PK_OK);
    assert_int_equal(res.rejected, 2);
    assert_string_equal(res.rejects[1].field, "body");
    assert_int_equal(ingest_json_text(f.in, "[1]", 3, &res, &err), PK_OK);
    assert_string_equal(res.rejects[2].field, "read");
    ingest_result_fini(&res);
    fx_close(&f);
}

/* The server's split: a batch parsed and checked on one handle (its own connection) stores
 * nothing until it is committed through another; rejects found while parsing are reported with
 * the commit's counts, and a bad "reads" member commits nothing. */
static void test_prepare_then_commit(void **state) {
    (void)state;
    fixture f;
    fx_open(&f);
    char path[4200];
    snprintf(path, sizeof path, "%s/platekeeper.db", f.dir);
    store *st2;
    pk_err err;
    pk_err_clear(&err);
    assert_int_equal(store_open(path, 0, &st2, &err), PK_OK);
    ingest_opts o2;
    ingest_opts_init(&o2, st2);
    o2.clock = &clock_fixed;
    ingest *parser = ingest_new(st2, &o2);

    json_t *bad = good_read();
    json_object_set_new(bad, "uuid", json_string("0f8e2a6c1b2d4e3f8a9b0c1d2e3f4a5c"));
    json_object_set_new(bad, "plate", json_string("!!"));
    json_t *body =
        json_pack("{s:[o, o, {s:s}]}", "reads", good_read(), bad, "data_type", "heartbeat");
    ingest_result res;
    ingest_result_init(&res);
    ingest_batch *b = ingest_json_prepare(parser, body, &res);
    assert_non_null(b);
    assert_int_equal(res.ignored, 1);
    assert_int_equal(res.accepted + res.rejected, 0);
    assert_int_equal(store_reads_count(f.st), 0);
    assert_int_equal(ingest_batch_commit(f.in, b, &res, &err), PK_OK);
    ingest_batch_free(b);
    assert_int_equal(res.accepted, 1);
    assert_int_equal(res.rejected, 1);
    assert_int_equal(res.n_rejects, 1);
    assert_int_equal(res.rejects[0].index, 1);
    assert_string_equal(res.rejects[0].field, "plate");
    assert_int_equal(store_reads_count(f.st), 1);
    assert_int_equal(store_reads_count(st2), 1);
    store_read r;
    assert_int_equal(store_read_get(f.st, 1, &r, &err), PK_OK);
    assert_string_equal(r.plate, "7ABC123");
    assert_int_equal(strlen(r.plate_image), 64);
    store_read_fini(&r);
    json_decref(body);

    body = json_pack("{s:s}", "reads", "not a list");
    b = ingest_json_prepare(parser, body, &res);
    assert_int_equal(res.rejected, 2);
    assert_string_equal(res.rejects[1].field, "reads");
    assert_int_equal(ingest_batch_commit(f.in, b, &res, &err), PK_OK);
    ingest_batch_free(b);
    assert_int_equal(res.accepted, 1);
    assert_int_equal(store_reads_count(f.st), 1);
    json_decref(body);

    ingest_result_fini(&res);
    ingest_free(parser);
    store_close(st2);
    fx_close(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_read),           cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_oversize_image),      cmocka_unit_test(test_batch_and_reingest),
        cmocka_unit_test(test_prepare_then_commit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
