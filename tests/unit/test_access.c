/* access: roles, password rules and storage, login and lockout, training gate, the grant and
 * its role matrix (every refusal writes exactly one entry), account status, inactivity,
 * sessions, unit keys, purposes and settings. */
#include "testutil.h"
#include "tu_audit.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "audit/audit.h"
#include "core/pktime.h"

static const char PW[] = "correct-horse-7-battery";

typedef struct fake_clock {
    int64_t now;
} fake_clock;
static int64_t fake_now(void *ctx) {
    return ((fake_clock *)ctx)->now;
}


static access_user mkuser(const char *name, access_role role) {
    access_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.username, sizeof u.username, "%s", name);
    snprintf(u.full_name, sizeof u.full_name, "Full %s", name);
    snprintf(u.job_title, sizeof u.job_title, "Officer");
    snprintf(u.agency, sizeof u.agency, "Example PD");
    u.role = role;
    return u;
}

/* Adds a user with current training. */
static int64_t add_trained(store *st, const char *name, access_role role) {
    access_user u = mkuser(name, role);
    int64_t id;
    pk_err err;
    if (access_user_add(st, &u, PW, "root", &id, &err)) fail_msg("user_add: %s", err.msg);
    if (access_training_add(st, name, "ALPR basics", pk_now_ms() - PK_MS_PER_DAY, "root", &err))
        fail_msg("training_add: %s", err.msg);
    return id;
}

static void test_grant_without_user(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    add_trained(st, "alice", ACCESS_ROLE_INVESTIGATOR);
    access_user me;
    assert_int_equal(access_login(st, "alice", PW, "cli", &me, &err), PK_OK);
    access_grant *g;
    /* no user, a forged user (id of alice, another name), an unknown action: each one entry */
    access_request req = {.user = NULL, .action = ACCESS_READS_SEARCH, .purpose = "audit"};
    int64_t before = tu_log_count(st);
    assert_int_equal(access_grant_open(st, &req, NULL, &g, &err), PK_EAUTH);
    assert_int_equal(tu_log_count(st), before + 1);
    access_user forged = me;
    snprintf(forged.username, sizeof forged.username, "mallory");
    forged.role = ACCESS_ROLE_ADMIN;
    req.user = &forged;
    assert_int_equal(access_grant_open(st, &req, NULL, &g, &err), PK_EAUTH);
    assert_int_equal(tu_log_count(st), before + 2);
    /* a role raised in the caller's copy does not count: the stored role decides */
    me.role = ACCESS_ROLE_ADMIN;
    req.user = &me;
    req.action = ACCESS_RECORDS_SHARE;
    assert_int_equal(access_grant_open(st, &req, NULL, &g, &err), PK_EDENIED);
    assert_int_equal(tu_log_count(st), before + 3);
    req.action = (access_action)99;
    assert_int_equal(access_grant_open(st, &req, NULL, &g, &err), PK_EINVAL);
    assert_int_equal(tu_log_count(st), before + 4);
    tu_store_free(st, dir);
}

static void test_roles(void **state) {
    (void)state;
    for (int r = ACCESS_ROLE_ADMIN; r <= ACCESS_ROLE_CUSTODIAN; r++)
        assert_int_equal(access_role_parse(access_role_name((access_role)r)), r);
    assert_null(access_role_name(ACCESS_ROLE_NONE));
    assert_int_equal(access_role_parse("root"), ACCESS_ROLE_NONE);
    assert_int_equal(access_role_parse(NULL), ACCESS_ROLE_NONE);
}

static void test_password_rules(void **state) {
    (void)state;
    pk_err err;
    assert_int_equal(access_password_check("alice", "short-pw-1", &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "12"));
    assert_int_equal(access_password_check("alice.smith1", "alice.smith1", &err), PK_EINVAL);
    assert_int_equal(access_password_check("alice.smith1", "ALICE.SMITH1", &err), PK_EINVAL);
    assert_int_equal(access_password_check("bob", "Password1234", &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "common"));
    assert_int_equal(access_password_check("bob", "aaaaaaaaaaaaaaa", &err), PK_EINVAL);
    assert_int_equal(access_password_check("bob", "tab\there-is-long", &err), PK_EINVAL);
    assert_int_equal(access_password_check("bob", PW, &err), PK_OK);
    char gen[ACCESS_PASSWORD_GEN + 1], gen2[ACCESS_PASSWORD_GEN + 1];
    access_password_generate(gen);
    access_password_generate(gen2);
    assert_int_equal(strlen(gen), 20);
    assert_string_not_equal(gen, gen2);
    assert_int_equal(access_password_check("bob", gen, &err), PK_OK);
}

static int file_contains(const char *path, const char *needle) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    int found = memmem(buf, got, needle, strlen(needle)) != NULL;
    free(buf);
    return found;
}

static void test_user_add_and_secrets(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    access_user u = mkuser("alice", ACCESS_ROLE_INVESTIGATOR);
    int64_t id;
    assert_int_equal(access_user_add(st, &u, PW, "root", &id, &err), PK_OK);
    assert_true(id > 0);
    assert_int_equal(access_user_add(st, &u, PW, "root", &id, &err), PK_EEXIST);
    access_user bad = mkuser("Bad Name", ACCESS_ROLE_ADMIN);
    assert_int_equal(access_user_add(st, &bad, PW, "root", &id, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "username"));
    bad = mkuser("carol", ACCESS_ROLE_NONE);
    assert_int_equal(access_user_add(st, &bad, PW, "root", &id, &err), PK_EINVAL);
    bad = mkuser("carol", ACCESS_ROLE_ADMIN);
    bad.full_name[0] = '\0';
    assert_int_equal(access_user_add(st, &bad, PW, "root", &id, &err), PK_EINVAL);
    bad = mkuser("carol", ACCESS_ROLE_ADMIN);
    assert_int_equal(access_user_add(st, &bad, "tooshort", "root", &id, &err), PK_EINVAL);
    assert_int_equal(access_user_get(st, "carol", &u, &err), PK_ENOTFOUND);
    /* one entry: the successful add */
    assert_int_equal(tu_log_count(st), 1);
    tu_log_entry l = tu_log_newest(st);
    assert_string_equal(l.action, "user.add");
    assert_string_equal(l.username, "root");

    /* sessions and unit keys too: nothing secret in the database file or its WAL */
    access_user me;
    assert_int_equal(access_login(st, "alice", PW, "cli", &me, &err), PK_OK);
    char token[ACCESS_TOKEN_MAX], csrf[ACCESS_TOKEN_MAX], key[ACCESS_TOKEN_MAX];
    int64_t exp;
    assert_int_equal(access_session_start(st, &me, "cli", NULL, token, csrf, &exp, &err), PK_OK);
    assert_int_equal(access_unit_add(st, "car-12", "root", key, &err), PK_OK);
    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", store_path(st));
    const char *secrets[] = {PW, token, csrf, key};
    for (int i = 0; i < 4; i++) {
        assert_false(file_contains(store_path(st), secrets[i]));
        assert_false(file_contains(wal, secrets[i]));
    }
    assert_int_equal(store_checkpoint(st, &err), PK_OK);
    for (int i = 0; i < 4; i++) assert_false(file_contains(store_path(st), secrets[i]));
    assert_true(file_contains(store_path(st), "$argon2id$"));
    tu_store_free(st, dir);
}

static void test_login_and_lockout(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    add_trained(st, "alice", ACCESS_ROLE_INVESTIGATOR);
    pk_err err;
    access_user me;
    fake_clock fc = {pk_now_ms()};
    pk_clock clock = {fake_now, &fc};
    assert_int_equal(access_login_at(st, "alice", PW, "10.0.0.1", &clock, &me, &err), PK_OK);
    assert_string_equal(me.username, "alice");
    assert_int_equal(me.role, ACCESS_ROLE_INVESTIGATOR);
    assert_string_equal(tu_log_newest(st).action, "login");

    int64_t before = tu_log_count(st);
    assert_int_equal(access_login_at(st, "nobody", PW, "10.0.0.1", &clock, &me, &err), PK_EAUTH);
    tu_log_entry l = tu_log_newest(st);
    assert_string_equal(l.action, "login.failed");
    assert_string_equal(l.username, "nobody");
    assert_int_equal(tu_log_count(st), before + 1);

    /* four wrong, one right: the counter resets */
    for (int i = 0; i < 4; i++)
        assert_int_equal(access_login_at(st, "alice", "wrong-password-x", "h", &clock, &me, &err), PK_EAUTH);
    assert_int_equal(access_login_at(st, "alice", PW, "h", &clock, &me, &err), PK_OK);
    /* five wrong in a row: locked, even with the right password */
    for (int i = 0; i < 5; i++)
        assert_int_equal(access_login_at(st, "alice", "wrong-password-x", "h", &clock, &me, &err), PK_EAUTH);
    assert_non_null(strstr(err.msg, "locked"));
    assert_int_equal(access_login_at(st, "alice", PW, "h", &clock, &me, &err), PK_EDENIED);
    assert_non_null(strstr(err.msg, "locked"));
    l = tu_log_newest(st);
    assert_string_equal(l.action, "login.failed");
    assert_string_equal(l.detail, "account locked");
    fc.now += 9 * 60000;
    assert_int_equal(access_login_at(st, "alice", PW, "h", &clock, &me, &err), PK_EDENIED);
    fc.now += 61000;
    assert_int_equal(access_login_at(st, "alice", PW, "h", &clock, &me, &err), PK_OK);
    /* the lockout setting is honoured */
    assert_int_equal(access_setting_set(st, "access.lockout_failures", "2", "root", "cli", &err), PK_OK);
    for (int i = 0; i < 2; i++)
        assert_int_equal(access_login_at(st, "alice", "wrong-password-x", "h", &clock, &me, &err), PK_EAUTH);
    assert_int_equal(access_login_at(st, "alice", PW, "h", &clock, &me, &err), PK_EDENIED);
    tu_store_free(st, dir);
}

static void test_training_gate(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    access_user u = mkuser("newbie", ACCESS_ROLE_INVESTIGATOR);
    int64_t id;
    assert_int_equal(access_user_add(st, &u, PW, "root", &id, &err), PK_OK);
    access_user me;
    /* no training: may log in, gets no data */
    assert_int_equal(access_login(st, "newbie", PW, "cli", &me, &err), PK_OK);
    int current;
    int64_t due;
    assert_int_equal(access_training_status(st, &me, NULL, &current, &due, &err), PK_OK);
    assert_false(current);
    access_request req = {.user = &me, .action = ACCESS_READS_SEARCH, .purpose = "investigation",
                          .case_no = "24-001", .client = "cli"};
    access_grant *g;
    int64_t before = tu_log_count(st);
    assert_int_equal(access_grant_open(st, &req, "{\"plate\":\"X\"}", &g, &err), PK_ETRAINING);
    assert_null(g);
    assert_int_equal(tu_log_count(st), before + 1);
    tu_log_entry l = tu_log_newest(st);
    assert_string_equal(l.outcome, "refused");
    assert_non_null(strstr(l.detail, "training"));
    /* training from three years ago is overdue; the refresher setting decides */
    int64_t three_years = pk_now_ms() - 3 * 365 * PK_MS_PER_DAY;
    assert_int_equal(access_training_add(st, "newbie", "ALPR basics", three_years, "root", &err), PK_OK);
    assert_int_equal(access_grant_open(st, &req, NULL, &g, &err), PK_ETRAINING);
    assert_non_null(strstr(err.msg, "overdue"));
    assert_int_equal(access_setting_set(st, "access.training_refresher_days", "1200", "root", "cli", &err), PK_OK);
    assert_int_equal(access_grant_open(st, &req, NULL, &g, &err), PK_OK);
    access_grant_free(g);
    assert_int_equal(access_setting_set(st, "access.training_refresher_days", "730", "root", "cli", &err), PK_OK);
    assert_int_equal(access_training_add(st, "newbie", "ALPR refresher", pk_now_ms(), "root", &err), PK_OK);
    assert_int_equal(access_grant_open(st, &req, NULL, &g, &err), PK_OK);
    access_grant_free(g);
    /* bad training records */
    assert_int_equal(access_training_add(st, "newbie", "", pk_now_ms(), "root", &err), PK_EINVAL);
    assert_int_equal(access_training_add(st, "newbie", "x", pk_now_ms() + 5 * PK_MS_PER_DAY, "root", &err), PK_EINVAL);
    assert_int_equal(access_training_add(st, "ghost", "x", pk_now_ms(), "root", &err), PK_ENOTFOUND);
    tu_store_free(st, dir);
}

static const access_role ROLES[] = {ACCESS_ROLE_ADMIN, ACCESS_ROLE_INVESTIGATOR,
                                    ACCESS_ROLE_OPERATOR, ACCESS_ROLE_AUDITOR,
                                    ACCESS_ROLE_CUSTODIAN};
static const access_action ACTIONS[] = {ACCESS_READS_SEARCH, ACCESS_READS_VIEW,
                                        ACCESS_ALERTS_VIEW, ACCESS_RECORDS_EXPORT,
                                        ACCESS_RECORDS_SHARE};
/* The matrix of issue 3 / access.h, written out independently of the code. */
static const int ALLOWED[5][5] = {
    /*               search view alerts export share */
    /* admin     */ {1, 1, 1, 1, 1},
    /* investig. */ {1, 1, 1, 1, 0},
    /* operator  */ {0, 1, 1, 0, 0},
    /* auditor   */ {0, 0, 0, 0, 0},
    /* custodian */ {0, 0, 0, 1, 1},
};

static void test_role_matrix(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    for (int r = 0; r < 5; r++) {
        char name[32];
        snprintf(name, sizeof name, "user%d", r);
        add_trained(st, name, ROLES[r]);
        access_user me;
        assert_int_equal(access_login(st, name, PW, "cli", &me, &err), PK_OK);
        for (int a = 0; a < 5; a++) {
            assert_int_equal(access_role_allows(ROLES[r], ACTIONS[a]), ALLOWED[r][a]);
            access_request req = {.user = &me, .action = ACTIONS[a], .purpose = "investigation",
                                  .case_no = "24-17", .client = "10.1.1.1"};
            int64_t before = tu_log_count(st);
            access_grant *g = NULL;
            int rc = access_grant_open(st, &req, "{\"plate\":\"7ABC123\"}", &g, &err);
            if (ALLOWED[r][a]) {
                assert_int_equal(rc, PK_OK);
                assert_int_equal(tu_log_count(st), before); /* opening alone writes nothing */
                assert_string_equal(access_grant_purpose(g), "investigation");
                assert_string_equal(access_grant_case(g), "24-17");
                assert_ptr_equal(access_grant_store(g), st);
                assert_string_equal(access_grant_user(g)->username, name);
                assert_int_equal(access_grant_record(g, "{\"plate\":\"7ABC123\"}", 4, &err), PK_OK);
                assert_int_equal(access_grant_record(g, "{}", 4, &err), PK_ECONFLICT);
                assert_int_equal(tu_log_count(st), before + 1);
                tu_log_entry l = tu_log_newest(st);
                assert_string_equal(l.outcome, "ok");
                assert_int_equal(l.count, 4);
                assert_string_equal(l.action, access_action_name(ACTIONS[a]));
                assert_string_equal(l.case_no, "24-17");
                access_grant_free(g);
            } else {
                assert_int_equal(rc, PK_EDENIED);
                assert_null(g);
                assert_int_equal(tu_log_count(st), before + 1);
                tu_log_entry l = tu_log_newest(st);
                assert_string_equal(l.outcome, "refused");
                assert_string_equal(l.username, name);
                assert_string_equal(l.purpose, "investigation");
                assert_true(strlen(l.detail) > 0);
            }
        }
    }
    tu_store_free(st, dir);
}

static void test_purpose_and_case(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    add_trained(st, "alice", ACCESS_ROLE_INVESTIGATOR);
    access_user me;
    assert_int_equal(access_login(st, "alice", PW, "cli", &me, &err), PK_OK);
    struct {
        const char *purpose, *case_no;
        int want;
    } cases[] = {
        {NULL, "1", PK_EPURPOSE},         {"", "1", PK_EPURPOSE},
        {"curiosity", "1", PK_EPURPOSE},  {"investigation", NULL, PK_ECASE},
        {"investigation", "", PK_ECASE},  {"civil-admin", NULL, PK_ECASE},
        {"investigation", "bad\ncase", PK_ECASE},
        {"missing-person", NULL, PK_OK},  {"alert-verification", NULL, PK_OK},
        {"audit", NULL, PK_OK},           {"investigation", "24-000123", PK_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        access_request req = {.user = &me, .action = ACCESS_READS_SEARCH,
                              .purpose = cases[i].purpose, .case_no = cases[i].case_no};
        int64_t before = tu_log_count(st);
        access_grant *g = NULL;
        int rc = access_grant_open(st, &req, NULL, &g, &err);
        if (rc != cases[i].want) fail_msg("case %zu: got %d want %d (%s)", i, rc, cases[i].want, err.msg);
        assert_int_equal(tu_log_count(st), before + (rc ? 1 : 0));
        access_grant_free(g);
    }
    /* the refusal names the configured purposes */
    access_request req = {.user = &me, .action = ACCESS_READS_SEARCH, .purpose = "fun"};
    access_grant *g;
    assert_int_equal(access_grant_open(st, &req, NULL, &g, &err), PK_EPURPOSE);
    assert_non_null(strstr(err.msg, "missing-person"));
    /* purposes are settings */
    assert_int_equal(access_setting_set(st, "access.purposes", "[{\"code\":\"fun\",\"label\":\"Fun\",\"needs_case\":false}]", "root", "cli", &err), PK_OK);
    assert_int_equal(access_grant_open(st, &req, NULL, &g, &err), PK_OK);
    access_grant_free(g);
    req.purpose = "investigation";
    req.case_no = "1";
    assert_int_equal(access_grant_open(st, &req, NULL, &g, &err), PK_EPURPOSE);
    const char *bad[] = {"", "[]", "{}", "[{\"code\":\"A\",\"label\":\"x\",\"needs_case\":true}]",
                         "[{\"code\":\"a\",\"label\":\"\",\"needs_case\":true}]",
                         "[{\"code\":\"a\",\"label\":\"x\",\"needs_case\":1}]",
                         "[{\"code\":\"a\",\"label\":\"x\",\"needs_case\":true,\"x\":1}]",
                         "[{\"code\":\"a\",\"label\":\"x\",\"needs_case\":true},{\"code\":\"a\",\"label\":\"y\",\"needs_case\":true}]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(access_setting_set(st, "access.purposes", bad[i], "root", "cli", &err), PK_EINVAL);
    access_purpose *ps;
    size_t n;
    assert_int_equal(access_purposes_get(st, &ps, &n, &err), PK_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ps[0].code, "fun");
    free(ps);
    tu_store_free(st, dir);
}

static void test_status_and_inactivity(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    add_trained(st, "alice", ACCESS_ROLE_INVESTIGATOR);
    access_user me;
    assert_int_equal(access_login(st, "alice", PW, "cli", &me, &err), PK_OK);
    char token[ACCESS_TOKEN_MAX], csrf[ACCESS_TOKEN_MAX];
    int64_t exp;
    assert_int_equal(access_session_start(st, &me, "cli", NULL, token, csrf, &exp, &err), PK_OK);
    assert_int_equal(access_user_set_status(st, "alice", "suspended", "root", "cli", NULL, &err), PK_OK);
    /* a suspended account: no grant (even with a user struct from before), no login, no session */
    access_request req = {.user = &me, .action = ACCESS_READS_SEARCH, .purpose = "missing-person"};
    access_grant *g;
    int64_t before = tu_log_count(st);
    assert_int_equal(access_grant_open(st, &req, NULL, &g, &err), PK_EDENIED);
    assert_int_equal(tu_log_count(st), before + 1);
    assert_int_equal(access_login(st, "alice", PW, "cli", &me, &err), PK_EDENIED);
    access_user who;
    assert_int_equal(access_session_check(st, token, NULL, &who, &err), PK_EAUTH);
    assert_int_equal(access_user_set_status(st, "alice", "suspended", "root", "cli", NULL, &err), PK_ECONFLICT);
    assert_int_equal(access_user_set_status(st, "alice", "gone", "root", "cli", NULL, &err), PK_EINVAL);
    assert_int_equal(access_user_set_status(st, "alice", "active", "root", "cli", NULL, &err), PK_OK);
    assert_int_equal(access_login(st, "alice", PW, "cli", &me, &err), PK_OK);

    /* reactivation needs current training */
    access_user u = mkuser("bob", ACCESS_ROLE_OPERATOR);
    int64_t id;
    assert_int_equal(access_user_add(st, &u, PW, "root", &id, &err), PK_OK);
    assert_int_equal(access_user_set_status(st, "bob", "suspended", "root", "cli", NULL, &err), PK_OK);
    assert_int_equal(access_user_set_status(st, "bob", "active", "root", "cli", NULL, &err), PK_ETRAINING);
    assert_int_equal(access_training_add(st, "bob", "ALPR basics", pk_now_ms(), "root", &err), PK_OK);
    assert_int_equal(access_user_set_status(st, "bob", "active", "root", "cli", NULL, &err), PK_OK);

    /* separated is final */
    assert_int_equal(access_user_set_status(st, "bob", "separated", "root", "cli", NULL, &err), PK_OK);
    assert_int_equal(access_login(st, "bob", PW, "cli", &me, &err), PK_EDENIED);
    assert_non_null(strstr(err.msg, "separated"));
    assert_int_equal(access_user_set_status(st, "bob", "active", "root", "cli", NULL, &err), PK_ECONFLICT);
    assert_int_equal(access_password_reset(st, "bob", "another-good-passphrase", "root", "cli", &err), PK_ECONFLICT);

    /* inactivity: 91 days later, login suspends lazily; the sweep suspends the others */
    add_trained(st, "carol", ACCESS_ROLE_INVESTIGATOR);
    add_trained(st, "dave", ACCESS_ROLE_INVESTIGATOR);
    fake_clock fc = {pk_now_ms() + 91 * PK_MS_PER_DAY};
    pk_clock clock = {fake_now, &fc};
    assert_int_equal(access_login_at(st, "carol", PW, "cli", &clock, &me, &err), PK_EDENIED);
    assert_non_null(strstr(err.msg, "inactivity"));
    access_user_info info;
    assert_int_equal(access_user_info_get(st, "carol", NULL, &info, &err), PK_OK);
    assert_string_equal(info.user.status, "suspended");
    int64_t n = -1;
    assert_int_equal(access_sweep_inactive(st, NULL, &n, &err), PK_OK);
    assert_int_equal(n, 0);
    assert_int_equal(access_sweep_inactive(st, &clock, &n, &err), PK_OK);
    assert_int_equal(n, 2); /* alice and dave; bob is separated, carol already suspended */
    assert_int_equal(access_user_info_get(st, "dave", NULL, &info, &err), PK_OK);
    assert_string_equal(info.user.status, "suspended");
    assert_true(tu_log_count(st) > 0);
    tu_store_free(st, dir);
}

static void test_sessions(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    add_trained(st, "alice", ACCESS_ROLE_INVESTIGATOR);
    access_user me, who;
    assert_int_equal(access_login(st, "alice", PW, "cli", &me, &err), PK_OK);
    fake_clock fc = {pk_now_ms()};
    pk_clock clock = {fake_now, &fc};
    char token[ACCESS_TOKEN_MAX], csrf[ACCESS_TOKEN_MAX];
    int64_t exp;
    assert_int_equal(access_session_start(st, &me, "cli", &clock, token, csrf, &exp, &err), PK_OK);
    assert_int_equal(strlen(token), 64);
    assert_int_equal(exp, fc.now + 30 * 60000);
    assert_int_equal(access_session_check(st, token, &clock, &who, &err), PK_OK);
    assert_string_equal(who.username, "alice");
    assert_true(access_session_csrf_ok(st, token, csrf));
    assert_false(access_session_csrf_ok(st, token, token));
    assert_false(access_session_csrf_ok(st, token, NULL));
    assert_int_equal(access_session_check(st, "deadbeef", &clock, &who, &err), PK_EAUTH);
    assert_int_equal(access_session_check(st, "", &clock, &who, &err), PK_EAUTH);
    /* activity keeps it alive up to the absolute limit */
    for (int i = 0; i < 24; i++) {
        fc.now += 29 * 60000;
        assert_int_equal(access_session_check(st, token, &clock, &who, &err), PK_OK);
    }
    fc.now += 29 * 60000; /* 12 h 5 min after the start */
    assert_int_equal(access_session_check(st, token, &clock, &who, &err), PK_EAUTH);
    assert_non_null(strstr(err.msg, "expired"));
    /* idle timeout */
    assert_int_equal(access_session_start(st, &me, "cli", &clock, token, csrf, &exp, &err), PK_OK);
    fc.now += 31 * 60000;
    assert_int_equal(access_session_check(st, token, &clock, &who, &err), PK_EAUTH);
    assert_non_null(strstr(err.msg, "inactivity"));
    /* logout */
    fc.now = pk_now_ms();
    assert_int_equal(access_session_start(st, &me, "cli", &clock, token, csrf, &exp, &err), PK_OK);
    assert_int_equal(access_session_end(st, token, "cli", &err), PK_OK);
    assert_string_equal(tu_log_newest(st).action, "logout");
    assert_int_equal(access_session_check(st, token, &clock, &who, &err), PK_EAUTH);
    assert_int_equal(access_session_end(st, token, "cli", &err), PK_EAUTH);
    /* a password change ends the other sessions but keeps the caller's */
    char t1[ACCESS_TOKEN_MAX], t2[ACCESS_TOKEN_MAX];
    assert_int_equal(access_session_start(st, &me, "a", NULL, t1, csrf, &exp, &err), PK_OK);
    assert_int_equal(access_session_start(st, &me, "b", NULL, t2, csrf, &exp, &err), PK_OK);
    assert_int_equal(access_password_change(st, "alice", "wrong-old-password", "brand-new-passphrase", t1, "a", &err), PK_EAUTH);
    assert_int_equal(access_password_change(st, "alice", PW, "short", t1, "a", &err), PK_EINVAL);
    assert_int_equal(access_password_change(st, "alice", PW, "brand-new-passphrase", t1, "a", &err), PK_OK);
    assert_int_equal(access_session_check(st, t1, NULL, &who, &err), PK_OK);
    assert_int_equal(access_session_check(st, t2, NULL, &who, &err), PK_EAUTH);
    assert_int_equal(access_login(st, "alice", PW, "cli", &me, &err), PK_EAUTH);
    assert_int_equal(access_login(st, "alice", "brand-new-passphrase", "cli", &me, &err), PK_OK);
    assert_int_equal(access_password_reset(st, "alice", "reset-by-the-admin-1", "root", "cli", &err), PK_OK);
    assert_int_equal(access_session_check(st, t1, NULL, &who, &err), PK_EAUTH);
    assert_int_equal(access_login(st, "alice", "reset-by-the-admin-1", "cli", &me, &err), PK_OK);
    tu_store_free(st, dir);
}

static void test_unit_keys(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    char key[ACCESS_TOKEN_MAX], key2[ACCESS_TOKEN_MAX], name[ACCESS_NAME_MAX];
    assert_int_equal(access_unit_add(st, "car-12", "root", key, &err), PK_OK);
    assert_int_equal(access_unit_add(st, "car-12", "root", key2, &err), PK_EEXIST);
    assert_int_equal(access_unit_add(st, "bad name", "root", key2, &err), PK_EINVAL);
    assert_int_equal(access_unit_check(st, key, name, &err), PK_OK);
    assert_string_equal(name, "car-12");
    assert_int_equal(access_unit_check(st, "nope", name, &err), PK_EAUTH);
    assert_int_equal(access_unit_revoke(st, "car-12", "root", &err), PK_OK);
    assert_int_equal(access_unit_revoke(st, "car-12", "root", &err), PK_ECONFLICT);
    assert_int_equal(access_unit_revoke(st, "car-99", "root", &err), PK_ENOTFOUND);
    assert_int_equal(access_unit_check(st, key, name, &err), PK_EAUTH);
    /* a new key for the same unit; the old one stays dead */
    assert_int_equal(access_unit_add(st, "car-12", "root", key2, &err), PK_OK);
    assert_int_equal(access_unit_check(st, key2, name, &err), PK_OK);
    assert_int_equal(access_unit_check(st, key, name, &err), PK_EAUTH);
    assert_string_equal(tu_log_newest(st).action, "unit.add");
    tu_store_free(st, dir);
}

static void test_settings(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    assert_int_equal(access_setting_set(st, "access.inactivity_days", "0", "root", "cli", &err), PK_EINVAL);
    assert_int_equal(access_setting_set(st, "access.inactivity_days", "x", "root", "cli", &err), PK_EINVAL);
    assert_int_equal(access_setting_set(st, "access.inactivity_days", "60", "root", "cli", &err), PK_OK);
    assert_int_equal(access_setting_set(st, "retention_days", "60", "root", "cli", &err), PK_ENOTFOUND);
    assert_int_equal(access_setting_set(st, "audit.work_start", "25:00", "root", "cli", &err), PK_EINVAL);
    assert_int_equal(access_setting_set(st, "audit.work_start", "06:30", "root", "cli", &err), PK_OK);
    assert_int_equal(access_setting_set(st, "audit.work_days", "1-8", "root", "cli", &err), PK_EINVAL);
    assert_int_equal(access_setting_set(st, "audit.work_days", "1-3,6", "root", "cli", &err), PK_OK);
    assert_int_equal(access_setting_set(st, "audit.log_retention_days", "100", "root", "cli", &err), PK_EINVAL);
    tu_log_entry l = tu_log_newest(st);
    assert_string_equal(l.action, "setting.change");
    json_t *j = access_settings_json(st);
    assert_int_equal(json_integer_value(json_object_get(j, "access.inactivity_days")), 60);
    assert_int_equal(json_integer_value(json_object_get(j, "access.session_idle_minutes")), 30);
    assert_true(json_is_array(json_object_get(j, "access.purposes")));
    assert_string_equal(json_string_value(json_object_get(j, "audit.work_start")), "06:30");
    json_decref(j);
    tu_store_free(st, dir);
}

typedef struct list_ctx {
    int n;
    char names[8][64];
} list_ctx;
static int list_cb(void *ctx, const access_user_info *u) {
    list_ctx *l = ctx;
    snprintf(l->names[l->n++], 64, "%s", u->user.username);
    json_t *j = access_user_info_json(u);
    char *s = json_dumps(j, 0);
    assert_null(strstr(s, "argon2"));
    free(s);
    json_decref(j);
    return 0;
}

static void test_user_listing(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    pk_err err;
    add_trained(st, "zed", ACCESS_ROLE_AUDITOR);
    add_trained(st, "amy", ACCESS_ROLE_CUSTODIAN);
    list_ctx l = {0};
    assert_int_equal(access_user_each(st, NULL, list_cb, &l, &err), PK_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.names[0], "amy");
    access_user_info info;
    assert_int_equal(access_user_info_get(st, "zed", NULL, &info, &err), PK_OK);
    assert_true(info.training_current);
    assert_string_equal(info.approved_by, "root");
    assert_int_equal(access_user_info_get(st, "nobody", NULL, &info, &err), PK_ENOTFOUND);
    tu_store_free(st, dir);
}

int main(void) {
    setenv("PLATEKEEPER_TEST_FAST_PWHASH", "1", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_grant_without_user),
        cmocka_unit_test(test_password_rules),
        cmocka_unit_test(test_user_add_and_secrets),
        cmocka_unit_test(test_login_and_lockout),
        cmocka_unit_test(test_training_gate),
        cmocka_unit_test(test_role_matrix),
        cmocka_unit_test(test_purpose_and_case),
        cmocka_unit_test(test_status_and_inactivity),
        cmocka_unit_test(test_sessions),
        cmocka_unit_test(test_unit_keys),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_user_listing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
