/* The access log for auditors and administrators: read it, verify the hash chain, the audit
 * report, a random sample of searches to review, and recording a review (policy 472.6 c).
 * Reading the log is itself logged. */
#include "server/server_int.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "core/pktime.h"

/* from/to query parameters (ISO 8601); defaults: the last 30 days. Replies 400 when bad. */
static int period(server_req *r, int64_t *from, int64_t *to) {
    int64_t now = pk_clock_now(&r->srv->clock);
    *to = now;
    *from = now - 30 * PK_MS_PER_DAY;
    const char *names[2] = {"from", "to"};
    int64_t *outs[2] = {from, to};
    for (int i = 0; i < 2; i++) {
        const char *v = server__query(r, names[i]);
        if (!v || !*v) continue;
        pk_err err;
        pk_err_clear(&err);
        if (pk_time_parse(v, outs[i], &err))
            return server__reply_error(r, 400, "invalid", "%s: %s", names[i], err.msg), -1;
    }
    if (*from > *to) return server__reply_error(r, 400, "invalid", "from: after to"), -1;
    return 0;
}

typedef struct log_page {
    json_t *list;
    int64_t last_id;
} log_page;

static int log_item(void *ctx, const audit_record *rec) {
    log_page *p = ctx;
    json_array_append_new(p->list, audit_record_json(rec));
    p->last_id = rec->id;
    return 0;
}

static int audit_log(server_req *r) {
    static const char *const allowed[] = {"from", "to", "user", "action", "outcome",
                                          "limit", "cursor", NULL};
    if (server__query_only(r, allowed)) return 0;
    audit_filter f;
    audit_filter_init(&f);
    int64_t limit, cursor;
    if (server__query_i64(r, "limit", 1, 1000, 100, &limit)) return 0;
    if (server__query_i64(r, "cursor", 0, INT64_MAX, 0, &cursor)) return 0;
    const char *from = server__query(r, "from"), *to = server__query(r, "to");
    if ((from && *from) || (to && *to)) {
        if (period(r, &f.from, &f.to)) return 0;
        if (!from || !*from) f.from = INT64_MIN;
    }
    f.username = server__query(r, "user");
    f.action = server__query(r, "action");
    f.outcome = server__query(r, "outcome");
    f.limit = limit;
    f.after_id = cursor;
    f.newest_first = 1;
    log_page page = {json_array(), 0};
    pk_err err;
    pk_err_clear(&err);
    int rc = audit_log_each(r->st, &f, log_item, &page, &err);
    if (rc) {
        json_decref(page.list);
        return server__reply_pkerr(r, rc, &err);
    }
    char detail[64];
    snprintf(detail, sizeof detail, "%zu entries", json_array_size(page.list));
    server__audit(r, "audit.log", "ok", detail);
    json_t *o = json_pack("{s:o}", "entries", page.list);
    if ((int64_t)json_array_size(page.list) == limit && page.last_id > 1)
        json_object_set_new(o, "next", json_integer(page.last_id));
    else
        json_object_set_new(o, "next", json_null());
    return server__reply_json(r, 200, o);
}

static int verify(server_req *r) {
    static const char *const allowed[] = {NULL};
    if (server__query_only(r, allowed)) return 0;
    audit_verify_result res;
    pk_err err;
    pk_err_clear(&err);
    int rc = audit_verify(r->st, &res, &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    server__audit(r, "audit.verify", "ok", res.intact ? "intact" : res.reason);
    json_t *o = json_pack("{s:b, s:I}", "intact", res.intact, "checked", (json_int_t)res.checked);
    json_object_set_new(o, "first_bad", res.intact ? json_null() : json_integer(res.first_bad));
    if (!res.intact) json_object_set_new(o, "reason", json_string(res.reason));
    return server__reply_json(r, 200, o);
}

static int add_overdue(void *ctx, const records_hold *h) {
    json_array_append_new(ctx, server__hold_json(h));
    return 0;
}

static int report(server_req *r) {
    static const char *const allowed[] = {"from", "to", NULL};
    if (server__query_only(r, allowed)) return 0;
    int64_t from, to;
    if (period(r, &from, &to)) return 0;
    json_t *out = NULL;
    pk_err err;
    pk_err_clear(&err);
    int rc = audit_report(r->st, from, to, pk_clock_now(&r->srv->clock), &out, &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    /* approved holds past their review date (records, issue 5 item 2) */
    json_t *overdue = json_array();
    rc = records_holds_overdue(r->st, &r->srv->clock, add_overdue, overdue, &err);
    if (rc) {
        json_decref(overdue);
        json_decref(out);
        return server__reply_pkerr(r, rc, &err);
    }
    json_object_set_new(out, "holds_overdue", overdue);
    server__audit(r, "audit.report", "ok", NULL);
    return server__reply_json(r, 200, out);
}

static int sample(server_req *r) {
    static const char *const allowed[] = {"from", "to", "n", "seed", NULL};
    if (server__query_only(r, allowed)) return 0;
    int64_t from, to, n, seed;
    if (period(r, &from, &to)) return 0;
    if (server__query_i64(r, "n", 1, 1000, 20, &n)) return 0;
    if (server__query_i64(r, "seed", 0, INT64_MAX, 0, &seed)) return 0;
    json_t *out = NULL;
    pk_err err;
    pk_err_clear(&err);
    int rc = audit_sample(r->st, from, to, (int)n, (uint64_t)seed, &out, &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    server__audit(r, "audit.sample", "ok", NULL);
    return server__reply_json(r, 200, json_pack("{s:o}", "sample", out));
}

static int review(server_req *r) {
    static const server_field spec[] = {
        {"entry_id", SF_INT, 1, 0},
        {"finding", SF_STRING, 1, 2000},
        {"approved_by", SF_STRING, 1, ACCESS_NAME_MAX - 1},
        {0},
    };
    json_t *body;
    if (server__json_body(r, spec, &body)) return 0;
    int64_t id = 0;
    pk_err err;
    pk_err_clear(&err);
    int rc = audit_review_add(r->st, json_integer_value(json_object_get(body, "entry_id")),
                              r->user.username,
                              json_string_value(json_object_get(body, "finding")),
                              json_string_value(json_object_get(body, "approved_by")), r->client,
                              pk_clock_now(&r->srv->clock), &id, &err);
    json_decref(body);
    if (rc) return server__reply_pkerr(r, rc, &err);
    return server__reply_json(r, 201, json_pack("{s:I}", "id", (json_int_t)id));
}

const server_route server__audit_routes[] = {
    {"GET", "/api/v1/audit/log", SR_AUDITOR | SR_ADMIN, audit_log, 0},
    {"GET", "/api/v1/audit/verify", SR_AUDITOR | SR_ADMIN, verify, 0},
    {"GET", "/api/v1/audit/report", SR_AUDITOR | SR_ADMIN, report, 0},
    {"GET", "/api/v1/audit/sample", SR_AUDITOR | SR_ADMIN, sample, 0},
    {"POST", "/api/v1/audit/reviews", SR_AUDITOR | SR_ADMIN, review, 0},
    {0},
};
