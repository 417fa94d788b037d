/* ingest: files (JSON lines and documents, long lines, invalid UTF-8, truncation), the per-line
 * error format, hooks, the structured path and the image store. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ingest_fixture.h"

static char *write_file(const char *dir, const char *name, const char *data, size_t n) {
    char *path = malloc(4200);
    snprintf(path, 4200, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
    return path;
}

typedef struct lines {
    char text[16][300];
    int n;
} lines;

static void collect(void *ctx, const char *path, const ingest_reject *rej) {
    lines *l = ctx;
    if (l->n < 16) ingest_reject_format(path, rej, l->text[l->n++], sizeof l->text[0]);
}

#define READ_LINE(n, plate, extra)                                                            \
    "{\"uuid\":\"00000000-0000-4000-8000-00000000000" #n "\",\"plate\":\"" plate "\","         \
    "\"ts\":\"2026-05-01T08:00:00Z\",\"camera\":\"cam-1\",\"confidence\":88" extra "}"

static void test_file_lines(void **state) {
    (void)state;
    fixture f;
    fx_open(&f);
    /* line: 1 good, 2 bad lat, 3 blank, 4 invalid UTF-8, 5 a 10 MB line, 6 good,
     * 7 not JSON, 8 good with CRLF, 9 truncated at end of file */
    size_t big = 10 * 1024 * 1024;
    size_t cap = big + 4096;
    char *data = malloc(cap);
    size_t n = 0;
    n += (size_t)sprintf(data + n, "%s\n", READ_LINE(1, "1ABC234", ""));
    n += (size_t)sprintf(data + n, "%s\n", READ_LINE(2, "1ABC235", ",\"lat\":-91,\"lon\":0"));
    n += (size_t)sprintf(data + n, "   \n");
    n += (size_t)sprintf(data + n, "{\"uuid\":\"00000000-0000-4000-8000-000000000003\",\"plate\":\"AB\xff\"}\n");
    n += (size_t)sprintf(data + n, "{\"uuid\":\"");
    memset(data + n, 'x', big);
    n += big;
    n += (size_t)sprintf(data + n, "\"}\n");
    n += (size_t)sprintf(data + n, "%s\n", READ_LINE(6, "7XYZ999", ",\"lat\":38.5,\"lon\":-121.5"));
    n += (size_t)sprintf(data + n, "this is not json\n");
    n += (size_t)sprintf(data + n, "%s\r\n", READ_LINE(8, "12345A1", ""));
    n += (size_t)sprintf(data + n, "{\"uuid\":\"00000000-0000-4000-8000-000000000009\",\"pla");
    char *path = write_file(f.dir, "reads.jsonl", data, n);
    free(data);

    lines l = {0};
    ingest_result res;
    ingest_result_init(&res);
    pk_err err;
    assert_int_equal(ingest_file(f.in, path, collect, &l, &res, &err), PK_OK);
    assert_int_equal(res.accepted, 3);
    assert_int_equal(res.rejected, 5);
    assert_int_equal(l.n, 5);
    char want[5][300];
    snprintf(want[0], 300, "%s:2: lat: must be between -90 and 90", path);
    snprintf(want[1], 300, "%s:4: line: invalid UTF-8 at byte 59", path);
    snprintf(want[2], 300, "%s:5: line: longer than %d bytes", path, INGEST_LINE_MAX_DEFAULT);
    snprintf(want[3], 300, "%s:7: line: not valid JSON", path);
    snprintf(want[4], 300, "%s:9: line: truncated: the file ends in the middle of a read", path);
    for (int i = 0; i < 5; i++)
        if (strncmp(l.text[i], want[i], strlen(want[i])))
            fail_msg("reject %d: got '%s', want '%s'", i, l.text[i], want[i]);
    assert_int_equal(store_reads_count(f.st), 3);

    /* re-ingest adds nothing */
    ingest_result_fini(&res);
    ingest_result_init(&res);
    l.n = 0;
    assert_int_equal(ingest_file(f.in, path, collect, &l, &res, &err), PK_OK);
    assert_int_equal(res.accepted, 0);
    assert_int_equal(res.duplicates, 3);
    assert_int_equal(res.rejected, 5);
    assert_int_equal(store_reads_count(f.st), 3);

    assert_int_equal(ingest_file(f.in, "/nonexistent/file.jsonl", NULL, NULL, &res, &err), PK_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/file.jsonl"));
    ingest_result_fini(&res);
    free(path);
    fx_close(&f);
}

/* A pretty-printed OpenALPR message, the way the documentation shows it, and an array file. */
static void test_file_document(void **state) {
    (void)state;
    fixture f;
    fx_open(&f);
    const char *doc = "{\n  \"version\": 1,\n  \"data_type\": \"alpr_group\",\n"
                      "  \"epoch_start\": 1780000000000,\n  \"epoch_end\": 1780000001257,\n"
                      "  \"site_id\": \"dimitar-video\",\n  \"camera_id\": 1414799424,\n"
                      "  \"best_confidence\": 92.075203,\n"
                      "  \"best_uuid\": \"dimitar-video-cam1414799424-1448326208789\",\n"
                      "  \"best_plate_number\": \"A13709\"\n}\n";
    char *path = write_file(f.dir, "group.json", doc, strlen(doc));
    ingest_result res;
    ingest_result_init(&res);
    pk_err err;
    assert_int_equal(ingest_file(f.in, path, NULL, NULL, &res, &err), PK_OK);
    assert_int_equal(res.accepted, 1);
    free(path);
    const char *arr = "[\n" READ_LINE(1, "1ABC234", "") ",\n" READ_LINE(2, "1ABC235", ",\"lat\":95,\"lon\":0") "\n]\n";
    path = write_file(f.dir, "reads.json", arr, strlen(arr));
    lines l = {0};
    assert_int_equal(ingest_file(f.in, path, collect, &l, &res, &err), PK_OK);
    assert_int_equal(res.accepted, 2);
    assert_int_equal(res.rejected, 1);
    assert_int_equal(l.n, 1);
    char want[300];
    snprintf(want, sizeof want, "%s:1: [1].lat: must be between -90 and 90", path);
    assert_string_equal(l.text[0], want);
    free(path);
    ingest_result_fini(&res);
    fx_close(&f);
}

typedef struct hook_log {
    int stored_calls, committed_calls;
    size_t stored_n, committed_n;
    int fail;
    int64_t first_id;
} hook_log;

static int on_stored(void *ctx, store *st, const store_read *reads, size_t n, pk_err *err) {
    hook_log *h = ctx;
    h->stored_calls++;
    h->stored_n += n;
    assert_true(store_reads_count(st) >= (int64_t)n); /* inside the transaction: visible */
    for (size_t i = 0; i < n; i++) assert_true(reads[i].id > 0 && reads[i].plate_id > 0);
    h->first_id = reads[0].id;
    if (h->fail) return pk_err_set(err, PK_EDB, "hotlist matcher failed");
    return PK_OK;
}

static void on_committed(void *ctx, store *st, const store_read *reads, size_t n) {
    (void)st;
    (void)reads;
    hook_log *h = ctx;
    h->committed_calls++;
    h->committed_n += n;
}

static void test_hooks(void **state) {
    (void)state;
    fixture f;
    fx_open(&f);
    hook_log h = {0};
    ingest_free(f.in);
    f.o.hooks = (ingest_hooks){.ctx = &h, .on_stored = on_stored, .on_committed = on_committed};
    f.in = ingest_new(f.st, &f.o);
    const char *body = "[" READ_LINE(1, "1ABC234", "") "," READ_LINE(2, "1ABC235", "") ","
                       READ_LINE(3, "BAD$", "") "]";
    ingest_result res;
    ingest_result_init(&res);
    pk_err err;
    assert_int_equal(ingest_json_text(f.in, body, strlen(body), &res, &err), PK_OK);
    assert_int_equal(h.stored_calls, 1);
    assert_int_equal(h.stored_n, 2);
    assert_int_equal(h.committed_n, 2);
    /* duplicates are not passed to the hooks (and a batch of only duplicates calls none) */
    assert_int_equal(ingest_json_text(f.in, body, strlen(body), &res, &err), PK_OK);
    assert_int_equal(h.stored_calls, 1);
    /* a failing hook rolls the whole batch back: nothing stored, the error returned */
    h.fail = 1;
    const char *body2 = "[" READ_LINE(4, "4NEW444", "") "," READ_LINE(5, "5NEW555", "") "]";
    ingest_result_fini(&res);
    ingest_result_init(&res);
    assert_int_equal(ingest_json_text(f.in, body2, strlen(body2), &res, &err), PK_EDB);
    assert_string_equal(err.msg, "hotlist matcher failed");
    assert_int_equal(res.accepted, 0);
    assert_int_equal(store_reads_count(f.st), 2);
    assert_int_equal(h.committed_calls, 1);
    /* and the next batch (new camera, new plates) works: the caches forgot the rollback */
    h.fail = 0;
    const char *body3 = "[{\"uuid\":\"00000000-0000-4000-8000-000000000006\",\"plate\":\"4NEW444\","
                        "\"ts\":1780000000000,\"camera\":\"cam-new\",\"confidence\":50}]";
    assert_int_equal(ingest_json_text(f.in, body2, strlen(body2), &res, &err), PK_OK);
    assert_int_equal(ingest_json_text(f.in, body3, strlen(body3), &res, &err), PK_OK);
    assert_int_equal(res.accepted, 3);
    assert_int_equal(store_reads_count(f.st), 5);
    ingest_result_fini(&res);
    fx_close(&f);
}

/* Reads in structured form (the demo generator, the recognizer): same checks, same store. */
static void test_structured(void **state) {
    (void)state;
    fixture f;
    fx_open(&f);
    demo_config cfg = {.seed = 4, .n_reads = 300, .image_every = 50,
                       .start_ms = pk_days_from_civil(2026, 1, 1) * PK_MS_PER_DAY,
                       .span_ms = 30 * PK_MS_PER_DAY};
    demo_gen *g = demo_gen_new(&cfg);
    ingest_read rd[1];
    demo_item it;
    ingest_result res;
    ingest_result_init(&res);
    pk_err err;
    while (demo_gen_next(g, &it)) {
        memset(rd, 0, sizeof rd);
        rd[0].read = it.read;
        rd[0].plate_jpeg = it.plate_jpeg;
        rd[0].plate_jpeg_len = it.plate_jpeg_len;
        assert_int_equal(ingest_reads(f.in, rd, 1, &res, &err), PK_OK);
        assert_true(rd[0].read.id > 0);
    }
    assert_int_equal(res.accepted, 300);
    int64_t id;
    assert_int_equal(store_camera_find(f.st, "Patrol 1A11", &id, &err), PK_OK);
    /* a bad structured read is refused like a JSON one */
    demo_gen_at(g, 0, &it);
    memset(rd, 0, sizeof rd);
    rd[0].read = it.read;
    rd[0].read.lat = 123;
    assert_int_equal(ingest_reads(f.in, rd, 1, &res, &err), PK_OK);
    assert_int_equal(res.rejected, 1);
    assert_string_equal(res.rejects[0].field, "lat");
    rd[0].read = it.read;
    snprintf(rd[0].read.plate, sizeof rd[0].read.plate, "ab-1");
    rd[0].read.uuid[0] ^= 1;
    assert_int_equal(ingest_reads(f.in, rd, 1, &res, &err), PK_OK);
    assert_string_equal(rd[0].read.plate, "ab-1"); /* the caller's copy is left alone */
    assert_int_equal(res.accepted, 301);
    demo_gen_free(g);
    ingest_result_fini(&res);
    fx_close(&f);
}

static void test_image_store(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    char a[65], b[65], path[4400];
    assert_int_equal(store_image_put(st, "\xff\xd8\xff hello", 9, a, &err), PK_OK);
    assert_int_equal(store_image_put(st, "\xff\xd8\xff hello", 9, b, &err), PK_OK);
    assert_string_equal(a, b);
    /* sha256 of the bytes names the file */
    unsigned char h[32];
    char hex[65];
    crypto_hash_sha256(h, (const unsigned char *)"\xff\xd8\xff hello", 9);
    sodium_bin2hex(hex, sizeof hex, h, 32);
    assert_string_equal(a, hex);
    unsigned char *data;
    size_t len;
    assert_int_equal(store_image_get(st, a, &data, &len, &err), PK_OK);
    assert_int_equal(len, 9);
    free(data);
    assert_int_equal(store_image_path(st, a, path, sizeof path, &err), PK_OK);
    FILE *f = fopen(path, "r+b");
    fputc('X', f);
    fclose(f);
    assert_int_equal(store_image_get(st, a, &data, &len, &err), PK_ECORRUPT);
    assert_int_equal(store_image_path(st, "../../etc/passwd", path, sizeof path, &err), PK_EINVAL);
    char zeros[65];
    memset(zeros, '0', 64);
    zeros[64] = 0;
    assert_int_equal(store_image_get(st, zeros, &data, &len, &err), PK_ENOTFOUND);
    tu_store_free(st, dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_lines), cmocka_unit_test(test_file_document),
        cmocka_unit_test(test_hooks),      cmocka_unit_test(test_structured),
        cmocka_unit_test(test_image_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
