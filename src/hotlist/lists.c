/* Hotlists and their entries by hand: validation, role rules, the audit trail, JSON shapes. */
#include "hotlist/hotlist_int.h"

#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "core/pattern.h"
#include "core/plate.h"

#define HAND_EXPIRY_DAYS 30 /* the default for entries by hand; more only by an administrator */

int hotlist__touch(store *st, pk_err *err) {
    int64_t g = store_setting_int(st, "hotlist.generation", 0) + 1;
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)g);
    return store_setting_set(st, "hotlist.generation", buf, err);
}

int hotlist__audit(store *st, const access_user *user, const char *action, const char *query,
                   const char *outcome, const char *detail, const char *client, pk_err *err) {
    audit_entry a;
    memset(&a, 0, sizeof a);
    a.username = user ? user->username : "system";
    a.agency = user ? user->agency : NULL;
    a.action = action;
    a.query = query;
    a.result_count = -1;
    a.client = client ? client : "local";
    a.outcome = outcome ? outcome : "ok";
    a.detail = detail;
    return audit_append(st, &a, NULL, err);
}

/* Audit with a JSON object built by the caller (consumed). */
static int audit_json(store *st, const access_user *user, const char *action, json_t *q,
                      pk_err *err) {
    char *text = json_dumps(q, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(q);
    int rc = hotlist__audit(st, user, action, text, "ok", NULL, NULL, err);
    free(text);
    return rc;
}

int hotlist__may_manage(const access_user *u, pk_err *err) {
    if (!u) return pk_err_set(err, PK_EDENIED, "no user");
    if (strcmp(u->status, "active") != 0)
        return pk_err_set(err, PK_EDENIED, "account %s is %s", u->username, u->status);
    if (u->role != ACCESS_ROLE_ADMIN && u->role != ACCESS_ROLE_INVESTIGATOR)
        return pk_err_set(err, PK_EDENIED, "%s: only administrators and investigators manage "
                          "hotlists", u->username);
    return PK_OK;
}

static int check_list(const store_hotlist *h, pk_err *err) {
    size_t n = strlen(h->name);
    if (n == 0) return pk_err_set(err, PK_EINVAL, "name: empty");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)h->name[i];
        if (c < 0x20 || c == 0x7f) return pk_err_set(err, PK_EINVAL, "name: control character");
    }
    if (strspn(h->name, "0123456789") == n)
        return pk_err_set(err, PK_EINVAL, "name: must not be only digits (ids are)");
    if (strcmp(h->source, "import") && strcmp(h->source, "local"))
        return pk_err_set(err, PK_EINVAL, "source: must be 'import' or 'local'");
    if (h->priority < 0 || h->priority > 9)
        return pk_err_set(err, PK_EINVAL, "priority: must be 0 (highest) to 9");
    static const char *const levels[] = {"high", "medium", "low", "silent"};
    int ok = 0;
    for (size_t i = 0; i < 4; i++) ok |= !strcmp(h->alert_level, levels[i]);
    if (!ok) return pk_err_set(err, PK_EINVAL, "alert_level: must be high, medium, low or silent");
    if (h->default_expiry_days < 1 || h->default_expiry_days > 3650)
        return pk_err_set(err, PK_EINVAL, "default_expiry_days: must be 1 to 3650");
    if (h->hit_retention_days < 1 || h->hit_retention_days > 36500)
        return pk_err_set(err, PK_EINVAL, "hit_retention_days: must be 1 to 36500");
    return PK_OK;
}

json_t *hotlist_list_json(const store_hotlist *h) {
    json_t *o = json_pack("{sI ss ss si ss sb si si ss? sI ss}", "id", (json_int_t)h->id, "name",
                          h->name, "source", h->source, "priority", h->priority, "alert_level",
                          h->alert_level, "covert", h->covert, "default_expiry_days",
                          h->default_expiry_days, "hit_retention_days", h->hit_retention_days,
                          "import_path", h->import_path[0] ? h->import_path : NULL,
                          "created_at", (json_int_t)h->created_at, "created_by", h->created_by);
    if (h->n_entries >= 0) json_object_set_new(o, "entries", json_integer(h->n_entries));
    return o;
}

static int list_to_json(void *ctx, const store_hotlist *h) {
    json_array_append_new(ctx, hotlist_list_json(h));
    return 0;
}

json_t *hotlist_lists_json(store *st, pk_err *err) {
    json_t *a = json_array();
    if (store_hotlists_each(st, list_to_json, a, err)) {
        json_decref(a);
        return NULL;
    }
    return a;
}

int hotlist_create(store *st, store_hotlist *h, const access_user *by, pk_err *err) {
    int rc = hotlist__may_manage(by, err);
    if (rc) return rc;
    if (!h->source[0]) snprintf(h->source, sizeof h->source, "local");
    if (!h->alert_level[0]) snprintf(h->alert_level, sizeof h->alert_level, "high");
    if (!h->default_expiry_days) h->default_expiry_days = HAND_EXPIRY_DAYS;
    if (!h->hit_retention_days) h->hit_retention_days = 365;
    if ((rc = check_list(h, err))) return rc;
    if (h->default_expiry_days > HAND_EXPIRY_DAYS && by->role != ACCESS_ROLE_ADMIN)
        return pk_err_set(err, PK_EDENIED, "default_expiry_days: over %d days is for "
                          "administrators", HAND_EXPIRY_DAYS);
    snprintf(h->created_by, sizeof h->created_by, "%s", by->username);
    if ((rc = store_begin(st, err))) return rc;
    rc = store_hotlist_add(st, h, err);
    if (!rc) rc = store_hotlist_owner_add(st, h->id, by->username, err);
    if (!rc) rc = audit_json(st, by, "hotlist.create", hotlist_list_json(h), err);
    if (!rc) rc = hotlist__touch(st, err);
    return hotlist__tx_end(st, rc, err);
}

static int is_owner_cb(void *ctx, int64_t id, const char *username) {
    (void)id;
    return !strcmp(ctx, username);
}

/* Whether user owns the list (administrators count as owners for management). */
static int owns(store *st, int64_t hotlist_id, const access_user *u) {
    if (u->role == ACCESS_ROLE_ADMIN) return 1;
    return store_hotlist_owners_each(st, hotlist_id, is_owner_cb, (void *)u->username, NULL) == 1;
}

int hotlist_update(store *st, const store_hotlist *h, const access_user *by, pk_err *err) {
    int rc = hotlist__may_manage(by, err);
    if (rc) return rc;
    store_hotlist old;
    if ((rc = store_hotlist_get(st, h->id, &old, err))) return rc;
    if ((rc = check_list(h, err))) return rc;
    if (!owns(st, h->id, by))
        return pk_err_set(err, PK_EDENIED, "%s does not own hotlist '%s'", by->username, old.name);
    if (by->role != ACCESS_ROLE_ADMIN) {
        if (h->default_expiry_days > HAND_EXPIRY_DAYS &&
            h->default_expiry_days != old.default_expiry_days)
            return pk_err_set(err, PK_EDENIED, "default_expiry_days: over %d days is for "
                              "administrators", HAND_EXPIRY_DAYS);
        if (h->covert != old.covert)
            return pk_err_set(err, PK_EDENIED, "covert: only administrators change it");
    }
    if ((rc = store_begin(st, err))) return rc;
    rc = store_hotlist_update(st, h, err);
    if (!rc) {
        json_t *q = json_pack("{s:o s:o}", "old", hotlist_list_json(&old), "new",
                              hotlist_list_json(h));
        rc = audit_json(st, by, "hotlist.update", q, err);
    }
    if (!rc) rc = hotlist__touch(st, err);
    return hotlist__tx_end(st, rc, err);
}

int hotlist_owner_set(store *st, int64_t hotlist_id, const char *username, int add,
                      const access_user *by, pk_err *err) {
    int rc = hotlist__may_manage(by, err);
    if (rc) return rc;
    store_hotlist h;
    if ((rc = store_hotlist_get(st, hotlist_id, &h, err))) return rc;
    if (!owns(st, hotlist_id, by))
        return pk_err_set(err, PK_EDENIED, "%s does not own hotlist '%s'", by->username, h.name);
    if (!username || !*username) return pk_err_set(err, PK_EINVAL, "owner: empty");
    if ((rc = store_begin(st, err))) return rc;
    rc = add ? store_hotlist_owner_add(st, hotlist_id, username, err)
             : store_hotlist_owner_remove(st, hotlist_id, username, err);
    if (!rc)
        rc = audit_json(st, by, add ? "hotlist.owner.add" : "hotlist.owner.remove",
                        json_pack("{sI ss}", "hotlist", (json_int_t)hotlist_id, "owner", username),
                        err);
    if (!rc) rc = hotlist__touch(st, err);
    return hotlist__tx_end(st, rc, err);
}

int hotlist_lookup(store *st, const char *name_or_id, store_hotlist *h, pk_err *err) {
    if (!name_or_id || !*name_or_id) return pk_err_set(err, PK_EINVAL, "hotlist: empty");
    size_t n = strlen(name_or_id);
    if (strspn(name_or_id, "0123456789") == n && n < 18)
        return store_hotlist_get(st, strtoll(name_or_id, NULL, 10), h, err);
    return store_hotlist_find(st, name_or_id, h, err);
}

/* ---- entries by hand ---- */

json_t *hotlist_entry_json(const store_hotlist_entry *e) {
    char exp[PK_TIME_STR_MAX] = "", created[PK_TIME_STR_MAX];
    if (e->expires) pk_time_format(e->expires, exp);
    pk_time_format(e->created_at, created);
    return json_pack("{sI sI ss sb ss? ss ss ss ss ss s{ss ss ss ss} ss? ss ss ss}", "id",
                     (json_int_t)e->id, "hotlist_id", (json_int_t)e->hotlist_id, "plate",
                     e->plate, "partial", e->is_pattern, "state", e->state[0] ? e->state : NULL,
                     "plate_type", e->plate_type, "reason", e->reason, "ncic", e->ncic, "ori",
                     e->ori, "case", e->case_no, "vehicle", "make", e->make, "model", e->model,
                     "year", e->year, "color", e->color, "expires", exp[0] ? exp : NULL,
                     "origin", e->origin, "entered_by", e->entered_by, "created_at", created);
}

typedef struct entries_ctx {
    json_t *a;
    int limit;
} entries_ctx;

static int entry_to_json(void *ctx, const store_hotlist_entry *e) {
    entries_ctx *c = ctx;
    if (c->limit > 0 && (int)json_array_size(c->a) >= c->limit) return 1;
    json_array_append_new(c->a, hotlist_entry_json(e));
    return 0;
}

json_t *hotlist_entries_json(store *st, int64_t hotlist_id, int64_t now, int limit, pk_err *err) {
    entries_ctx c = {json_array(), limit};
    int rc = store_hotlist_entries_each(st, hotlist_id, now, entry_to_json, &c, err);
    if (rc < 0) {
        json_decref(c.a);
        return NULL;
    }
    return c.a;
}

/* Normalizes plate (or pattern) and state of e in place. */
static int check_entry(store_hotlist_entry *e, pk_err *err) {
    char raw[sizeof e->plate];
    snprintf(raw, sizeof raw, "%s", e->plate);
    if (pk_pattern_has_wildcard(raw)) {
        pk_pattern p;
        if (pk_pattern_compile(raw, &p, err)) return pk_err_prefix(err, "plate: ");
        snprintf(e->plate, sizeof e->plate, "%s", p.text);
        e->is_pattern = 1;
    } else {
        if (pk_plate_normalize(raw, e->plate, err)) return pk_err_prefix(err, "plate: ");
        e->is_pattern = 0;
    }
    char st[4];
    if (hotlist_state_normalize(e->state, st, err)) return pk_err_prefix(err, "state: ");
    memcpy(e->state, st, sizeof st);
    return PK_OK;
}

int hotlist_entry_add(store *st, store_hotlist_entry *e, const access_user *by, pk_err *err) {
    int rc = hotlist__may_manage(by, err);
    if (rc) return rc;
    store_hotlist h;
    if ((rc = store_hotlist_get(st, e->hotlist_id, &h, err))) return rc;
    if ((rc = check_entry(e, err))) return rc;
    int64_t now = pk_now_ms();
    int64_t dflt = now + (int64_t)h.default_expiry_days * PK_MS_PER_DAY;
    if (!e->expires) e->expires = dflt;
    if (e->expires <= now) return pk_err_set(err, PK_EINVAL, "expires: in the past");
    if (e->expires > dflt + 60000 && by->role != ACCESS_ROLE_ADMIN)
        return pk_err_set(err, PK_EDENIED, "expires: later than the list's %d-day default is "
                          "for administrators", h.default_expiry_days);
    snprintf(e->origin, sizeof e->origin, "hand");
    snprintf(e->entered_by, sizeof e->entered_by, "%s", by->username);
    e->created_at = 0;
    if ((rc = store_begin(st, err))) return rc;
    rc = store_hotlist_entry_add(st, e, err);
    if (!rc) rc = audit_json(st, by, "hotlist.entry.add", hotlist_entry_json(e), err);
    if (!rc) rc = hotlist__touch(st, err);
    return hotlist__tx_end(st, rc, err);
}

int hotlist_entry_update(store *st, const store_hotlist_entry *e, const access_user *by,
                         pk_err *err) {
    int rc = hotlist__may_manage(by, err);
    if (rc) return rc;
    store_hotlist_entry old, nw = *e;
    if ((rc = store_hotlist_entry_get(st, e->id, &old, err))) return rc;
    if ((rc = check_entry(&nw, err))) return rc;
    store_hotlist h;
    if ((rc = store_hotlist_get(st, old.hotlist_id, &h, err))) return rc;
    int64_t limit = pk_now_ms() + (int64_t)h.default_expiry_days * PK_MS_PER_DAY + 60000;
    if (by->role != ACCESS_ROLE_ADMIN && nw.expires != old.expires &&
        (nw.expires == 0 || nw.expires > limit))
        return pk_err_set(err, PK_EDENIED, "expires: extending past the list's %d-day default "
                          "is for administrators", h.default_expiry_days);
    if ((rc = store_begin(st, err))) return rc;
    rc = store_hotlist_entry_update(st, &nw, err);
    if (!rc) {
        json_t *q = json_pack("{s:o s:o}", "old", hotlist_entry_json(&old), "new",
                              hotlist_entry_json(&nw));
        rc = audit_json(st, by, "hotlist.entry.update", q, err);
    }
    if (!rc) rc = hotlist__touch(st, err);
    return hotlist__tx_end(st, rc, err);
}

int hotlist_entry_expire(store *st, int64_t entry_id, int64_t expires, const access_user *by,
                         pk_err *err) {
    store_hotlist_entry e;
    int rc = store_hotlist_entry_get(st, entry_id, &e, err);
    if (rc) return rc;
    e.expires = expires ? expires : pk_now_ms();
    return hotlist_entry_update(st, &e, by, err);
}

int hotlist_entry_remove(store *st, int64_t entry_id, const access_user *by, const char *reason,
                         pk_err *err) {
    int rc = hotlist__may_manage(by, err);
    if (rc) return rc;
    store_hotlist_entry old;
    if ((rc = store_hotlist_entry_get(st, entry_id, &old, err))) return rc;
    if ((rc = store_begin(st, err))) return rc;
    rc = store_hotlist_entry_remove(st, entry_id, err);
    if (!rc) {
        json_t *q = json_pack("{s:o ss*}", "entry", hotlist_entry_json(&old), "reason", reason);
        rc = audit_json(st, by, "hotlist.entry.remove", q, err);
    }
    if (!rc) rc = hotlist__touch(st, err);
    return hotlist__tx_end(st, rc, err);
}
