/* Alerts: GET /api/v1/alerts (polling), GET /api/v1/alerts/stream (server-sent events),
 * POST /api/v1/alerts/{id}/verify, POST /api/v1/alerts/{id}/ack; and the server's hotlist
 * engine: the matcher ingest uses, the publication of new alerts to the stream, and the
 * scheduled re-import of hotlist files (every list with an import path, twice a day).
 *
 * Alerts are read data: listing and streaming open an access grant (ACCESS_ALERTS_VIEW) with
 * the caller's purpose, and the access log records the list (with its count) or the opening of
 * the stream. Covert lists' alerts reach their owners only: the stream filter checks the owners
 * the publication carries. */
#include "server/server_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "hotlist/hotlist.h"

#define SCHEDULE_TICK_S 60 /* how often the scheduler looks for a due re-import */

struct server_hotlist_sched {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, started;
};

/* ---- the scheduled re-import ---- */

static void *schedule_thread(void *arg) {
    server *s = arg;
    struct server_hotlist_sched *h = s->hotlist_sched;
    pthread_mutex_lock(&h->mu);
    while (!h->stop) {
        pthread_mutex_unlock(&h->mu);
        server_slot *slot = NULL;
        pk_err err;
        pk_err_clear(&err);
        int n = 0;
        if (server__slot_get(s, &slot, &err) == PK_OK) {
            store *st = slot->st;
            if (hotlist_scheduled_imports(st, 0, &n, &err))
                fprintf(stderr, "platekeeper serve: scheduled hotlist import: %s\n", err.msg);
            if (n) {
                fprintf(stderr, "platekeeper serve: scheduled hotlist import: %d list%s\n", n,
                        n == 1 ? "" : "s");
                hotlist_engine_changed(s->hot);
            }
            server__slot_put(s, slot);
        }
        pthread_mutex_lock(&h->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += SCHEDULE_TICK_S;
        if (!h->stop) pthread_cond_timedwait(&h->cv, &h->mu, &ts);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

int server__hotlist_open(server *s, pk_err *err) {
    (void)err;
    s->hotlist_sched = pk_xcalloc(1, sizeof *s->hotlist_sched);
    pthread_mutex_init(&s->hotlist_sched->mu, NULL);
    pthread_cond_init(&s->hotlist_sched->cv, NULL);
    return PK_OK;
}

int server__hotlist_start(server *s, pk_err *err) {
    struct server_hotlist_sched *h = s->hotlist_sched;
    if (h && !h->started) {
        if (pthread_create(&h->thread, NULL, schedule_thread, s))
            return pk_err_set(err, PK_EIO, "cannot start the hotlist import schedule");
        h->started = 1;
    }
    return PK_OK;
}

void server__hotlist_stop(server *s) {
    struct server_hotlist_sched *h = s->hotlist_sched;
    if (!h || !h->started) return;
    pthread_mutex_lock(&h->mu);
    h->stop = 1;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    h->started = 0;
}

void server__hotlist_free(server *s) {
    server__hotlist_stop(s);
    if (s->hotlist_sched) {
        pthread_mutex_destroy(&s->hotlist_sched->mu);
        pthread_cond_destroy(&s->hotlist_sched->cv);
        free(s->hotlist_sched);
        s->hotlist_sched = NULL;
    }
}

/* ---- routes ---- */

static int alerts_list_do(server_req *r) {
    static const char *const allowed[] = {"status", "hotlist", "limit", "before", "since",
                                          "until", "purpose", "case", NULL};
    if (server__query_only(r, allowed)) return 0;
    hotlist_alert_query q;
    memset(&q, 0, sizeof q);
    q.status = server__query(r, "status");
    if (q.status && strcmp(q.status, "unverified") && !hotlist_outcome_valid(q.status))
        return server__reply_error(r, 400, "invalid", "status: unknown status '%s'", q.status);
    int64_t limit;
    if (server__query_i64(r, "hotlist", 1, INT64_MAX, 0, &q.hotlist_id) ||
        server__query_i64(r, "limit", 1, 1000, 100, &limit) ||
        server__query_i64(r, "before", 1, INT64_MAX, 0, &q.before_id))
        return 0;
    q.limit = (int)limit;
    const char *t;
    pk_err err;
    pk_err_clear(&err);
    if ((t = server__query(r, "since")) && pk_time_parse(t, &q.since, &err))
        return server__reply_error(r, 400, "invalid", "since: %s", err.msg);
    if ((t = server__query(r, "until")) && pk_time_parse(t, &q.until, &err))
        return server__reply_error(r, 400, "invalid", "until: %s", err.msg);
    access_grant *g;
    if (server__grant_open(r, ACCESS_ALERTS_VIEW, NULL, "{\"resource\":\"alerts\"}", &g)) return 0;
    json_t *a = NULL;
    int rc = hotlist_alerts_list(g, &q, &a, &err);
    access_grant_free(g);
    if (rc) return server__reply_pkerr(r, rc, &err);
    return server__reply_json(r, 200, json_pack("{so}", "alerts", a));
}

typedef struct stream_ctx {
    server *srv;
    char username[ACCESS_NAME_MAX];
    char agency[128];
    char purpose[65];
    char case_no[65];
    char client[64];
    int64_t delivered;  /* alerts this stream sent */
    json_t *ids;        /* their ids (the first STREAM_IDS_MAX) */
} stream_ctx;

#define STREAM_IDS_MAX 1000

/* Covert alerts go to their list's owners only (the publication's meta names them). Counts
 * what goes out for the closing access-log entry. */
static int stream_filter(void *ctx, const char *topic, const char *json, const char *meta) {
    (void)topic;
    stream_ctx *c = ctx;
    int ok = 1;
    if (meta) {
        json_t *m = json_loads(meta, 0, NULL);
        ok = !json_is_true(json_object_get(m, "covert"));
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(m, "owners"), i, v) {
            const char *name = json_string_value(v);
            ok |= name && !strcmp(name, c->username);
        }
        json_decref(m);
    }
    if (ok) {
        c->delivered++;
        json_t *a = json_loads(json, 0, NULL);
        json_t *id = json_object_get(a, "id");
        if (id && json_array_size(c->ids) < STREAM_IDS_MAX) json_array_append(c->ids, id);
        json_decref(a);
    }
    return ok;
}

/* The stream ended: one more access-log entry with every alert it delivered (rule 2: how many
 * records went out, and which). */
static void stream_end(void *ctx) {
    stream_ctx *c = ctx;
    json_t *q = json_pack("{ss sO}", "resource", "alerts.stream", "alerts", c->ids);
    char *text = json_dumps(q, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(q);
    audit_entry e = {.username = c->username,
                     .agency = c->agency,
                     .action = "alerts.stream",
                     .query = text,
                     .purpose = c->purpose,
                     .case_no = c->case_no[0] ? c->case_no : NULL,
                     .result_count = c->delivered,
                     .client = c->client,
                     .outcome = "ok",
                     .detail = "stream closed"};
    server_slot *slot = NULL;
    pk_err err;
    pk_err_clear(&err);
    if (server__slot_get(c->srv, &slot, &err) == PK_OK) {
        if (audit_append(slot->st, &e, NULL, &err))
            fprintf(stderr, "platekeeper serve: access log: %s\n", err.msg);
        server__slot_put(c->srv, slot);
    } else {
        fprintf(stderr, "platekeeper serve: access log: %s\n", err.msg);
    }
    free(text);
    json_decref(c->ids);
    free(c);
}

static int alerts_stream_do(server_req *r) {
    static const char *const allowed[] = {"purpose", "case", NULL};
    if (server__query_only(r, allowed)) return 0;
    access_grant *g;
    const char *q = "{\"resource\":\"alerts.stream\"}";
    if (server__grant_open(r, ACCESS_ALERTS_VIEW, NULL, q, &g)) return 0;
    pk_err err;
    pk_err_clear(&err);
    /* the opening is recorded before anything is sent (count 0); the closing entry
     * (stream_end) records how many alerts went out and which */
    stream_ctx *c = pk_xcalloc(1, sizeof *c);
    c->srv = r->srv;
    snprintf(c->username, sizeof c->username, "%s", r->user.username);
    snprintf(c->agency, sizeof c->agency, "%s", r->user.agency);
    snprintf(c->purpose, sizeof c->purpose, "%s", access_grant_purpose(g) ? access_grant_purpose(g) : "");
    snprintf(c->case_no, sizeof c->case_no, "%s", access_grant_case(g) ? access_grant_case(g) : "");
    snprintf(c->client, sizeof c->client, "%s", r->client);
    c->ids = json_array();
    int rc = access_grant_record(g, q, 0, &err);
    access_grant_free(g);
    if (rc) {
        json_decref(c->ids);
        free(c);
        return server__reply_pkerr(r, rc, &err);
    }
    return server__sse_start(r, "alerts", stream_filter, c, stream_end);
}

static int alerts_list(server_req *r) {
    return server__data_route(r, ACCESS_ALERTS_VIEW, alerts_list_do);
}
static int alerts_stream(server_req *r) {
    return server__data_route(r, ACCESS_ALERTS_VIEW, alerts_stream_do);
}

static int alert_id(server_req *r, int64_t *id) { return server__param_id(r, "id", id); }

static int alerts_verify(server_req *r) {
    static const server_field spec[] = {
        {"outcome", SF_STRING, 1, 32},
        {"note", SF_STRING, 0, 500},
        {0},
    };
    int64_t id;
    if (alert_id(r, &id)) return 0;
    json_t *b;
    if (server__json_body(r, spec, &b)) return 0;
    const char *outcome = json_string_value(json_object_get(b, "outcome"));
    const char *note = json_string_value(json_object_get(b, "note"));
    pk_err err;
    pk_err_clear(&err);
    int rc = hotlist_alert_verify(r->st, id, outcome, note, &r->user, r->client, &err);
    json_t *ans = rc ? NULL
                     : json_pack("{sI ss sb}", "id", (json_int_t)id, "status", outcome,
                                 "actionable", !strcmp(outcome, "confirmed"));
    json_decref(b);
    if (rc) return server__reply_pkerr(r, rc, &err);
    return server__reply_json(r, 200, ans);
}

static int alerts_ack(server_req *r) {
    int64_t id;
    if (alert_id(r, &id)) return 0;
    pk_err err;
    pk_err_clear(&err);
    int rc = hotlist_alert_ack(r->st, id, &r->user, r->client, &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    return server__reply_json(r, 200, json_pack("{sI sb}", "id", (json_int_t)id, "acknowledged",
                                                1));
}

#define SR_ALERTS (SR_ADMIN | SR_INVESTIGATOR | SR_OPERATOR)

const server_route server__alerts_routes[] = {
    {"GET", "/api/v1/alerts", SR_ALERTS, alerts_list, 0},
    {"GET", "/api/v1/alerts/stream", SR_ALERTS, alerts_stream, 0},
    {"POST", "/api/v1/alerts/{id}/verify", SR_ALERTS, alerts_verify, 0},
    {"POST", "/api/v1/alerts/{id}/ack", SR_ALERTS, alerts_ack, 0},
    {0},
};
