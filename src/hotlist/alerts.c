/*
 * Alerts: recording one per hit inside ingest's transaction, publishing them after its commit,
 * listing them under an access grant, and the CLETS verification that decides whether an
 * officer may act (only "confirmed" is actionable).
 */
#include "hotlist/hotlist_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const OUTCOMES[] = {"confirmed",        "not_confirmed",   "misread",
                                       "state_mismatch",   "vehicle_mismatch", "entry_cleared"};

int hotlist_outcome_valid(const char *o) {
    if (!o) return 0;
    for (size_t i = 0; i < sizeof OUTCOMES / sizeof OUTCOMES[0]; i++)
        if (!strcmp(o, OUTCOMES[i])) return 1;
    return 0;
}

/* ---- snapshots and the alert object ---- */

static json_t *read_snapshot(const store_read *r) {
    char ts[PK_TIME_STR_MAX];
    pk_time_format(r->ts, ts);
    json_t *vehicle = r->vehicle ? json_loads(r->vehicle, 0, NULL) : NULL;
    json_t *o = json_pack("{sI ss ss? ss sI ss? sf so?}", "id", (json_int_t)r->id, "plate",
                          r->plate, "state", r->state[0] ? r->state : NULL, "ts", ts, "camera_id",
                          (json_int_t)r->camera_id, "camera", r->camera[0] ? r->camera : NULL,
                          "confidence", r->confidence, "vehicle", vehicle);
    if (r->has_pos) {
        json_object_set_new(o, "lat", json_real(r->lat));
        json_object_set_new(o, "lon", json_real(r->lon));
    }
    if (r->heading >= 0) json_object_set_new(o, "heading", json_real(r->heading));
    if (r->plate_image[0]) json_object_set_new(o, "plate_image", json_string(r->plate_image));
    if (r->scene_image[0]) json_object_set_new(o, "scene_image", json_string(r->scene_image));
    return o;
}

static json_t *entry_snapshot(const store_hotlist_entry *e, const store_hotlist *h) {
    json_t *o = hotlist_entry_json(e);
    json_object_set_new(o, "hotlist",
                        json_pack("{sI ss si ss sb}", "id", (json_int_t)h->id, "name", h->name,
                                  "priority", h->priority, "alert_level", h->alert_level,
                                  "covert", h->covert));
    return o;
}

static json_t *opt_time(int64_t ms) {
    if (!ms) return json_null();
    char b[PK_TIME_STR_MAX];
    pk_time_format(ms, b);
    return json_string(b);
}

static json_t *get_or_null(json_t *o, const char *k) {
    json_t *v = o ? json_object_get(o, k) : NULL;
    return v ? json_incref(v) : json_null();
}

/* The alert object of the API (issue 4 item 6): id, status, match, state_mismatch, read, entry,
 * plus the comparison an officer needs before a stop. New reference. */
json_t *hotlist__alert_json(const store_alert *a) {
    json_t *read = json_loads(a->read_json ? a->read_json : "{}", 0, NULL);
    json_t *entry = json_loads(a->entry_json ? a->entry_json : "{}", 0, NULL);
    if (!read) read = json_object();
    if (!entry) entry = json_object();
    json_t *rv = json_object_get(read, "vehicle");
    json_t *compare = json_pack(
        "{s{so so} s{so so} s{so so}}", "plate", "read", get_or_null(read, "plate"), "entry",
        get_or_null(entry, "plate"), "state", "read", get_or_null(read, "state"), "entry",
        get_or_null(entry, "state"), "vehicle", "read", rv ? json_incref(rv) : json_null(),
        "entry", get_or_null(entry, "vehicle"));
    json_t *hl = get_or_null(entry, "hotlist");
    return json_pack("{sI ss sb ss sb sb so so so so so so ss? so so so}", "id",
                     (json_int_t)a->id, "status", a->status, "actionable",
                     !strcmp(a->status, "confirmed"), "match", a->match, "state_mismatch",
                     a->state_mismatch, "covert", a->covert, "created_at",
                     opt_time(a->created_at), "acknowledged_at", opt_time(a->acknowledged_at),
                     "acknowledged_by",
                     a->acknowledged_by[0] ? json_string(a->acknowledged_by) : json_null(),
                     "verified_at", opt_time(a->verified_at), "verified_by",
                     a->verified_by[0] ? json_string(a->verified_by) : json_null(), "hotlist", hl,
                     "note", a->note[0] ? a->note : NULL, "read", read, "entry", entry, "compare",
                     compare);
}

/* ---- the batch ---- */

typedef struct batch_item {
    json_t *json;
    int64_t id, hotlist_id;
    int covert;
    char **owners;
    size_t n_owners;
} batch_item;

struct hotlist_alert_batch {
    batch_item *items;
    size_t n, cap;
};

size_t hotlist_alert_batch_count(const hotlist_alert_batch *b) { return b ? b->n : 0; }

const json_t *hotlist_alert_batch_get(const hotlist_alert_batch *b, size_t i, int *covert) {
    if (!b || i >= b->n) return NULL;
    if (covert) *covert = b->items[i].covert;
    return b->items[i].json;
}

void hotlist_alert_batch_free(hotlist_alert_batch *b) {
    if (!b) return;
    for (size_t i = 0; i < b->n; i++) {
        json_decref(b->items[i].json);
        for (size_t k = 0; k < b->items[i].n_owners; k++) free(b->items[i].owners[k]);
        free(b->items[i].owners);
    }
    free(b->items);
    free(b);
}

void hotlist_alert_batch_publish(hotlist_engine *e, hotlist_alert_batch *b) {
    if (!b) return;
    hotlist_publish_fn fn = NULL;
    void *ctx = NULL;
    if (e) hotlist__engine_publisher(e, &fn, &ctx);
    for (size_t i = 0; fn && i < b->n; i++) {
        char *text = json_dumps(b->items[i].json, JSON_COMPACT);
        hotlist_alert_note note = {b->items[i].id,
                                   b->items[i].hotlist_id,
                                   b->items[i].covert,
                                   (const char *const *)b->items[i].owners,
                                   b->items[i].n_owners,
                                   text};
        fn(ctx, &note);
        free(text);
    }
    hotlist_alert_batch_free(b);
}

typedef struct owners_list {
    char **v;
    size_t n;
} owners_list;

static int owner_collect_list(void *ctx, int64_t id, const char *username) {
    (void)id;
    owners_list *o = ctx;
    o->v = pk_xrealloc(o->v, (o->n + 1) * sizeof *o->v);
    o->v[o->n++] = pk_xstrdup(username);
    return 0;
}

void hotlist__publish_stored(hotlist_publish_fn fn, void *ctx, store *st, const store_alert *a) {
    owners_list o = {NULL, 0};
    if (a->covert) store_hotlist_owners_each(st, a->hotlist_id, owner_collect_list, &o, NULL);
    json_t *j = hotlist__alert_json(a);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    hotlist_alert_note note = {a->id, a->hotlist_id, a->covert, (const char *const *)o.v, o.n,
                               text};
    fn(ctx, &note);
    free(text);
    for (size_t i = 0; i < o.n; i++) free(o.v[i]);
    free(o.v);
}

static int owner_collect(void *ctx, int64_t id, const char *username) {
    (void)id;
    batch_item *it = ctx;
    it->owners = pk_xrealloc(it->owners, (it->n_owners + 1) * sizeof *it->owners);
    it->owners[it->n_owners++] = pk_xstrdup(username);
    return 0;
}

/* Writes the alert for one hit; PK_OK also when it exists already or the entry vanished. */
static int record_hit(store *st, const store_read *r, const hotlist_hit *hit,
                      hotlist_alert_batch **bp, pk_err *err) {
    store_hotlist_entry e;
    store_hotlist h;
    if (store_hotlist_entry_get(st, hit->entry_id, &e, NULL) ||
        store_hotlist_get(st, hit->hotlist_id, &h, NULL))
        return PK_OK; /* removed since the matcher was built: no longer a hit */
    if (!strcmp(e.origin, "import") && e.gen != h.active_gen)
        return PK_OK; /* cleared by an import that finished after the matcher was built */
    /* the stored read carries the camera's name; hits are rare enough for one more query */
    store_read full;
    int have_full = store_read_get(st, r->id, &full, NULL) == PK_OK;
    json_t *rj = read_snapshot(have_full ? &full : r), *ej = entry_snapshot(&e, &h);
    if (have_full) store_read_fini(&full);
    char *rtext = json_dumps(rj, JSON_COMPACT), *etext = json_dumps(ej, JSON_COMPACT);
    json_decref(rj);
    json_decref(ej);
    store_alert a;
    memset(&a, 0, sizeof a);
    a.read_id = r->id;
    a.entry_id = e.id;
    a.hotlist_id = h.id;
    snprintf(a.match, sizeof a.match, "%s", hotlist_match_kind_name(hit->kind));
    a.state_mismatch = hit->state_mismatch;
    a.covert = h.covert;
    a.priority = h.priority;
    a.read_json = rtext;
    a.entry_json = etext;
    snprintf(a.status, sizeof a.status, "unverified");
    int rc = store_alert_add(st, &a, err);
    if (rc == PK_OK) {
        hotlist_alert_batch *b = *bp ? *bp : (*bp = pk_xcalloc(1, sizeof **bp));
        if (b->n == b->cap) {
            b->cap = b->cap ? b->cap * 2 : 8;
            b->items = pk_xrealloc(b->items, b->cap * sizeof *b->items);
        }
        batch_item *it = &b->items[b->n++];
        memset(it, 0, sizeof *it);
        it->json = hotlist__alert_json(&a);
        it->id = a.id;
        it->hotlist_id = h.id;
        it->covert = h.covert;
        rc = store_hotlist_owners_each(st, h.id, owner_collect, it, err);
    } else if (rc == PK_EEXIST) {
        rc = PK_OK;
    }
    free(rtext);
    free(etext);
    return rc;
}

int hotlist_alerts_record(hotlist_engine *e, store *st, const store_read *reads, const int *dup,
                          size_t n, hotlist_alert_batch **out, pk_err *err) {
    *out = NULL;
    hotlist_matcher *m = hotlist_matcher_current(e);
    if (!m) return PK_OK;
    int64_t now = pk_now_ms();
    int rc = PK_OK;
    hotlist_hit hits[HOTLIST_MAX_HITS];
    for (size_t i = 0; i < n && !rc; i++) {
        if ((dup && dup[i]) || reads[i].id <= 0) continue;
        size_t nh = hotlist_match(m, reads[i].plate, reads[i].state, now, hits, HOTLIST_MAX_HITS);
        for (size_t k = 0; k < nh && !rc; k++) rc = record_hit(st, &reads[i], &hits[k], out, err);
    }
    hotlist_matcher_release(m);
    if (rc) {
        hotlist_alert_batch_free(*out);
        *out = NULL;
    }
    /* the engine's poller must not publish these a second time once they commit */
    for (size_t i = 0; !rc && *out && i < (*out)->n; i++)
        hotlist__engine_mark(e, (*out)->items[i].id);
    return rc;
}

/* ---- ingest's hooks ---- */

int hotlist_hook_stored(void *hook, store *st, const store_read *reads, size_t n, pk_err *err) {
    hotlist_ingest_hook *h = hook;
    hotlist_alert_batch_free(h->pending); /* a batch that never committed */
    h->pending = NULL;
    return hotlist_alerts_record(h->engine, st, reads, NULL, n, &h->pending, err);
}

void hotlist_hook_committed(void *hook, store *st, const store_read *reads, size_t n) {
    (void)st;
    (void)reads;
    (void)n;
    hotlist_ingest_hook *h = hook;
    hotlist_alert_batch *b = h->pending;
    h->pending = NULL;
    if (!b) return;
    for (size_t i = 0; h->collect && i < b->n; i++) {
        if (b->items[i].covert) continue;
        if (!h->alerts) h->alerts = json_array();
        json_array_append(h->alerts, b->items[i].json);
    }
    hotlist_alert_batch_publish(h->engine, b);
}

void hotlist_ingest_hook_fini(hotlist_ingest_hook *h) {
    if (!h) return;
    hotlist_alert_batch_free(h->pending);
    json_decref(h->alerts);
    h->pending = NULL;
    h->alerts = NULL;
}

/* ---- listing under a grant ---- */

typedef struct vis_ctx {
    const char *username;
    int64_t *ids;
    size_t n;
} vis_ctx;

static int vis_collect(void *ctx, int64_t id, const char *username) {
    vis_ctx *v = ctx;
    if (strcmp(v->username, username)) return 0;
    v->ids = pk_xrealloc(v->ids, (v->n + 1) * sizeof *v->ids);
    v->ids[v->n++] = id;
    return 0;
}

/* Fills f's covert visibility for user; free *ids after use. */
static int covert_scope(store *st, const access_user *u, store_alert_filter *f, int64_t **ids,
                        pk_err *err) {
    *ids = NULL;
    if (u->role == ACCESS_ROLE_ADMIN) {
        f->all_covert = 1;
        return PK_OK;
    }
    vis_ctx v = {u->username, NULL, 0};
    int rc = store_hotlist_owners_each(st, 0, vis_collect, &v, err);
    *ids = v.ids;
    f->covert_visible = v.ids;
    f->n_covert_visible = v.n;
    return rc;
}

static int collect_alert(void *ctx, const store_alert *a) {
    json_array_append_new(ctx, hotlist__alert_json(a));
    return 0;
}

int hotlist_alerts_list(access_grant *g, const hotlist_alert_query *q, json_t **out,
                        pk_err *err) {
    *out = NULL;
    store *st = access_grant_store(g);
    const access_user *u = access_grant_user(g);
    hotlist_alert_query dq;
    memset(&dq, 0, sizeof dq);
    if (!q) q = &dq;
    if (q->status && strcmp(q->status, "unverified") && !hotlist_outcome_valid(q->status))
        return pk_err_set(err, PK_EINVAL, "status: unknown status '%s'", q->status);
    store_alert_filter f;
    store_alert_filter_init(&f);
    f.id = q->id;
    f.hotlist_id = q->hotlist_id;
    f.status = q->status;
    f.since = q->since;
    f.until = q->until;
    f.after_id = q->before_id;
    f.limit = q->limit > 0 ? (q->limit > 1000 ? 1000 : q->limit) : 100;
    int64_t *ids = NULL;
    int rc = covert_scope(st, u, &f, &ids, err);
    json_t *a = json_array();
    if (!rc) rc = store_alerts_each(st, &f, collect_alert, a, err);
    free(ids);
    if (rc) {
        json_decref(a);
        return rc;
    }
    json_t *qj = json_pack("{ss}", "resource", "alerts");
    if (q->id) json_object_set_new(qj, "id", json_integer(q->id));
    if (q->hotlist_id) json_object_set_new(qj, "hotlist", json_integer(q->hotlist_id));
    if (q->status) json_object_set_new(qj, "status", json_string(q->status));
    if (q->since) json_object_set_new(qj, "since", opt_time(q->since));
    if (q->until) json_object_set_new(qj, "until", opt_time(q->until));
    if (q->before_id) json_object_set_new(qj, "before", json_integer(q->before_id));
    json_object_set_new(qj, "limit", json_integer(f.limit));
    char *qtext = json_dumps(qj, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(qj);
    rc = access_grant_record(g, qtext, (int64_t)json_array_size(a), err);
    free(qtext);
    if (rc) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return PK_OK;
}

/* ---- verification ---- */

typedef struct one_alert {
    store_alert a;
    int found;
} one_alert;

static int take_one(void *ctx, const store_alert *a) {
    one_alert *o = ctx;
    o->a = *a;
    o->a.read_json = o->a.entry_json = NULL;
    o->found = 1;
    return 1;
}

/* Loads the alert if user may see it (covert: owners and administrators). */
static int visible_alert(store *st, int64_t id, const access_user *u, one_alert *o,
                         pk_err *err) {
    store_alert_filter f;
    store_alert_filter_init(&f);
    f.id = id;
    int64_t *ids = NULL;
    int rc = covert_scope(st, u, &f, &ids, err);
    memset(o, 0, sizeof *o);
    if (!rc) rc = store_alerts_each(st, &f, take_one, o, err);
    free(ids);
    if (rc < 0) return rc;
    if (!o->found) return pk_err_set(err, PK_ENOTFOUND, "no alert with id %lld", (long long)id);
    return PK_OK;
}

static int may_handle_alerts(const access_user *u, pk_err *err) {
    if (!u) return pk_err_set(err, PK_EDENIED, "no user");
    if (strcmp(u->status, "active"))
        return pk_err_set(err, PK_EDENIED, "account %s is %s", u->username, u->status);
    if (u->role != ACCESS_ROLE_OPERATOR && u->role != ACCESS_ROLE_INVESTIGATOR &&
        u->role != ACCESS_ROLE_ADMIN)
        return pk_err_set(err, PK_EDENIED, "%s: only operators, investigators and "
                          "administrators handle alerts", u->username);
    return PK_OK;
}

/* visible_alert's answer for an action on an alert: a hidden (covert, not the user's) or absent
 * alert is refused with a "refused" access-log entry (issue 3 item 6), and stays PK_ENOTFOUND so
 * that ids cannot be probed. */
static int handle_visible(store *st, int64_t id, const access_user *u, const char *action,
                          const char *client, pk_err *err) {
    one_alert o;
    int rc = visible_alert(st, id, u, &o, err);
    if (rc != PK_ENOTFOUND) return rc;
    char q[64];
    snprintf(q, sizeof q, "{\"alert\":%lld}", (long long)id);
    pk_err lerr;
    pk_err_clear(&lerr);
    int lrc = hotlist__audit(st, u, action, q, "refused", err->msg, client, &lerr);
    if (lrc) {
        *err = lerr;
        return lrc;
    }
    return rc;
}

int hotlist_alert_verify(store *st, int64_t alert_id, const char *outcome, const char *note,
                         const access_user *user, const char *client, pk_err *err) {
    int rc = may_handle_alerts(user, err);
    if (rc) return rc;
    if (!hotlist_outcome_valid(outcome))
        return pk_err_set(err, PK_EINVAL, "outcome: must be one of confirmed, not_confirmed, "
                          "misread, state_mismatch, vehicle_mismatch, entry_cleared");
    if (strcmp(outcome, "confirmed") && (!note || !*note))
        return pk_err_set(err, PK_EINVAL, "note: required for outcome %s (what CLETS showed)",
                          outcome);
    if (note && strlen(note) >= STORE_HL_TEXT_MAX * 2)
        return pk_err_set(err, PK_EINVAL, "note: longer than %d bytes", STORE_HL_TEXT_MAX * 2 - 1);
    if ((rc = handle_visible(st, alert_id, user, "alert.verify", client, err))) return rc;
    if ((rc = store_begin(st, err))) return rc;
    rc = store_alert_verify(st, alert_id, outcome, note, user->username, pk_now_ms(), err);
    if (!rc) {
        json_t *q = json_pack("{sI ss ss*}", "alert", (json_int_t)alert_id, "outcome", outcome,
                              "note", note);
        char *text = json_dumps(q, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(q);
        rc = hotlist__audit(st, user, "alert.verify", text, "ok", NULL, client, err);
        free(text);
    }
    return hotlist__tx_end(st, rc, err);
}

int hotlist_alert_ack(store *st, int64_t alert_id, const access_user *user, const char *client,
                      pk_err *err) {
    int rc = may_handle_alerts(user, err);
    if (rc) return rc;
    if ((rc = handle_visible(st, alert_id, user, "alert.ack", client, err))) return rc;
    return store_alert_ack(st, alert_id, user->username, pk_now_ms(), err);
}

int hotlist_alerts_purge(store *st, int64_t now, int64_t *n, pk_err *err) {
    int64_t k = 0;
    int rc = store_begin(st, err);
    if (rc) return rc;
    rc = store_alerts_purge(st, now ? now : pk_now_ms(), &k, err);
    if (!rc) {
        char q[64];
        snprintf(q, sizeof q, "{\"purged\":%lld}", (long long)k);
        rc = hotlist__audit(st, NULL, "alert.purge", q, "ok", NULL, NULL, err);
    }
    if (!rc && n) *n = k;
    return hotlist__tx_end(st, rc, err);
}
