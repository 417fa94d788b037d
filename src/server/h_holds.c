/* Holds for cases (issue 5 items 2 and 5): list, open, show, approve, release. The records
 * module checks roles, goes through the gate for the selection and logs every change. */
#include "server/server_int.h"

#include <stdlib.h>
#include <string.h>

#include "records/records.h"

records_actor server__records_actor(server_req *r) {
    records_actor a = {&r->user, r->client, &r->srv->clock};
    return a;
}

static void set_time(json_t *o, const char *k, int64_t ms) {
    if (!ms) return;
    char t[PK_TIME_STR_MAX];
    pk_time_format(ms, t);
    json_object_set_new(o, k, json_string(t));
}

json_t *server__hold_json(const records_hold *h) {
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I}", "id", (json_int_t)h->id, "case",
                          h->case_no, "reason", h->reason, "contact", h->contact, "status",
                          h->status, "opened_by", h->opened_by, "reads", (json_int_t)h->n_reads);
    set_time(o, "opened_at", h->opened_at);
    set_time(o, "review_at", h->review_at);
    if (h->query) {
        json_t *q = json_loads(h->query, 0, NULL);
        if (q) json_object_set_new(o, "query", q);
    }
    if (h->approved_by[0]) {
        json_object_set_new(o, "approved_by", json_string(h->approved_by));
        set_time(o, "approved_at", h->approved_at);
    }
    if (h->released_by[0]) {
        json_object_set_new(o, "released_by", json_string(h->released_by));
        set_time(o, "released_at", h->released_at);
        json_object_set_new(o, "release_reason", json_string(h->release_reason));
    }
    return o;
}

static int reply_hold(server_req *r, unsigned status, int64_t id) {
    records_hold h;
    pk_err err;
    pk_err_clear(&err);
    int rc = records_hold_get(r->st, id, &h, &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    json_t *o = server__hold_json(&h);
    records_hold_fini(&h);
    return server__reply_json(r, status, o);
}

static int add_hold(void *ctx, const records_hold *h) {
    json_array_append_new(ctx, server__hold_json(h));
    return 0;
}

static int holds_list(server_req *r) {
    static const char *const allowed[] = {"status", "overdue", NULL};
    if (server__query_only(r, allowed)) return 0;
    const char *overdue = server__query(r, "overdue");
    json_t *a = json_array();
    pk_err err;
    pk_err_clear(&err);
    int rc = overdue && !strcmp(overdue, "1")
                 ? records_holds_overdue(r->st, &r->srv->clock, add_hold, a, &err)
                 : records_holds_each(r->st, server__query(r, "status"), add_hold, a, &err);
    if (rc) {
        json_decref(a);
        return server__reply_pkerr(r, rc, &err);
    }
    return server__reply_json(r, 200, json_pack("{s:o}", "holds", a));
}

static int holds_open(server_req *r) {
    static const server_field spec[] = {
        {"case", SF_STRING, 1, 65536},   {"reason", SF_STRING, 1, 511},
        {"contact", SF_STRING, 1, 255},  {"read_ids", SF_ARRAY, 0, 0},
        {"query", SF_OBJECT, 0, 0},      {"review_days", SF_INT, 0, 0},
        {"purpose", SF_STRING, 0, 65536}, {0}};
    /* case and purpose of any length go on to the gate, which refuses and logs an over-long one
     * (keeping 64 characters of it): every refused data access is in the access log (issue 3
     * item 6). The body's own size limit still bounds them. */
    json_t *b;
    if (server__json_body(r, spec, &b)) return 0;
    json_t *ids_j = json_object_get(b, "read_ids"), *q_j = json_object_get(b, "query");
    if (!ids_j == !q_j) {
        json_decref(b);
        return server__reply_error(r, 400, "invalid", "read_ids: give either read_ids or query");
    }
    pk_err err;
    pk_err_clear(&err);
    records_search q;
    size_t n = ids_j ? json_array_size(ids_j) : 0;
    int64_t *ids = pk_xmalloc((n + 1) * sizeof *ids);
    int rc = PK_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        json_t *v = json_array_get(ids_j, i);
        if (!json_is_integer(v) || json_integer_value(v) <= 0)
            rc = pk_err_set(&err, PK_EINVAL, "read_ids[%zu]: expected a read id", i);
        else
            ids[i] = json_integer_value(v);
    }
    if (!rc && ids_j && !n) rc = pk_err_set(&err, PK_EINVAL, "read_ids: empty");
    if (!rc && q_j) {
        char *qt = json_dumps(q_j, JSON_COMPACT);
        rc = records_search_parse(qt, strlen(qt), &q, &err);
        free(qt);
        if (rc) pk_err_prefix(&err, "query.");
    }
    int64_t id = 0;
    if (!rc) {
        records_hold_spec hs = {json_string_value(json_object_get(b, "case")),
                                json_string_value(json_object_get(b, "reason")),
                                json_string_value(json_object_get(b, "contact")),
                                ids,
                                n,
                                q_j ? &q.q : NULL,
                                r->srv->index,
                                json_string_value(json_object_get(b, "purpose")),
                                json_integer_value(json_object_get(b, "review_days"))};
        records_actor a = server__records_actor(r);
        rc = records_hold_open(r->st, &a, &hs, &id, &err);
    }
    free(ids);
    json_decref(b);
    if (rc) return server__reply_pkerr(r, rc, &err);
    return reply_hold(r, 201, id);
}

static int holds_get(server_req *r) {
    int64_t id;
    if (server__param_id(r, "id", &id)) return 0;
    return reply_hold(r, 200, id);
}

static int holds_change(server_req *r, int approve) {
    int64_t id;
    if (server__param_id(r, "id", &id)) return 0;
    static const server_field spec[] = {{"reason", SF_STRING, 0, 511}, {0}};
    json_t *b = NULL;
    if (r->body_len && server__json_body(r, spec, &b)) return 0;
    pk_err err;
    pk_err_clear(&err);
    records_actor a = server__records_actor(r);
    int rc = approve ? records_hold_approve(r->st, &a, id, &err)
                     : records_hold_release(r->st, &a, id,
                                            b ? json_string_value(json_object_get(b, "reason")) : NULL,
                                            &err);
    json_decref(b);
    if (rc) return server__reply_pkerr(r, rc, &err);
    return reply_hold(r, 200, id);
}

static int holds_approve(server_req *r) {
    return holds_change(r, 1);
}

static int holds_release(server_req *r) {
    return holds_change(r, 0);
}

/* GET /api/v1/purges: the purge log (counts only, never plates). */
static int add_purge(void *ctx, const records_purge_entry *e) {
    json_t *o = json_pack("{s:I, s:b, s:I, s:I, s:I, s:I, s:I, s:s}", "id", (json_int_t)e->id,
                          "dry_run", e->dry_run, "reads_deleted", (json_int_t)e->reads_deleted,
                          "images_deleted", (json_int_t)e->images_deleted, "held_kept",
                          (json_int_t)e->held_kept, "hits_kept", (json_int_t)e->hits_kept,
                          "duration_ms", (json_int_t)e->duration_ms, "run_by", e->run_by);
    set_time(o, "started_at", e->started_at);
    set_time(o, "cutoff", e->cutoff);
    json_array_append_new(ctx, o);
    return 0;
}

static int purges_list(server_req *r) {
    static const char *const allowed[] = {NULL};
    if (server__query_only(r, allowed)) return 0;
    json_t *a = json_array();
    pk_err err;
    pk_err_clear(&err);
    int rc = records_purge_log_each(r->st, add_purge, a, &err);
    if (rc) {
        json_decref(a);
        return server__reply_pkerr(r, rc, &err);
    }
    return server__reply_json(r, 200, json_pack("{s:o}", "purges", a));
}

const server_route server__holds_routes[] = {
    {"GET", "/api/v1/purges", SR_ADMIN | SR_CUSTODIAN | SR_AUDITOR, purges_list, 0},
    {"GET", "/api/v1/holds", SR_ADMIN | SR_INVESTIGATOR | SR_CUSTODIAN | SR_AUDITOR, holds_list, 0},
    {"POST", "/api/v1/holds", SR_ADMIN | SR_INVESTIGATOR | SR_CUSTODIAN, holds_open, 0},
    {"GET", "/api/v1/holds/{id}", SR_ADMIN | SR_INVESTIGATOR | SR_CUSTODIAN | SR_AUDITOR, holds_get, 0},
    {"POST", "/api/v1/holds/{id}/approve", SR_ADMIN, holds_approve, 0},
    {"POST", "/api/v1/holds/{id}/release", SR_ADMIN | SR_CUSTODIAN, holds_release, 0},
    {0},
};
