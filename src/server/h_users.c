/* Accounts: /api/v1/users (administrators only). Administrative work needs no data access, so
 * none of these routes opens an access grant; every change is logged by src/access. */
#include "server/server_int.h"

#include <stdio.h>
#include <string.h>

json_t *server__user_json(const access_user *u) {
    const char *role = access_role_name(u->role);
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)u->id, "username",
                     u->username, "full_name", u->full_name, "job_title", u->job_title, "agency",
                     u->agency, "role", role ? role : "none", "status", u->status);
}

static int users_add(server_req *r) {
    static const server_field spec[] = {
        {"username", SF_STRING, 1, ACCESS_NAME_MAX - 1},
        {"full_name", SF_STRING, 1, 127},
        {"job_title", SF_STRING, 1, 127},
        {"role", SF_STRING, 1, 32},
        {"agency", SF_STRING, 0, 127},
        {"password", SF_STRING, 1, 1024},
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
    int rc = access_user_add(r->st, &u, json_string_value(json_object_get(body, "password")),
                             r->user.username, &u.id, &err);
    json_decref(body);
    if (rc) return server__reply_pkerr(r, rc, &err);
    server_publish(r->srv, "system", "{\"event\": \"user.add\"}");
    return server__reply_json(r, 201, json_pack("{s:o}", "user", server__user_json(&u)));
}

const server_route server__users_routes[] = {
    {"POST", "/api/v1/users", SR_ADMIN, users_add, 0},
    {0},
};
