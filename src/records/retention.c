/* Retention settings and the purge; the helpers every records file shares. */
#include "records/records_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit/audit.h"
#include "hotlist/hotlist.h"

int64_t records__now(const records_actor *a) {
    return pk_clock_now(a ? a->clock : NULL);
}

const char *records__who(const records_actor *a) {
    return a && a->user ? a->user->username : "system";
}

int records__require(const records_actor *a, int system_ok, pk_err *err, const char *what, ...) {
    if (!a || !a->user) {
        if (system_ok) return PK_OK;
        return pk_err_set(err, PK_EDENIED, "%s: needs a signed-in user", what);
    }
    if (strcmp(a->user->status, "active") != 0)
        return pk_err_set(err, PK_EDENIED, "%s: account %s is %s", what, a->user->username,
                          a->user->status);
    va_list ap;
    va_start(ap, what);
    int r, ok = 0;
    while ((r = va_arg(ap, int)) != -1)
        if ((access_role)r == a->user->role) ok = 1;
    va_end(ap);
    if (ok) return PK_OK;
    const char *role = access_role_name(a->user->role);
    return pk_err_set(err, PK_EDENIED, "%s: not allowed for role %s", what, role ? role : "none");
}

int records__log(store *st, const records_actor *a, const char *action, const char *query_json,
                 const char *case_no, int64_t count, const char *outcome, const char *detail,
                 pk_err *err) {
    audit_entry e;
    memset(&e, 0, sizeof e);
    e.ts = records__now(a);
    e.username = records__who(a);
    e.agency = a && a->user ? a->user->agency : NULL;
    e.action = action;
    e.query = query_json;
    e.case_no = case_no && *case_no ? case_no : NULL;
    e.result_count = count;
    e.client = a && a->client ? a->client : "cli";
    e.outcome = outcome ? outcome : "ok";
    e.detail = detail;
    return audit_append(st, &e, NULL, err);
}

void records__images_dir(store *st, char *buf, size_t n) {
    const char *path = store_path(st);
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(buf, n, "%.*s/images", (int)(slash - path), path);
    else
        snprintf(buf, n, "images");
}

void records__sha256_hex(const void *data, size_t len, char hex[65]) {
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(hex, 65, h, sizeof h);
}

/* ---- retention ---- */

int64_t records_retention_get(store *st) {
    int64_t d = store_setting_int(st, "retention_days", RECORDS_RETENTION_DEFAULT_DAYS);
    /* A value below the minimum can only come from outside the product (a hand edit): the
     * policy minimum still holds. */
    return d < RECORDS_RETENTION_MIN_DAYS ? RECORDS_RETENTION_MIN_DAYS : d;
}

int records_retention_set(store *st, const records_actor *a, int64_t days, pk_err *err) {
    int rc = records__require(a, 0, err, "retention", ACCESS_ROLE_ADMIN, -1);
    if (rc) return rc;
    if (days < RECORDS_RETENTION_MIN_DAYS || days > 36500)
        return pk_err_set(err, PK_EINVAL,
                          "retention_days: %" PRId64 " is %s (policy 472.5 keeps ALPR data at "
                          "least %d days)",
                          days, days > 36500 ? "more than 100 years" : "below the policy minimum",
                          RECORDS_RETENTION_MIN_DAYS);
    char v[32], q[96];
    snprintf(q, sizeof q, "{\"retention_days\":%" PRId64 "}", days);
    snprintf(v, sizeof v, "%" PRId64, days);
    if ((rc = store_begin(st, err))) return rc;
    rc = store_setting_set(st, "retention_days", v, err);
    if (!rc) rc = records__log(st, a, "settings.retention", q, NULL, -1, "ok", NULL, err);
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st, err);
}

/* ---- purge ---- */

int records_purge(store *st, const records_actor *a, int dry_run, int batch,
                  records_purge_result *res, pk_err *err) {
    memset(res, 0, sizeof *res);
    int rc = records__require(a, 1, err, "purge", ACCESS_ROLE_ADMIN, ACCESS_ROLE_CUSTODIAN, -1);
    if (rc) return rc;
    int64_t days = records_retention_get(st);
    int64_t started = records__now(a);
    int64_t t0 = pk_now_ms(); /* duration by the wall clock, whatever the policy clock says */
    res->dry_run = dry_run;
    res->cutoff = started - days * PK_MS_PER_DAY;
    /* Alerts first: a read whose alerts all expired follows the ordinary retention; one with a
     * live alert is kept (hit cutoff INT64_MIN: never due while the alert exists). */
    if (!dry_run) rc = hotlist_alerts_purge(st, started, &res->alerts_deleted, err);
    store_purge_state ps;
    store_purge_init(&ps, res->cutoff, INT64_MIN, dry_run);
    if (!rc && !dry_run) rc = store_purge_relax_sync(st, 1, err);
    /* Batch size: fixed when the caller gives one; else it starts at RECORDS_PURGE_BATCH and
     * adapts so that each batch holds the write lock about 150-600 ms: big batches touch each
     * index page once for many rows (much less WAL per row), short ones keep ingest waiting
     * little. */
    int size = batch > 0 ? batch : RECORDS_PURGE_BATCH;
    while (!ps.done && !rc) {
        int64_t b0 = pk_now_ms();
        rc = store_purge_batch(st, &ps, size, err);
        int64_t dt = pk_now_ms() - b0;
        if (batch > 0) continue;
        if (dt < 150 && size < RECORDS_PURGE_BATCH_MAX)
            size *= 2;
        else if (dt > 600 && size > RECORDS_PURGE_BATCH)
            size /= 2;
    }
    int64_t kept = 0;
    if (!rc && !dry_run) {
        char images[4096];
        records__images_dir(st, images, sizeof images);
        int64_t s0 = pk_now_ms();
        rc = store_purge_image_sweep(st, images, &res->images_deleted, &kept, err);
        res->sweep_ms = pk_now_ms() - s0;
    }
    if (!dry_run) {
        /* back to full durability before the log row (see store_purge_relax_sync) */
        int rc2 = store_purge_relax_sync(st, 0, rc ? NULL : err);
        if (!rc) rc = rc2;
    }
    res->reads_deleted = ps.reads_deleted;
    res->held_kept = ps.held_kept;
    res->hits_kept = ps.hits_kept;
    res->duration_ms = pk_now_ms() - t0;
    char q[512];
    snprintf(q, sizeof q,
             "{\"cutoff\":%" PRId64 ",\"alerts_deleted\":%" PRId64 ",\"dry_run\":%s,"
             "\"reads_deleted\":%" PRId64 ",\"images_deleted\":%" PRId64 ",\"held_kept\":%" PRId64
             ",\"hits_kept\":%" PRId64 ",\"duration_ms\":%" PRId64 "}",
             res->cutoff, res->alerts_deleted, dry_run ? "true" : "false", res->reads_deleted,
             res->images_deleted, res->held_kept, res->hits_kept, res->duration_ms);
    if (rc) {
        /* Batches that committed stay purged (they were due); say so in the access log. */
        pk_err ignore;
        records__log(st, a, dry_run ? "purge.dry_run" : "purge", q, NULL, res->reads_deleted,
                     "failed", err ? err->msg : "failed", &ignore);
        return rc;
    }
    store_purge_entry e;
    memset(&e, 0, sizeof e);
    e.started_at = started;
    e.finished_at = started + res->duration_ms;
    e.cutoff = res->cutoff;
    e.hit_cutoff = 0; /* hits follow their list's retention through their alerts */
    e.reads_deleted = res->reads_deleted;
    e.images_deleted = res->images_deleted;
    e.held_kept = res->held_kept;
    e.hits_kept = res->hits_kept;
    e.duration_ms = res->duration_ms;
    e.dry_run = dry_run;
    snprintf(e.run_by, sizeof e.run_by, "%s", records__who(a));
    if ((rc = store_begin(st, err))) return rc;
    rc = store_purge_log_add(st, &e, &res->purge_id, err);
    if (!rc)
        rc = records__log(st, a, dry_run ? "purge.dry_run" : "purge", q, NULL, res->reads_deleted,
                          "ok", NULL, err);
    if (rc) {
        store_rollback(st);
        return rc;
    }
    rc = store_commit(st, err);
    if (!rc && !dry_run && res->reads_deleted > 0) store_checkpoint(st, NULL);
    return rc;
}

int records_purge_daily(store *st, const records_actor *a, int *ran, records_purge_result *res,
                        pk_err *err) {
    *ran = 0;
    memset(res, 0, sizeof *res);
    store_purge_entry last;
    int rc = store_purge_log_last(st, &last, NULL);
    if (rc == PK_OK && records__now(a) - last.started_at < PK_MS_PER_DAY) return PK_OK;
    records_actor sys = {NULL, a ? a->client : "serve", a ? a->clock : NULL};
    rc = records_purge(st, &sys, 0, 0, res, err);
    if (!rc) *ran = 1;
    return rc;
}

int records_purge_log_each(store *st, int (*fn)(void *ctx, const records_purge_entry *e),
                           void *ctx, pk_err *err) {
    return store_purge_log_each(st, fn, ctx, err);
}
