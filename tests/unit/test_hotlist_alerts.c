/* hotlist with the gate: imports (atomic replacement, refusal, --skip-bad, schedule), entries by
 * hand (expiry rules, the audit trail), the engine (background rebuild), alerts (recording in the
 * caller's transaction, publication after commit, covert lists, listing under a grant, and the
 * verification rules). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "access/access.h"
#include "audit/audit.h"
#include "hotlist/hotlist.h"

#define PW "correct horse battery staple 9"

static access_user add_user(store *st, const char *name, access_role role) {
    access_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.username, sizeof u.username, "%s", name);
    snprintf(u.full_name, sizeof u.full_name, "Full %s", name);
    snprintf(u.job_title, sizeof u.job_title, "Officer");
    snprintf(u.agency, sizeof u.agency, "Example PD");
    u.role = role;
    int64_t id;
    pk_err err;
    if (access_user_add(st, &u, PW, "root", &id, &err)) fail_msg("user_add: %s", err.msg);
    if (access_training_add(st, name, "ALPR basics", pk_now_ms() - PK_MS_PER_DAY, "root", &err))
        fail_msg("training_add: %s", err.msg);
    u.id = id;
    snprintf(u.status, sizeof u.status, "active");
    return u;
}

static int64_t mklist(store *st, const access_user *by, const char *name, int covert) {
    store_hotlist h;
    memset(&h, 0, sizeof h);
    snprintf(h.name, sizeof h.name, "%s", name);
    snprintf(h.source, sizeof h.source, "import");
    h.priority = 1;
    h.covert = covert;
    pk_err err;
    if (hotlist_create(st, &h, by, &err)) fail_msg("hotlist_create: %s", err.msg);
    return h.id;
}

static char *write_file(const char *dir, const char *name, const char *text) {
    char *path = malloc(4200);
    snprintf(path, 4200, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

typedef struct names {
    char plates[16][16];
    int n;
} names;

static int entry_names(void *ctx, const store_hotlist_entry *e) {
    names *n = ctx;
    if (n->n < 16) snprintf(n->plates[n->n++], 16, "%s", e->plate);
    return 0;
}

static names list_plates(store *st, int64_t list) {
    names n;
    memset(&n, 0, sizeof n);
    store_hotlist_entries_each(st, list, 0, entry_names, &n, NULL);
    return n;
}

static int count_cb(void *ctx, const audit_record *r) {
    (void)r;
    (*(int *)ctx)++;
    return 0;
}

static int audit_count(store *st, const char *action, const char *outcome) {
    audit_filter f;
    audit_filter_init(&f);
    f.action = action;
    f.outcome = outcome;
    int n = 0;
    audit_log_each(st, &f, count_cb, &n, NULL);
    return n;
}

static void test_import_atomic(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    access_user admin = add_user(st, "ada", ACCESS_ROLE_ADMIN);
    int64_t l = mklist(st, &admin, "ncic-stolen", 0);
    char *a = write_file(dir, "a.csv", "LIC,LIS\n1AAA111,CA\n2BBB222,NV\n3CCC333,CA\n");
    char *b = write_file(dir, "b.csv", "LIC,LIS\n1AAA111,CA\n4DDD444,OR\n");
    char *bad = write_file(dir, "bad.csv", "LIC,LIS\n5EEE555,CA\n6FFF666,QQ\n,CA\n");
    hotlist_import_report r;
    pk_err err;
    assert_int_equal(hotlist_import_file(st, l, a, NULL, &admin, &r, &err), PK_OK);
    assert_int_equal(r.loaded, 3);
    hotlist_import_report_fini(&r);
    /* a hand entry survives imports */
    store_hotlist_entry e;
    memset(&e, 0, sizeof e);
    e.hotlist_id = l;
    snprintf(e.plate, sizeof e.plate, "9hand99");
    assert_int_equal(hotlist_entry_add(st, &e, &admin, &err), PK_OK);
    /* replacement: 2BBB222 and 3CCC333 were cleared upstream */
    assert_int_equal(hotlist_import_file(st, l, b, NULL, &admin, &r, &err), PK_OK);
    assert_int_equal(r.replaced, 3);
    assert_int_equal(r.loaded, 2);
    hotlist_import_report_fini(&r);
    names n = list_plates(st, l);
    assert_int_equal(n.n, 3);
    assert_string_equal(n.plates[0], "9HAND99");
    assert_string_equal(n.plates[1], "1AAA111");
    assert_string_equal(n.plates[2], "4DDD444");
    /* a bad file changes nothing, and says where */
    assert_int_equal(hotlist_import_file(st, l, bad, NULL, &admin, &r, &err), PK_EINVAL);
    assert_int_equal(r.refused, 1);
    assert_int_equal(r.bad, 2);
    assert_non_null(strstr(r.errors, "3: state: 'QQ'"));
    assert_non_null(strstr(r.errors, "4: plate: empty"));
    assert_non_null(strstr(err.msg, "refused, 2 bad lines"));
    hotlist_import_report_fini(&r);
    n = list_plates(st, l);
    assert_int_equal(n.n, 3);
    assert_string_equal(n.plates[2], "4DDD444");
    /* a missing file too, a directory (it said "read error"), and an empty file, each named */
    assert_int_equal(hotlist_import_file(st, l, "/nonexistent.csv", NULL, &admin, &r, &err),
                     PK_EIO);
    hotlist_import_report_fini(&r);
    assert_int_equal(hotlist_import_file(st, l, "/", NULL, &admin, &r, &err), PK_EIO);
    assert_non_null(strstr(err.msg, "/: Is a directory"));
    hotlist_import_report_fini(&r);
    assert_int_equal(hotlist_import_file(st, l, "/dev/null", NULL, &admin, &r, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "/dev/null: file is empty"));
    hotlist_import_report_fini(&r);
    assert_int_equal(list_plates(st, l).n, 3);
    /* --skip-bad loads the good line and reports the others */
    hotlist_import_opts o;
    hotlist_import_opts_init(&o);
    o.skip_bad = 1;
    assert_int_equal(hotlist_import_file(st, l, bad, &o, &admin, &r, &err), PK_OK);
    assert_int_equal(r.loaded, 1);
    assert_int_equal(r.bad, 2);
    assert_non_null(strstr(r.errors, "3: state:"));
    hotlist_import_report_fini(&r);
    n = list_plates(st, l);
    assert_int_equal(n.n, 2);
    assert_string_equal(n.plates[1], "5EEE555");
    /* every attempt is in the access log */
    assert_int_equal(audit_count(st, "hotlist.import", "ok"), 3);
    assert_int_equal(audit_count(st, "hotlist.import", "refused"), 2); /* bad lines, empty */
    assert_int_equal(audit_count(st, "hotlist.import", "failed"), 2);  /* missing, directory */
    /* an auditor may not import */
    access_user aud = add_user(st, "audrey", ACCESS_ROLE_AUDITOR);
    assert_int_equal(hotlist_import_file(st, l, a, NULL, &aud, &r, &err), PK_EDENIED);
    hotlist_import_report_fini(&r);
    free(a);
    free(b);
    free(bad);
    tu_store_free(st, dir);
}

/* Imports larger than one staging batch: a bad last line still refuses the whole file, and a
 * good file replaces the list in one switch. */
static void test_import_batches(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    access_user admin = add_user(st, "ada", ACCESS_ROLE_ADMIN);
    int64_t l = mklist(st, &admin, "big", 0);
    char *small = write_file(dir, "s.csv", "LIC\n1AAA111\n2BBB222\n");
    hotlist_import_report r;
    pk_err err;
    assert_int_equal(hotlist_import_file(st, l, small, NULL, &admin, &r, &err), PK_OK);
    hotlist_import_report_fini(&r);
    char path[4200];
    snprintf(path, sizeof path, "%s/big.csv", dir);
    for (int bad = 1; bad >= 0; bad--) {
        FILE *f = fopen(path, "w");
        fprintf(f, "LIC,LIS\n");
        for (int i = 0; i < 45000; i++) fprintf(f, "X%07d,CA\n", i);
        if (bad) fprintf(f, "Y0000001,QQ\n");
        fclose(f);
        int rc = hotlist_import_file(st, l, path, NULL, &admin, &r, &err);
        if (bad) {
            assert_int_equal(rc, PK_EINVAL);
            assert_non_null(strstr(r.errors, "45002: state:"));
            assert_int_equal(store_hotlist_entries_count(st, l, 0), 2);
        } else {
            assert_int_equal(rc, PK_OK);
            assert_int_equal(r.loaded, 45000);
            assert_int_equal(r.replaced, 2);
            assert_int_equal(store_hotlist_entries_count(st, l, 0), 45000);
        }
        hotlist_import_report_fini(&r);
    }
    /* the refused attempt's staged rows are gone: a full re-import replaces exactly 45000 */
    assert_int_equal(hotlist_import_file(st, l, small, NULL, &admin, &r, &err), PK_OK);
    assert_int_equal(r.replaced, 45000);
    hotlist_import_report_fini(&r);
    assert_int_equal(store_hotlist_entries_count(st, l, 0), 2);
    /* nothing staged or superseded is left behind in the table itself */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(store_path(st), &db), SQLITE_OK);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM hotlist_entries", -1, &q, NULL);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(q, 0), 2);
    sqlite3_finalize(q);
    sqlite3_close(db);
    hotlist_matcher *m;
    assert_int_equal(hotlist_matcher_build(st, 0, &m, &err), PK_OK);
    assert_int_equal(hotlist_matcher_size(m), 2);
    hotlist_matcher_release(m);
    free(small);
    tu_store_free(st, dir);
}

static void test_scheduled_import(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    access_user admin = add_user(st, "ada", ACCESS_ROLE_ADMIN);
    int64_t l = mklist(st, &admin, "svs", 0);
    char *f = write_file(dir, "svs.txt", "x|7SVS777|CA\n");
    store_hotlist h;
    pk_err err;
    assert_int_equal(store_hotlist_get(st, l, &h, &err), PK_OK);
    snprintf(h.import_path, sizeof h.import_path, "%s", f);
    snprintf(h.import_map, sizeof h.import_map, "2=plate,3=state");
    assert_int_equal(hotlist_update(st, &h, &admin, &err), PK_OK);
    int n = -1;
    int64_t now = pk_now_ms();
    assert_int_equal(hotlist_scheduled_imports(st, now, &n, &err), PK_OK);
    assert_int_equal(n, 1);
    assert_int_equal(list_plates(st, l).n, 1);
    assert_int_equal(hotlist_scheduled_imports(st, now + 3600000, &n, &err), PK_OK);
    assert_int_equal(n, 0); /* not due for 12 hours */
    assert_int_equal(hotlist_scheduled_imports(st, now + 13 * 3600000LL, &n, &err), PK_OK);
    assert_int_equal(n, 1);
    audit_filter af;
    audit_filter_init(&af);
    af.username = "system";
    af.action = "hotlist.import";
    int k = 0;
    audit_log_each(st, &af, count_cb, &k, NULL);
    assert_int_equal(k, 2);
    free(f);
    tu_store_free(st, dir);
}

static void test_entries_by_hand(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    access_user admin = add_user(st, "ada", ACCESS_ROLE_ADMIN);
    access_user inv = add_user(st, "ivan", ACCESS_ROLE_INVESTIGATOR);
    access_user op = add_user(st, "otto", ACCESS_ROLE_OPERATOR);
    int64_t l = mklist(st, &inv, "major-crimes", 0);
    pk_err err;
    store_hotlist_entry e;
    memset(&e, 0, sizeof e);
    e.hotlist_id = l;
    snprintf(e.plate, sizeof e.plate, "6tr ?8*");
    snprintf(e.state, sizeof e.state, "any");
    snprintf(e.reason, sizeof e.reason, "witness: partial plate, grey sedan");
    snprintf(e.case_no, sizeof e.case_no, "26-1234");
    int64_t before = pk_now_ms();
    assert_int_equal(hotlist_entry_add(st, &e, &inv, &err), PK_OK);
    assert_string_equal(e.plate, "6TR?8*");
    assert_int_equal(e.is_pattern, 1);
    assert_string_equal(e.state, "");
    assert_string_equal(e.entered_by, "ivan");
    /* the default expiry: 30 days */
    assert_true(e.expires >= before + 30 * PK_MS_PER_DAY &&
                e.expires <= pk_now_ms() + 30 * PK_MS_PER_DAY);
    /* extending past the default is for administrators */
    e.expires += 10 * PK_MS_PER_DAY;
    assert_int_equal(hotlist_entry_update(st, &e, &inv, &err), PK_EDENIED);
    assert_int_equal(hotlist_entry_update(st, &e, &admin, &err), PK_OK);
    /* bad input */
    store_hotlist_entry b = e;
    b.id = 0;
    snprintf(b.plate, sizeof b.plate, "7AB#");
    assert_int_equal(hotlist_entry_add(st, &b, &inv, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "plate:"));
    snprintf(b.plate, sizeof b.plate, "7ABC123");
    snprintf(b.state, sizeof b.state, "XX");
    assert_int_equal(hotlist_entry_add(st, &b, &inv, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "state:"));
    snprintf(b.state, sizeof b.state, "CA");
    assert_int_equal(hotlist_entry_add(st, &b, &op, &err), PK_EDENIED);
    /* expire and remove are logged */
    assert_int_equal(hotlist_entry_expire(st, e.id, 0, &inv, &err), PK_OK);
    assert_int_equal(store_hotlist_entries_count(st, l, pk_now_ms() + 1), 0);
    assert_int_equal(hotlist_entry_remove(st, e.id, &inv, "cleared", &err), PK_OK);
    assert_int_equal(hotlist_entry_remove(st, e.id, &inv, "again", &err), PK_ENOTFOUND);
    assert_int_equal(audit_count(st, "hotlist.entry.add", NULL), 1);
    assert_int_equal(audit_count(st, "hotlist.entry.update", NULL), 2);
    assert_int_equal(audit_count(st, "hotlist.entry.remove", NULL), 1);
    /* list rules */
    store_hotlist h;
    memset(&h, 0, sizeof h);
    snprintf(h.name, sizeof h.name, "long");
    h.default_expiry_days = 90;
    assert_int_equal(hotlist_create(st, &h, &inv, &err), PK_EDENIED);
    assert_int_equal(hotlist_create(st, &h, &admin, &err), PK_OK);
    memset(&h, 0, sizeof h);
    snprintf(h.name, sizeof h.name, "x");
    snprintf(h.alert_level, sizeof h.alert_level, "loud");
    assert_int_equal(hotlist_create(st, &h, &admin, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "alert_level"));
    tu_store_free(st, dir);
}

/* ---- the engine and alerts ---- */

typedef struct published {
    char json[8][4096];
    int covert[8];
    char owner[8][64];
    int n;
} published;

static void on_publish(void *ctx, const hotlist_alert_note *note) {
    published *p = ctx;
    if (p->n >= 8) return;
    snprintf(p->json[p->n], sizeof p->json[0], "%s", note->json);
    p->covert[p->n] = note->covert;
    if (note->n_owners) snprintf(p->owner[p->n], 64, "%s", note->owners[0]);
    p->n++;
}

static store_read mkread(int i, const char *plate, const char *state, int64_t cam) {
    store_read r;
    memset(&r, 0, sizeof r);
    memcpy(r.uuid, &i, sizeof i);
    r.uuid[15] = 0x77;
    snprintf(r.plate, sizeof r.plate, "%s", plate);
    snprintf(r.state, sizeof r.state, "%s", state);
    r.ts = pk_now_ms();
    r.camera_id = cam;
    r.heading = -1;
    r.confidence = 91;
    r.vehicle = "{\"make\":\"Honda\",\"color\":\"black\"}";
    return r;
}

/* Ingest as the contract in hotlist.h says. Returns the number of alerts published. */
static int ingest(store *st, hotlist_engine *eng, store_read *rs, size_t n) {
    pk_err err;
    int dup[8] = {0};
    hotlist_alert_batch *b = NULL;
    assert_int_equal(store_begin(st, &err), PK_OK);
    assert_int_equal(store_reads_insert(st, rs, n, dup, &err), PK_OK);
    if (hotlist_alerts_record(eng, st, rs, dup, n, &b, &err)) fail_msg("record: %s", err.msg);
    int k = (int)hotlist_alert_batch_count(b);
    assert_int_equal(store_commit(st, &err), PK_OK);
    hotlist_alert_batch_publish(eng, b);
    return k;
}

static void test_alerts_flow(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    access_user admin = add_user(st, "ada", ACCESS_ROLE_ADMIN);
    access_user inv = add_user(st, "ivan", ACCESS_ROLE_INVESTIGATOR);
    access_user op = add_user(st, "otto", ACCESS_ROLE_OPERATOR);
    access_user aud = add_user(st, "audrey", ACCESS_ROLE_AUDITOR);
    int64_t stolen = mklist(st, &admin, "stolen", 0);
    int64_t covert = mklist(st, &inv, "surveillance", 1);
    pk_err err;
    store_hotlist_entry e;
    memset(&e, 0, sizeof e);
    e.hotlist_id = stolen;
    snprintf(e.plate, sizeof e.plate, "7ABC123");
    snprintf(e.state, sizeof e.state, "CA");
    snprintf(e.make, sizeof e.make, "Toyota");
    snprintf(e.color, sizeof e.color, "white");
    assert_int_equal(hotlist_entry_add(st, &e, &admin, &err), PK_OK);
    memset(&e, 0, sizeof e);
    e.hotlist_id = covert;
    snprintf(e.plate, sizeof e.plate, "8K?L*");
    assert_int_equal(hotlist_entry_add(st, &e, &inv, &err), PK_OK);

    hotlist_engine *eng;
    assert_int_equal(hotlist_engine_new(store_path(st), &eng, &err), PK_OK);
    published pub;
    memset(&pub, 0, sizeof pub);
    hotlist_engine_set_publish(eng, on_publish, &pub);
    int64_t cam;
    assert_int_equal(store_camera_ensure(st, "north-1", 38.5, -121.5, &cam, &err), PK_OK);
    store_read rs[4] = {mkread(1, "7ABC123", "NV", cam), mkread(2, "7A8C1Z3", "CA", cam),
                        mkread(3, "8KXLMN", "CA", cam), mkread(4, "1NOHIT1", "CA", cam)};
    assert_int_equal(ingest(st, eng, rs, 4), 3);
    assert_int_equal(pub.n, 3);
    /* a re-sent batch (duplicates) raises nothing */
    assert_int_equal(ingest(st, eng, rs, 4), 0);
    json_t *a0 = json_loads(pub.json[0], 0, NULL);
    assert_string_equal(json_string_value(json_object_get(a0, "match")), "exact");
    assert_true(json_is_true(json_object_get(a0, "state_mismatch")));
    assert_string_equal(json_string_value(json_object_get(a0, "status")), "unverified");
    assert_true(json_is_false(json_object_get(a0, "actionable")));
    json_t *cmp = json_object_get(a0, "compare");
    assert_string_equal(json_string_value(json_object_get(json_object_get(cmp, "state"), "read")),
                        "NV");
    assert_string_equal(json_string_value(json_object_get(json_object_get(cmp, "state"), "entry")),
                        "CA");
    json_t *veh = json_object_get(cmp, "vehicle");
    assert_string_equal(json_string_value(json_object_get(json_object_get(veh, "read"), "make")),
                        "Honda");
    assert_string_equal(json_string_value(json_object_get(json_object_get(veh, "entry"), "make")),
                        "Toyota");
    assert_string_equal(json_string_value(json_object_get(json_object_get(a0, "read"), "camera")),
                        "north-1");
    int64_t id_exact = json_integer_value(json_object_get(a0, "id"));
    json_decref(a0);
    json_t *a1 = json_loads(pub.json[1], 0, NULL);
    assert_string_equal(json_string_value(json_object_get(a1, "match")), "misread");
    json_decref(a1);
    json_t *a2 = json_loads(pub.json[2], 0, NULL);
    assert_string_equal(json_string_value(json_object_get(a2, "match")), "pattern");
    int64_t id_covert = json_integer_value(json_object_get(a2, "id"));
    json_decref(a2);
    assert_int_equal(pub.covert[2], 1);
    assert_string_equal(pub.owner[2], "ivan");
    assert_int_equal(pub.covert[0], 0);

    /* listing under a grant: the operator does not see the covert alert; its owner does */
    access_request req = {.user = &op,
                          .action = ACCESS_ALERTS_VIEW,
                          .purpose = "alert-verification",
                          .client = "cli"};
    access_grant *g;
    assert_int_equal(access_grant_open(st, &req, NULL, &g, &err), PK_OK);
    json_t *list;
    assert_int_equal(hotlist_alerts_list(g, NULL, &list, &err), PK_OK);
    assert_int_equal(json_array_size(list), 2);
    json_decref(list);
    access_grant_free(g);
    req.user = &inv;
    assert_int_equal(access_grant_open(st, &req, NULL, &g, &err), PK_OK);
    assert_int_equal(hotlist_alerts_list(g, NULL, &list, &err), PK_OK);
    assert_int_equal(json_array_size(list), 3);
    json_decref(list);
    access_grant_free(g);
    assert_int_equal(audit_count(st, "alerts.view", "ok"), 2);
    /* auditors get no alerts at all */
    req.user = &aud;
    assert_int_not_equal(access_grant_open(st, &req, NULL, &g, &err), PK_OK);

    /* verification rules */
    assert_int_equal(hotlist_alert_verify(st, id_exact, "stolen", "x", &op, "cli", &err),
                     PK_EINVAL);
    assert_non_null(strstr(err.msg, "outcome"));
    assert_int_equal(hotlist_alert_verify(st, id_exact, "state_mismatch", "", &op, "cli", &err),
                     PK_EINVAL);
    assert_non_null(strstr(err.msg, "note"));
    assert_int_equal(hotlist_alert_verify(st, id_exact, "confirmed", "", &aud, "cli", &err),
                     PK_EDENIED);
    assert_int_equal(hotlist_alert_verify(st, id_covert, "confirmed", "", &op, "cli", &err),
                     PK_ENOTFOUND);
    assert_int_equal(hotlist_alert_verify(st, id_exact, "state_mismatch",
                                          "CLETS: plate registered in CA, read NV", &op, "cli",
                                          &err),
                     PK_OK);
    assert_int_equal(hotlist_alert_verify(st, id_exact, "confirmed", "", &op, "cli", &err),
                     PK_ECONFLICT);
    assert_int_equal(hotlist_alert_verify(st, id_covert, "confirmed", "", &inv, "cli", &err),
                     PK_OK);
    assert_int_equal(audit_count(st, "alert.verify", "ok"), 2);
    /* the operator's try on the covert alert is logged as refused */
    assert_int_equal(audit_count(st, "alert.verify", "refused"), 1);
    req.user = &inv;
    assert_int_equal(access_grant_open(st, &req, NULL, &g, &err), PK_OK);
    hotlist_alert_query q;
    memset(&q, 0, sizeof q);
    q.status = "confirmed";
    assert_int_equal(hotlist_alerts_list(g, &q, &list, &err), PK_OK);
    assert_int_equal(json_array_size(list), 1);
    json_t *c = json_array_get(list, 0);
    assert_true(json_is_true(json_object_get(c, "actionable")));
    assert_string_equal(json_string_value(json_object_get(c, "verified_by")), "ivan");
    assert_true(json_is_string(json_object_get(c, "acknowledged_at")));
    json_decref(list);
    access_grant_free(g);

    hotlist_engine_free(eng);
    tu_store_free(st, dir);
}

/* Lists changed by another process: the background thread notices the generation counter and
 * swaps in a new matcher while the old one stays usable by whoever holds it. */
static void test_background_rebuild(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    access_user admin = add_user(st, "ada", ACCESS_ROLE_ADMIN);
    int64_t l = mklist(st, &admin, "stolen", 0);
    pk_err err;
    hotlist_engine *eng;
    assert_int_equal(hotlist_engine_new(store_path(st), &eng, &err), PK_OK);
    assert_int_equal(hotlist_engine_start(eng, &err), PK_OK);
    hotlist_matcher *old = hotlist_matcher_current(eng);
    uint64_t gen = hotlist_engine_generation(eng);
    store_hotlist_entry e;
    memset(&e, 0, sizeof e);
    e.hotlist_id = l;
    snprintf(e.plate, sizeof e.plate, "5NEW555");
    assert_int_equal(hotlist_entry_add(st, &e, &admin, &err), PK_OK); /* no changed() call */
    for (int i = 0; i < 100 && hotlist_engine_generation(eng) == gen; i++) usleep(50000);
    assert_true(hotlist_engine_generation(eng) > gen);
    hotlist_hit h[4];
    hotlist_matcher *m = hotlist_matcher_current(eng);
    assert_int_equal(hotlist_match(m, "5NEW555", "", pk_now_ms(), h, 4), 1);
    assert_int_equal(hotlist_match(old, "5NEW555", "", pk_now_ms(), h, 4), 0);
    hotlist_matcher_release(m);
    hotlist_matcher_release(old);
    /* an in-process change through changed() */
    gen = hotlist_engine_generation(eng);
    assert_int_equal(hotlist_entry_expire(st, e.id, 0, &admin, &err), PK_OK);
    hotlist_engine_changed(eng);
    for (int i = 0; i < 100 && hotlist_engine_generation(eng) == gen; i++) usleep(20000);
    m = hotlist_matcher_current(eng);
    assert_int_equal(hotlist_match(m, "5NEW555", "", pk_now_ms(), h, 4), 0);
    hotlist_matcher_release(m);
    hotlist_engine_free(eng);
    tu_store_free(st, dir);
}

/* A read matched by a matcher built before an import cleared its entry raises no alert. */
static void test_stale_matcher(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    access_user admin = add_user(st, "ada", ACCESS_ROLE_ADMIN);
    int64_t l = mklist(st, &admin, "svs", 0);
    char *a = write_file(dir, "a.csv", "LIC\n7OLD777\n");
    char *b = write_file(dir, "b.csv", "LIC\n8NEW888\n");
    hotlist_import_report r;
    pk_err err;
    assert_int_equal(hotlist_import_file(st, l, a, NULL, &admin, &r, &err), PK_OK);
    hotlist_import_report_fini(&r);
    hotlist_engine *eng;
    assert_int_equal(hotlist_engine_new(store_path(st), &eng, &err), PK_OK);
    assert_int_equal(hotlist_import_file(st, l, b, NULL, &admin, &r, &err), PK_OK);
    hotlist_import_report_fini(&r);
    int64_t cam;
    assert_int_equal(store_camera_ensure(st, "c", 0, 0, &cam, &err), PK_OK);
    store_read rs[1] = {mkread(9, "7OLD777", "CA", cam)};
    assert_int_equal(ingest(st, eng, rs, 1), 0); /* the old matcher hits; no alert is raised */
    hotlist_engine_free(eng);
    free(a);
    free(b);
    tu_store_free(st, dir);
}

/* Hit retention: alerts older than their list's hit_retention_days go, newer ones stay; the
 * first acknowledgement is kept. */
static void test_retention_and_ack(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    access_user admin = add_user(st, "ada", ACCESS_ROLE_ADMIN);
    access_user op = add_user(st, "otto", ACCESS_ROLE_OPERATOR);
    access_user op2 = add_user(st, "olga", ACCESS_ROLE_OPERATOR);
    store_hotlist h;
    memset(&h, 0, sizeof h);
    snprintf(h.name, sizeof h.name, "short");
    h.hit_retention_days = 2;
    pk_err err;
    assert_int_equal(hotlist_create(st, &h, &admin, &err), PK_OK);
    int64_t now = pk_now_ms();
    int64_t ids[2];
    for (int i = 0; i < 2; i++) {
        store_alert a;
        memset(&a, 0, sizeof a);
        a.read_id = 100 + i;
        a.entry_id = 1;
        a.hotlist_id = h.id;
        snprintf(a.match, sizeof a.match, "exact");
        a.read_json = a.entry_json = "{}";
        a.created_at = i == 0 ? now - 3 * PK_MS_PER_DAY : now - PK_MS_PER_DAY;
        assert_int_equal(store_alert_add(st, &a, &err), PK_OK);
        ids[i] = a.id;
    }
    assert_int_equal(hotlist_alert_ack(st, ids[1], &op, "cli", &err), PK_OK);
    assert_int_equal(hotlist_alert_ack(st, ids[1], &op2, "cli", &err), PK_OK);
    assert_int_equal(hotlist_alert_ack(st, 999, &op, "cli", &err), PK_ENOTFOUND);
    int64_t n = -1;
    assert_int_equal(hotlist_alerts_purge(st, now, &n, &err), PK_OK);
    assert_int_equal(n, 1);
    access_request req = {.user = &op,
                          .action = ACCESS_ALERTS_VIEW,
                          .purpose = "alert-verification",
                          .client = "cli"};
    access_grant *g;
    assert_int_equal(access_grant_open(st, &req, NULL, &g, &err), PK_OK);
    json_t *list;
    assert_int_equal(hotlist_alerts_list(g, NULL, &list, &err), PK_OK);
    assert_int_equal(json_array_size(list), 1);
    json_t *a = json_array_get(list, 0);
    assert_int_equal(json_integer_value(json_object_get(a, "id")), ids[1]);
    assert_string_equal(json_string_value(json_object_get(a, "acknowledged_by")), "otto");
    json_decref(list);
    access_grant_free(g);
    assert_int_equal(audit_count(st, "alert.purge", "ok"), 1);
    tu_store_free(st, dir);
}

int main(void) {
    setenv("PLATEKEEPER_TEST_FAST_PWHASH", "1", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_atomic),    cmocka_unit_test(test_import_batches),
        cmocka_unit_test(test_scheduled_import), cmocka_unit_test(test_entries_by_hand),
        cmocka_unit_test(test_alerts_flow),      cmocka_unit_test(test_background_rebuild),
        cmocka_unit_test(test_stale_matcher),    cmocka_unit_test(test_retention_and_ack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
