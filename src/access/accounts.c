/* Training records, account listings, status changes and password changes. */
#include "access/access_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int access_training_add_from(store *st, const char *username, const char *course,
                             int64_t completed, const char *recorded_by, const char *client,
                             pk_err *err) {
    if (!course || !*course) return pk_err_set(err, PK_EINVAL, "course: empty");
    if (strlen(course) >= 128) return pk_err_set(err, PK_EINVAL, "course: longer than 127");
    for (const unsigned char *p = (const unsigned char *)course; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return pk_err_set(err, PK_EINVAL, "course: control characters are not allowed");
    if (!recorded_by || !*recorded_by) return pk_err_set(err, PK_EINVAL, "recorded_by: empty");
    int64_t now = pk_now_ms();
    if (completed <= 0) return pk_err_set(err, PK_EINVAL, "completed: not a date");
    if (completed > now + PK_MS_PER_DAY)
        return pk_err_set(err, PK_EINVAL, "completed: in the future");
    store_user u;
    int rc = store_user_get_by_name(st, username ? username : "", &u, err);
    if (rc) return rc;
    sodium_memzero(u.pw_hash, sizeof u.pw_hash);
    store_training t;
    memset(&t, 0, sizeof t);
    t.user_id = u.id;
    snprintf(t.course, sizeof t.course, "%s", course);
    t.completed = completed;
    snprintf(t.recorded_by, sizeof t.recorded_by, "%s", recorded_by);
    t.recorded_at = now;
    if ((rc = store_begin(st, err))) return rc;
    rc = store_training_add(st, &t, NULL, err);
    if (!rc) {
        char day[PK_TIME_STR_MAX];
        pk_time_format(completed, day);
        day[10] = '\0';
        rc = access__log(st, now, recorded_by, NULL, "training.add",
                         json_pack("{ssssss}", "target", u.username, "course", course,
                                   "completed", day),
                         NULL, NULL, -1, client, "ok", NULL, err);
    }
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st, err);
}

int access_training_add(store *st, const char *username, const char *course, int64_t completed,
                        const char *recorded_by, pk_err *err) {
    return access_training_add_from(st, username, course, completed, recorded_by, NULL, err);
}

static int training_of(store *st, int64_t user_id, int64_t now, int *current, int64_t *done,
                       int64_t *due, pk_err *err) {
    int64_t last = 0;
    int rc = store_training_latest(st, user_id, &last, err);
    if (rc) return rc;
    int64_t period = store_setting_int(st, ACCESS__REFRESHER_DAYS, 730) * PK_MS_PER_DAY;
    *done = last;
    *due = last ? last + period : 0;
    *current = last && now < last + period;
    return PK_OK;
}

int access_training_status(store *st, const access_user *u, const pk_clock *clock, int *current,
                           int64_t *due, pk_err *err) {
    int64_t done;
    return training_of(st, u->id, pk_clock_now(clock), current, &done, due, err);
}

typedef struct training_walk {
    int (*fn)(void *, const char *, int64_t, const char *);
    void *ctx;
} training_walk;

static int training_cb(void *vctx, const store_training *t) {
    training_walk *w = vctx;
    return w->fn(w->ctx, t->course, t->completed, t->recorded_by);
}

int access_training_each(store *st, const char *username,
                         int (*fn)(void *ctx, const char *course, int64_t completed,
                                   const char *recorded_by),
                         void *ctx, pk_err *err) {
    store_user u;
    int rc = store_user_get_by_name(st, username, &u, err);
    if (rc) return rc;
    sodium_memzero(u.pw_hash, sizeof u.pw_hash);
    training_walk w = {fn, ctx};
    return store_training_each(st, u.id, training_cb, &w, err);
}

/* ---- listing ---- */

static int info_from(store *st, const store_user *r, int64_t now, access_user_info *out,
                     pk_err *err) {
    memset(out, 0, sizeof *out);
    access__user_from_row(r, &out->user);
    snprintf(out->approved_by, sizeof out->approved_by, "%s", r->approved_by);
    out->created_at = r->created_at;
    out->last_login = r->last_login;
    out->locked_until = r->locked_until > now ? r->locked_until : 0;
    return training_of(st, r->id, now, &out->training_current, &out->training_completed,
                       &out->training_due, err);
}

int access_user_info_get(store *st, const char *username, const pk_clock *clock,
                         access_user_info *out, pk_err *err) {
    store_user r;
    int rc = store_user_get_by_name(st, username ? username : "", &r, err);
    if (rc) return rc;
    sodium_memzero(r.pw_hash, sizeof r.pw_hash);
    return info_from(st, &r, pk_clock_now(clock), out, err);
}

typedef struct each_ctx {
    store_user *v;
    size_t n, cap;
} each_ctx;

static int each_collect(void *vctx, const store_user *u) {
    each_ctx *c = vctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->v = pk_xrealloc(c->v, c->cap * sizeof *c->v);
    }
    c->v[c->n] = *u;
    sodium_memzero(c->v[c->n].pw_hash, sizeof c->v[c->n].pw_hash);
    c->n++;
    return 0;
}

int access_user_each(store *st, const pk_clock *clock,
                     int (*fn)(void *ctx, const access_user_info *u), void *ctx, pk_err *err) {
    /* Collect first: the training lookups use the same connection. */
    each_ctx c = {0};
    int rc = store_user_each(st, each_collect, &c, err);
    int64_t now = pk_clock_now(clock);
    for (size_t i = 0; i < c.n && !rc; i++) {
        access_user_info info;
        if ((rc = info_from(st, &c.v[i], now, &info, err))) break;
        rc = fn(ctx, &info);
    }
    free(c.v);
    return rc;
}

static json_t *time_or_null(int64_t ms) {
    if (!ms) return json_null();
    char buf[PK_TIME_STR_MAX];
    pk_time_format(ms, buf);
    return json_string(buf);
}

void *access_user_info_json(const access_user_info *u) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(u->user.id));
    json_object_set_new(o, "username", json_string(u->user.username));
    json_object_set_new(o, "full_name", json_string(u->user.full_name));
    json_object_set_new(o, "job_title", json_string(u->user.job_title));
    json_object_set_new(o, "agency", json_string(u->user.agency));
    const char *role = access_role_name(u->user.role);
    json_object_set_new(o, "role", role ? json_string(role) : json_null());
    json_object_set_new(o, "status", json_string(u->user.status));
    json_object_set_new(o, "approved_by", json_string(u->approved_by));
    json_object_set_new(o, "created_at", time_or_null(u->created_at));
    json_object_set_new(o, "last_login", time_or_null(u->last_login));
    json_object_set_new(o, "locked_until", time_or_null(u->locked_until));
    json_object_set_new(o, "training",
                        json_pack("{sbsoso}", "current", u->training_current, "completed",
                                  time_or_null(u->training_completed), "due",
                                  time_or_null(u->training_due)));
    return o;
}

/* ---- status ---- */

int access_user_set_status(store *st, const char *username, const char *status, const char *by,
                           const char *client, const pk_clock *clock, pk_err *err) {
    if (!status || (strcmp(status, "active") && strcmp(status, "suspended") &&
                    strcmp(status, "separated")))
        return pk_err_set(err, PK_EINVAL, "status: must be active, suspended or separated");
    if (!by || !*by) return pk_err_set(err, PK_EINVAL, "by: empty");
    int64_t now = pk_clock_now(clock);
    store_user u;
    int rc = store_user_get_by_name(st, username ? username : "", &u, err);
    if (rc) return rc;
    sodium_memzero(u.pw_hash, sizeof u.pw_hash);
    if (!strcmp(u.status, "separated"))
        return pk_err_set(err, PK_ECONFLICT, "status: %s is separated; that is final",
                          u.username);
    if (!strcmp(u.status, status))
        return pk_err_set(err, PK_ECONFLICT, "status: %s is already %s", u.username, status);
    if (!strcmp(status, "active")) {
        int current;
        int64_t done, due;
        if ((rc = training_of(st, u.id, now, &current, &done, &due, err))) return rc;
        if (!current)
            return pk_err_set(err, PK_ETRAINING,
                              "status: %s needs current training before reactivation (record "
                              "it with 'platekeeper user train')",
                              u.username);
    }
    if ((rc = store_begin(st, err))) return rc;
    rc = store_user_set_status(st, u.id, status, now, err);
    /* Reactivation restarts the inactivity clock, or the next login would suspend again. */
    if (!rc && !strcmp(status, "active")) rc = store_user_set_login(st, u.id, 0, 0, now, err);
    if (!rc && strcmp(status, "active")) rc = store_session_end_user(st, u.id, 0, now, NULL, err);
    if (!rc)
        rc = access__log(st, now, by, NULL, "user.status",
                         json_pack("{ssssss}", "target", u.username, "from", u.status, "to",
                                   status),
                         NULL, NULL, -1, client, "ok", NULL, err);
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st, err);
}

/* ---- passwords ---- */

static int set_password(store *st, const store_user *u, const char *password, int64_t keep_id,
                        const char *by, const char *action, const char *client, pk_err *err) {
    int rc = access_password_check(u->username, password, err);
    if (rc) return rc;
    if ((rc = access__sodium(err))) return rc;
    char hash[STORE_PWHASH_MAX];
    if ((rc = access__pw_hash(password, hash, err))) return rc;
    int64_t now = pk_now_ms();
    if ((rc = store_begin(st, err))) return rc;
    rc = store_user_set_password(st, u->id, hash, err);
    if (!rc) rc = store_user_set_login(st, u->id, 0, 0, 0, err);
    if (!rc) rc = store_session_end_user(st, u->id, keep_id, now, NULL, err);
    if (!rc)
        rc = access__log(st, now, by, NULL, action, json_pack("{ss}", "target", u->username),
                         NULL, NULL, -1, client, "ok", NULL, err);
    sodium_memzero(hash, sizeof hash);
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st, err);
}

int access_password_change(store *st, const char *username, const char *old_password,
                           const char *new_password, const char *keep_token, const char *client,
                           pk_err *err) {
    int rc = access__sodium(err);
    if (rc) return rc;
    store_user u;
    if (!username || store_user_get_by_name(st, username, &u, NULL) != PK_OK)
        return pk_err_set(err, PK_EAUTH, "wrong username or password");
    int good = old_password && crypto_pwhash_argon2id_str_verify(u.pw_hash, old_password,
                                                                 strlen(old_password)) == 0;
    sodium_memzero(u.pw_hash, sizeof u.pw_hash);
    if (!good) {
        access__log(st, 0, username, NULL, "password.change", NULL, NULL, NULL, -1, client,
                    "failed", "wrong current password", NULL);
        return pk_err_set(err, PK_EAUTH, "wrong current password");
    }
    if (new_password && !strcmp(new_password, old_password))
        return pk_err_set(err, PK_EINVAL, "password: must differ from the current one");
    int64_t keep_id = 0;
    if (keep_token && *keep_token) {
        char h[65];
        access__sha256_hex(keep_token, h);
        store_session s;
        if (store_session_get(st, h, &s, NULL) == PK_OK && s.user_id == u.id) keep_id = s.id;
    }
    return set_password(st, &u, new_password, keep_id, username, "password.change", client, err);
}

int access_password_reset(store *st, const char *username, const char *new_password,
                          const char *by, const char *client, pk_err *err) {
    if (!by || !*by) return pk_err_set(err, PK_EINVAL, "by: empty");
    store_user u;
    int rc = store_user_get_by_name(st, username ? username : "", &u, err);
    if (rc) return rc;
    sodium_memzero(u.pw_hash, sizeof u.pw_hash);
    if (!strcmp(u.status, "separated"))
        return pk_err_set(err, PK_ECONFLICT, "status: %s is separated", u.username);
    return set_password(st, &u, new_password, 0, by, "user.password_reset", client, err);
}
