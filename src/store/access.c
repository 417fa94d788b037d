/* Users, training records, sessions and unit keys in SQLite. */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

#define USER_COLS                                                                          \
    "id, username, full_name, job_title, agency, role, status, pw_hash, approved_by,"      \
    " created_at, coalesce(last_login, 0), failed_count, locked_until, status_at"
static const char SQL_USER_ADD[] =
    "INSERT INTO users(username, full_name, job_title, agency, role, status, pw_hash,"
    " approved_by, created_at, status_at) VALUES (?,?,?,?,?,?,?,?,?,?)";
static const char SQL_USER_BY_NAME[] = "SELECT " USER_COLS " FROM users WHERE username = ?";
static const char SQL_USER_BY_ID[] = "SELECT " USER_COLS " FROM users WHERE id = ?";
static const char SQL_USER_ALL[] = "SELECT " USER_COLS " FROM users ORDER BY username";
static const char SQL_USER_IDLE[] =
    "SELECT " USER_COLS " FROM users WHERE status = 'active'"
    " AND coalesce(last_login, created_at) < ? ORDER BY id";
static const char SQL_USER_STATUS[] = "UPDATE users SET status = ?, status_at = ?,"
                                      " failed_count = 0, locked_until = 0 WHERE id = ?";
static const char SQL_USER_PW[] = "UPDATE users SET pw_hash = ? WHERE id = ?";
static const char SQL_USER_LOGIN[] =
    "UPDATE users SET failed_count = ?, locked_until = ?,"
    " last_login = CASE WHEN ? > 0 THEN ? ELSE last_login END WHERE id = ?";

static const char SQL_TRAIN_ADD[] =
    "INSERT INTO training(user_id, course, completed, recorded_by, recorded_at)"
    " VALUES (?,?,?,?,?)";
static const char SQL_TRAIN_LATEST[] = "SELECT max(completed) FROM training WHERE user_id = ?";
static const char SQL_TRAIN_EACH[] =
    "SELECT id, user_id, course, completed, recorded_by, recorded_at FROM training"
    " WHERE user_id = ? ORDER BY completed DESC, id DESC";

#define SESSION_COLS                                                                       \
    "id, token_hash, csrf_hash, user_id, client, created_at, last_seen, expires_at,"       \
    " coalesce(ended_at, 0)"
static const char SQL_SESSION_ADD[] =
    "INSERT INTO sessions(token_hash, csrf_hash, user_id, client, created_at, last_seen,"
    " expires_at) VALUES (?,?,?,?,?,?,?)";
static const char SQL_SESSION_GET[] =
    "SELECT " SESSION_COLS " FROM sessions WHERE token_hash = ?";
static const char SQL_SESSION_TOUCH[] = "UPDATE sessions SET last_seen = ? WHERE id = ?";
static const char SQL_SESSION_END[] =
    "UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL";
static const char SQL_SESSION_END_USER[] =
    "UPDATE sessions SET ended_at = ? WHERE user_id = ? AND id != ? AND ended_at IS NULL";

#define UNIT_COLS "id, name, key_hash, added_by, created_at, coalesce(revoked_at, 0)"
static const char SQL_UNIT_ADD[] =
    "INSERT INTO unit_keys(name, key_hash, added_by, created_at) VALUES (?,?,?,?)";
static const char SQL_UNIT_REKEY[] =
    "UPDATE unit_keys SET key_hash = ?, added_by = ?, created_at = ?, revoked_at = NULL,"
    " revoked_by = NULL WHERE id = ?";
static const char SQL_UNIT_BY_NAME[] = "SELECT " UNIT_COLS " FROM unit_keys WHERE name = ?";
static const char SQL_UNIT_BY_HASH[] = "SELECT " UNIT_COLS " FROM unit_keys WHERE key_hash = ?";
static const char SQL_UNIT_REVOKE[] =
    "UPDATE unit_keys SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL";
static const char SQL_UNIT_ALL[] = "SELECT " UNIT_COLS " FROM unit_keys ORDER BY name";

static int step_done(store *st, sqlite3_stmt *s, pk_err *err, const char *what) {
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    if (r == SQLITE_DONE) return PK_OK;
    if ((r & 0xff) == SQLITE_CONSTRAINT) return pk_err_set(err, PK_EEXIST, "%s: already exists", what);
    return store__dberr(st, err, what);
}

/* ---- users ---- */

static void user_from(sqlite3_stmt *s, store_user *u) {
    memset(u, 0, sizeof *u);
    u->id = sqlite3_column_int64(s, 0);
    store__col_text(s, 1, u->username, sizeof u->username);
    store__col_text(s, 2, u->full_name, sizeof u->full_name);
    store__col_text(s, 3, u->job_title, sizeof u->job_title);
    store__col_text(s, 4, u->agency, sizeof u->agency);
    store__col_text(s, 5, u->role, sizeof u->role);
    store__col_text(s, 6, u->status, sizeof u->status);
    store__col_text(s, 7, u->pw_hash, sizeof u->pw_hash);
    store__col_text(s, 8, u->approved_by, sizeof u->approved_by);
    u->created_at = sqlite3_column_int64(s, 9);
    u->last_login = sqlite3_column_int64(s, 10);
    u->failed_count = sqlite3_column_int64(s, 11);
    u->locked_until = sqlite3_column_int64(s, 12);
    u->status_at = sqlite3_column_int64(s, 13);
}

int store_user_add(store *st, const store_user *u, int64_t *id, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_USER_ADD, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, u->username, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, u->full_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, u->job_title, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, u->agency, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, u->role, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, u->status[0] ? u->status : "active", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, u->pw_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, u->approved_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 9, u->created_at);
    sqlite3_bind_int64(s, 10, u->created_at);
    int rc = step_done(st, s, err, "users");
    if (rc == PK_EEXIST) return pk_err_set(err, PK_EEXIST, "username: '%s' is taken", u->username);
    if (rc) return rc;
    if (id) *id = sqlite3_last_insert_rowid(st->db);
    return PK_OK;
}

static int user_one(store *st, sqlite3_stmt *s, store_user *u, pk_err *err, const char *what) {
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) user_from(s, u);
    sqlite3_reset(s);
    if (r == SQLITE_ROW) return PK_OK;
    if (r == SQLITE_DONE) return pk_err_set(err, PK_ENOTFOUND, "no user %s", what);
    return store__dberr(st, err, "users");
}

int store_user_get_by_name(store *st, const char *username, store_user *u, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_USER_BY_NAME, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, username, -1, SQLITE_STATIC);
    char what[96];
    snprintf(what, sizeof what, "named '%.64s'", username);
    return user_one(st, s, u, err, what);
}

int store_user_get(store *st, int64_t id, store_user *u, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_USER_BY_ID, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, id);
    char what[48];
    snprintf(what, sizeof what, "with id %lld", (long long)id);
    return user_one(st, s, u, err, what);
}

static int user_walk(store *st, sqlite3_stmt *s, int (*fn)(void *, const store_user *), void *ctx,
                     pk_err *err) {
    int r, rc = PK_OK;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        store_user u;
        user_from(s, &u);
        if ((rc = fn(ctx, &u)) != 0) break;
    }
    if (rc == 0 && r != SQLITE_DONE) rc = store__dberr(st, err, "users");
    sqlite3_reset(s);
    return rc;
}

int store_user_each(store *st, int (*fn)(void *ctx, const store_user *u), void *ctx, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_USER_ALL, err);
    if (!s) return PK_EDB;
    return user_walk(st, s, fn, ctx, err);
}

int store_user_each_idle(store *st, int64_t cutoff, int (*fn)(void *ctx, const store_user *u),
                         void *ctx, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_USER_IDLE, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, cutoff);
    return user_walk(st, s, fn, ctx, err);
}

int store_user_set_status(store *st, int64_t id, const char *status, int64_t at, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_USER_STATUS, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, at);
    sqlite3_bind_int64(s, 3, id);
    return step_done(st, s, err, "users");
}

int store_user_set_password(store *st, int64_t id, const char *pw_hash, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_USER_PW, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, pw_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, id);
    return step_done(st, s, err, "users");
}

int store_user_set_login(store *st, int64_t id, int64_t failed_count, int64_t locked_until,
                         int64_t last_login, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_USER_LOGIN, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, failed_count);
    sqlite3_bind_int64(s, 2, locked_until);
    sqlite3_bind_int64(s, 3, last_login);
    sqlite3_bind_int64(s, 4, last_login);
    sqlite3_bind_int64(s, 5, id);
    return step_done(st, s, err, "users");
}

/* ---- training ---- */

int store_training_add(store *st, const store_training *t, int64_t *id, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_TRAIN_ADD, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, t->user_id);
    sqlite3_bind_text(s, 2, t->course, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, t->completed);
    sqlite3_bind_text(s, 4, t->recorded_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, t->recorded_at);
    int rc = step_done(st, s, err, "training");
    if (!rc && id) *id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

int store_training_latest(store *st, int64_t user_id, int64_t *completed, pk_err *err) {
    *completed = 0;
    sqlite3_stmt *s = store__stmt(st, SQL_TRAIN_LATEST, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, user_id);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) *completed = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return r == SQLITE_ROW ? PK_OK : store__dberr(st, err, "training");
}

int store_training_each(store *st, int64_t user_id,
                        int (*fn)(void *ctx, const store_training *t), void *ctx, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_TRAIN_EACH, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, user_id);
    int r, rc = PK_OK;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        store_training t;
        memset(&t, 0, sizeof t);
        t.id = sqlite3_column_int64(s, 0);
        t.user_id = sqlite3_column_int64(s, 1);
        store__col_text(s, 2, t.course, sizeof t.course);
        t.completed = sqlite3_column_int64(s, 3);
        store__col_text(s, 4, t.recorded_by, sizeof t.recorded_by);
        t.recorded_at = sqlite3_column_int64(s, 5);
        if ((rc = fn(ctx, &t)) != 0) break;
    }
    if (rc == 0 && r != SQLITE_DONE) rc = store__dberr(st, err, "training");
    sqlite3_reset(s);
    return rc;
}

/* ---- sessions ---- */

int store_session_add(store *st, const store_session *ss, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_SESSION_ADD, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, ss->token_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, ss->csrf_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, ss->user_id);
    sqlite3_bind_text(s, 4, ss->client, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, ss->created_at);
    sqlite3_bind_int64(s, 6, ss->last_seen);
    sqlite3_bind_int64(s, 7, ss->expires_at);
    return step_done(st, s, err, "sessions");
}

int store_session_get(store *st, const char *token_hash, store_session *ss, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_SESSION_GET, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, token_hash, -1, SQLITE_STATIC);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        memset(ss, 0, sizeof *ss);
        ss->id = sqlite3_column_int64(s, 0);
        store__col_text(s, 1, ss->token_hash, sizeof ss->token_hash);
        store__col_text(s, 2, ss->csrf_hash, sizeof ss->csrf_hash);
        ss->user_id = sqlite3_column_int64(s, 3);
        store__col_text(s, 4, ss->client, sizeof ss->client);
        ss->created_at = sqlite3_column_int64(s, 5);
        ss->last_seen = sqlite3_column_int64(s, 6);
        ss->expires_at = sqlite3_column_int64(s, 7);
        ss->ended_at = sqlite3_column_int64(s, 8);
    }
    sqlite3_reset(s);
    if (r == SQLITE_ROW) return PK_OK;
    if (r == SQLITE_DONE) return pk_err_set(err, PK_ENOTFOUND, "no such session");
    return store__dberr(st, err, "sessions");
}

int store_session_touch(store *st, int64_t id, int64_t last_seen, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_SESSION_TOUCH, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, last_seen);
    sqlite3_bind_int64(s, 2, id);
    return step_done(st, s, err, "sessions");
}

int store_session_end(store *st, int64_t id, int64_t at, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_SESSION_END, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, at);
    sqlite3_bind_int64(s, 2, id);
    return step_done(st, s, err, "sessions");
}

int store_session_end_user(store *st, int64_t user_id, int64_t keep_id, int64_t at, int64_t *n,
                           pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_SESSION_END_USER, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, at);
    sqlite3_bind_int64(s, 2, user_id);
    sqlite3_bind_int64(s, 3, keep_id);
    int rc = step_done(st, s, err, "sessions");
    if (!rc && n) *n = sqlite3_changes(st->db);
    return rc;
}

/* ---- unit keys ---- */

static void unit_from(sqlite3_stmt *s, store_unit *u) {
    memset(u, 0, sizeof *u);
    u->id = sqlite3_column_int64(s, 0);
    store__col_text(s, 1, u->name, sizeof u->name);
    store__col_text(s, 2, u->key_hash, sizeof u->key_hash);
    store__col_text(s, 3, u->added_by, sizeof u->added_by);
    u->created_at = sqlite3_column_int64(s, 4);
    u->revoked_at = sqlite3_column_int64(s, 5);
}

static int unit_one(store *st, sqlite3_stmt *s, store_unit *u, pk_err *err) {
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) unit_from(s, u);
    sqlite3_reset(s);
    if (r == SQLITE_ROW) return PK_OK;
    if (r == SQLITE_DONE) return pk_err_set(err, PK_ENOTFOUND, "no such unit");
    return store__dberr(st, err, "unit_keys");
}

int store_unit_get_by_name(store *st, const char *name, store_unit *u, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_UNIT_BY_NAME, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    return unit_one(st, s, u, err);
}

int store_unit_get_by_hash(store *st, const char *key_hash, store_unit *u, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_UNIT_BY_HASH, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, key_hash, -1, SQLITE_STATIC);
    return unit_one(st, s, u, err);
}

int store_unit_put(store *st, const store_unit *u, pk_err *err) {
    store_unit old;
    int rc = store_unit_get_by_name(st, u->name, &old, NULL);
    if (rc == PK_OK && old.revoked_at == 0)
        return pk_err_set(err, PK_EEXIST, "unit: '%s' already has a valid key", u->name);
    sqlite3_stmt *s = store__stmt(st, rc == PK_OK ? SQL_UNIT_REKEY : SQL_UNIT_ADD, err);
    if (!s) return PK_EDB;
    if (rc == PK_OK) {
        sqlite3_bind_text(s, 1, u->key_hash, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, u->added_by, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, u->created_at);
        sqlite3_bind_int64(s, 4, old.id);
    } else {
        sqlite3_bind_text(s, 1, u->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, u->key_hash, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, u->added_by, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, u->created_at);
    }
    return step_done(st, s, err, "unit_keys");
}

int store_unit_revoke(store *st, int64_t id, const char *by, int64_t at, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_UNIT_REVOKE, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, at);
    sqlite3_bind_text(s, 2, by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, id);
    return step_done(st, s, err, "unit_keys");
}

int store_unit_each(store *st, int (*fn)(void *ctx, const store_unit *u), void *ctx, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_UNIT_ALL, err);
    if (!s) return PK_EDB;
    int r, rc = PK_OK;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        store_unit u;
        unit_from(s, &u);
        if ((rc = fn(ctx, &u)) != 0) break;
    }
    if (rc == 0 && r != SQLITE_DONE) rc = store__dberr(st, err, "unit_keys");
    sqlite3_reset(s);
    return rc;
}
