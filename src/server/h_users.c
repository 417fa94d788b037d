/* Accounts: /api/v1/users (administrators only). Administrative work needs no data access, so
 * none of these routes opens an access grant; src/access validates and logs every change. */
#include "server/server_int.h"

#include <stdio.h>
#include <string.h>

#include "core/pktime.h"

json_t *server__user_json(const access_user *u) {
    const char *role = access_role_name(u->role);
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)u->id, "username",
                     u->username, "full_name", u->full_name, "job_title", u->job_title, "agency",
                     u->agency, "role", role ? role : "none", "status", u->status);
}

/* The administrator's view of one account (training state included); NULL when gone. */
static json_t *info_json(server_req *r, const char *username) {
    access_user_info info;
    if (access_user_info_get(r->st, username, &r->srv->clock, &info, NULL)) return NULL;
    return access_user_info_json(&info);
}

static int each_user(void *ctx, const access_user_info *u) {
    json_array_append_new(ctx, access_user_info_json(u));
    return 0;
}

static int users_list(server_req *r) {
    static const char *const allowed[] = {NULL};
    if (server__query_only(r, allowed)) return 0;
    json_t *list = json_array();
    pk_err err;
    pk_err_clear(&err);
    int rc = access_user_each(r->st, &r->srv->clock, each_user, list, &err);
    if (rc) {
        json_decref(list);
        return server__reply_pkerr(r, rc, &err);
    }
    return server__reply_json(r, 200, json_pack("{s:o}", "users", list));
}

/* Resolves {id} to the account, replying 404 when there is none. */
static int user_from_param(server_req *r, access_user *u) {
    int64_t id;
    if (server__param_id(r, "id", &id)) return -1;
    if (access_user_get_id(r->st, id, u, NULL))
        return server__reply_error(r, 404, "not_found", "user %lld: no such user", (long long)id),
               -1;
    return 0;
}

static int training_item(void *ctx, const char *course, int64_t completed,
                         const char *recorded_by) {
    char day[PK_TIME_STR_MAX];
    pk_time_format(completed, day);
    day[10] = '\0';
    json_array_append_new(ctx, json_pack("{s:s, s:s, s:s}", "course", course, "completed_on",
                                         day, "recorded_by", recorded_by));
    return 0;
}

static int users_get(server_req *r) {
    access_user u;
    if (user_from_param(r, &u)) return 0;
    json_t *o = info_json(r, u.username);
    if (!o) return server__reply_error(r, 404, "not_found", "no such user");
    json_t *courses = json_array();
    access_training_each(r->st, u.username, training_item, courses, NULL);
    json_object_set_new(o, "courses", courses);
    return server__reply_json(r, 200, json_pack("{s:o}", "user", o));
}

/* Tells the admin pages that accounts changed and answers with the account as it now stands. */
static int reply_changed_user(server_req *r, int status, const char *event, const access_user *u) {
    server_publish(r->srv, "system", event);
    json_t *o = info_json(r, u->username);
    return server__reply_json(r, status, json_pack("{s:o}", "user", o ? o : server__user_json(u)));
}

static int users_add(server_req *r) {
    static const server_field spec[] = {
        {"username", SF_STRING, 1, ACCESS_NAME_MAX - 1},
        {"full_name", SF_STRING, 1, 127},
        {"job_title", SF_STRING, 1, 127},
        {"role", SF_STRING, 1, 32},
        {"agency", SF_STRING, 0, 127},
        {"password", SF_STRING, 1, 256},
        {0},
    };
    json_t *body;
    if (server__json_body(r, spec, &body)) return 0;
    access_user u = {0};
    snprintf(u.username, sizeof u.username, "%s", json_string_value(json_object_get(body, "username")));
    snprintf(u.full_name, sizeof u.full_name, "%s", json_string_value(json_object_get(body, "full_name")));
    snprintf(u.job_title, sizeof u.job_title, "%s", json_string_value(json_object_get(body, "job_title")));
    const char *agency = json_string_value(json_object_get(body, "agency"));
    snprintf(u.agency, sizeof u.agency, "%s", agency ? agency : r->user.agency);
    u.role = access_role_parse(json_string_value(json_object_get(body, "role")));
    snprintf(u.status, sizeof u.status, "active");
    if (u.role == ACCESS_ROLE_NONE) {
        json_decref(body);
        return server__reply_error(r, 400, "invalid",
                                   "role: must be admin, investigator, operator, auditor or "
                                   "custodian");
    }
    pk_err err;
    pk_err_clear(&err);
    int rc = access_user_add_from(r->st, &u, json_string_value(json_object_get(body, "password")),
                                  r->user.username, r->client, &u.id, &err);
    json_decref(body);
    if (rc) return server__reply_pkerr(r, rc, &err);
    return reply_changed_user(r, 201, "{\"event\": \"user.add\"}", &u);
}

static int users_training(server_req *r) {
    static const server_field spec[] = {
        {"course", SF_STRING, 1, 200},
        {"completed_on", SF_STRING, 1, 40},
        {0},
    };
    access_user u;
    if (user_from_param(r, &u)) return 0;
    json_t *body;
    if (server__json_body(r, spec, &body)) return 0;
    pk_err err;
    pk_err_clear(&err);
    int64_t completed;
    const char *day = json_string_value(json_object_get(body, "completed_on"));
    if (pk_time_parse(day, &completed, &err)) {
        json_decref(body);
        return server__reply_error(r, 400, "invalid", "completed_on: %s", err.msg);
    }
    if (completed > pk_clock_now(&r->srv->clock) + PK_MS_PER_DAY) {
        json_decref(body);
        return server__reply_error(r, 400, "invalid", "completed_on: lies in the future");
    }
    int rc = access_training_add_from(r->st, u.username,
                                      json_string_value(json_object_get(body, "course")),
                                      completed, r->user.username, r->client, &err);
    json_decref(body);
    if (rc) return server__reply_pkerr(r, rc, &err);
    return reply_changed_user(r, 201, "{\"event\": \"user.training\"}", &u);
}

static int users_status(server_req *r) {
    static const server_field spec[] = {
        {"status", SF_STRING, 1, 16},
        {0},
    };
    access_user u;
    if (user_from_param(r, &u)) return 0;
    json_t *body;
    if (server__json_body(r, spec, &body)) return 0;
    const char *status = json_string_value(json_object_get(body, "status"));
    if (strcmp(status, "active") && strcmp(status, "suspended") && strcmp(status, "separated")) {
        json_decref(body);
        return server__reply_error(r, 400, "invalid",
                                   "status: must be active, suspended or separated");
    }
    pk_err err;
    pk_err_clear(&err);
    int rc = access_user_set_status(r->st, u.username, status, r->user.username, r->client,
                                    &r->srv->clock, &err);
    json_decref(body);
    if (rc == PK_ETRAINING) /* the admin may act; it is the account that lacks training */
        return server__reply_error(r, 409, "training_required", "%s", err.msg);
    if (rc) return server__reply_pkerr(r, rc, &err);
    return reply_changed_user(r, 200, "{\"event\": \"user.status\"}", &u);
}

static int users_password(server_req *r) {
    static const server_field spec[] = {
        {"password", SF_STRING, 1, 256},
        {0},
    };
    access_user u;
    if (user_from_param(r, &u)) return 0;
    json_t *body;
    if (server__json_body(r, spec, &body)) return 0;
    pk_err err;
    pk_err_clear(&err);
    int rc = access_password_reset(r->st, u.username,
                                   json_string_value(json_object_get(body, "password")),
                                   r->user.username, r->client, &err);
    json_decref(body);
    if (rc) return server__reply_pkerr(r, rc, &err);
    return server__reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

static int unit_item(void *ctx, const char *name, const char *added_by, int64_t created_at,
                     int64_t revoked_at) {
    char c[PK_TIME_STR_MAX], v[PK_TIME_STR_MAX];
    pk_time_format(created_at, c);
    pk_time_format(revoked_at, v);
    json_array_append_new(ctx, json_pack("{s:s, s:s, s:s, s:o}", "name", name, "added_by",
                                         added_by, "created_at", c, "revoked_at",
                                         revoked_at ? json_string(v) : json_null()));
    return 0;
}

static int units_list(server_req *r) {
    json_t *list = json_array();
    pk_err err;
    pk_err_clear(&err);
    int rc = access_unit_each(r->st, unit_item, list, &err);
    if (rc) {
        json_decref(list);
        return server__reply_pkerr(r, rc, &err);
    }
    return server__reply_json(r, 200, json_pack("{s:o}", "units", list));
}

/* A new unit key is shown once, here; only its hash is kept. */
static int units_add(server_req *r) {
    static const server_field spec[] = {
        {"name", SF_STRING, 1, ACCESS_NAME_MAX - 1},
        {0},
    };
    json_t *body;
    if (server__json_body(r, spec, &body)) return 0;
    char key[ACCESS_TOKEN_MAX];
    pk_err err;
    pk_err_clear(&err);
    const char *name = json_string_value(json_object_get(body, "name"));
    int rc = access_unit_add(r->st, name, r->user.username, key, &err);
    json_t *o = rc ? NULL : json_pack("{s:s, s:s}", "name", name, "key", key);
    json_decref(body);
    if (rc) return server__reply_pkerr(r, rc, &err);
    return server__reply_json(r, 201, o);
}

static int units_revoke(server_req *r) {
    pk_err err;
    pk_err_clear(&err);
    int rc = access_unit_revoke(r->st, server__param(r, "name"), r->user.username, &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    return server__reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

const server_route server__users_routes[] = {
    {"GET", "/api/v1/users", SR_ADMIN, users_list, 0},
    {"POST", "/api/v1/users", SR_ADMIN, users_add, 0},
    {"GET", "/api/v1/users/{id}", SR_ADMIN, users_get, 0},
    {"POST", "/api/v1/users/{id}/training", SR_ADMIN, users_training, 0},
    {"POST", "/api/v1/users/{id}/status", SR_ADMIN, users_status, 0},
    {"POST", "/api/v1/users/{id}/password", SR_ADMIN, users_password, 0},
    {"GET", "/api/v1/units", SR_ADMIN, units_list, 0},
    {"POST", "/api/v1/units", SR_ADMIN, units_add, 0},
    {"DELETE", "/api/v1/units/{name}", SR_ADMIN, units_revoke, 0},
    {0},
};
