/* Holds for cases: open (through the access gate), approve, release, list, overdue review. */
#include "records/records_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int check_text(const char *v, const char *field, size_t max, pk_err *err) {
    if (!v || !*v) return pk_err_set(err, PK_EINVAL, "%s: required", field);
    if (strlen(v) >= max) return pk_err_set(err, PK_EINVAL, "%s: longer than %zu characters", field, max - 1);
    return PK_OK;
}

/* The selection as JSON for the access log: the read ids or the query, with the hold's case. */
static char *selection_json(const records_hold_spec *spec) {
    json_t *o = json_object();
    /* at most 64 characters of the case: this text is also the query of a refusal entry */
    char c[72];
    if (strlen(spec->case_no) > 64) snprintf(c, sizeof c, "%.64s...", spec->case_no);
    else snprintf(c, sizeof c, "%s", spec->case_no);
    json_t *cj = json_string(c); /* NULL when the cut split a UTF-8 sequence */
    json_object_set_new(o, "hold_case", cj ? cj : json_string("(not UTF-8)"));
    if (spec->search) {
        char *q = search_query_json(spec->search);
        json_object_set_new(o, "query", json_loads(q, 0, NULL));
        free(q);
    } else {
        json_t *a = json_array();
        for (size_t i = 0; i < spec->n_read_ids; i++) json_array_append_new(a, json_integer(spec->read_ids[i]));
        json_object_set_new(o, "read_ids", a);
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    PK_ASSERT(s);
    return s;
}

int records_hold_open(store *st, const records_actor *a, const records_hold_spec *spec,
                      int64_t *id, pk_err *err) {
    int rc;
    if ((rc = records__require(a, 0, err, "hold", ACCESS_ROLE_INVESTIGATOR, ACCESS_ROLE_ADMIN,
                               ACCESS_ROLE_CUSTODIAN, -1)))
        return rc;
    /* the case's length is judged after the gate opens (see below), so that its refusal is
     * logged */
    if ((rc = check_text(spec->case_no, "case", SIZE_MAX, err)) ||
        (rc = check_text(spec->reason, "reason", STORE_TEXT_MAX, err)) ||
        (rc = check_text(spec->contact, "contact", 256, err)))
        return rc;
    if (!spec->search == !spec->n_read_ids)
        return pk_err_set(err, PK_EINVAL, "read_ids: give either read_ids or a query");
    if (spec->search && !spec->index)
        return pk_err_set(err, PK_EINVAL, "query: no plate dictionary to search");
    if (spec->n_read_ids > 100000)
        return pk_err_set(err, PK_ELIMIT, "read_ids: more than 100000 reads in one hold");
    if (spec->review_days < 0 || spec->review_days > 36500)
        return pk_err_set(err, PK_EINVAL, "review_days: out of range");

    char *sel = selection_json(spec);
    access_request req = {a->user, ACCESS_RECORDS_EXPORT,
                          spec->purpose ? spec->purpose : "investigation", spec->case_no,
                          a->client ? a->client : "cli", a->clock};
    access_grant *g = NULL;
    if ((rc = access_grant_open(st, &req, sel, &g, err))) {
        free(sel);
        return rc;
    }
    /* The gate takes a case of up to 64 characters; a hold's case column holds 63. Refused
     * through the grant so the refusal is logged like the gate's own. */
    if (strlen(spec->case_no) >= STORE_CASE_MAX) {
        char why[64];
        snprintf(why, sizeof why, "case: longer than %d characters", STORE_CASE_MAX - 1);
        rc = access_grant_refuse(g, sel, why, err);
        if (rc == PK_EDENIED) rc = pk_err_set(err, PK_ECASE, "%s", why);
        access_grant_free(g);
        free(sel);
        return rc;
    }
    int64_t *ids = NULL;
    size_t n = 0;
    int recorded = 0;
    if (spec->search) {
        /* search_run writes the access-log entry (every query element, the count) */
        search_query q = *spec->search;
        q.limit = RECORDS_HOLD_MAX_SEARCH;
        q.cursor = NULL;
        search_result res;
        memset(&res, 0, sizeof res);
        rc = search_run(spec->index, g, &q, &res, err);
        recorded = 1;
        if (!rc && res.total > (int64_t)res.n)
            rc = pk_err_set(err, PK_ELIMIT,
                            "query: selects %" PRId64 " reads; one search puts at most %d in a "
                            "hold (narrow it, or give read_ids)",
                            res.total, RECORDS_HOLD_MAX_SEARCH);
        if (!rc) {
            ids = pk_xmalloc((res.n + 1) * sizeof *ids);
            for (size_t i = 0; i < res.n; i++) ids[i] = res.hits[i].read.id;
            n = res.n;
        }
        search_result_fini(&res);
    } else {
        for (size_t i = 0; i < spec->n_read_ids && !rc; i++) {
            int ex = store_records_read_exists(st, spec->read_ids[i], err);
            if (ex < 0)
                rc = ex;
            else if (!ex)
                rc = pk_err_set(err, PK_ENOTFOUND, "read_ids[%zu]: no read with id %" PRId64, i,
                                spec->read_ids[i]);
        }
        ids = pk_xmalloc((spec->n_read_ids + 1) * sizeof *ids);
        memcpy(ids, spec->read_ids, spec->n_read_ids * sizeof *ids);
        n = spec->n_read_ids;
    }
    if (!rc && n == 0) rc = pk_err_set(err, PK_EINVAL, "query: selects no reads");
    if (rc) {
        pk_err ignore;
        records__log(st, a, "hold.open", sel, spec->case_no, 0, "failed", err->msg, &ignore);
        goto out;
    }
    int64_t now = records__now(a);
    store_hold h;
    memset(&h, 0, sizeof h);
    snprintf(h.case_no, sizeof h.case_no, "%s", spec->case_no);
    snprintf(h.reason, sizeof h.reason, "%s", spec->reason);
    snprintf(h.contact, sizeof h.contact, "%s", spec->contact);
    snprintf(h.status, sizeof h.status, "pending");
    snprintf(h.opened_by, sizeof h.opened_by, "%s", records__who(a));
    char *qjson = spec->search ? search_query_json(spec->search) : NULL;
    h.query = qjson;
    h.opened_at = now;
    h.review_at = now + (spec->review_days ? spec->review_days : RECORDS_HOLD_REVIEW_DEFAULT_DAYS) *
                            PK_MS_PER_DAY;
    int64_t hid = 0;
    if (!(rc = store_begin(st, err))) {
        if (!recorded) rc = access_grant_record(g, sel, (int64_t)n, err);
        if (!rc) rc = store_hold_add(st, &h, ids, n, &hid, err);
        if (!rc) {
            char q[96];
            snprintf(q, sizeof q, "{\"hold_id\":%" PRId64 "}", hid);
            rc = records__log(st, a, "hold.open", q, spec->case_no, (int64_t)n, "ok", NULL, err);
        }
        if (rc)
            store_rollback(st);
        else
            rc = store_commit(st, err);
    }
    free(qjson);
    if (!rc && id) *id = hid;
out:
    free(ids);
    free(sel);
    access_grant_free(g);
    return rc;
}

/* Runs one state change and its access-log entry in one transaction. */
static int hold_change(store *st, const records_actor *a, int64_t id, const char *action,
                       const char *reason, pk_err *err) {
    store_hold h;
    int rc = store_hold_get(st, id, &h, err);
    if (rc) return rc;
    int64_t now = records__now(a);
    if ((rc = store_begin(st, err))) goto out;
    if (!strcmp(action, "hold.approve"))
        rc = store_hold_approve(st, id, records__who(a), now, err);
    else
        rc = store_hold_release(st, id, records__who(a), now, reason, err);
    if (!rc) {
        json_t *o = json_pack("{s:I, s:s?}", "hold_id", (json_int_t)id, "reason", reason);
        char *q = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(o);
        rc = records__log(st, a, action, q, h.case_no, h.n_reads, "ok", NULL, err);
        free(q);
    }
    if (rc)
        store_rollback(st);
    else
        rc = store_commit(st, err);
out:
    store_hold_fini(&h);
    return rc;
}

int records_hold_approve(store *st, const records_actor *a, int64_t id, pk_err *err) {
    int rc = records__require(a, 0, err, "hold approval", ACCESS_ROLE_ADMIN, -1);
    return rc ? rc : hold_change(st, a, id, "hold.approve", NULL, err);
}

int records_hold_release(store *st, const records_actor *a, int64_t id, const char *reason,
                         pk_err *err) {
    int rc = records__require(a, 0, err, "hold release", ACCESS_ROLE_ADMIN, ACCESS_ROLE_CUSTODIAN,
                              -1);
    if (rc) return rc;
    if (reason && strlen(reason) >= STORE_TEXT_MAX)
        return pk_err_set(err, PK_EINVAL, "reason: longer than %d characters", STORE_TEXT_MAX - 1);
    return hold_change(st, a, id, "hold.release", reason && *reason ? reason : NULL, err);
}

int records_hold_get(store *st, int64_t id, records_hold *h, pk_err *err) {
    return store_hold_get(st, id, h, err);
}

void records_hold_fini(records_hold *h) {
    store_hold_fini(h);
}

int records_holds_each(store *st, const char *status, int (*fn)(void *ctx, const records_hold *h),
                       void *ctx, pk_err *err) {
    if (status && strcmp(status, "pending") && strcmp(status, "approved") &&
        strcmp(status, "released"))
        return pk_err_set(err, PK_EINVAL, "status: expected pending, approved or released");
    return store_holds_each(st, status, 0, fn, ctx, err);
}

int records_holds_overdue(store *st, const pk_clock *clock,
                          int (*fn)(void *ctx, const records_hold *h), void *ctx, pk_err *err) {
    return store_holds_each(st, NULL, pk_clock_now(clock), fn, ctx, err);
}
