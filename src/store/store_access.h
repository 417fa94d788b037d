/*
 * store_access.h: users, training records, sessions and unit keys (part of store.h).
 *
 * Only src/access calls these. Secrets arrive here already hashed (argon2id strings for
 * passwords, SHA-256 hex for tokens and keys); nothing in this file sees a secret in clear.
 */
#ifndef PK_STORE_STORE_ACCESS_H
#define PK_STORE_STORE_ACCESS_H

#include <stdint.h>

typedef struct store store;

#define STORE_PWHASH_MAX 160 /* >= crypto_pwhash_STRBYTES (128) */

/* A users row. Text fields are copied in (fixed sizes match access_user). */
typedef struct store_user {
    int64_t id;
    char username[64];
    char full_name[128];
    char job_title[128];
    char agency[128];
    char role[16];
    char status[16];
    char pw_hash[STORE_PWHASH_MAX];
    char approved_by[64];
    int64_t created_at;
    int64_t last_login;   /* 0 when never */
    int64_t failed_count;
    int64_t locked_until; /* 0 when not locked */
    int64_t status_at;
} store_user;

/* Inserts u (id ignored; PK_EEXIST when the username is taken). OUT: *id. */
int store_user_add(store *st, const store_user *u, int64_t *id, pk_err *err);
/* PK_ENOTFOUND when absent. OUT: *u. */
int store_user_get_by_name(store *st, const char *username, store_user *u, pk_err *err);
int store_user_get(store *st, int64_t id, store_user *u, pk_err *err);
/* Every user in username order; fn returning non-zero stops (that value is returned). */
int store_user_each(store *st, int (*fn)(void *ctx, const store_user *u), void *ctx, pk_err *err);
int store_user_set_status(store *st, int64_t id, const char *status, int64_t at, pk_err *err);
int store_user_set_password(store *st, int64_t id, const char *pw_hash, pk_err *err);
/* Records a login attempt's effect: failed_count, locked_until, and last_login when > 0. */
int store_user_set_login(store *st, int64_t id, int64_t failed_count, int64_t locked_until,
                         int64_t last_login, pk_err *err);
/* Active users whose last login (or creation, when never) is before cutoff: fn per user. */
int store_user_each_idle(store *st, int64_t cutoff, int (*fn)(void *ctx, const store_user *u),
                         void *ctx, pk_err *err);

/* Training records. */
typedef struct store_training {
    int64_t id;
    int64_t user_id;
    char course[128];
    int64_t completed;
    char recorded_by[64];
    int64_t recorded_at;
} store_training;

int store_training_add(store *st, const store_training *t, int64_t *id, pk_err *err);
/* The latest completion date of any course for user_id (OUT: *completed, 0 when none). */
int store_training_latest(store *st, int64_t user_id, int64_t *completed, pk_err *err);
/* A user's records, newest first. */
int store_training_each(store *st, int64_t user_id,
                        int (*fn)(void *ctx, const store_training *t), void *ctx, pk_err *err);

/* Sessions, by the SHA-256 hex of their token. */
typedef struct store_session {
    int64_t id;
    char token_hash[65];
    char csrf_hash[65];
    int64_t user_id;
    char client[64];
    int64_t created_at;
    int64_t last_seen;
    int64_t expires_at;
    int64_t ended_at; /* 0 while open */
} store_session;

int store_session_add(store *st, const store_session *s, pk_err *err);
int store_session_get(store *st, const char *token_hash, store_session *s, pk_err *err);
int store_session_touch(store *st, int64_t id, int64_t last_seen, pk_err *err);
int store_session_end(store *st, int64_t id, int64_t at, pk_err *err);
/* Ends every open session of a user (suspension, separation, password change), except the one
 * with id keep_id (0 for none). OUT: *n (may be NULL), sessions ended. */
int store_session_end_user(store *st, int64_t user_id, int64_t keep_id, int64_t at, int64_t *n,
                           pk_err *err);

/* Unit keys, by the SHA-256 hex of their key. */
typedef struct store_unit {
    int64_t id;
    char name[64];
    char key_hash[65];
    char added_by[64];
    int64_t created_at;
    int64_t revoked_at; /* 0 while valid */
} store_unit;

/* Adds a unit, or gives a revoked unit of that name a new key; PK_EEXIST when a valid one has
 * that name. */
int store_unit_put(store *st, const store_unit *u, pk_err *err);
int store_unit_get_by_name(store *st, const char *name, store_unit *u, pk_err *err);
int store_unit_get_by_hash(store *st, const char *key_hash, store_unit *u, pk_err *err);
int store_unit_revoke(store *st, int64_t id, const char *by, int64_t at, pk_err *err);
int store_unit_each(store *st, int (*fn)(void *ctx, const store_unit *u), void *ctx, pk_err *err);

#endif
