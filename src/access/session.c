/* Sessions (bearer token or cookie plus CSRF token) and unit keys. Tokens are 32 random bytes
 * as hex, handed out once; the store keeps only their SHA-256. */
#include "access/access_int.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* A session's last_seen is written at most this often, so that a busy client does not turn
 * every request into a write. The idle timeout is minutes, so this costs nothing in accuracy. */
#define TOUCH_EVERY_MS 30000

int access_session_start(store *st, const access_user *u, const char *client,
                         const pk_clock *clock, char *token, char *csrf, int64_t *expires,
                         pk_err *err) {
    int rc = access__sodium(err);
    if (rc) return rc;
    store_user row;
    if ((rc = store_user_get(st, u->id, &row, err))) return rc;
    sodium_memzero(row.pw_hash, sizeof row.pw_hash);
    if (strcmp(row.status, "active"))
        return pk_err_set(err, PK_EDENIED, "account %s", row.status);
    int64_t now = pk_clock_now(clock);
    int64_t max_ms = store_setting_int(st, ACCESS__SESSION_MAX_HOURS, 12) * 3600000;
    int64_t idle_ms = store_setting_int(st, ACCESS__SESSION_IDLE_MIN, 30) * 60000;
    store_session s;
    memset(&s, 0, sizeof s);
    access__random_hex(token, 32);
    access__random_hex(csrf, 32);
    access__sha256_hex(token, s.token_hash);
    access__sha256_hex(csrf, s.csrf_hash);
    s.user_id = u->id;
    snprintf(s.client, sizeof s.client, "%s", client ? client : "");
    s.created_at = s.last_seen = now;
    s.expires_at = now + max_ms;
    if ((rc = store_session_add(st, &s, err))) {
        sodium_memzero(token, ACCESS_TOKEN_MAX);
        sodium_memzero(csrf, ACCESS_TOKEN_MAX);
        return rc;
    }
    if (expires) *expires = now + idle_ms < s.expires_at ? now + idle_ms : s.expires_at;
    return PK_OK;
}

/* The open, unexpired session for token, ended here when it has timed out. */
static int session_find(store *st, const char *token, int64_t now, store_session *s,
                        pk_err *err) {
    if (!token || !*token || strlen(token) >= ACCESS_TOKEN_MAX)
        return pk_err_set(err, PK_EAUTH, "unknown session");
    char h[65];
    access__sha256_hex(token, h);
    if (store_session_get(st, h, s, NULL) != PK_OK)
        return pk_err_set(err, PK_EAUTH, "unknown session");
    if (s->ended_at) return pk_err_set(err, PK_EAUTH, "session ended; log in again");
    int64_t idle_ms = store_setting_int(st, ACCESS__SESSION_IDLE_MIN, 30) * 60000;
    const char *why = NULL;
    if (now >= s->expires_at)
        why = "session expired; log in again";
    else if (now - s->last_seen >= idle_ms)
        why = "session timed out after inactivity; log in again";
    if (why) {
        store_session_end(st, s->id, now, NULL);
        return pk_err_set(err, PK_EAUTH, "%s", why);
    }
    return PK_OK;
}

int access_session_check(store *st, const char *token, const pk_clock *clock, access_user *out,
                         pk_err *err) {
    int rc = access__sodium(err);
    if (rc) return rc;
    int64_t now = pk_clock_now(clock);
    store_session s;
    if ((rc = session_find(st, token, now, &s, err))) return rc;
    store_user row;
    if ((rc = store_user_get(st, s.user_id, &row, err))) return rc;
    sodium_memzero(row.pw_hash, sizeof row.pw_hash);
    if (strcmp(row.status, "active")) {
        store_session_end(st, s.id, now, NULL);
        return pk_err_set(err, PK_EAUTH, "account %s; session ended", row.status);
    }
    if (now - s.last_seen >= TOUCH_EVERY_MS && (rc = store_session_touch(st, s.id, now, err)))
        return rc;
    access__user_from_row(&row, out);
    return PK_OK;
}

int access_session_csrf_ok(store *st, const char *token, const char *csrf) {
    if (!csrf || strlen(csrf) >= ACCESS_TOKEN_MAX || access__sodium(NULL)) return 0;
    store_session s;
    if (session_find(st, token, pk_now_ms(), &s, NULL)) return 0;
    char h[65];
    access__sha256_hex(csrf, h);
    return sodium_memcmp(h, s.csrf_hash, 64) == 0;
}

int access_session_end(store *st, const char *token, const char *client, pk_err *err) {
    int rc = access__sodium(err);
    if (rc) return rc;
    if (!token || !*token || strlen(token) >= ACCESS_TOKEN_MAX)
        return pk_err_set(err, PK_EAUTH, "unknown session");
    char h[65];
    access__sha256_hex(token, h);
    store_session s;
    if (store_session_get(st, h, &s, NULL) != PK_OK || s.ended_at)
        return pk_err_set(err, PK_EAUTH, "unknown session");
    store_user row;
    if ((rc = store_user_get(st, s.user_id, &row, err))) return rc;
    sodium_memzero(row.pw_hash, sizeof row.pw_hash);
    int64_t now = pk_now_ms();
    if ((rc = store_begin(st, err))) return rc;
    rc = store_session_end(st, s.id, now, err);
    if (!rc)
        rc = access__log(st, now, row.username, row.agency, "logout", NULL, NULL, NULL, -1,
                         client, "ok", NULL, err);
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st, err);
}

/* ---- unit keys ---- */

static int check_unit_name(const char *name, pk_err *err) {
    if (!name || !*name) return pk_err_set(err, PK_EINVAL, "unit: empty name");
    if (strlen(name) >= ACCESS_NAME_MAX)
        return pk_err_set(err, PK_EINVAL, "unit: name longer than %d", ACCESS_NAME_MAX - 1);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return pk_err_set(err, PK_EINVAL, "unit: name must be printable ASCII without spaces");
    return PK_OK;
}

int access_unit_add(store *st, const char *name, const char *added_by, char *key, pk_err *err) {
    int rc = access__sodium(err);
    if (rc || (rc = check_unit_name(name, err))) return rc;
    if (!added_by || !*added_by) return pk_err_set(err, PK_EINVAL, "added_by: empty");
    store_unit u;
    memset(&u, 0, sizeof u);
    snprintf(u.name, sizeof u.name, "%s", name);
    snprintf(u.added_by, sizeof u.added_by, "%s", added_by);
    u.created_at = pk_now_ms();
    access__random_hex(key, 32);
    access__sha256_hex(key, u.key_hash);
    if ((rc = store_begin(st, err))) goto out;
    rc = store_unit_put(st, &u, err);
    if (!rc)
        rc = access__log(st, u.created_at, added_by, NULL, "unit.add",
                         json_pack("{ss}", "unit", name), NULL, NULL, -1, NULL, "ok", NULL, err);
    if (rc)
        store_rollback(st);
    else
        rc = store_commit(st, err);
out:
    if (rc) sodium_memzero(key, ACCESS_TOKEN_MAX);
    return rc;
}

int access_unit_revoke(store *st, const char *name, const char *by, pk_err *err) {
    if (!by || !*by) return pk_err_set(err, PK_EINVAL, "by: empty");
    store_unit u;
    int rc = store_unit_get_by_name(st, name ? name : "", &u, NULL);
    if (rc) return pk_err_set(err, PK_ENOTFOUND, "unit: no unit named '%.64s'", name ? name : "");
    if (u.revoked_at) return pk_err_set(err, PK_ECONFLICT, "unit: '%s' is already revoked", u.name);
    int64_t now = pk_now_ms();
    if ((rc = store_begin(st, err))) return rc;
    rc = store_unit_revoke(st, u.id, by, now, err);
    if (!rc)
        rc = access__log(st, now, by, NULL, "unit.revoke", json_pack("{ss}", "unit", u.name),
                         NULL, NULL, -1, NULL, "ok", NULL, err);
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st, err);
}

int access_unit_check(store *st, const char *key, char *name, pk_err *err) {
    int rc = access__sodium(err);
    if (rc) return rc;
    if (!key || !*key || strlen(key) >= ACCESS_TOKEN_MAX)
        return pk_err_set(err, PK_EAUTH, "unknown unit key");
    char h[65];
    access__sha256_hex(key, h);
    store_unit u;
    if (store_unit_get_by_hash(st, h, &u, NULL) != PK_OK)
        return pk_err_set(err, PK_EAUTH, "unknown unit key");
    if (u.revoked_at) return pk_err_set(err, PK_EAUTH, "unit key revoked");
    snprintf(name, ACCESS_NAME_MAX, "%s", u.name);
    return PK_OK;
}

typedef struct unit_walk {
    int (*fn)(void *, const char *, const char *, int64_t, int64_t);
    void *ctx;
} unit_walk;

static int unit_cb(void *vctx, const store_unit *u) {
    unit_walk *w = vctx;
    return w->fn(w->ctx, u->name, u->added_by, u->created_at, u->revoked_at);
}

int access_unit_each(store *st,
                     int (*fn)(void *ctx, const char *name, const char *added_by,
                               int64_t created_at, int64_t revoked_at),
                     void *ctx, pk_err *err) {
    unit_walk w = {fn, ctx};
    return store_unit_each(st, unit_cb, &w, err);
}
