/* ingest: OpenALPR agent messages (alpr_group, alpr_results, heartbeat) as documented. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ingest_fixture.h"

/* An alpr_group as the OpenALPR / Rekor agent documentation shows it (trimmed). */
static json_t *group_msg(void) {
    char *img = jpeg_b64("A13709");
    json_t *o = json_pack(
        "{s:i, s:s, s:I, s:I, s:s, s:s, s:I, s:[s,s], s:{s:s, s:f, s:s, s:s, s:[{s:i,s:i}]},"
        " s:f, s:s, s:s, s:f, s:f, s:f, s:[{s:s,s:f,s:i},{s:s,s:f,s:i}],"
        " s:{s:[{s:s,s:f}], s:[{s:s,s:f}], s:[{s:s,s:f}]}, s:s, s:b}",
        "version", 2, "data_type", "alpr_group", "epoch_start", (json_int_t)1780000000000,
        "epoch_end", (json_int_t)1780000001257, "company_id", "44c9274f-8d57-432a-8cd7-8c991f22ead3",
        "site_id", "headquarters", "camera_id", (json_int_t)1414799424, "uuids",
        "hq-cam1414799424-1780000000000", "hq-cam1414799424-1780000000400", "best_plate", "plate",
        "A13709", "confidence", 92.075203, "region", "ca", "plate_crop_jpeg", img, "coordinates",
        "x", 204, "y", 134, "best_confidence", 92.075203, "best_uuid",
        "hq-cam1414799424-1780000000000", "best_plate_number", "A13709", "gps_latitude", 38.58,
        "gps_longitude", -121.49, "travel_direction", 271.5, "candidates", "plate", "A13709",
        "confidence", 92.075203, "matches_template", 0, "plate", "A137O9", "confidence", 83.32,
        "matches_template", 0, "vehicle", "color", "name", "silver", "confidence", 80.1, "make",
        "name", "toyota", "confidence", 60.0, "make_model", "name", "toyota_camry", "confidence",
        40.5, "best_region", "us-ca", "is_parked", 0);
    free(img);
    return o;
}

static void test_openalpr_group(void **state) {
    (void)state;
    fixture f;
    fx_open(&f);
    json_t *o = group_msg();
    ingest_result res;
    ingest_result_init(&res);
    pk_err err;
    assert_int_equal(ingest_json(f.in, o, &res, &err), PK_OK);
    if (res.rejected) fail_msg("%s: %s", res.rejects[0].field, res.rejects[0].reason);
    assert_int_equal(res.accepted, 1);
    store_read r;
    assert_int_equal(store_read_get(f.st, 1, &r, &err), PK_OK);
    assert_string_equal(r.plate, "A13709");
    assert_string_equal(r.state, "CA");
    assert_string_equal(r.camera, "headquarters/1414799424");
    assert_int_equal(r.ts, 1780000000000);
    assert_true(r.has_pos && fabs(r.lat - 38.58) < 1e-9);
    assert_true(fabs(r.heading - 271.5) < 1e-9);
    assert_true(fabs(r.confidence - 92.075203) < 1e-6);
    assert_string_equal(r.vehicle, "{\"color\":\"silver\",\"make\":\"toyota\",\"model\":\"camry\"}");
    assert_non_null(strstr(r.candidates, "\"A137O9\""));
    assert_int_equal(strlen(r.plate_image), 64);
    store_read_fini(&r);
    /* the agent re-sends: a duplicate, not a second read */
    assert_int_equal(ingest_json(f.in, o, &res, &err), PK_OK);
    assert_int_equal(res.duplicates, 1);
    assert_int_equal(store_reads_count(f.st), 1);
    /* a web-server camera label names the camera; no GPS fix (0,0) is no position */
    json_object_set_new(o, "best_uuid", json_string("other-group"));
    json_object_set_new(o, "web_server_config", json_pack("{s:s}", "camera_label", "Gate 3"));
    json_object_set_new(o, "gps_latitude", json_real(0));
    json_object_set_new(o, "gps_longitude", json_real(0));
    assert_int_equal(ingest_json(f.in, o, &res, &err), PK_OK);
    assert_int_equal(res.accepted, 2);
    assert_int_equal(store_read_get(f.st, 2, &r, &err), PK_OK);
    assert_string_equal(r.camera, "Gate 3");
    assert_false(r.has_pos);
    store_read_fini(&r);
    json_decref(o);
    ingest_result_fini(&res);
    fx_close(&f);
}

static void test_openalpr_results(void **state) {
    (void)state;
    fixture f;
    fx_open(&f);
    /* version 1 agents: epoch_time in seconds, two plates in one frame */
    const char *msg =
        "{\"uuid\": \"f11e0acc-6aaf-4817-9299-9e6773043b8e\", \"data_type\": \"alpr_results\","
        " \"camera_id\": 1, \"site_id\": \"headquarters\", \"img_width\": 640, \"img_height\": 480,"
        " \"epoch_time\": 1780000000, \"processing_time_ms\": 138.669163,"
        " \"results\": [{\"plate\": \"S11FRE\", \"confidence\": 77.130661, \"matches_template\": 0,"
        "   \"region\": \"\", \"region_confidence\": 0, \"coordinates\": [{\"x\": 218, \"y\": 342}],"
        "   \"candidates\": [{\"plate\": \"S11FRE\", \"confidence\": 77.130661, \"matches_template\": 0},"
        "                    {\"plate\": \"S11ERE\", \"confidence\": 75.496307, \"matches_template\": 0}]},"
        "  {\"plate\": \"EJLESSIE\", \"epoch_time\": 1780000001500, \"confidence\": 78.167984,"
        "   \"region\": \"us-nv\", \"plate_index\": 1}]}";
    ingest_result res;
    ingest_result_init(&res);
    pk_err err;
    assert_int_equal(ingest_json_text(f.in, msg, strlen(msg), &res, &err), PK_OK);
    if (res.rejected) fail_msg("%s: %s", res.rejects[0].field, res.rejects[0].reason);
    assert_int_equal(res.accepted, 2);
    store_read r;
    assert_int_equal(store_read_get(f.st, 1, &r, &err), PK_OK);
    assert_string_equal(r.plate, "S11FRE");
    assert_string_equal(r.state, "");
    assert_int_equal(r.ts, 1780000000000); /* seconds became milliseconds */
    assert_string_equal(r.camera, "headquarters/1");
    store_read_fini(&r);
    assert_int_equal(store_read_get(f.st, 2, &r, &err), PK_OK);
    assert_string_equal(r.plate, "EJLESSIE");
    assert_string_equal(r.state, "NV");
    assert_int_equal(r.ts, 1780000001500);
    store_read_fini(&r);
    assert_int_equal(ingest_json_text(f.in, msg, strlen(msg), &res, &err), PK_OK);
    assert_int_equal(res.duplicates, 2);
    /* heartbeats and frames without plates carry no read */
    const char *hb = "[{\"version\": 1, \"data_type\": \"heartbeat\", \"site_id\": \"x\","
                     " \"timestamp\": 1453426302097},"
                     " {\"data_type\": \"alpr_results\", \"uuid\": \"u\", \"camera_id\": 1,"
                     " \"epoch_time\": 1780000000000, \"results\": []}]";
    assert_int_equal(ingest_json_text(f.in, hb, strlen(hb), &res, &err), PK_OK);
    assert_int_equal(res.ignored, 2);
    assert_int_equal(store_reads_count(f.st), 2);
    ingest_result_fini(&res);
    fx_close(&f);
}

typedef struct bad_msg {
    const char *json, *field, *why;
} bad_msg;

static void test_openalpr_bad(void **state) {
    (void)state;
    fixture f;
    fx_open(&f);
    static const bad_msg cases[] = {
        {"{\"data_type\": \"alpr_bogus\"}", "data_type", "unknown message type"},
        {"{\"data_type\": 5}", "data_type", "must be a string"},
        {"{\"data_type\": \"alpr_results\", \"uuid\": \"u\", \"camera_id\": 1}", "results",
         "missing"},
        {"{\"data_type\": \"alpr_results\", \"camera_id\": 1, \"epoch_time\": 1780000000,"
         " \"results\": [{\"plate\": \"ABC\", \"confidence\": 50}]}",
         "uuid", "missing"},
        {"{\"data_type\": \"alpr_results\", \"uuid\": \"u\", \"camera_id\": 1, \"epoch_time\": 1780000000,"
         " \"results\": [{\"plate\": \"A B?\", \"confidence\": 50}]}",
         "results[0].plate", "not allowed"},
        {"{\"data_type\": \"alpr_results\", \"uuid\": \"u\", \"camera_id\": 1, \"epoch_time\": \"now\","
         " \"results\": [{\"plate\": \"ABC\", \"confidence\": 50}]}",
         "epoch_time", "must be an integer"},
        {"{\"data_type\": \"alpr_results\", \"uuid\": \"u\", \"camera_id\": 1, \"epoch_time\": 1780000000,"
         " \"results\": [{\"plate\": \"ABC\"}]}",
         "results[0].confidence", "missing"},
        {"{\"data_type\": \"alpr_results\", \"uuid\": \"u\", \"camera_id\": 1, \"epoch_time\": 1780000000,"
         " \"results\": [{\"plate\": \"ABC\", \"confidence\": 50, \"plate_crop_jpeg\": \"aGVsbG8=\"}]}",
         "results[0].plate_crop_jpeg", "not a JPEG"},
        {"{\"data_type\": \"alpr_group\", \"best_uuid\": \"g\", \"camera_id\": 1,"
         " \"best_plate_number\": \"ABC\", \"best_confidence\": 50}",
         "epoch_start", "missing"},
        {"{\"data_type\": \"alpr_group\", \"best_uuid\": \"g\", \"camera_id\": 1, \"epoch_start\": 1780000000000,"
         " \"best_plate_number\": \"ABC\", \"best_confidence\": 50, \"gps_latitude\": 95, \"gps_longitude\": 1}",
         "gps_latitude", "between -90 and 90"},
        {"{\"data_type\": \"alpr_group\", \"best_uuid\": \"g\", \"epoch_start\": 1780000000000,"
         " \"best_plate_number\": \"ABC\", \"best_confidence\": 50}",
         "camera_id", "missing"},
        {"{\"data_type\": \"alpr_group\", \"best_uuid\": \"g\", \"camera_id\": 1, \"epoch_start\": 1790000000000,"
         " \"best_plate_number\": \"ABC\", \"best_confidence\": 50}",
         "epoch_start", "in the future"},
        {"{\"data_type\": \"alpr_group\", \"camera_id\": 1, \"epoch_start\": 1780000000000,"
         " \"best_plate_number\": \"ABC\", \"best_confidence\": 50}",
         "best_uuid", "missing"},
        {"{\"data_type\": \"alpr_group\", \"best_uuid\": \"g\", \"camera_id\": 1, \"epoch_start\": 1780000000000,"
         " \"best_plate_number\": \"ABC\", \"best_confidence\": 50, \"best_region\": \"us-cali\"}",
         "best_region", "not a region code"},
        {"{\"data_type\": \"alpr_group\", \"best_uuid\": \"g\", \"camera_id\": 1, \"epoch_start\": 1780000000000,"
         " \"best_plate_number\": \"ABC\", \"best_confidence\": 50, \"vehicle_crop_jpeg\": 7}",
         "vehicle_crop_jpeg", "must be a base64 string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ingest_result res;
        ingest_result_init(&res);
        assert_int_equal(ingest_json_text(f.in, cases[i].json, strlen(cases[i].json), &res, NULL),
                         PK_OK);
        if (res.n_rejects != 1) fail_msg("case %zu: not rejected", i);
        if (strcmp(res.rejects[0].field, cases[i].field) ||
            !strstr(res.rejects[0].reason, cases[i].why))
            fail_msg("case %zu: got '%s: %s', want '%s: ...%s...'", i, res.rejects[0].field,
                     res.rejects[0].reason, cases[i].field, cases[i].why);
        ingest_result_fini(&res);
    }
    assert_int_equal(store_reads_count(f.st), 0);
    fx_close(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openalpr_group),
        cmocka_unit_test(test_openalpr_results),
        cmocka_unit_test(test_openalpr_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
