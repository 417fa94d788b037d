/* audit: the hash chain, verification against every kind of tampering, concurrent appenders,
 * reports, samples and reviews. */
#include "testutil.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit/audit.h"
#include "core/pktime.h"

static void add(store *st, const char *user, const char *action, int64_t ts, int64_t count,
                const char *purpose, const char *case_no) {
    audit_entry e = {.ts = ts,
                     .username = user,
                     .agency = "PD",
                     .action = action,
                     .query = "{\"plate\":\"7ABC123\"}",
                     .purpose = purpose,
                     .case_no = case_no,
                     .result_count = count,
                     .client = "cli",
                     .outcome = "ok"};
    pk_err err;
    int rc = audit_append(st, &e, NULL, &err);
    if (rc) fail_msg("audit_append: %s", err.msg);
}

static store *log_of(int n, char **dir) {
    store *st = tu_store_new(dir);
    for (int i = 0; i < n; i++) add(st, "alice", "search", 1700000000000 + i * 1000, i, "investigation", "C1");
    return st;
}

/* Runs SQL directly on the database file, as someone with the file could. */
static void raw(store *st, const char *sql) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(store_path(st), &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

static audit_verify_result verify(store *st) {
    audit_verify_result res;
    pk_err err;
    assert_int_equal(audit_verify(st, &res, &err), PK_OK);
    return res;
}

static void test_chain_intact(void **state) {
    (void)state;
    char *dir;
    store *st = log_of(10, &dir);
    audit_verify_result r = verify(st);
    assert_true(r.intact);
    assert_int_equal(r.checked, 10);
    assert_int_equal(r.first_bad, 0);
    int64_t id;
    char hash[STORE_HASH_HEX];
    pk_err err;
    assert_int_equal(audit_head(st, &id, hash, &err), PK_OK);
    assert_int_equal(id, 10);
    assert_int_equal(strlen(hash), 64);
    assert_int_equal(audit_verify_head(st, 10, hash, &err), PK_OK);
    assert_int_equal(audit_verify_head(st, 9, hash, &err), PK_ECORRUPT);
    tu_store_free(st, dir);
}

static void test_empty_log(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    audit_verify_result r = verify(st);
    assert_true(r.intact);
    assert_int_equal(r.checked, 0);
    tu_store_free(st, dir);
}

static void test_product_cannot_update(void **state) {
    (void)state;
    char *dir;
    store *st = log_of(3, &dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(store_path(st), &db), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "UPDATE access_log SET result_count = 9", 0, 0, 0), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM access_log", 0, 0, 0), SQLITE_OK);
    sqlite3_close(db);
    assert_true(verify(st).intact);
    tu_store_free(st, dir);
}

#define DROP "DROP TRIGGER access_log_no_update; DROP TRIGGER access_log_no_delete; "

static void expect_bad(const char *sql, int64_t first_bad) {
    char *dir;
    store *st = log_of(8, &dir);
    raw(st, sql);
    audit_verify_result r = verify(st);
    if (r.intact || r.first_bad != first_bad)
        fail_msg("%s: intact=%d first_bad=%lld (%s), wanted %lld", sql, r.intact,
                 (long long)r.first_bad, r.reason, (long long)first_bad);
    assert_true(strlen(r.reason) > 0);
    tu_store_free(st, dir);
}

static void test_tamper_edit(void **state) {
    (void)state;
    expect_bad(DROP "UPDATE access_log SET result_count = 0 WHERE id = 5", 5);
    expect_bad(DROP "UPDATE access_log SET username = 'bob' WHERE id = 3", 3);
    expect_bad(DROP "UPDATE access_log SET query = NULL WHERE id = 1", 1);
    expect_bad(DROP "UPDATE access_log SET ts = ts + 1 WHERE id = 8", 8);
    /* an edit whose hash was recomputed still breaks the next link */
    expect_bad(DROP "UPDATE access_log SET hash = (SELECT hash FROM access_log WHERE id = 2)"
                    " WHERE id = 4", 4);
}

static void test_tamper_delete(void **state) {
    (void)state;
    expect_bad(DROP "DELETE FROM access_log WHERE id = 4", 5);
    expect_bad(DROP "DELETE FROM access_log WHERE id = 1", 2);
    /* the newest entries: caught by the sequence witness */
    expect_bad(DROP "DELETE FROM access_log WHERE id >= 7", 7);
}

static void test_tamper_insert(void **state) {
    (void)state;
    /* a forged entry after the last, with a made-up hash */
    expect_bad("INSERT INTO access_log(id, ts, username, action, outcome, result_count,"
               " prev_hash, hash) SELECT 9, ts, 'mallory', 'search', 'ok', 0, hash,"
               " 'ffff' FROM access_log WHERE id = 8", 9);
    /* one slipped in between (ids moved up to make room) */
    expect_bad(DROP "UPDATE access_log SET id = id + 100 WHERE id > 4;"
                    "UPDATE access_log SET id = id - 99 WHERE id > 100;"
                    "INSERT INTO access_log(id, ts, username, action, outcome, result_count,"
                    " prev_hash, hash) SELECT 5, ts, 'mallory', 'search', 'ok', 0, hash, hash"
                    " FROM access_log WHERE id = 4", 5);
    /* one before the first */
    expect_bad("INSERT INTO access_log(id, ts, username, action, outcome, result_count,"
               " prev_hash, hash) VALUES (0, 1, 'mallory', 'search', 'ok', 0, '00', '00')", 0);
}

static void test_tamper_reorder(void **state) {
    (void)state;
    expect_bad(DROP "UPDATE access_log SET id = -3 WHERE id = 3;"
                    "UPDATE access_log SET id = 3 WHERE id = 6;"
                    "UPDATE access_log SET id = 6 WHERE id = -3", 3);
    expect_bad(DROP "UPDATE access_log SET id = -7 WHERE id = 7;"
                    "UPDATE access_log SET id = 7 WHERE id = 8;"
                    "UPDATE access_log SET id = 8 WHERE id = -7", 7);
}

/* Several processes and threads append at once: one chain, nothing lost. */
typedef struct worker {
    const char *path;
    int n;
} worker;

static void *thread_main(void *arg) {
    worker *w = arg;
    store *st;
    pk_err err;
    if (store_open(w->path, 0, &st, &err)) return (void *)1;
    for (int i = 0; i < w->n; i++) {
        audit_entry e = {.username = "t", .action = "search", .result_count = i,
                         .outcome = "ok", .client = "thread"};
        if (audit_append(st, &e, NULL, &err)) {
            store_close(st);
            return (void *)1;
        }
    }
    store_close(st);
    return NULL;
}

static void test_concurrent_appends(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    char path[4200];
    snprintf(path, sizeof path, "%s", store_path(st));
    enum { PROCS = 3, THREADS = 3, EACH = 40 };
    pid_t pids[PROCS];
    for (int p = 0; p < PROCS; p++) {
        pids[p] = fork();
        if (pids[p] == 0) {
            worker w = {path, EACH};
            _exit(thread_main(&w) ? 1 : 0);
        }
    }
    pthread_t th[THREADS];
    worker w = {path, EACH};
    for (int t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, thread_main, &w);
    for (int t = 0; t < THREADS; t++) {
        void *ret;
        pthread_join(th[t], &ret);
        assert_null(ret);
    }
    for (int p = 0; p < PROCS; p++) {
        int status;
        waitpid(pids[p], &status, 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    audit_verify_result r = verify(st);
    assert_true(r.intact);
    assert_int_equal(r.checked, (PROCS + THREADS) * EACH);
    tu_store_free(st, dir);
}

static int count_cb(void *ctx, const audit_record *r) {
    (void)r;
    (*(int *)ctx)++;
    return 0;
}

static void test_log_filter(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    add(st, "alice", "search", 1000, 1, "investigation", "C1");
    add(st, "bob", "login", 2000, -1, NULL, NULL);
    add(st, "alice", "user.add", 3000, -1, NULL, NULL);
    add(st, "alice", "user.status", 4000, -1, NULL, NULL);
    audit_filter f;
    audit_filter_init(&f);
    int n = 0;
    pk_err err;
    f.username = "alice";
    assert_int_equal(audit_log_each(st, &f, count_cb, &n, &err), PK_OK);
    assert_int_equal(n, 3);
    audit_filter_init(&f);
    f.action = "user.*";
    n = 0;
    assert_int_equal(audit_log_each(st, &f, count_cb, &n, &err), PK_OK);
    assert_int_equal(n, 2);
    audit_filter_init(&f);
    f.from = 2000;
    f.to = 3000;
    n = 0;
    assert_int_equal(audit_log_each(st, &f, count_cb, &n, &err), PK_OK);
    assert_int_equal(n, 2);
    audit_filter_init(&f);
    f.limit = 1;
    f.newest_first = 1;
    n = 0;
    assert_int_equal(audit_log_each(st, &f, count_cb, &n, &err), PK_OK);
    assert_int_equal(n, 1);
    tu_store_free(st, dir);
}

static int64_t at(int y, int m, int d, int hh, int mm) {
    return pk_days_from_civil(y, (unsigned)m, (unsigned)d) * PK_MS_PER_DAY +
           (int64_t)(hh * 60 + mm) * 60000;
}

static json_int_t user_field(json_t *rep, const char *user, const char *field) {
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(rep, "users"), i, u) {
        if (!strcmp(json_string_value(json_object_get(u, "username")), user))
            return json_integer_value(json_object_get(u, field));
    }
    fail_msg("no user %s in the report", user);
    return -1;
}

static void test_report(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    assert_int_equal(store_setting_set(st, "audit.utc_offset_minutes", "0", &err), PK_OK);
    /* Wednesday 2026-12-02 10:00 UTC: working hours; 23:00: outside; Saturday: outside */
    add(st, "alice", "search", at(2026, 12, 2, 10, 0), 3, "investigation", "C1");
    add(st, "alice", "search", at(2026, 12, 2, 23, 0), 0, "missing-person", NULL);
    add(st, "alice", "search", at(2026, 12, 5, 11, 0), 2, "investigation", "C2");
    add(st, "bob", "login.failed", at(2026, 12, 2, 10, 0), -1, NULL, NULL);
    audit_entry refused = {.ts = at(2026, 12, 2, 10, 5), .username = "carol", .action = "search",
                           .result_count = -1, .outcome = "refused", .detail = "role"};
    assert_int_equal(audit_append(st, &refused, NULL, &err), PK_OK);
    add(st, "admin", "user.add", at(2026, 12, 2, 9, 0), -1, NULL, NULL);
    add(st, "alice", "search", at(2026, 11, 1, 10, 0), 5, "investigation", "C0"); /* outside range */
    json_t *rep;
    assert_int_equal(audit_report(st, at(2026, 12, 1, 0, 0), at(2026, 12, 31, 0, 0), 0, &rep, &err), PK_OK);
    assert_int_equal(user_field(rep, "alice", "searches"), 3);
    assert_int_equal(user_field(rep, "alice", "searches_without_case"), 1);
    assert_int_equal(user_field(rep, "alice", "searches_no_results"), 1);
    assert_int_equal(user_field(rep, "alice", "outside_hours"), 2);
    assert_int_equal(user_field(rep, "bob", "failed_logins"), 1);
    assert_int_equal(user_field(rep, "carol", "refused"), 1);
    json_t *bp = json_object_get(json_object_get(json_array_get(json_object_get(rep, "users"), 0), "by_purpose"), "investigation");
    (void)bp;
    assert_int_equal(json_array_size(json_object_get(rep, "account_changes")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(rep, "totals"), "searches")), 3);
    json_decref(rep);
    assert_int_equal(audit_report(st, 10, 5, 0, &rep, &err), PK_EINVAL);
    tu_store_free(st, dir);
}

static void test_sample_and_review(void **state) {
    (void)state;
    char *dir;
    store *st = log_of(50, &dir);
    add(st, "bob", "login", 1700000000000, -1, NULL, NULL);
    json_t *s;
    pk_err err;
    assert_int_equal(audit_sample(st, INT64_MIN, INT64_MAX, 5, 42, &s, &err), PK_OK);
    assert_int_equal(json_array_size(s), 5);
    size_t i;
    json_t *e;
    json_array_foreach(s, i, e) assert_string_equal(json_string_value(json_object_get(e, "action")), "search");
    int64_t first = json_integer_value(json_object_get(json_array_get(s, 0), "id"));
    json_decref(s);
    /* same seed, same sample; more than there are: all of them */
    assert_int_equal(audit_sample(st, INT64_MIN, INT64_MAX, 5, 42, &s, &err), PK_OK);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(s, 0), "id")), first);
    json_decref(s);
    assert_int_equal(audit_sample(st, INT64_MIN, INT64_MAX, 500, 0, &s, &err), PK_OK);
    assert_int_equal(json_array_size(s), 50);
    json_decref(s);
    assert_int_equal(audit_sample(st, INT64_MIN, INT64_MAX, 0, 0, &s, &err), PK_EINVAL);

    int64_t rid;
    assert_int_equal(audit_review_add(st, first, "aud", "proper purpose and case", "chief", "cli", 0, &rid, &err), PK_OK);
    assert_int_equal(audit_review_add(st, first, "aud", "x", "aud", "cli", 0, &rid, &err), PK_EINVAL);
    assert_int_equal(audit_review_add(st, 9999, "aud", "x", "chief", "cli", 0, &rid, &err), PK_ENOTFOUND);
    assert_int_equal(audit_review_add(st, first, "aud", "", "chief", "cli", 0, &rid, &err), PK_EINVAL);
    json_t *rep;
    assert_int_equal(audit_report(st, 0, INT64_MAX, 0, &rep, &err), PK_OK);
    assert_int_equal(json_array_size(json_object_get(rep, "reviews")), 1);
    json_decref(rep);
    assert_true(verify(st).intact);
    assert_int_equal(verify(st).checked, 52);
    tu_store_free(st, dir);
}

static void test_bad_entries(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    audit_entry e = {.outcome = "ok"};
    assert_int_equal(audit_append(st, &e, NULL, &err), PK_EINVAL);
    e.action = "x";
    e.outcome = NULL;
    assert_int_equal(audit_append(st, &e, NULL, &err), PK_EINVAL);
    assert_int_equal(verify(st).checked, 0);
    tu_store_free(st, dir);
}

static void test_purge(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    int64_t now = pk_now_ms(), old = now - 6 * 365 * PK_MS_PER_DAY;
    for (int i = 0; i < 5; i++) add(st, "alice", "search", old + i, 1, "investigation", "C1");
    for (int i = 0; i < 3; i++) add(st, "alice", "search", now - 1000 + i, 1, "investigation", "C1");
    int64_t rid;
    assert_int_equal(audit_review_add(st, 2, "aud", "ok", "chief", "cli", old + 10, &rid, &err), PK_OK);
    /* entry 9, the review's own entry, is dated old + 10 but stays: purges cut a prefix */
    int64_t n = -1;
    assert_int_equal(audit_purge(st, now, "system", &n, &err), PK_OK);
    assert_int_equal(n, 5);
    audit_verify_result r = verify(st);
    if (!r.intact) fail_msg("%s", r.reason);
    assert_int_equal(r.checked, 5); /* 6, 7, 8, the review entry 9, the purge entry 10 */
    /* nothing more to purge: no new entry */
    assert_int_equal(audit_purge(st, now, "system", &n, &err), PK_OK);
    assert_int_equal(n, 0);
    assert_int_equal(verify(st).checked, 5);
    /* the retention setting is honoured, and never below a year */
    assert_int_equal(store_setting_set(st, "audit.log_retention_days", "10", &err), PK_OK);
    assert_int_equal(audit_purge(st, now, "system", &n, &err), PK_OK);
    assert_int_equal(n, 0);
    /* kept entries still cannot be deleted by the product */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(store_path(st), &db), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM access_log WHERE id = 6", 0, 0, 0), SQLITE_OK);
    sqlite3_close(db);
    /* the reviews table kept the review of a purged entry */
    json_t *rep;
    assert_int_equal(audit_report(st, INT64_MIN, INT64_MAX, 0, &rep, &err), PK_OK);
    assert_int_equal(json_array_size(json_object_get(rep, "reviews")), 1);
    json_decref(rep);
    /* deleting the first kept entry is still caught */
    raw(st, DROP "DELETE FROM access_log WHERE id = 6");
    r = verify(st);
    assert_false(r.intact);
    assert_int_equal(r.first_bad, 7);
    tu_store_free(st, dir);
}

static void test_forged_base(void **state) {
    (void)state;
    /* deleting the oldest entries and writing a base by hand, without a purge in the chain */
    expect_bad(DROP "INSERT INTO access_log_base VALUES (1, 4, (SELECT hash FROM access_log"
                    " WHERE id = 3), 0, 'mallory'); DELETE FROM access_log WHERE id < 4", 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_intact),
        cmocka_unit_test(test_empty_log),
        cmocka_unit_test(test_product_cannot_update),
        cmocka_unit_test(test_tamper_edit),
        cmocka_unit_test(test_tamper_delete),
        cmocka_unit_test(test_tamper_insert),
        cmocka_unit_test(test_tamper_reorder),
        cmocka_unit_test(test_concurrent_appends),
        cmocka_unit_test(test_log_filter),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_sample_and_review),
        cmocka_unit_test(test_bad_entries),
        cmocka_unit_test(test_purge),
        cmocka_unit_test(test_forged_base),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
