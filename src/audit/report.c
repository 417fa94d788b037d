/* Audit reports (issue 3 item 7) and the random sample of searches for review. */
#include "audit/audit.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/pktime.h"

typedef struct hours {
    int start_min, end_min; /* minutes after local midnight: [start, end) is working time */
    int days[8];            /* days[1..7]: ISO weekday is a working day */
    int64_t offset_ms;      /* local time = UTC + offset */
} hours;

static int parse_hhmm(const char *s, int *min) {
    int h, m;
    char tail;
    if (sscanf(s, "%d:%d%c", &h, &m, &tail) != 2 || h < 0 || h > 24 || m < 0 || m > 59)
        return -1;
    *min = h * 60 + m;
    return 0;
}

static void hours_load(store *st, hours *h) {
    memset(h, 0, sizeof *h);
    h->start_min = 7 * 60;
    h->end_min = 19 * 60;
    char *v = NULL;
    if (store_setting_get(st, "audit.work_start", &v, NULL) == PK_OK) {
        parse_hhmm(v, &h->start_min);
        free(v);
    }
    if (store_setting_get(st, "audit.work_end", &v, NULL) == PK_OK) {
        parse_hhmm(v, &h->end_min);
        free(v);
    }
    const char *days = "1-5";
    if (store_setting_get(st, "audit.work_days", &v, NULL) != PK_OK) v = NULL;
    if (v) days = v;
    /* "1-5", "1,2,3,4,5,6" or "1-3,5": ISO weekdays, Monday = 1 */
    for (const char *p = days; *p;) {
        if (*p < '1' || *p > '7') {
            p++;
            continue;
        }
        int a = *p - '0', b = a;
        p++;
        if (*p == '-' && p[1] >= '1' && p[1] <= '7') {
            b = p[1] - '0';
            p += 2;
        }
        for (int d = a; d <= b; d++) h->days[d] = 1;
    }
    free(v);
    h->offset_ms = store_setting_int(st, "audit.utc_offset_minutes", -480) * 60000;
}

static int outside_hours(const hours *h, int64_t ts) {
    int64_t local = ts + h->offset_ms;
    int64_t day = local >= 0 ? local / PK_MS_PER_DAY : -((-local + PK_MS_PER_DAY - 1) / PK_MS_PER_DAY);
    int64_t min = (local - day * PK_MS_PER_DAY) / 60000;
    int wd = (int)(((day % 7) + 7 + 3) % 7) + 1; /* 1970-01-01 was a Thursday (4) */
    if (!h->days[wd]) return 1;
    return min < h->start_min || min >= h->end_min;
}

static void inc(json_t *o, const char *key, json_int_t by) {
    json_t *v = json_object_get(o, key);
    json_object_set_new(o, key, json_integer((v ? json_integer_value(v) : 0) + by));
}

static json_t *user_stats(json_t *users, const char *name) {
    const char *key = name && *name ? name : "(unknown)";
    json_t *u = json_object_get(users, key);
    if (u) return u;
    u = json_pack("{sssIsIsIsIsIsIsIsIso}", "username", key, "searches", (json_int_t)0,
                  "searches_without_case", (json_int_t)0, "searches_no_results", (json_int_t)0,
                  "outside_hours", (json_int_t)0, "refused", (json_int_t)0, "logins",
                  (json_int_t)0, "failed_logins", (json_int_t)0, "data_accesses",
                  (json_int_t)0, "by_purpose", json_object());
    json_object_set_new(users, key, u);
    return u;
}

static int starts(const char *s, const char *prefix) {
    return s && !strncmp(s, prefix, strlen(prefix));
}

typedef struct report_ctx {
    hours h;
    json_t *users;   /* username -> stats */
    json_t *changes; /* account, training, unit and setting changes */
    json_t *totals;
} report_ctx;

static int report_one(void *vctx, const store_audit_row *r) {
    report_ctx *c = vctx;
    int ok = r->outcome && !strcmp(r->outcome, "ok");
    int refused = r->outcome && !strcmp(r->outcome, "refused");
    json_t *u = user_stats(c->users, r->username);
    inc(c->totals, "entries", 1);
    if (refused) {
        inc(u, "refused", 1);
        inc(c->totals, "refused", 1);
    }
    if (r->action && !strcmp(r->action, "login") && ok) inc(u, "logins", 1);
    if (r->action && !strcmp(r->action, "login.failed")) {
        inc(u, "failed_logins", 1);
        inc(c->totals, "failed_logins", 1);
    }
    if (ok && r->result_count >= 0) {
        inc(u, "data_accesses", 1);
        if (outside_hours(&c->h, r->ts)) {
            inc(u, "outside_hours", 1);
            inc(c->totals, "outside_hours", 1);
        }
    }
    if (ok && r->action && !strcmp(r->action, "search")) {
        inc(u, "searches", 1);
        inc(c->totals, "searches", 1);
        inc(json_object_get(u, "by_purpose"), r->purpose ? r->purpose : "(none)", 1);
        if (!r->case_no || !*r->case_no) {
            inc(u, "searches_without_case", 1);
            inc(c->totals, "searches_without_case", 1);
        }
        if (r->result_count == 0) {
            inc(u, "searches_no_results", 1);
            inc(c->totals, "searches_no_results", 1);
        }
    }
    if (starts(r->action, "user.") || starts(r->action, "training.") ||
        starts(r->action, "setting") || starts(r->action, "unit.") ||
        starts(r->action, "password."))
        json_array_append_new(c->changes, audit_record_json(r));
    return 0;
}

typedef struct overdue_ctx {
    store *st;
    int64_t now, refresher_ms;
    json_t *list;
} overdue_ctx;

static int overdue_one(void *vctx, const store_user *u) {
    overdue_ctx *c = vctx;
    if (strcmp(u->status, "active")) return 0;
    int64_t last = 0;
    if (store_training_latest(c->st, u->id, &last, NULL)) return 0;
    if (last && last + c->refresher_ms > c->now) return 0;
    char buf[PK_TIME_STR_MAX];
    json_t *o = json_pack("{ssss}", "username", u->username, "role", u->role);
    if (last) {
        pk_time_format(last, buf);
        json_object_set_new(o, "last_completed", json_string(buf));
        pk_time_format(last + c->refresher_ms, buf);
        json_object_set_new(o, "due", json_string(buf));
    } else {
        json_object_set_new(o, "last_completed", json_null());
        json_object_set_new(o, "due", json_null());
    }
    json_array_append_new(c->list, o);
    return 0;
}

static int review_one(void *ctx, const store_review *rv) {
    char ts[PK_TIME_STR_MAX];
    pk_time_format(rv->reviewed_at, ts);
    json_array_append_new(ctx, json_pack("{sIsIssssssss}", "id", (json_int_t)rv->id, "entry",
                                         (json_int_t)rv->entry_id, "reviewer", rv->reviewer,
                                         "finding", rv->finding, "approved_by", rv->approved_by,
                                         "reviewed_at", ts));
    return 0;
}

/* A range bound as ISO 8601, or null for an open end (INT64_MIN / INT64_MAX and anything past
 * the years 0..9999, which the formatter does not cover). */
static json_t *bound_json(int64_t ms) {
    const int64_t lim = INT64_C(253402300799999); /* 9999-12-31T23:59:59.999Z */
    if (ms < -INT64_C(62167219200000) || ms > lim) return json_null();
    char buf[PK_TIME_STR_MAX];
    pk_time_format(ms, buf);
    return json_string(buf);
}

int audit_report(store *st, int64_t from, int64_t to, int64_t now, json_t **out, pk_err *err) {
    *out = NULL;
    if (from > to) return pk_err_set(err, PK_EINVAL, "from: after to");
    report_ctx c;
    hours_load(st, &c.h);
    c.users = json_object();
    c.changes = json_array();
    c.totals = json_pack("{sIsIsIsIsIsIsI}", "entries", (json_int_t)0, "searches", (json_int_t)0,
                         "searches_without_case", (json_int_t)0, "searches_no_results",
                         (json_int_t)0, "outside_hours", (json_int_t)0, "refused",
                         (json_int_t)0, "failed_logins", (json_int_t)0, "overdue_training",
                         (json_int_t)0);
    audit_filter f;
    audit_filter_init(&f);
    f.from = from;
    f.to = to;
    int rc = store_audit_each(st, &f, report_one, &c, err);
    overdue_ctx oc = {.st = st,
                      .now = now ? now : pk_now_ms(),
                      .refresher_ms =
                          store_setting_int(st, "access.training_refresher_days", 730) *
                          PK_MS_PER_DAY,
                      .list = json_array()};
    if (!rc) rc = store_user_each(st, overdue_one, &oc, err);
    json_t *reviews = json_array();
    if (!rc) rc = store_review_each(st, from, to, review_one, reviews, err);
    json_t *users = json_array();
    const char *key;
    json_t *v;
    json_object_foreach(c.users, key, v) json_array_append(users, v);
    json_decref(c.users);
    json_object_set_new(c.totals, "overdue_training", json_integer((json_int_t)json_array_size(oc.list)));
    json_t *rep = json_pack("{sososososososo}", "from", bound_json(from), "to", bound_json(to),
                            "totals", c.totals, "users",
                            users, "account_changes", c.changes, "overdue_training", oc.list,
                            "reviews", reviews);
    if (rc) {
        json_decref(rep);
        return rc;
    }
    *out = rep;
    return PK_OK;
}

typedef struct sample_ctx {
    json_t *picked; /* array of up to n entries */
    int n;
    int64_t seen;
    uint64_t rng; /* 0: libsodium's generator */
} sample_ctx;

static uint64_t next_rand(sample_ctx *c, uint64_t bound) {
    if (!c->rng) return (uint64_t)randombytes_uniform((uint32_t)(bound > UINT32_MAX ? UINT32_MAX : bound));
    uint64_t x = c->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rng = x;
    return (x * 0x2545F4914F6CDD1DULL) % bound;
}

static int sample_one(void *vctx, const store_audit_row *r) {
    sample_ctx *c = vctx;
    c->seen++;
    /* reservoir sampling: every search is kept with the same probability n / seen */
    if ((int64_t)json_array_size(c->picked) < c->n) {
        json_array_append_new(c->picked, audit_record_json(r));
    } else {
        uint64_t j = next_rand(c, (uint64_t)c->seen);
        if (j < (uint64_t)c->n) json_array_set_new(c->picked, (size_t)j, audit_record_json(r));
    }
    return 0;
}

int audit_sample(store *st, int64_t from, int64_t to, int n, uint64_t seed, json_t **out,
                 pk_err *err) {
    *out = NULL;
    if (n <= 0 || n > 10000) return pk_err_set(err, PK_EINVAL, "n: must be 1 to 10000");
    if (sodium_init() < 0) return pk_err_set(err, PK_EIO, "libsodium failed to start");
    sample_ctx c = {.picked = json_array(), .n = n, .rng = seed};
    audit_filter f;
    audit_filter_init(&f);
    f.from = from;
    f.to = to;
    f.action = "search";
    f.outcome = "ok";
    int rc = store_audit_each(st, &f, sample_one, &c, err);
    if (rc) {
        json_decref(c.picked);
        return rc;
    }
    *out = c.picked;
    return PK_OK;
}

/* ---- public transparency figures ---- */

int audit_transparency(store *st, int64_t now, json_t **out, pk_err *err) {
    *out = NULL;
    /* The calendar month (UTC) holding now: [first day 00:00, first day of the next month). */
    time_t secs = (time_t)(now / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    struct tm a = {.tm_year = tm.tm_year, .tm_mon = tm.tm_mon, .tm_mday = 1};
    struct tm b = {.tm_year = tm.tm_year + (tm.tm_mon == 11), .tm_mon = (tm.tm_mon + 1) % 12,
                   .tm_mday = 1};
    int64_t from = (int64_t)timegm(&a) * 1000, to = (int64_t)timegm(&b) * 1000;
    char month[16];
    snprintf(month, sizeof month, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
    store_stats s;
    int rc = store_stats_get(st, from, to, &s, err);
    if (rc) return rc;
    *out = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "month", month,
                     "reads_stored", (json_int_t)s.reads_stored, "reads_this_month",
                     (json_int_t)s.reads, "hits_this_month", (json_int_t)s.hits,
                     "searches_this_month", (json_int_t)s.searches, "refused_this_month",
                     (json_int_t)s.refused, "sharing_requests_granted",
                     (json_int_t)s.sharing_granted, "sharing_requests_refused",
                     (json_int_t)s.sharing_refused, "sharing_requests_granted_this_month",
                     (json_int_t)s.sharing_granted_in, "sharing_requests_refused_this_month",
                     (json_int_t)s.sharing_refused_in);
    return PK_OK;
}
