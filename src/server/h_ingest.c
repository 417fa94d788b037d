/* POST /api/v1/reads: reads from units (Authorization: Unit KEY) and administrators.
 *
 * The body is a batch {"reads": [...]}, an array, one read, or an OpenALPR message; src/ingest
 * validates every read (rejects are reported per item and change nothing) and stores the batch
 * in one transaction. The answer comes only after ingest_batch_commit returned PK_OK, i.e. after
 * the commit (DESIGN.md §4 rule 5): a sender that gets no 200 retries, and the reads' UUIDs make
 * the retry harmless. Inside the transaction the hotlist matcher writes the batch's alerts; after
 * the commit the new plates join the search dictionary and the alerts go to the live stream. */
#include "server/server_int.h"

#include "audit/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int on_stored(void *ctx, store *st, const store_read *reads, size_t n, pk_err *err) {
    server_slot *slot = ctx;
    hotlist_alert_batch *b = NULL;
    int rc = hotlist_alerts_record(slot->srv->hot, st, reads, NULL, n, &b, err);
    if (rc) {
        hotlist_alert_batch_free(b);
        return rc;
    }
    hotlist_alert_batch_free(slot->batch); /* one transaction per call: never more than one */
    slot->batch = b;
    return PK_OK;
}

static void on_committed(void *ctx, store *st, const store_read *reads, size_t n) {
    (void)st;
    server_slot *slot = ctx;
    for (size_t i = 0; i < n; i++)
        search_index_add(slot->srv->index, reads[i].plate_id, reads[i].plate);
    hotlist_alert_batch *b = slot->batch;
    slot->batch = NULL;
    if (!b) return;
    if (!slot->alerts) slot->alerts = json_array();
    for (size_t i = 0; i < hotlist_alert_batch_count(b); i++) {
        int covert = 0;
        const json_t *a = hotlist_alert_batch_get(b, i, &covert);
        if (a && !covert) json_array_append_new(slot->alerts, json_deep_copy(a));
    }
    hotlist_alert_batch_publish(slot->srv->hot, b);
}

/* The ingest connection, opened on first use. Call with writer_mu held. OUT: *out. */
static int writer_slot(server *srv, server_slot **out, pk_err *err) {
    *out = srv->writer;
    if (*out) return PK_OK;
    server_slot *w;
    int rc = server__slot_open(srv, &w, err);
    if (rc) return rc;
    ingest_opts o;
    ingest_opts_init(&o, w->st);
    o.hooks.ctx = w;
    o.hooks.on_stored = on_stored;
    o.hooks.on_committed = on_committed;
    w->in = ingest_new(w->st, &o);
    srv->writer = *out = w;
    return PK_OK;
}

/* Parses and checks the batch on the request's own handle, then stores it on the ingest
 * connection. OUT: *alerts, the committed batch's alerts for the answer (caller owns; NULL when
 * none). */
static int ingest_on_writer(server_req *r, json_t *body, ingest_result *res, json_t **alerts,
                            pk_err *err) {
    server_slot *slot = r->slot;
    server *srv = slot->srv;
    *alerts = NULL;
    if (!slot->in) {
        ingest_opts o;
        ingest_opts_init(&o, slot->st);
        slot->in = ingest_new(slot->st, &o); /* for parsing only: it stores nothing */
    }
    ingest_batch *b = ingest_json_prepare(slot->in, body, res);
    pthread_mutex_lock(&srv->writer_mu);
    server_slot *w;
    int rc = writer_slot(srv, &w, err);
    if (!rc) rc = ingest_batch_commit(w->in, b, res, err);
    if (w) {
        hotlist_alert_batch_free(w->batch); /* left only when the batch rolled back */
        w->batch = NULL;
        *alerts = w->alerts;
        w->alerts = NULL;
    }
    pthread_mutex_unlock(&srv->writer_mu);
    ingest_batch_free(b);
    if (rc) {
        json_decref(*alerts);
        *alerts = NULL;
    }
    return rc;
}

static int reads_ingest(server_req *r) {
    static const char *const allowed[] = {NULL};
    if (server__query_only(r, allowed)) return 0;
    const char *ct = server__header(r, "Content-Type");
    if (ct && strncasecmp(ct, "application/json", 16))
        return server__reply_error(r, 415, "unsupported_media_type",
                                   "Content-Type must be application/json");
    server_perr e;
    json_t *body;
    if (server__json_parse_any(r->body ? r->body : "", r->body_len, SERVER__MAX_DEPTH, &body, &e))
        return server__reply_error(r, 400, e.code, "%s", e.msg);
    if (!json_is_object(body) && !json_is_array(body)) {
        json_decref(body);
        return server__reply_error(r, 400, "invalid_json",
                                   "the body must be a batch object, an array or one read");
    }
    ingest_result res;
    ingest_result_init(&res);
    pk_err err;
    pk_err_clear(&err);
    json_t *alerts;
    int rc = ingest_on_writer(r, body, &res, &alerts, &err);
    json_decref(body);
    if (rc) {
        ingest_result_fini(&res);
        /* Nothing of the batch is stored: the sender must retry. */
        if (rc == PK_EBUSY) return server__reply_error(r, 503, "busy", "%s; retry", err.msg);
        return server__reply_pkerr(r, rc, &err);
    }
    json_t *rejected = json_array();
    for (size_t i = 0; i < res.n_rejects; i++)
        json_array_append_new(
            rejected, json_pack("{s:I, s:s, s:s}", "index", (json_int_t)res.rejects[i].index,
                                "field", res.rejects[i].field, "reason", res.rejects[i].reason));
    /* The answer's alerts are hits (read data): one access-log entry names them and their count
     * before they go out (rule 2). Without that entry they stay out of the answer; the reads are
     * stored either way and the alerts still reach the live stream. */
    if (alerts && json_array_size(alerts)) {
        json_t *ids = json_array();
        size_t i;
        json_t *a;
        json_array_foreach(alerts, i, a) json_array_append(ids, json_object_get(a, "id"));
        json_t *q = json_pack("{s:s, s:o}", "resource", "ingest.alerts", "alerts", ids);
        char *qt = json_dumps(q, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(q);
        audit_entry e = {.username = r->auth == SERVER_AUTH_UNIT ? r->unit : r->user.username,
                         .agency = r->auth == SERVER_AUTH_UNIT ? NULL : r->user.agency,
                         .action = "ingest.alerts",
                         .query = qt,
                         .result_count = (int64_t)json_array_size(alerts),
                         .client = r->client,
                         .outcome = "ok"};
        pk_err lerr;
        pk_err_clear(&lerr);
        if (audit_append(r->st, &e, NULL, &lerr)) {
            fprintf(stderr, "platekeeper serve: access log: %s (alerts left out of the answer)\n",
                    lerr.msg);
            json_decref(alerts);
            alerts = NULL;
        }
        free(qt);
    }
    json_t *o =
        json_pack("{s:I, s:I, s:I, s:o, s:o}", "accepted", (json_int_t)res.accepted, "duplicates",
                  (json_int_t)res.duplicates, "ignored", (json_int_t)res.ignored, "rejected",
                  rejected, "alerts", alerts ? alerts : json_array());
    ingest_result_fini(&res);
    return server__reply_json(r, 200, o);
}

const server_route server__ingest_routes[] = {
    {"POST", "/api/v1/reads", SR_ADMIN | SR_UNIT, reads_ingest, (size_t)64 << 20},
    {0},
};
