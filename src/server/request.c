/* Request input for handlers: validated JSON bodies, query and path parameters, headers, the
 * access grant, and access-log entries written as the caller. Each helper answers bad input
 * itself (STYLE.md rule 6). */
#include "server/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

const char *server__header(server_req *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *server__query(server_req *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

typedef struct qcheck {
    const char *const *allowed;
    char bad[80];
    int dup;
} qcheck;

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value) {
    (void)kind;
    (void)value;
    qcheck *q = cls;
    for (const char *const *a = q->allowed; *a; a++)
        if (!strcmp(*a, key)) return MHD_YES;
    snprintf(q->bad, sizeof q->bad, "%.64s", key);
    return MHD_NO;
}

int server__query_only(server_req *r, const char *const *allowed) {
    qcheck q = {allowed, "", 0};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, check_arg, &q);
    if (q.bad[0])
        return server__reply_error(r, 400, "unknown_parameter", "%s: unknown query parameter",
                                   q.bad),
               -1;
    return 0;
}

int server__query_i64(server_req *r, const char *name, int64_t min, int64_t max, int64_t dflt,
                      int64_t *out) {
    const char *v = server__query(r, name);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (server__parse_i64(v, min, max, out))
        return server__reply_error(r, 400, "invalid", "%s: must be an integer from %lld to %lld",
                                   name, (long long)min, (long long)max),
               -1;
    return 0;
}

const char *server__param(const server_req *r, const char *name) {
    for (int i = 0; i < r->params.n; i++)
        if (!strcmp(r->params.name[i], name)) return r->params.value[i];
    return "";
}

int server__param_id(server_req *r, const char *name, int64_t *out) {
    if (server__parse_i64(server__param(r, name), 1, INT64_MAX, out))
        return server__reply_error(r, 404, "not_found", "%s: no such id", name), -1;
    return 0;
}

int server__json_body(server_req *r, const server_field *spec, json_t **out) {
    *out = NULL;
    const char *ct = server__header(r, "Content-Type");
    if (ct && strncasecmp(ct, "application/json", 16))
        return server__reply_error(r, 415, "unsupported_media_type",
                                   "Content-Type must be application/json"),
               -1;
    server_perr e;
    json_t *obj;
    if (server__json_parse(r->body ? r->body : "", r->body_len, SERVER__MAX_DEPTH, &obj, &e))
        return server__reply_error(r, 400, e.code, "%s", e.msg), -1;
    if (server__json_check(obj, spec, &e)) {
        json_decref(obj);
        return server__reply_error(r, 400, e.code, "%s", e.msg), -1;
    }
    *out = obj;
    return 0;
}

int server__grant_open(server_req *r, access_action action, json_t *body, const char *query_json,
                       access_grant **g) {
    *g = NULL;
    if (r->auth != SERVER_AUTH_BEARER && r->auth != SERVER_AUTH_COOKIE)
        return server__reply_error(r, 403, "forbidden", "read data needs a logged-in user"), -1;
    const char *purpose = NULL, *case_no = NULL;
    if (body) {
        purpose = json_string_value(json_object_get(body, "purpose"));
        case_no = json_string_value(json_object_get(body, "case"));
    } else {
        purpose = server__query(r, "purpose");
        case_no = server__query(r, "case");
    }
    if (case_no && !*case_no) case_no = NULL;
    /* An over-long purpose or case is refused by the gate like any other bad one, so the
     * refusal is in the access log (issue 3 item 6); the gate logs only a bounded prefix. */
    r->gated = 1;
    access_request req = {
        .user = &r->user,
        .action = action,
        .purpose = purpose,
        .case_no = case_no,
        .client = r->client,
        .clock = &r->srv->clock,
    };
    pk_err err;
    pk_err_clear(&err);
    int rc = access_grant_open(r->st, &req, query_json, g, &err);
    if (rc) return server__reply_pkerr(r, rc, &err), -1;
    return 0;
}

void server__audit(server_req *r, const char *action, const char *outcome, const char *detail) {
    audit_entry e = {
        .username = r->auth == SERVER_AUTH_UNIT ? r->unit : r->user.username,
        .agency = r->auth == SERVER_AUTH_UNIT ? NULL : r->user.agency,
        .action = action,
        .result_count = -1,
        .client = r->client,
        .outcome = outcome,
        .detail = detail,
    };
    pk_err err;
    pk_err_clear(&err);
    if (audit_append(r->st, &e, NULL, &err))
        fprintf(stderr, "platekeeper serve: access log: %s\n", err.msg);
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value) {
    (void)kind;
    json_t *o = cls;
    if (json_object_size(o) >= 32) return MHD_NO;
    char k[72], v[72];
    /* bounded: a refused request must not grow the log by its own size */
    snprintf(k, sizeof k, "%.64s", key ? key : "");
    snprintf(v, sizeof v, "%.64s%s", value ? value : "", value && strlen(value) > 64 ? "..." : "");
    json_t *s = json_string(v);
    if (!s) s = json_string("(not UTF-8)");
    json_object_set_new(o, k, s);
    return MHD_YES;
}

int server__data_refused(server_req *r, access_action action) {
    json_t *q = json_object();
    json_object_set_new(q, "path", json_string(r->url));
    json_t *args = json_object();
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, add_arg, args);
    json_object_set_new(q, "params", args);
    char *text = json_dumps(q, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(q);
    const char *purpose = json_string_value(json_object_get(args, "purpose"));
    const char *case_no = json_string_value(json_object_get(args, "case"));
    audit_entry e = {
        .username = r->user.username,
        .agency = r->user.agency,
        .action = access_action_name(action),
        .query = text,
        .purpose = purpose && *purpose ? purpose : NULL,
        .case_no = case_no && *case_no ? case_no : NULL,
        .result_count = -1,
        .client = r->client,
        .outcome = "refused",
        .detail = r->reply_msg[0] ? r->reply_msg : "bad request",
    };
    pk_err err;
    pk_err_clear(&err);
    if (audit_append(r->st, &e, NULL, &err))
        fprintf(stderr, "platekeeper serve: access log: %s\n", err.msg);
    free(text);
    return 0;
}

int server__data_route(server_req *r, access_action action, server__handler fn) {
    int rc = fn(r);
    if (r->replied && !r->gated && r->status >= 400 && r->status < 500)
        server__data_refused(r, action);
    return rc;
}
