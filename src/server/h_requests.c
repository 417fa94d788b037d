/* Data-sharing requests (policy 472.7; issue 5 items 4 and 5): record (with the automatic
 * refusals), list, decide, fulfil (the package is written under DIR/exports), and the sharing
 * report. */
#include "server/server_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define DOC_BODY_MAX ((size_t)16 << 20) /* a 10 MiB document in base64, and the rest */

static void set_time(json_t *o, const char *k, int64_t ms) {
    if (!ms) return;
    char t[PK_TIME_STR_MAX];
    pk_time_format(ms, t);
    json_object_set_new(o, k, json_string(t));
}

static json_t *request_json(const records_request *r) {
    records_query q;
    records_request_scope(r, &q);
    char *scope = records_query_json(&q);
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s}", "id",
                          (json_int_t)r->id, "agency", r->agency, "agency_type", r->agency_type,
                          "state", r->state, "requester", r->requester, "contact", r->contact,
                          "purpose", r->purpose, "case", r->case_no, "scope",
                          json_loads(scope, 0, NULL), "status", r->status, "reason", r->reason,
                          "received_by", r->received_by);
    free(scope);
    set_time(o, "received_at", r->received_at);
    if (r->document_sha256[0]) json_object_set_new(o, "document_sha256", json_string(r->document_sha256));
    if (r->decided_by[0]) {
        json_object_set_new(o, "decided_by", json_string(r->decided_by));
        set_time(o, "decided_at", r->decided_at);
    }
    set_time(o, "approval_expires", r->approval_expires);
    if (r->fulfilled_by[0]) {
        json_object_set_new(o, "fulfilled_by", json_string(r->fulfilled_by));
        set_time(o, "fulfilled_at", r->fulfilled_at);
        json_object_set_new(o, "export_id", json_integer(r->export_id));
    }
    return o;
}

static int reply_request(server_req *r, unsigned status, int64_t id) {
    records_request q;
    pk_err err;
    pk_err_clear(&err);
    int rc = records_request_get(r->st, id, &q, &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    json_t *o = request_json(&q);
    records_request_fini(&q);
    return server__reply_json(r, status, o);
}

static int add_req(void *ctx, const records_request *q) {
    json_array_append_new(ctx, request_json(q));
    return 0;
}

static int requests_list(server_req *r) {
    static const char *const allowed[] = {"status", NULL};
    if (server__query_only(r, allowed)) return 0;
    json_t *a = json_array();
    pk_err err;
    pk_err_clear(&err);
    int rc = records_requests_each(r->st, server__query(r, "status"), add_req, a, &err);
    if (rc) {
        json_decref(a);
        return server__reply_pkerr(r, rc, &err);
    }
    return server__reply_json(r, 200, json_pack("{s:o}", "requests", a));
}

static int requests_report(server_req *r) {
    static const char *const allowed[] = {NULL};
    if (server__query_only(r, allowed)) return 0;
    json_t *a = json_array();
    pk_err err;
    pk_err_clear(&err);
    int rc = records_sharing_report(r->st, add_req, a, &err);
    if (rc) {
        json_decref(a);
        return server__reply_pkerr(r, rc, &err);
    }
    /* grouped by agency, each with its releases */
    json_t *agencies = json_array(), *cur = NULL;
    size_t i;
    json_t *q;
    json_array_foreach(a, i, q) {
        const char *ag = json_string_value(json_object_get(q, "agency"));
        if (!cur || strcmp(json_string_value(json_object_get(cur, "agency")), ag)) {
            cur = json_pack("{s:s, s:O, s:[]}", "agency", ag, "agency_type",
                            json_object_get(q, "agency_type"), "releases");
            json_array_append_new(agencies, cur);
        }
        json_array_append(json_object_get(cur, "releases"), q);
    }
    json_decref(a);
    return server__reply_json(r, 200, json_pack("{s:o}", "agencies", agencies));
}

static int requests_add(server_req *r) {
    const char *ct = server__header(r, "Content-Type");
    if (ct && strncasecmp(ct, "application/json", 16))
        return server__reply_error(r, 415, "unsupported_media_type", "Content-Type must be application/json");
    records_request_in in;
    pk_err err;
    pk_err_clear(&err);
    int rc = records_request_parse(r->body ? r->body : "", r->body_len, &in, &err);
    int64_t id = 0;
    records_actor a = server__records_actor(r);
    if (!rc) rc = records_request_add(r->st, &a, &in.spec, &id, NULL, &err);
    records_request_in_fini(&in);
    if (rc) return server__reply_pkerr(r, rc, &err);
    return reply_request(r, 201, id);
}

static int requests_decide(server_req *r) {
    int64_t id;
    if (server__param_id(r, "id", &id)) return 0;
    static const server_field spec[] = {{"decision", SF_STRING, 1, 16}, {"reason", SF_STRING, 0, 511}, {0}};
    json_t *b;
    if (server__json_body(r, spec, &b)) return 0;
    pk_err err;
    pk_err_clear(&err);
    records_actor a = server__records_actor(r);
    int rc = records_request_decide(r->st, &a, id, json_string_value(json_object_get(b, "decision")),
                                    json_string_value(json_object_get(b, "reason")), &err);
    json_decref(b);
    if (rc) return server__reply_pkerr(r, rc, &err);
    return reply_request(r, 200, id);
}

static int requests_fulfil(server_req *r) {
    int64_t id;
    if (server__param_id(r, "id", &id)) return 0;
    static const server_field spec[] = {{"scope", SF_OBJECT, 0, 0}, {0}};
    json_t *b = NULL;
    if (r->body_len && server__json_body(r, spec, &b)) return 0;
    pk_err err;
    pk_err_clear(&err);
    records_query narrow;
    int rc = PK_OK, have = 0;
    json_t *sc = b ? json_object_get(b, "scope") : NULL;
    if (sc) {
        char *t = json_dumps(sc, JSON_COMPACT);
        rc = records_query_parse(t, strlen(t), &narrow, &err);
        free(t);
        if (rc) pk_err_prefix(&err, "scope.");
        have = 1;
    }
    json_decref(b);
    char path[4400];
    if (!rc) rc = server__export_path(r, "request", id, path, sizeof path, &err);
    records_export_result res;
    records_actor a = server__records_actor(r);
    if (!rc) rc = records_request_fulfil(r->st, &a, id, have ? &narrow : NULL, path, &res, &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    return server__reply_export(r, &res);
}

static int requests_get(server_req *r) {
    int64_t id;
    if (server__param_id(r, "id", &id)) return 0;
    return reply_request(r, 200, id);
}

const server_route server__requests_routes[] = {
    {"GET", "/api/v1/requests", SR_ADMIN | SR_CUSTODIAN | SR_AUDITOR, requests_list, 0},
    {"POST", "/api/v1/requests", SR_ADMIN | SR_CUSTODIAN, requests_add, DOC_BODY_MAX},
    {"GET", "/api/v1/requests/report", SR_ADMIN | SR_CUSTODIAN | SR_AUDITOR, requests_report, 0},
    {"GET", "/api/v1/requests/{id}", SR_ADMIN | SR_CUSTODIAN | SR_AUDITOR, requests_get, 0},
    {"POST", "/api/v1/requests/{id}/decision", SR_ADMIN, requests_decide, 0},
    {"POST", "/api/v1/requests/{id}/fulfil", SR_ADMIN | SR_CUSTODIAN, requests_fulfil, 0},
    {0},
};
