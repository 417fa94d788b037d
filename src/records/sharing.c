/* Data-sharing requests (policy 472.7): record, refuse automatically, decide, fulfil, report. */
#include "records/records_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define DOC_MAX (10u << 20)

static const char *const AGENCY_TYPES[] = {"law_enforcement", "prosecutor", "other_public",
                                           "private", "federal"};

static const char *jstr(json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int records_request_parse(const char *json, size_t len, records_request_in *in, pk_err *err) {
    memset(in, 0, sizeof *in);
    json_error_t je;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!o) return pk_err_set(err, PK_EINVAL, "request: invalid JSON at %d: %s", je.position, je.text);
    in->json_ = o;
    if (!json_is_object(o)) return pk_err_set(err, PK_EINVAL, "request: expected a JSON object");
    static const char *const fields[] = {"agency", "agency_type", "state", "requester",
                                         "contact", "purpose", "case"};
    for (size_t i = 0; i < 7; i++) {
        json_t *v = json_object_get(o, fields[i]);
        if (v && !json_is_string(v) && !json_is_null(v))
            return pk_err_set(err, PK_EINVAL, "%s: expected text", fields[i]);
    }
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        int known = !strcmp(key, "scope") || !strcmp(key, "document");
        for (size_t i = 0; i < 7 && !known; i++) known = !strcmp(key, fields[i]);
        if (!known) return pk_err_set(err, PK_EINVAL, "%s: unknown field", key);
    }
    records_request_spec *s = &in->spec;
    s->agency = jstr(o, "agency");
    s->agency_type = jstr(o, "agency_type");
    s->state = jstr(o, "state");
    s->requester = jstr(o, "requester");
    s->contact = jstr(o, "contact");
    s->purpose = jstr(o, "purpose");
    s->case_no = jstr(o, "case");
    json_t *scope = json_object_get(o, "scope");
    if (!scope) return pk_err_set(err, PK_EINVAL, "scope: required (plates, from, to, near)");
    int rc = records__query_from_json(scope, &s->scope, err);
    if (rc) return pk_err_prefix(err, "scope: ");
    json_t *doc = json_object_get(o, "document");
    if (doc && !json_is_null(doc)) {
        if (!json_is_string(doc)) return pk_err_set(err, PK_EINVAL, "document: expected base64 text");
        size_t dl = json_string_length(doc);
        if (dl / 4 * 3 > DOC_MAX)
            return pk_err_set(err, PK_ELIMIT, "document: larger than %u bytes", DOC_MAX);
        in->doc_ = pk_xmalloc(dl / 4 * 3 + 3);
        size_t got = 0;
        const char *end = NULL;
        if (sodium_base642bin(in->doc_, dl / 4 * 3 + 3, json_string_value(doc), dl, " \r\n\t",
                              &got, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
            (end && *end))
            return pk_err_set(err, PK_EINVAL, "document: not valid base64");
        s->document = in->doc_;
        s->document_len = got;
    }
    return PK_OK;
}

void records_request_in_fini(records_request_in *in) {
    json_decref(in->json_);
    free(in->doc_);
    memset(in, 0, sizeof *in);
}

static int need(const char *v, const char *field, size_t max, pk_err *err) {
    if (!v || !*v) return pk_err_set(err, PK_EINVAL, "%s: required", field);
    if (strlen(v) >= max) return pk_err_set(err, PK_EINVAL, "%s: longer than %zu characters", field, max - 1);
    return PK_OK;
}

static void add_reason(char *buf, size_t n, const char *why) {
    size_t l = strlen(buf);
    snprintf(buf + l, n - l, "%s%s", l ? "; " : "", why);
}

static char *scope_plates_json(const records_query *q) {
    json_t *a = json_array();
    for (size_t i = 0; i < q->n_plates; i++) json_array_append_new(a, json_string(q->plates[i]));
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

int records_request_add(store *st, const records_actor *a, const records_request_spec *spec,
                        int64_t *id, records_request *out, pk_err *err) {
    int rc = records__require(a, 0, err, "sharing request", ACCESS_ROLE_ADMIN,
                              ACCESS_ROLE_CUSTODIAN, -1);
    if (rc) return rc;
    if ((rc = need(spec->agency, "agency", 256, err)) ||
        (rc = need(spec->agency_type, "agency_type", 24, err)) ||
        (rc = need(spec->state, "state", 8, err)) ||
        (rc = need(spec->requester, "requester", 256, err)) ||
        (rc = need(spec->contact, "contact", 256, err)))
        return rc;
    if (spec->purpose && strlen(spec->purpose) >= STORE_TEXT_MAX)
        return pk_err_set(err, PK_EINVAL, "purpose: longer than %d characters", STORE_TEXT_MAX - 1);
    if (spec->case_no && strlen(spec->case_no) >= STORE_CASE_MAX)
        return pk_err_set(err, PK_EINVAL, "case: longer than %d characters", STORE_CASE_MAX - 1);
    int type_ok = 0;
    for (size_t i = 0; i < 5; i++) type_ok |= !strcmp(spec->agency_type, AGENCY_TYPES[i]);
    if (!type_ok)
        return pk_err_set(err, PK_EINVAL, "agency_type: '%s' is not one of law_enforcement, "
                          "prosecutor, other_public, private, federal", spec->agency_type);
    char state[8];
    size_t sl = strlen(spec->state);
    if (sl != 2 || !isalpha((unsigned char)spec->state[0]) || !isalpha((unsigned char)spec->state[1]))
        return pk_err_set(err, PK_EINVAL, "state: expected a two-letter state code");
    state[0] = (char)toupper((unsigned char)spec->state[0]);
    state[1] = (char)toupper((unsigned char)spec->state[1]);
    state[2] = '\0';
    const records_query *q = &spec->scope;
    if (!q->n_plates && !q->has_from && !q->has_to && !q->has_near)
        return pk_err_set(err, PK_EINVAL, "scope: give plates, a time range or an area");

    store_request r;
    memset(&r, 0, sizeof r);
    snprintf(r.agency, sizeof r.agency, "%s", spec->agency);
    snprintf(r.agency_type, sizeof r.agency_type, "%s", spec->agency_type);
    snprintf(r.state, sizeof r.state, "%s", state);
    snprintf(r.requester, sizeof r.requester, "%s", spec->requester);
    snprintf(r.contact, sizeof r.contact, "%s", spec->contact);
    snprintf(r.purpose, sizeof r.purpose, "%s", spec->purpose ? spec->purpose : "");
    snprintf(r.case_no, sizeof r.case_no, "%s", spec->case_no ? spec->case_no : "");
    char *plates = scope_plates_json(q);
    r.scope_plates = plates;
    r.has_from = q->has_from;
    r.scope_from = q->from;
    r.has_to = q->has_to;
    r.scope_to = q->to;
    r.has_near = q->has_near;
    r.scope_lat = q->lat;
    r.scope_lon = q->lon;
    r.scope_radius_m = q->radius_m;
    r.document = (unsigned char *)spec->document;
    r.document_len = spec->document ? spec->document_len : 0;
    if (r.document_len) records__sha256_hex(r.document, r.document_len, r.document_sha256);

    /* The automatic refusals (policy 472.7; Civil Code §1798.90.55(b); AG bulletin 2023). */
    char why[STORE_TEXT_MAX] = "";
    if (!strcmp(r.agency_type, "private"))
        add_reason(why, sizeof why, "not a public agency: ALPR data is never sold, shared or "
                                    "transferred to private entities (Civil Code 1798.90.55(b))");
    if (!strcmp(r.agency_type, "federal"))
        add_reason(why, sizeof why, "federal agency: refused per the Attorney General's 2023 "
                                    "guidance on SB 34");
    if (strcmp(r.state, "CA"))
        add_reason(why, sizeof why, "agency outside California: refused per the Attorney "
                                    "General's 2023 guidance on SB 34");
    if (!r.document_len)
        add_reason(why, sizeof why, "no written request document attached (policy 472.7)");
    if (!r.purpose[0]) add_reason(why, sizeof why, "no purpose stated (policy 472.7)");
    int64_t now = records__now(a);
    if (why[0]) {
        snprintf(r.status, sizeof r.status, "denied");
        snprintf(r.reason, sizeof r.reason, "%s", why);
    } else if (!strcmp(r.agency_type, "other_public")) {
        snprintf(r.status, sizeof r.status, "referred");
        snprintf(r.reason, sizeof r.reason, "public agency that is neither law enforcement nor a "
                                            "prosecutor: referred to the records-release process");
    } else {
        snprintf(r.status, sizeof r.status, "pending");
    }
    if (strcmp(r.status, "pending")) {
        snprintf(r.decided_by, sizeof r.decided_by, "system");
        r.decided_at = now;
    }
    snprintf(r.received_by, sizeof r.received_by, "%s", records__who(a));
    r.received_at = now;

    int64_t rid = 0;
    if (!(rc = store_begin(st, err))) {
        rc = store_request_add(st, &r, &rid, err);
        if (!rc) {
            char *scope = records_query_json(q);
            json_t *lq = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o}", "request_id", (json_int_t)rid,
                                   "agency", r.agency, "agency_type", r.agency_type, "state",
                                   r.state, "status", r.status, "scope", json_loads(scope, 0, NULL));
            char *lt = json_dumps(lq, JSON_COMPACT | JSON_SORT_KEYS);
            rc = records__log(st, a, "request.add", lt, r.case_no, -1, "ok",
                              r.reason[0] ? r.reason : NULL, err);
            free(lt);
            json_decref(lq);
            free(scope);
        }
        if (rc)
            store_rollback(st);
        else
            rc = store_commit(st, err);
    }
    free(plates);
    if (rc) return rc;
    if (id) *id = rid;
    if (out) rc = store_request_get(st, rid, out, err);
    return rc;
}

int records_request_decide(store *st, const records_actor *a, int64_t id, const char *decision,
                           const char *reason, pk_err *err) {
    int rc = records__require(a, 0, err, "request decision", ACCESS_ROLE_ADMIN, -1);
    if (rc) return rc;
    int approve;
    if (decision && !strcmp(decision, "approve"))
        approve = 1;
    else if (decision && !strcmp(decision, "deny"))
        approve = 0;
    else
        return pk_err_set(err, PK_EINVAL, "decision: expected approve or deny");
    if (!approve && (!reason || !*reason))
        return pk_err_set(err, PK_EINVAL, "reason: required when denying a request");
    if (reason && strlen(reason) >= STORE_TEXT_MAX)
        return pk_err_set(err, PK_EINVAL, "reason: longer than %d characters", STORE_TEXT_MAX - 1);
    store_request r;
    if ((rc = store_request_get(st, id, &r, err))) return rc;
    int64_t now = records__now(a);
    int64_t days = store_setting_int(st, "request_approval_days", RECORDS_APPROVAL_DEFAULT_DAYS);
    if (days < 1) days = RECORDS_APPROVAL_DEFAULT_DAYS;
    if (!(rc = store_begin(st, err))) {
        rc = store_request_decide(st, id, approve ? "approved" : "denied", reason, records__who(a),
                                  now, approve ? now + days * PK_MS_PER_DAY : 0, err);
        if (!rc) {
            json_t *lq = json_pack("{s:I, s:s, s:s, s:s?}", "request_id", (json_int_t)id,
                                   "agency", r.agency, "decision", decision, "reason", reason);
            char *lt = json_dumps(lq, JSON_COMPACT | JSON_SORT_KEYS);
            rc = records__log(st, a, "request.decide", lt, r.case_no, -1, "ok", NULL, err);
            free(lt);
            json_decref(lq);
        }
        if (rc)
            store_rollback(st);
        else
            rc = store_commit(st, err);
    }
    store_request_fini(&r);
    return rc;
}

void records_request_scope(const records_request *r, records_query *q) {
    memset(q, 0, sizeof *q);
    json_t *a = json_loads(r->scope_plates ? r->scope_plates : "[]", 0, NULL);
    size_t i;
    json_t *p;
    json_array_foreach(a, i, p) {
        if (q->n_plates >= RECORDS_MAX_PLATES || !json_is_string(p)) continue;
        snprintf(q->plates[q->n_plates++], PK_PLATE_MAX + 1, "%s", json_string_value(p));
    }
    json_decref(a);
    q->has_from = r->has_from;
    q->from = r->scope_from;
    q->has_to = r->has_to;
    q->to = r->scope_to;
    q->has_near = r->has_near;
    q->lat = r->scope_lat;
    q->lon = r->scope_lon;
    q->radius_m = r->scope_radius_m;
}

static char *request_context(const store_request *r) {
    char t[PK_TIME_STR_MAX], d[PK_TIME_STR_MAX];
    pk_time_format(r->received_at, t);
    pk_time_format(r->decided_at, d);
    records_query q;
    records_request_scope(r, &q);
    char *scope = records_query_json(&q);
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s}",
                          "id", (json_int_t)r->id, "agency", r->agency, "agency_type",
                          r->agency_type, "state", r->state, "requester", r->requester, "contact",
                          r->contact, "purpose", r->purpose, "case", r->case_no, "scope",
                          json_loads(scope, 0, NULL), "received_at", t, "decided_by",
                          r->decided_by, "decided_at", d, "decision_reason", r->reason,
                          "document_sha256", r->document_sha256);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    free(scope);
    return s;
}

int records_request_fulfil(store *st, const records_actor *a, int64_t id,
                           const records_query *narrow, const char *out,
                           records_export_result *res, pk_err *err) {
    memset(res, 0, sizeof *res);
    int rc = records__require(a, 0, err, "request fulfilment", ACCESS_ROLE_ADMIN,
                              ACCESS_ROLE_CUSTODIAN, -1);
    if (rc) return rc;
    if (!out || !*out) return pk_err_set(err, PK_EINVAL, "out: required");
    store_request r;
    if ((rc = store_request_get(st, id, &r, err))) return rc;
    records_query approved;
    records_request_scope(&r, &approved);
    int64_t now = records__now(a);
    char t[PK_TIME_STR_MAX];
    pk_time_format(r.approval_expires, t);
    if (strcmp(r.status, "approved"))
        rc = pk_err_set(err, PK_ECONFLICT, "request %" PRId64 " is %s: only an approved request is "
                        "fulfilled", id, r.status);
    else if (r.approval_expires && now > r.approval_expires)
        rc = pk_err_set(err, PK_ECONFLICT, "request %" PRId64 ": the approval lapsed at %s; an "
                        "administrator must approve a new request", id, t);
    else if (narrow && !records_query_within(narrow, &approved))
        rc = pk_err_set(err, PK_EDENIED, "scope: outside what was approved for request %" PRId64,
                        id);
    if (rc) {
        pk_err ignore;
        records__log(st, a, "request.fulfil", NULL, r.case_no, 0, "refused", err->msg, &ignore);
        store_request_fini(&r);
        return rc;
    }
    char case_no[STORE_CASE_MAX];
    if (r.case_no[0])
        snprintf(case_no, sizeof case_no, "%s", r.case_no);
    else
        snprintf(case_no, sizeof case_no, "REQ-%" PRId64, id);
    access_request req = {a->user, ACCESS_RECORDS_SHARE, "investigation", case_no,
                          a->client ? a->client : "cli", a->clock};
    char qj[128];
    snprintf(qj, sizeof qj, "{\"export\":\"request\",\"request_id\":%" PRId64 "}", id);
    access_grant *g = NULL;
    if ((rc = access_grant_open(st, &req, qj, &g, err))) {
        store_request_fini(&r);
        return rc;
    }
    char *ctx = request_context(&r);
    records__export_job job = {"request", case_no, 0, id, ctx, r.document, r.document_len,
                               NULL, 0, narrow ? narrow : &approved};
    rc = records__export_run(g, a, &job, out, res, err);
    if (!rc && !(rc = store_begin(st, err))) {
        rc = store_request_fulfilled(st, id, records__who(a), now, res->export_id, err);
        if (!rc) {
            char lq[200];
            snprintf(lq, sizeof lq, "{\"export_id\":%" PRId64 ",\"request_id\":%" PRId64 "}",
                     res->export_id, id);
            rc = records__log(st, a, "request.fulfil", lq, case_no, res->reads, "ok", NULL, err);
        }
        if (rc)
            store_rollback(st);
        else
            rc = store_commit(st, err);
    }
    free(ctx);
    access_grant_free(g);
    store_request_fini(&r);
    return rc;
}

int records_request_get(store *st, int64_t id, records_request *r, pk_err *err) {
    return store_request_get(st, id, r, err);
}

void records_request_fini(records_request *r) {
    store_request_fini(r);
}

int records_requests_each(store *st, const char *status,
                          int (*fn)(void *ctx, const records_request *r), void *ctx, pk_err *err) {
    return store_requests_each(st, status, 0, fn, ctx, err);
}

int records_sharing_report(store *st, int (*fn)(void *ctx, const records_request *r), void *ctx,
                           pk_err *err) {
    return store_requests_each(st, NULL, 1, fn, ctx, err);
}
