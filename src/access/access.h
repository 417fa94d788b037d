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
 * IMPLEMENTATION STATUS: interface fixed by the lead; the server/access work (issue 3) implements
 * and extends it (sessions, unit keys, lockout, password rules, training refreshers...).
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
/* Resolves a token to its user, refreshing the idle timer; PK_EAUTH when unknown or expired.
 * OUT: *out, the user; csrf (may be NULL) receives the session's CSRF token hash check value. */
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

/* The store the grant was opened on (for the granted module's queries). */
store *access_grant_store(const access_grant *g);
/* The user, purpose and case the grant carries. */
const access_user *access_grant_user(const access_grant *g);
const char *access_grant_purpose(const access_grant *g);
const char *access_grant_case(const access_grant *g);

/* Frees the grant (NULL is fine). */
void access_grant_free(access_grant *g);

#endif
