/*
 * access.h: users, roles, training, passwords, sessions, unit keys, purposes, and THE gate.
 *
 * Rule 1 of DESIGN.md §4 holds by construction: read data is fetched only with an access_grant,
 * and only this module creates grants. access_grant_open checks the user's role for the action,
 * that the account is active, that training is current, and that the purpose is one of the
 * configured purposes (with a case number where that purpose needs one). A refusal writes a
 * "refused" access-log entry and returns the reason. A granted caller (search, records, hotlist)
 * does its query, then calls access_grant_record with every query element and the result count,
 * which writes the access-log entry; only after that succeeds may data be returned. A grant
 * records exactly one entry.
 *
 * Accounts (DESIGN.md §1, issue 3 items 2-4): passwords are argon2id strings (libsodium), never
 * stored or logged in clear; 5 failed logins in a row lock the account for 10 minutes; an account
 * unused for 90 days is suspended (lazily at login and by access_sweep_inactive); a separated
 * account can never log in again; reactivation needs current training. A user without current
 * training may log in (to learn they must train) but every grant is refused with PK_ETRAINING.
 * Limits are settings (access_settings_json lists them with their values).
 *
 * Errors from login and session checks: PK_EAUTH for a wrong username, password, unknown or
 * expired token (answer 401); PK_EDENIED for a locked, suspended or separated account (403).
 *
 * Test-only: the environment variable PLATEKEEPER_TEST_FAST_PWHASH=1 makes new password hashes
 * use libsodium's minimum argon2id cost so that test suites stay fast. Never set it in
 * production; the default cost is OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE (64 MiB), and a
 * login with a weaker stored hash re-hashes the password at the current cost.
 */
#ifndef PK_ACCESS_ACCESS_H
#define PK_ACCESS_ACCESS_H

#include <stdint.h>

#include "core/err.h"
#include "core/pktime.h"
#include "store/store.h"

#define ACCESS_NAME_MAX 64

typedef enum access_role {
    ACCESS_ROLE_NONE = 0,
    ACCESS_ROLE_ADMIN,
    ACCESS_ROLE_INVESTIGATOR,
    ACCESS_ROLE_OPERATOR,
    ACCESS_ROLE_AUDITOR,
    ACCESS_ROLE_CUSTODIAN,
} access_role;

/* "admin", "investigator", "operator", "auditor", "custodian"; NULL for ACCESS_ROLE_NONE. */
const char *access_role_name(access_role r);
/* Parses a role name; ACCESS_ROLE_NONE when unknown. */
access_role access_role_parse(const char *s);

/* A user as the gate sees it. */
typedef struct access_user {
    int64_t id;
    char username[ACCESS_NAME_MAX];
    char full_name[128];
    char job_title[128];
    char agency[128];
    access_role role;
    char status[16]; /* "active", "suspended", "separated" */
} access_user;

/* Creates a user with an argon2id hash of password (never stored in clear). The password must
 * satisfy the password rules. approved_by names the administrator (or "init"). OUT: *id. */
int access_user_add(store *st, const access_user *u, const char *password,
                    const char *approved_by, int64_t *id, pk_err *err);

/* Checks username and password (argon2id), lockout and account status; logs the login or the
 * failure (client: "cli" or an address). OUT: *out, the user. */
int access_login(store *st, const char *username, const char *password, const char *client,
                 access_user *out, pk_err *err);

/* Records a training course completion (YYYY-MM-DD as epoch ms at midnight UTC). */
int access_training_add(store *st, const char *username, const char *course, int64_t completed,
                        const char *recorded_by, pk_err *err);

/* Sessions (API clients by bearer token, browsers by cookie plus CSRF token). Tokens are random
 * (libsodium), returned once to the caller and stored only as hashes. Idle timeout and absolute
 * lifetime are settings (defaults 30 minutes, 12 hours).
 * OUT: token and csrf (NUL-terminated, ACCESS_TOKEN_MAX bytes each), *expires (UTC ms). */
#define ACCESS_TOKEN_MAX 65
int access_session_start(store *st, const access_user *u, const char *client,
                         const pk_clock *clock, char *token, char *csrf, int64_t *expires,
                         pk_err *err);
/* Resolves a token to its user, refreshing the idle timer; PK_EAUTH when unknown, ended, idle
 * too long, past its absolute lifetime, or its account is no longer active (the session is then
 * ended). Check the CSRF token separately with access_session_csrf_ok. OUT: *out, the user. */
int access_session_check(store *st, const char *token, const pk_clock *clock, access_user *out,
                         pk_err *err);
/* True when csrf is the CSRF token of the session named by token. */
int access_session_csrf_ok(store *st, const char *token, const char *csrf);
/* Ends the session (logout); logged. */
int access_session_end(store *st, const char *token, const char *client, pk_err *err);

/* Unit keys for cameras and patrol cars: ingest only. access_unit_add returns the key once
 * (OUT: key, ACCESS_TOKEN_MAX bytes); only its hash is stored. access_unit_check resolves a key
 * to the unit's name (OUT: name, ACCESS_NAME_MAX bytes), PK_EAUTH when unknown or revoked. */
int access_unit_add(store *st, const char *name, const char *added_by, char *key, pk_err *err);
int access_unit_revoke(store *st, const char *name, const char *by, pk_err *err);
int access_unit_check(store *st, const char *key, char *name, pk_err *err);

/* What a grant is for: one data access. */
typedef enum access_action {
    ACCESS_READS_SEARCH = 1, /* search reads (investigator, admin) */
    ACCESS_READS_VIEW,       /* one read or its image (investigator, admin, operator) */
    ACCESS_ALERTS_VIEW,      /* alerts and hits (operator, investigator, admin) */
    ACCESS_RECORDS_EXPORT,   /* holds and exports (investigator, custodian, admin) */
    ACCESS_RECORDS_SHARE,    /* fulfil a sharing request (custodian, admin) */
} access_action;

typedef struct access_grant access_grant;

/* The context of a data access: who, why, from where. Strings are borrowed for the call. */
typedef struct access_request {
    const access_user *user;
    access_action action;
    const char *purpose;  /* purpose code, e.g. "investigation" */
    const char *case_no;  /* case or incident number, or NULL */
    const char *client;   /* "cli" or an IP address */
    const pk_clock *clock; /* NULL for the wall clock */
} access_request;

/* THE gate. Checks role, status, training and purpose. On refusal writes a "refused" entry and
 * returns PK_EDENIED, PK_ETRAINING, PK_EPURPOSE or PK_ECASE with the reason in err.
 * OUT: *out, a grant bound to st; free it with access_grant_free. query_json describes the query
 * for the refusal entry (may be NULL). */
int access_grant_open(store *st, const access_request *req, const char *query_json,
                      access_grant **out, pk_err *err);

/* Writes the access-log entry for the granted access: every query element (JSON object text),
 * how many records are about to be returned. Must succeed before any data is returned; a grant
 * records once (a second call is PK_ECONFLICT). */
int access_grant_record(access_grant *g, const char *query_json, int64_t result_count,
                        pk_err *err);

/* Refuses the granted access after all, for a reason only the granted module can judge (an
 * operator asking for a read outside their own alerts): writes a "refused" entry with the query
 * and reason instead of access_grant_record, and returns PK_EDENIED with reason in err (or the
 * log's failure). The grant cannot be recorded afterwards. */
int access_grant_refuse(access_grant *g, const char *query_json, const char *reason,
                        pk_err *err);

/* The store the grant was opened on (for the granted module's queries). */
store *access_grant_store(const access_grant *g);
/* The user, purpose and case the grant carries. */
const access_user *access_grant_user(const access_grant *g);
const char *access_grant_purpose(const access_grant *g);
const char *access_grant_case(const access_grant *g);

/* Frees the grant (NULL is fine). */
void access_grant_free(access_grant *g);

/* ---- added by the access work (issue 3) ---- */

/* The action name a grant logs under: "search", "read.view", "alerts.view", "records.export",
 * "records.share"; NULL when unknown. */
const char *access_action_name(access_action a);
/* Whether role r may be granted action a (the role matrix; auditors never get read data). */
int access_role_allows(access_role r, access_action a);

/* access_login with a clock (NULL: wall clock), for lockout and inactivity tests. */
int access_login_at(store *st, const char *username, const char *password, const char *client,
                    const pk_clock *clock, access_user *out, pk_err *err);

/* Password rules: at least 12 characters (at most 256), not the username (in any case), not on
 * the embedded list of common passwords. PK_EINVAL with the reason ("password: ..."). */
int access_password_check(const char *username, const char *password, pk_err *err);
/* Writes a random password of ACCESS_PASSWORD_GEN characters (letters and digits, no 0/O/1/l/I)
 * and a NUL into buf. */
#define ACCESS_PASSWORD_GEN 20
void access_password_generate(char buf[ACCESS_PASSWORD_GEN + 1]);
/* The user changes their own password: old must verify, new must follow the rules. Ends the
 * user's other sessions (keep_token, the caller's own, stays; may be NULL). Logged. */
int access_password_change(store *st, const char *username, const char *old_password,
                           const char *new_password, const char *keep_token, const char *client,
                           pk_err *err);
/* An administrator sets a new password (rules apply); ends all the user's sessions, clears a
 * lockout. Logged as "user.password_reset" by `by`. */
int access_password_reset(store *st, const char *username, const char *new_password,
                          const char *by, const char *client, pk_err *err);

/* access_user_add and access_training_add with the client address for the log entry. */
int access_user_add_from(store *st, const access_user *u, const char *password,
                         const char *approved_by, const char *client, int64_t *id, pk_err *err);
int access_training_add_from(store *st, const char *username, const char *course,
                             int64_t completed, const char *recorded_by, const char *client,
                             pk_err *err);

/* Looks a user up (PK_ENOTFOUND when absent). OUT: *out. */
int access_user_get(store *st, const char *username, access_user *out, pk_err *err);
int access_user_get_id(store *st, int64_t id, access_user *out, pk_err *err);

/* What an administrator sees of an account. */
typedef struct access_user_info {
    access_user user;
    char approved_by[ACCESS_NAME_MAX];
    int64_t created_at;         /* UTC ms */
    int64_t last_login;         /* UTC ms, 0 when never */
    int64_t locked_until;       /* UTC ms, 0 when not locked */
    int training_current;       /* 1 when a course was completed within the refresher period */
    int64_t training_completed; /* latest completion, UTC ms, 0 when none */
    int64_t training_due;       /* when a refresher is due, 0 when never trained */
} access_user_info;
/* Every account in username order. */
int access_user_each(store *st, const pk_clock *clock,
                     int (*fn)(void *ctx, const access_user_info *u), void *ctx, pk_err *err);
/* One account's info. */
int access_user_info_get(store *st, const char *username, const pk_clock *clock,
                         access_user_info *out, pk_err *err);
/* The user's info as a JSON object (id, username, full_name, job_title, agency, role, status,
 * approved_by, created_at, last_login, locked_until, training: {current, completed, due}); no
 * secrets. Caller json_decref's it (returned as void * so this header needs no jansson). */
void *access_user_info_json(const access_user_info *u);
/* A user's training records, newest first: fn(ctx, course, completed ms, recorded_by). */
int access_training_each(store *st, const char *username,
                         int (*fn)(void *ctx, const char *course, int64_t completed,
                                   const char *recorded_by),
                         void *ctx, pk_err *err);

/* Whether u's training is current at the clock's now. OUT: *current, *due (UTC ms when the
 * refresher is or was due, 0 when never trained). */
int access_training_status(store *st, const access_user *u, const pk_clock *clock, int *current,
                           int64_t *due, pk_err *err);

/* Changes an account's status to "active", "suspended" or "separated", as `by`:
 * separated is final (PK_ECONFLICT afterwards); reactivating needs current training
 * (PK_ETRAINING); suspending or separating ends the user's sessions. Logged as "user.status". */
int access_user_set_status(store *st, const char *username, const char *status, const char *by,
                           const char *client, const pk_clock *clock, pk_err *err);

/* Suspends every active account unused for access.inactivity_days (default 90) days; the server
 * calls it daily (login also applies the rule). Logged per account as "user.status" by
 * "system". OUT: *n (may be NULL), accounts suspended. */
int access_sweep_inactive(store *st, const pk_clock *clock, int64_t *n, pk_err *err);

/* Purposes (a setting: access.purposes, a JSON array of {code, label, needs_case}). */
typedef struct access_purpose {
    char code[32];
    char label[128];
    int needs_case;
} access_purpose;
/* The configured purposes (defaults when unset). OUT: *out (caller frees), *n. */
int access_purposes_get(store *st, access_purpose **out, size_t *n, pk_err *err);

/* Settings of access and audit, validated and logged ("setting.change" by `by`):
 *   access.training_refresher_days (730), access.inactivity_days (90), access.lockout_failures
 *   (5), access.lockout_minutes (10), access.session_idle_minutes (30), access.session_max_hours
 *   (12), access.purposes (JSON, see above), audit.work_start ("07:00"), audit.work_end
 *   ("19:00"), audit.work_days ("1-5"), audit.utc_offset_minutes (-480),
 *   audit.log_retention_days (1825, at least 365).
 * PK_ENOTFOUND for a key this module does not own, PK_EINVAL for a bad value. */
int access_setting_set(store *st, const char *key, const char *value, const char *by,
                       const char *client, pk_err *err);
/* Every setting above with its current value, as a JSON object (caller json_decref's it). */
void *access_settings_json(store *st);

/* Unit keys: every unit as fn(ctx, name, added_by, created_at ms, revoked_at ms or 0). */
int access_unit_each(store *st,
                     int (*fn)(void *ctx, const char *name, const char *added_by,
                               int64_t created_at, int64_t revoked_at),
                     void *ctx, pk_err *err);

#endif
