/* Sessions: log in (POST), who am I (GET), log out (DELETE).
 *
 * A login answers the bearer token for API clients and also sets the session cookie for the
 * browser (HttpOnly so scripts cannot read it, SameSite=Strict so other sites cannot send it,
 * Secure under TLS). The CSRF token comes back in the body only: the browser keeps it in
 * memory and sends it as X-CSRF-Token on every state-changing request (checked by the
 * dispatcher). */
#include "server/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pktime.h"

#define SESSION_COOKIE "pk_session"

/* The user object of session answers: the account plus its training state, so that a client
 * can say "training required" before the first refused search. */
static json_t *session_user(server_req *r, const access_user *u) {
    json_t *o = server__user_json(u);
    int current = 0;
    int64_t due = 0;
    if (access_training_status(r->st, u, &r->srv->clock, &current, &due, NULL) == PK_OK) {
        char d[PK_TIME_STR_MAX];
        pk_time_format(due, d);
        json_object_set_new(o, "training", json_pack("{s:b, s:o}", "current", current, "due",
                                                     due ? json_string(d) : json_null()));
    }
    return o;
}

/* The purposes a data request may state (codes, labels, whether a case is needed). */
static int purposes(server_req *r) {
    access_purpose *p = NULL;
    size_t n = 0;
    pk_err err;
    pk_err_clear(&err);
    int rc = access_purposes_get(r->st, &p, &n, &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "code", p[i].code, "label",
                                              p[i].label, "needs_case", p[i].needs_case));
    free(p);
    return server__reply_json(r, 200, json_pack("{s:o}", "purposes", list));
}

static void set_cookie(server_req *r, const char *token, long max_age) {
    char c[256];
    snprintf(c, sizeof c, "%s=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Strict%s",
             SESSION_COOKIE, token, max_age, r->srv->tls ? "; Secure" : "");
    server__reply_header(r, "Set-Cookie", c);
}

static int login(server_req *r) {
    static const server_field spec[] = {
        {"username", SF_STRING, 1, ACCESS_NAME_MAX - 1},
        {"password", SF_STRING, 1, 1024},
        {0},
    };
    json_t *body;
    if (server__json_body(r, spec, &body)) return 0;
    const char *username = json_string_value(json_object_get(body, "username"));
    const char *password = json_string_value(json_object_get(body, "password"));
    pk_err err;
    pk_err_clear(&err);
    access_user u;
    int rc = access_login(r->st, username, password, r->client, &u, &err);
    json_decref(body);
    if (rc == PK_EAUTH || rc == PK_ENOTFOUND)
        return server__reply_error(r, 401, "unauthorized", "%s",
                                   err.msg[0] ? err.msg : "wrong username or password");
    if (rc) return server__reply_pkerr(r, rc, &err);
    char token[ACCESS_TOKEN_MAX], csrf[ACCESS_TOKEN_MAX];
    int64_t expires;
    rc = access_session_start(r->st, &u, r->client, &r->srv->clock, token, csrf, &expires, &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    char exp[PK_TIME_STR_MAX];
    pk_time_format(expires, exp);
    long max_age = (long)((expires - pk_clock_now(&r->srv->clock)) / 1000);
    set_cookie(r, token, max_age > 0 ? max_age : 0);
    json_t *o = json_pack("{s:s, s:s, s:o, s:s}", "token", token, "csrf", csrf, "user",
                          session_user(r, &u), "expires", exp);
    return server__reply_json(r, 200, o);
}

static int whoami(server_req *r) {
    return server__reply_json(r, 200, json_pack("{s:o}", "user", session_user(r, &r->user)));
}

static int logout(server_req *r) {
    pk_err err;
    pk_err_clear(&err);
    int rc = access_session_end(r->st, r->token, r->client, &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    set_cookie(r, "", 0);
    return server__reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

/* The caller changes their own password; their other sessions end, this one stays. */
static int password(server_req *r) {
    static const server_field spec[] = {
        {"old_password", SF_STRING, 1, 1024},
        {"new_password", SF_STRING, 1, 256},
        {0},
    };
    json_t *body;
    if (server__json_body(r, spec, &body)) return 0;
    pk_err err;
    pk_err_clear(&err);
    int rc = access_password_change(r->st, r->user.username,
                                    json_string_value(json_object_get(body, "old_password")),
                                    json_string_value(json_object_get(body, "new_password")),
                                    r->token, r->client, &err);
    json_decref(body);
    if (rc == PK_EAUTH) return server__reply_error(r, 403, "forbidden", "old_password: wrong");
    if (rc) return server__reply_pkerr(r, rc, &err);
    return server__reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

const server_route server__session_routes[] = {
    {"POST", "/api/v1/session", SR_PUBLIC, login, 64 * 1024},
    {"GET", "/api/v1/session", SR_ANY_USER, whoami, 0},
    {"DELETE", "/api/v1/session", SR_ANY_USER, logout, 0},
    {"POST", "/api/v1/session/password", SR_ANY_USER, password, 64 * 1024},
    {"GET", "/api/v1/purposes", SR_ANY_USER, purposes, 0},
    {0},
};
