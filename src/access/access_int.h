/*
 * access_int.h: shared only inside src/access.
 *
 * users.c: roles, accounts, passwords, login, training, status changes, the inactivity sweep.
 * session.c: sessions and unit keys. grant.c: purposes, settings and THE gate.
 * Every state change appends its access-log entry in the same transaction as the change, so a
 * change is never left unlogged.
 */
#ifndef PK_ACCESS_ACCESS_INT_H
#define PK_ACCESS_ACCESS_INT_H

#include <jansson.h>

#include "access/access.h"
#include "audit/audit.h"

/* Settings and their defaults. */
#define ACCESS__REFRESHER_DAYS "access.training_refresher_days"
#define ACCESS__INACTIVITY_DAYS "access.inactivity_days"
#define ACCESS__LOCKOUT_FAILURES "access.lockout_failures"
#define ACCESS__LOCKOUT_MINUTES "access.lockout_minutes"
#define ACCESS__SESSION_IDLE_MIN "access.session_idle_minutes"
#define ACCESS__SESSION_MAX_HOURS "access.session_max_hours"
#define ACCESS__PURPOSES "access.purposes"

/* Appends an access-log entry; query (may be NULL) is a JSON object this call consumes. Looks
 * the agency up when username names a user and agency is NULL. */
int access__log(store *st, int64_t ts, const char *username, const char *agency,
                const char *action, json_t *query, const char *purpose, const char *case_no,
                int64_t result_count, const char *client, const char *outcome,
                const char *detail, pk_err *err);

/* SHA-256 hex of the text s. OUT: out (65 bytes). */
void access__sha256_hex(const char *s, char out[65]);

/* Random bytes as hex: 2 * nbytes characters and a NUL into out. */
void access__random_hex(char *out, size_t nbytes);

/* Copies a store row into the gate's view of a user. */
void access__user_from_row(const store_user *r, access_user *u);

/* argon2id string of password at the configured cost (see access.h on the test setting).
 * OUT: out. */
int access__pw_hash(const char *password, char out[STORE_PWHASH_MAX], pk_err *err);

/* Starts libsodium once per process (idempotent and thread-safe in libsodium). */
int access__sodium(pk_err *err);

#endif
