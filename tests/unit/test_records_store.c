/* store/records: holds state machine, purge batches (boundary, holds, cursor), the image sweep,
 * the purge log, sharing requests state machine. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"

static store_read mkread(int i, int64_t ts, int64_t cam, const char *img) {
    store_read r;
    memset(&r, 0, sizeof r);
    memcpy(r.uuid, &i, sizeof i);
    snprintf(r.plate, sizeof r.plate, "7ABC%03d", i % 1000);
    snprintf(r.state, sizeof r.state, "CA");
    r.ts = ts;
    r.camera_id = cam;
    r.heading = -1;
    r.confidence = 90;
    if (img) snprintf(r.scene_image, sizeof r.scene_image, "%s", img);
    return r;
}

static int64_t add_read(store *st, int i, int64_t ts, const char *img) {
    int64_t cam;
    pk_err err;
    assert_int_equal(store_camera_ensure(st, "cam", 34, -118, &cam, &err), PK_OK);
    store_read r = mkread(i, ts, cam, img);
    assert_int_equal(store_reads_insert(st, &r, 1, NULL, &err), PK_OK);
    return r.id;
}

static void test_holds(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    int64_t r1 = add_read(st, 1, 1000, NULL), r2 = add_read(st, 2, 2000, NULL);
    store_hold h;
    memset(&h, 0, sizeof h);
    snprintf(h.case_no, sizeof h.case_no, "C-1");
    snprintf(h.reason, sizeof h.reason, "homicide");
    snprintf(h.contact, sizeof h.contact, "x@pd");
    snprintf(h.opened_by, sizeof h.opened_by, "ivan");
    h.opened_at = 5;
    h.review_at = 10;
    int64_t ids[] = {r1, r2, r1}, hid;
    assert_int_equal(store_hold_add(st, &h, ids, 3, &hid, &err), PK_OK);
    store_hold g;
    assert_int_equal(store_hold_get(st, hid, &g, &err), PK_OK);
    assert_string_equal(g.status, "pending");
    assert_int_equal(g.n_reads, 2);
    store_hold_fini(&g);
    assert_int_equal(store_hold_get(st, 999, &g, &err), PK_ENOTFOUND);
    assert_int_equal(store_hold_release(st, 999, "a", 1, "x", &err), PK_ENOTFOUND);
    assert_int_equal(store_hold_approve(st, hid, "adm", 6, &err), PK_OK);
    assert_int_equal(store_hold_approve(st, hid, "adm", 6, &err), PK_ECONFLICT);
    assert_non_null(strstr(err.msg, "approved"));
    assert_int_equal(store_hold_release(st, hid, "adm", 7, "closed", &err), PK_OK);
    assert_int_equal(store_hold_release(st, hid, "adm", 7, "closed", &err), PK_ECONFLICT);
    assert_int_equal(store_hold_get(st, hid, &g, &err), PK_OK);
    assert_string_equal(g.status, "released");
    assert_string_equal(g.released_by, "adm");
    store_hold_fini(&g);
    tu_store_free(st, dir);
}

static void run_purge(store *st, int64_t cutoff, int batch, store_purge_state *ps) {
    pk_err err;
    store_purge_init(ps, cutoff, cutoff, 0);
    while (!ps->done) assert_int_equal(store_purge_batch(st, ps, batch, &err), PK_OK);
}

static void test_purge_batches(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    /* 25 reads at ts 0..24 (several share a ts), cutoff 20: 0..19 due. */
    int64_t ids[25];
    for (int i = 0; i < 25; i++) ids[i] = add_read(st, i, i / 2 * 2, NULL);
    store_hold h;
    memset(&h, 0, sizeof h);
    snprintf(h.case_no, sizeof h.case_no, "C");
    snprintf(h.status, sizeof h.status, "approved");
    int64_t held[] = {ids[3], ids[4]}, pending[] = {ids[5]}, hid;
    assert_int_equal(store_hold_add(st, &h, held, 2, &hid, &err), PK_OK);
    memset(h.status, 0, sizeof h.status);
    assert_int_equal(store_hold_add(st, &h, pending, 1, &hid, &err), PK_OK);

    store_purge_state ps;
    store_purge_init(&ps, 20, 20, 1); /* dry run counts and changes nothing */
    while (!ps.done) assert_int_equal(store_purge_batch(st, &ps, 3, &err), PK_OK);
    assert_int_equal(ps.reads_deleted, 18);
    assert_int_equal(ps.held_kept, 2);
    assert_int_equal(store_reads_count(st), 25);

    run_purge(st, 20, 3, &ps); /* batch size that splits equal timestamps */
    assert_int_equal(ps.reads_deleted, 18);
    assert_int_equal(ps.held_kept, 2);
    assert_int_equal(store_reads_count(st), 7);
    assert_int_equal(store_records_read_exists(st, ids[3], &err), 1);
    assert_int_equal(store_records_read_exists(st, ids[5], &err), 0);
    assert_int_equal(store_records_read_exists(st, ids[20], &err), 1);
    run_purge(st, 20, 1000, &ps); /* idempotent */
    assert_int_equal(ps.reads_deleted, 0);
    assert_int_equal(ps.held_kept, 2);

    store_purge_entry e = {0}, last;
    assert_int_equal(store_purge_log_last(st, &last, &err), PK_ENOTFOUND);
    e.cutoff = 20;
    e.reads_deleted = 18;
    snprintf(e.run_by, sizeof e.run_by, "custodian");
    assert_int_equal(store_purge_log_add(st, &e, NULL, &err), PK_OK);
    e.dry_run = 1;
    e.reads_deleted = 99;
    assert_int_equal(store_purge_log_add(st, &e, NULL, &err), PK_OK);
    assert_int_equal(store_purge_log_last(st, &last, &err), PK_OK);
    assert_int_equal(last.reads_deleted, 18);
    tu_store_free(st, dir);
}

/* Whether image_shared lists sha (read on a connection of the test's own). */
static int64_t count_shared(store *st, const char *sha) {
    sqlite3 *db;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open(store_path(st), &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT count(*) FROM image_shared WHERE sha = ?", -1, &q, NULL),
        SQLITE_OK);
    sqlite3_bind_text(q, 1, sha, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

static void test_image_sweep(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    char a[65], b[65], c[65], pa[4300], pb[4300], pc[4300], images[4200];
    snprintf(images, sizeof images, "%s/images", dir);
    /* images stored as ingest stores them: one put per referring read */
    assert_int_equal(store_image_put(st, "\xff\xd8 a", 5, a, &err), PK_OK);
    add_read(st, 1, 10, a); /* old, shares image a with a recent read */
    assert_int_equal(count_shared(st, a), 0);
    assert_int_equal(store_image_put(st, "\xff\xd8 a", 5, a, &err), PK_OK);
    add_read(st, 2, 100, a);
    assert_int_equal(count_shared(st, a), 1);
    assert_int_equal(store_image_put(st, "\xff\xd8 b", 5, b, &err), PK_OK);
    add_read(st, 3, 11, b); /* old, sole user of b */
    assert_int_equal(store_image_path(st, a, pa, sizeof pa, &err), PK_OK);
    assert_int_equal(store_image_path(st, b, pb, sizeof pb, &err), PK_OK);
    store_purge_state ps;
    run_purge(st, 50, 10, &ps);
    assert_int_equal(ps.reads_deleted, 2);
    int64_t del, kept;
    assert_int_equal(store_purge_image_sweep(st, images, &del, &kept, &err), PK_OK);
    assert_int_equal(del, 1);
    assert_int_equal(kept, 1);
    assert_int_equal(access(pa, F_OK), 0);
    assert_int_not_equal(access(pb, F_OK), 0);
    assert_int_equal(count_shared(st, a), 1); /* still in use: still listed */
    /* the queue is empty now */
    assert_int_equal(store_purge_image_sweep(st, images, &del, &kept, &err), PK_OK);
    assert_int_equal(del + kept, 0);
    /* a's last reader goes: the file goes and a is no longer listed as shared */
    run_purge(st, 150, 150, &ps);
    assert_int_equal(ps.reads_deleted, 1);
    assert_int_equal(store_purge_image_sweep(st, images, &del, &kept, &err), PK_OK);
    assert_int_equal(del, 1);
    assert_int_equal(kept, 0);
    assert_int_not_equal(access(pa, F_OK), 0);
    assert_int_equal(count_shared(st, a), 0);
    /* the same bytes stored again later are a first reference again */
    assert_int_equal(store_image_put(st, "\xff\xd8 a", 5, a, &err), PK_OK);
    assert_int_equal(count_shared(st, a), 0);
    /* an image re-used after its reader was purged, before the sweep ran: kept */
    assert_int_equal(store_image_put(st, "\xff\xd8 c", 5, c, &err), PK_OK);
    add_read(st, 4, 200, c);
    assert_int_equal(store_image_path(st, c, pc, sizeof pc, &err), PK_OK);
    run_purge(st, 250, 250, &ps);
    assert_int_equal(ps.reads_deleted, 1);
    assert_int_equal(store_image_put(st, "\xff\xd8 c", 5, c, &err), PK_OK);
    add_read(st, 5, 300, c);
    assert_int_equal(store_purge_image_sweep(st, images, &del, &kept, &err), PK_OK);
    assert_int_equal(del, 0);
    assert_int_equal(kept, 1);
    assert_int_equal(access(pc, F_OK), 0);
    tu_store_free(st, dir);
}

/* A database from before migration 0011 (no image_shared): on opening, every hash that two
 * references name, counting the purge queue's, is listed, and the sweep keeps their files. */
static void test_image_shared_migration(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    char a[65], b[65], c[65], images[4200], pa[4300], pc[4300];
    snprintf(images, sizeof images, "%s/images", dir);
    assert_int_equal(store_image_put(st, "\xff\xd8 a", 5, a, &err), PK_OK);
    assert_int_equal(store_image_put(st, "\xff\xd8 b", 5, b, &err), PK_OK);
    assert_int_equal(store_image_put(st, "\xff\xd8 c", 5, c, &err), PK_OK);
    add_read(st, 1, 10, a); /* a: two readers, one of them old (stored before image_shared) */
    add_read(st, 2, 100, a);
    add_read(st, 3, 11, b); /* b: one old reader */
    add_read(st, 4, 12, c); /* c: an old reader purged before the upgrade, and a recent one */
    add_read(st, 5, 110, c);
    store_purge_state ps;
    run_purge(st, 13, 10, &ps); /* queues the old readers' hashes (a, b, c), unswept */
    char path[4200];
    snprintf(path, sizeof path, "%s", store_path(st));
    store_close(st);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "DROP TABLE image_shared; DELETE FROM schema_migrations WHERE "
                                  "number = 11; PRAGMA user_version = 10",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(store_open(path, 0, &st, &err), PK_OK);
    assert_int_equal(count_shared(st, a), 1);
    assert_int_equal(count_shared(st, b), 0);
    assert_int_equal(count_shared(st, c), 1);
    int64_t del, kept;
    assert_int_equal(store_purge_image_sweep(st, images, &del, &kept, &err), PK_OK);
    assert_int_equal(store_image_path(st, a, pa, sizeof pa, &err), PK_OK);
    assert_int_equal(store_image_path(st, c, pc, sizeof pc, &err), PK_OK);
    assert_int_equal(access(pa, F_OK), 0);
    assert_int_equal(access(pc, F_OK), 0);
    assert_int_equal(del, 1); /* b */
    assert_int_equal(kept, 2);
    tu_store_free(st, dir);
}

static void test_requests(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    store_request r;
    memset(&r, 0, sizeof r);
    snprintf(r.agency, sizeof r.agency, "Oakland PD");
    snprintf(r.agency_type, sizeof r.agency_type, "law_enforcement");
    snprintf(r.state, sizeof r.state, "CA");
    snprintf(r.status, sizeof r.status, "pending");
    r.scope_plates = "[\"7ABC123\"]";
    r.has_from = 1;
    r.scope_from = 5;
    unsigned char doc[] = {1, 2, 0, 3};
    r.document = doc;
    r.document_len = sizeof doc;
    snprintf(r.document_sha256, sizeof r.document_sha256, "00");
    int64_t id;
    assert_int_equal(store_request_add(st, &r, &id, &err), PK_OK);
    store_request g;
    assert_int_equal(store_request_get(st, id, &g, &err), PK_OK);
    assert_int_equal(g.document_len, 4);
    assert_memory_equal(g.document, doc, 4);
    assert_string_equal(g.scope_plates, "[\"7ABC123\"]");
    assert_true(g.has_from && !g.has_to && !g.has_near);
    store_request_fini(&g);
    assert_int_equal(store_request_fulfilled(st, id, "c", 1, 1, &err), PK_ECONFLICT);
    assert_int_equal(store_request_decide(st, id, "approved", "ok", "adm", 2, 99, &err), PK_OK);
    assert_int_equal(store_request_decide(st, id, "denied", "no", "adm", 2, 0, &err), PK_ECONFLICT);
    assert_int_equal(store_request_fulfilled(st, id, "c", 3, 1, &err), PK_OK);
    assert_int_equal(store_request_get(st, id, &g, &err), PK_OK);
    assert_string_equal(g.status, "fulfilled");
    assert_int_equal(g.approval_expires, 99);
    store_request_fini(&g);
    assert_int_equal(store_request_get(st, 77, &g, &err), PK_ENOTFOUND);
    tu_store_free(st, dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_holds),       cmocka_unit_test(test_purge_batches),
        cmocka_unit_test(test_image_sweep), cmocka_unit_test(test_image_shared_migration),
        cmocka_unit_test(test_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
