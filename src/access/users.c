/* Roles, accounts, passwords, login, training, account status and the inactivity sweep. */
#include "access/access_int.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const ROLE_NAMES[] = {NULL, "admin", "investigator", "operator", "auditor",
                                         "custodian"};

const char *access_role_name(access_role r) {
    if (r <= ACCESS_ROLE_NONE || r > ACCESS_ROLE_CUSTODIAN) return NULL;
    return ROLE_NAMES[r];
}

access_role access_role_parse(const char *s) {
    if (!s) return ACCESS_ROLE_NONE;
    for (int r = ACCESS_ROLE_ADMIN; r <= ACCESS_ROLE_CUSTODIAN; r++)
        if (!strcmp(s, ROLE_NAMES[r])) return (access_role)r;
    return ACCESS_ROLE_NONE;
}

int access__sodium(pk_err *err) {
    if (sodium_init() < 0) return pk_err_set(err, PK_EIO, "libsodium failed to start");
    return PK_OK;
}

void access__sha256_hex(const char *s, char out[65]) {
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const unsigned char *)s, strlen(s));
    sodium_bin2hex(out, 65, d, sizeof d);
}

void access__random_hex(char *out, size_t nbytes) {
    unsigned char buf[64];
    PK_ASSERT(nbytes <= sizeof buf);
    randombytes_buf(buf, nbytes);
    sodium_bin2hex(out, nbytes * 2 + 1, buf, nbytes);
    sodium_memzero(buf, sizeof buf);
}

void access__user_from_row(const store_user *r, access_user *u) {
    memset(u, 0, sizeof *u);
    u->id = r->id;
    snprintf(u->username, sizeof u->username, "%s", r->username);
    snprintf(u->full_name, sizeof u->full_name, "%s", r->full_name);
    snprintf(u->job_title, sizeof u->job_title, "%s", r->job_title);
    snprintf(u->agency, sizeof u->agency, "%s", r->agency);
    u->role = access_role_parse(r->role);
    snprintf(u->status, sizeof u->status, "%s", r->status);
}

int access__log(store *st, int64_t ts, const char *username, const char *agency,
                const char *action, json_t *query, const char *purpose, const char *case_no,
                int64_t result_count, const char *client, const char *outcome,
                const char *detail, pk_err *err) {
    store_user row;
    if (!agency && username && *username &&
        store_user_get_by_name(st, username, &row, NULL) == PK_OK)
        agency = row.agency;
    char *q = query ? json_dumps(query, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(query);
    audit_entry e = {.ts = ts,
                     .username = username,
                     .agency = agency,
                     .action = action,
                     .query = q,
                     .purpose = purpose,
                     .case_no = case_no,
                     .result_count = result_count,
                     .client = client,
                     .outcome = outcome,
                     .detail = detail};
    int rc = audit_append(st, &e, NULL, err);
    free(q);
    return rc;
}

/* ---- passwords ---- */

/* Common passwords long enough to pass the length rule (compared without regard to case).
 * Shorter favourites fail the length rule already. */
static const char *const COMMON[] = {
    "123456789012", "1234567890123", "12345678901234", "123123123123", "111111111111",
    "000000000000", "121212121212", "123456123456", "987654321098", "abcdefghijkl",
    "abcdefghijklm", "abc123abc123", "abcd1234abcd", "password1234", "password12345",
    "password123!", "passwordpassword", "password1!password", "p@ssword1234", "p@ssw0rd1234",
    "passw0rd1234", "qwertyuiopas", "qwertyuiop12", "qwerty123456", "qwerty123456!",
    "qwertyqwerty", "1q2w3e4r5t6y", "1qaz2wsx3edc", "zaq12wsxcde3", "zaq1zaq1zaq1",
    "asdfghjkl123", "asdfasdfasdf", "iloveyou1234", "letmein12345", "welcome12345",
    "welcome123456", "changeme1234", "changeme123!", "administrator", "administrator1",
    "admin1234567", "adminadmin12", "trustno11234", "football1234", "baseball1234",
    "superman1234", "sunshine1234", "princess1234", "dragon123456", "monkey123456",
    "master123456", "shadow123456", "michael12345", "jennifer1234", "computer1234",
    "starwars1234", "whatever1234", "internet1234", "mustang12345", "liverpool123",
    "chocolate123", "butterfly123", "platekeeper1", "platekeeper123", "platekeeper2026",
    "police123456", "officer12345", "sheriff12345", "detective123", "law&order123",
    "summer202020", "winter202020", "spring2026!!", "correcthorsebatterystaple",
    "letmeinletmein", "iloveyouiloveyou", "1234567890qwerty", "qwerty1234567890",
};

int access_password_check(const char *username, const char *password, pk_err *err) {
    if (!password) return pk_err_set(err, PK_EINVAL, "password: missing");
    size_t n = strlen(password);
    if (n < 12) return pk_err_set(err, PK_EINVAL, "password: must be at least 12 characters");
    if (n > 256) return pk_err_set(err, PK_EINVAL, "password: must be at most 256 characters");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)password[i] < 0x20 || password[i] == 0x7f)
            return pk_err_set(err, PK_EINVAL, "password: control characters are not allowed");
    if (username && *username && strcasestr(password, username) &&
        strlen(username) * 2 >= n)
        return pk_err_set(err, PK_EINVAL, "password: must not be the username");
    int same = 1;
    for (size_t i = 1; i < n; i++) same &= password[i] == password[0];
    if (same) return pk_err_set(err, PK_EINVAL, "password: must not repeat one character");
    for (size_t i = 0; i < sizeof COMMON / sizeof COMMON[0]; i++)
        if (!strcasecmp(password, COMMON[i]))
            return pk_err_set(err, PK_EINVAL, "password: is on the list of common passwords");
    return PK_OK;
}

void access_password_generate(char buf[ACCESS_PASSWORD_GEN + 1]) {
    static const char alphabet[] = "ABCDEFGHJKMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    for (int i = 0; i < ACCESS_PASSWORD_GEN; i++)
        buf[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    buf[ACCESS_PASSWORD_GEN] = '\0';
}

static void pwhash_cost(unsigned long long *ops, size_t *mem) {
    const char *fast = getenv("PLATEKEEPER_TEST_FAST_PWHASH");
    if (fast && !strcmp(fast, "1")) {
        *ops = crypto_pwhash_argon2id_OPSLIMIT_MIN;
        *mem = crypto_pwhash_argon2id_MEMLIMIT_MIN;
    } else {
        *ops = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
        *mem = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
    }
}

int access__pw_hash(const char *password, char out[STORE_PWHASH_MAX], pk_err *err) {
    int rc = access__sodium(err);
    if (rc) return rc;
    unsigned long long ops;
    size_t mem;
    pwhash_cost(&ops, &mem);
    if (crypto_pwhash_argon2id_str(out, password, strlen(password), ops, mem) != 0)
        return pk_err_set(err, PK_EIO, "password hashing failed (out of memory?)");
    return PK_OK;
}

/* Hashes of random passwords nobody knows, at the production and the test cost: an unknown
 * username is checked against one so that it takes as long as a known one (no enumeration of
 * accounts by timing). */
static const char DUMMY_HASH[crypto_pwhash_argon2id_STRBYTES] =
    "$argon2id$v=19$m=65536,t=2,p=1$vz5zPWXSDAvOSYeFBZUr2g$07xcW8+nWF6iZxXfrrggkcnT13FMFep06MRZlIfmahY";
static const char DUMMY_HASH_FAST[crypto_pwhash_argon2id_STRBYTES] =
    "$argon2id$v=19$m=8,t=1,p=1$IjoJAnKZIvJnUUJ45lrk/g$G/yxY9TyfYYgTOMIp55JkXoSdWOan8qDzz0UgGxs8f4";

static void pw_waste(const char *password) {
    unsigned long long ops;
    size_t mem;
    pwhash_cost(&ops, &mem);
    const char *h = ops == crypto_pwhash_argon2id_OPSLIMIT_MIN ? DUMMY_HASH_FAST : DUMMY_HASH;
    (void)!crypto_pwhash_argon2id_str_verify(h, password, strlen(password));
}

static int pw_verify(const char *hash, const char *password) {
    return crypto_pwhash_argon2id_str_verify(hash, password, strlen(password)) == 0;
}

/* ---- accounts ---- */

static int check_name(const char *field, const char *s, size_t max, int required, pk_err *err) {
    if (!s || !*s) return required ? pk_err_set(err, PK_EINVAL, "%s: empty", field) : PK_OK;
    if (strlen(s) >= max) return pk_err_set(err, PK_EINVAL, "%s: longer than %zu", field, max - 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return pk_err_set(err, PK_EINVAL, "%s: control characters are not allowed", field);
    return PK_OK;
}

static int check_username(const char *s, pk_err *err) {
    if (!s || !*s) return pk_err_set(err, PK_EINVAL, "username: empty");
    if (strlen(s) >= ACCESS_NAME_MAX)
        return pk_err_set(err, PK_EINVAL, "username: longer than %d", ACCESS_NAME_MAX - 1);
    for (const char *p = s; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '.' ||
              *p == '_' || *p == '-'))
            return pk_err_set(err, PK_EINVAL,
                              "username: only lower-case letters, digits, '.', '_' and '-'");
    if (!islower((unsigned char)s[0]))
        return pk_err_set(err, PK_EINVAL, "username: must start with a letter");
    return PK_OK;
}

int access_user_add_from(store *st, const access_user *u, const char *password,
                         const char *approved_by, const char *client, int64_t *id, pk_err *err) {
    int rc;
    if ((rc = check_username(u->username, err))) return rc;
    if (!access_role_name(u->role)) return pk_err_set(err, PK_EINVAL, "role: unknown");
    if ((rc = check_name("full_name", u->full_name, sizeof u->full_name, 1, err)) ||
        (rc = check_name("job_title", u->job_title, sizeof u->job_title, 1, err)) ||
        (rc = check_name("agency", u->agency, sizeof u->agency, 1, err)) ||
        (rc = check_name("approved_by", approved_by, ACCESS_NAME_MAX, 1, err)))
        return rc;
    if ((rc = access_password_check(u->username, password, err))) return rc;
    store_user row;
    memset(&row, 0, sizeof row);
    snprintf(row.username, sizeof row.username, "%s", u->username);
    snprintf(row.full_name, sizeof row.full_name, "%s", u->full_name);
    snprintf(row.job_title, sizeof row.job_title, "%s", u->job_title);
    snprintf(row.agency, sizeof row.agency, "%s", u->agency);
    snprintf(row.role, sizeof row.role, "%s", access_role_name(u->role));
    snprintf(row.status, sizeof row.status, "active");
    snprintf(row.approved_by, sizeof row.approved_by, "%s", approved_by);
    row.created_at = pk_now_ms();
    if ((rc = access__pw_hash(password, row.pw_hash, err))) return rc;
    if ((rc = store_begin(st, err))) return rc;
    int64_t uid = 0;
    rc = store_user_add(st, &row, &uid, err);
    if (!rc)
        rc = access__log(st, row.created_at, approved_by, NULL, "user.add",
                         json_pack("{ssssssssssss}", "target", row.username, "full_name",
                                   row.full_name, "job_title", row.job_title, "agency",
                                   row.agency, "role", row.role, "approved_by", approved_by),
                         NULL, NULL, -1, client, "ok", NULL, err);
    sodium_memzero(row.pw_hash, sizeof row.pw_hash);
    if (rc) {
        store_rollback(st);
        return rc;
    }
    if ((rc = store_commit(st, err))) return rc;
    if (id) *id = uid;
    return PK_OK;
}

int access_user_add(store *st, const access_user *u, const char *password,
                    const char *approved_by, int64_t *id, pk_err *err) {
    return access_user_add_from(st, u, password, approved_by, NULL, id, err);
}

int access_user_get(store *st, const char *username, access_user *out, pk_err *err) {
    store_user row;
    int rc = store_user_get_by_name(st, username, &row, err);
    if (rc) return rc;
    access__user_from_row(&row, out);
    sodium_memzero(row.pw_hash, sizeof row.pw_hash);
    return PK_OK;
}

int access_user_get_id(store *st, int64_t id, access_user *out, pk_err *err) {
    store_user row;
    int rc = store_user_get(st, id, &row, err);
    if (rc) return rc;
    access__user_from_row(&row, out);
    sodium_memzero(row.pw_hash, sizeof row.pw_hash);
    return PK_OK;
}

/* ---- login ---- */

/* Applies the inactivity rule to one active account: suspends it and logs. */
static int suspend_idle(store *st, const store_user *u, int64_t now, int64_t days, pk_err *err) {
    int rc = store_user_set_status(st, u->id, "suspended", now, err);
    if (!rc) rc = store_session_end_user(st, u->id, 0, now, NULL, err);
    if (!rc) {
        char why[96];
        snprintf(why, sizeof why, "unused for more than %lld days", (long long)days);
        rc = access__log(st, now, "system", "", "user.status",
                         json_pack("{ssssss}", "target", u->username, "from", "active", "to",
                                   "suspended"),
                         NULL, NULL, -1, NULL, "ok", why, err);
    }
    return rc;
}

static int login_fail(store *st, const char *username, const char *client, int64_t now,
                      const char *detail, pk_err *err) {
    int rc = access__log(st, now, username, NULL, "login.failed", NULL, NULL, NULL, -1, client,
                         "failed", detail, err);
    return rc;
}

int access_login_at(store *st, const char *username, const char *password, const char *client,
                    const pk_clock *clock, access_user *out, pk_err *err) {
    int rc = access__sodium(err);
    if (rc) return rc;
    int64_t now = pk_clock_now(clock);
    if (!username || !*username || strlen(username) >= ACCESS_NAME_MAX || !password) {
        char name[ACCESS_NAME_MAX];
        snprintf(name, sizeof name, "%s", username ? username : "");
        if ((rc = login_fail(st, name, client, now, "malformed username", err))) return rc;
        return pk_err_set(err, PK_EAUTH, "wrong username or password");
    }
    store_user u;
    if (store_user_get_by_name(st, username, &u, NULL) != PK_OK) {
        pw_waste(password);
        if ((rc = login_fail(st, username, client, now, "unknown user", err))) return rc;
        return pk_err_set(err, PK_EAUTH, "wrong username or password");
    }
    if (u.locked_until > now) {
        char until[PK_TIME_STR_MAX];
        pk_time_format(u.locked_until, until);
        if ((rc = login_fail(st, username, client, now, "account locked", err))) return rc;
        return pk_err_set(err, PK_EDENIED,
                          "account locked after repeated failed logins; try again after %s",
                          until);
    }
    /* The slow argon2id check runs outside the write transaction; counters are re-read inside. */
    int good = pw_verify(u.pw_hash, password);
    int64_t limit = store_setting_int(st, ACCESS__LOCKOUT_FAILURES, 5);
    int64_t lock_ms = store_setting_int(st, ACCESS__LOCKOUT_MINUTES, 10) * 60000;
    int64_t idle_days = store_setting_int(st, ACCESS__INACTIVITY_DAYS, 90);
    if ((rc = store_begin(st, err))) return rc;
    if ((rc = store_user_get(st, u.id, &u, err))) goto fail;
    if (!good) {
        int64_t failed = u.failed_count + 1, locked = 0;
        const char *detail = "wrong password";
        if (failed >= limit) {
            locked = now + lock_ms;
            failed = 0;
            detail = "wrong password; account locked";
        }
        if ((rc = store_user_set_login(st, u.id, failed, locked, 0, err))) goto fail;
        if ((rc = login_fail(st, username, client, now, detail, err))) goto fail;
        if ((rc = store_commit(st, err))) return rc;
        if (locked)
            return pk_err_set(err, PK_EAUTH,
                              "wrong username or password; the account is now locked for %lld "
                              "minutes",
                              (long long)(lock_ms / 60000));
        return pk_err_set(err, PK_EAUTH, "wrong username or password");
    }
    const char *refusal = NULL;
    if (!strcmp(u.status, "separated")) {
        refusal = "account separated: it can never log in again";
    } else if (!strcmp(u.status, "suspended")) {
        refusal = "account suspended: an administrator must reactivate it";
    } else {
        int64_t last = u.last_login ? u.last_login : u.created_at;
        if (now - last > idle_days * PK_MS_PER_DAY) {
            if ((rc = suspend_idle(st, &u, now, idle_days, err))) goto fail;
            refusal = "account suspended for inactivity: an administrator must reactivate it";
        }
    }
    if (refusal) {
        if ((rc = login_fail(st, username, client, now, refusal, err))) goto fail;
        if ((rc = store_commit(st, err))) return rc;
        return pk_err_set(err, PK_EDENIED, "%s", refusal);
    }
    if ((rc = store_user_set_login(st, u.id, 0, 0, now, err))) goto fail;
    /* A hash made at a lower cost (older default, or the test setting) is upgraded. */
    unsigned long long ops;
    size_t mem;
    pwhash_cost(&ops, &mem);
    if (crypto_pwhash_str_needs_rehash(u.pw_hash, ops, mem) != 0) {
        char fresh[STORE_PWHASH_MAX];
        if (access__pw_hash(password, fresh, NULL) == PK_OK) rc = store_user_set_password(st, u.id, fresh, err);
        sodium_memzero(fresh, sizeof fresh);
        if (rc) goto fail;
    }
    if ((rc = access__log(st, now, username, u.agency, "login", NULL, NULL, NULL, -1, client, "ok",
                          NULL, err)))
        goto fail;
    if ((rc = store_commit(st, err))) return rc;
    access__user_from_row(&u, out);
    sodium_memzero(u.pw_hash, sizeof u.pw_hash);
    return PK_OK;
fail:
    store_rollback(st);
    return rc;
}

int access_login(store *st, const char *username, const char *password, const char *client,
                 access_user *out, pk_err *err) {
    return access_login_at(st, username, password, client, NULL, out, err);
}

typedef struct user_list {
    store_user *v;
    size_t n, cap;
} user_list;

static int collect_user(void *ctx, const store_user *u) {
    user_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = pk_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = *u;
    return 0;
}

int access_sweep_inactive(store *st, const pk_clock *clock, int64_t *n, pk_err *err) {
    int64_t now = pk_clock_now(clock);
    int64_t days = store_setting_int(st, ACCESS__INACTIVITY_DAYS, 90);
    if (n) *n = 0;
    /* Collect first: suspending while the idle statement walks would disturb it. */
    user_list l = {0};
    int rc = store_user_each_idle(st, now - days * PK_MS_PER_DAY, collect_user, &l, err);
    if (!rc && l.n) {
        if (!(rc = store_begin(st, err))) {
            for (size_t i = 0; i < l.n && !rc; i++) rc = suspend_idle(st, &l.v[i], now, days, err);
            if (rc)
                store_rollback(st);
            else
                rc = store_commit(st, err);
        }
    }
    if (!rc && n) *n = (int64_t)l.n;
    if (l.v) sodium_memzero(l.v, l.n * sizeof *l.v);
    free(l.v);
    return rc;
}
