/*
 * Importing a file into a list: atomic replacement, the import history, the access log, and the
 * twice-daily scheduled re-import that serve drives.
 *
 * Atomic without a long lock: the file's entries are staged under a new import generation in
 * transactions of IMPORT_BATCH rows (invisible to the matcher and the API meanwhile, and ingest
 * gets the write lock between them), then one small transaction switches the list to the new
 * generation and records the attempt. The old generation is deleted afterwards, again in
 * batches. A refused file's staged rows are deleted the same way; a crash leaves only invisible
 * rows that the next import of the list sweeps.
 */
#include "hotlist/hotlist_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IMPORT_BATCH 20000 /* staged rows per transaction */
#define IMPORT_YIELD_US                                                                            \
    20000 /* pause between them: SQLite's busy handler polls, it does not queue,                   \
             so a writer that begins again at once would starve ingest */

typedef struct import_ctx {
    store *st;
    int64_t hotlist_id;
    int64_t gen;
    int in_tx; /* rows in the open staging transaction */
    int fatal; /* a database error: the import fails whatever skip_bad says */
    pk_err ferr;
} import_ctx;

static int put_entry(void *ctx, store_hotlist_entry *e, int64_t line, pk_err *err) {
    (void)line;
    import_ctx *c = ctx;
    if (c->fatal) return c->fatal;
    e->hotlist_id = c->hotlist_id;
    e->gen = c->gen;
    int rc = PK_OK;
    if (c->in_tx == IMPORT_BATCH) { /* let ingest in between */
        rc = store_commit(c->st, &c->ferr);
        usleep(IMPORT_YIELD_US);
        if (!rc) rc = store_begin(c->st, &c->ferr);
        c->in_tx = 0;
    }
    if (!rc) rc = store_hotlist_entry_add(c->st, e, &c->ferr);
    if (rc) {
        c->fatal = rc;
        pk_err_set(err, rc, "%s", c->ferr.msg);
        return rc;
    }
    c->in_tx++;
    return PK_OK;
}

/* Deletes imported rows of generation gen (0: of every generation older than the active one)
 * in batches, each its own transaction. Best effort: what is left is swept next time. */
static void sweep(store *st, int64_t hotlist_id, int64_t gen) {
    for (;;) {
        int64_t n = 0;
        if (store_begin(st, NULL)) return;
        int rc = store_hotlist_gen_delete(st, hotlist_id, gen, IMPORT_BATCH, &n, NULL);
        if (hotlist__tx_end(st, rc, NULL) || n < IMPORT_BATCH) return;
        usleep(IMPORT_YIELD_US);
    }
}

/* Records the attempt in the history and the access log, in its own transaction when the
 * import's was rolled back, or in the import's when it is about to commit. */
static int log_attempt(store *st, int64_t hotlist_id, const char *path, const access_user *by,
                       int64_t started, const char *outcome, const hotlist_import_report *r,
                       const char *why, pk_err *err) {
    const char *detail = why && *why ? why : r->errors;
    store_hotlist_import imp = {.hotlist_id = hotlist_id,
                                .started_at = started,
                                .finished_at = pk_now_ms(),
                                .file = path,
                                .by = by ? by->username : "schedule",
                                .outcome = outcome,
                                .detail = detail,
                                .lines = r->lines,
                                .loaded = r->loaded,
                                .bad = r->bad};
    int rc = store_hotlist_import_log(st, &imp, NULL, err);
    if (rc) return rc;
    json_t *q = json_pack("{sI ss sI sI sI sI}", "hotlist", (json_int_t)hotlist_id, "file", path,
                          "lines", (json_int_t)r->lines, "loaded", (json_int_t)r->loaded, "bad",
                          (json_int_t)r->bad, "replaced", (json_int_t)r->replaced);
    char *text = json_dumps(q, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(q);
    const char *aout = strcmp(outcome, "refused") == 0  ? "refused"
                       : strcmp(outcome, "failed") == 0 ? "failed"
                                                        : "ok";
    char d[512];
    snprintf(d, sizeof d, "%s", detail ? detail : "");
    rc = hotlist__audit(st, by, "hotlist.import", text, aout, d[0] ? d : NULL, NULL, err);
    free(text);
    return rc;
}

int hotlist_import_file(store *st, int64_t hotlist_id, const char *path,
                        const hotlist_import_opts *o, const access_user *by,
                        hotlist_import_report *report, pk_err *err) {
    memset(report, 0, sizeof *report);
    int rc;
    if (by && (rc = hotlist__may_manage(by, err))) return rc;
    store_hotlist h;
    if ((rc = store_hotlist_get(st, hotlist_id, &h, err))) return rc;
    hotlist_import_opts opts;
    if (o) {
        opts = *o;
    } else {
        hotlist_import_opts_init(&opts);
    }
    if (opts.max_bytes <= 0)
        opts.max_bytes =
            store_setting_int(st, "hotlist.import_max_bytes", HOTLIST_FILE_MAX_DEFAULT);
    int64_t started = pk_now_ms();
    FILE *f = fopen(path, "rb");
    struct stat sb;
    if (f && fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f); /* a directory opens for reading on Linux, and then fails every read */
        f = NULL;
        errno = EISDIR;
    }
    if (!f) {
        pk_err_set(err, PK_EIO, "%s: %s", path, strerror(errno));
        report->refused = 1;
        if (store_begin(st, NULL) == PK_OK)
            hotlist__tx_end(
                st,
                log_attempt(st, hotlist_id, path, by, started, "failed", report, err->msg, NULL),
                NULL);
        return PK_EIO;
    }
    int64_t gen = 0;
    if ((rc = store_hotlist_gen_reserve(st, hotlist_id, &gen, err)) ||
        (rc = store_begin(st, err))) {
        fclose(f);
        return rc;
    }
    import_ctx c = {.st = st, .hotlist_id = hotlist_id, .gen = gen};
    rc = hotlist_parse(f, &opts, put_entry, &c, report, err);
    fclose(f);
    if (rc) pk_err_prefix(err, "%s: ", path);
    if (!rc && c.fatal) rc = pk_err_set(err, c.fatal, "%s", c.ferr.msg);
    if (!rc && report->bad && !opts.skip_bad) {
        rc = pk_err_set(err, PK_EINVAL,
                        "%s: refused, %lld bad line%s (nothing changed; fix them "
                        "or use --skip-bad)",
                        path, (long long)report->bad, report->bad == 1 ? "" : "s");
    }
    if (!rc) rc = store_commit(st, err); /* the last staged rows */
    if (!rc) {
        /* the switch: one small transaction with the history and the access log */
        if (!(rc = store_begin(st, err))) {
            rc = store_hotlist_gen_activate(st, hotlist_id, gen, &report->replaced, err);
            if (!rc)
                rc = log_attempt(st, hotlist_id, path, by, started, report->bad ? "partial" : "ok",
                                 report, NULL, err);
            if (!rc) rc = hotlist__touch(st, err);
            rc = hotlist__tx_end(st, rc, err);
        }
        if (!rc) {
            sweep(st, hotlist_id, 0); /* the previous generation */
            return PK_OK;
        }
    } else {
        store_rollback(st);
    }
    /* refused or failed: the staged rows go, the list stays as it was */
    sweep(st, hotlist_id, gen);
    report->refused = 1;
    report->loaded = 0;
    report->replaced = 0;
    pk_err keep = *err;
    if (store_begin(st, NULL) == PK_OK)
        hotlist__tx_end(st,
                        log_attempt(st, hotlist_id, path, by, started,
                                    rc == PK_EINVAL || rc == PK_ELIMIT || rc == PK_ECONFLICT
                                        ? "refused"
                                        : "failed",
                                    report, report->bad ? NULL : keep.msg, NULL),
                        NULL);
    *err = keep;
    return rc;
}

typedef struct due_ctx {
    int64_t ids[256];
    int n;
} due_ctx;

static int collect_due(void *ctx, const store_hotlist *h) {
    due_ctx *d = ctx;
    if (h->import_path[0] && d->n < 256) d->ids[d->n++] = h->id;
    return 0;
}

int hotlist_scheduled_imports(store *st, int64_t now, int *n_imported, pk_err *err) {
    if (n_imported) *n_imported = 0;
    if (!now) now = pk_now_ms();
    int64_t hours = store_setting_int(st, "hotlist.import_interval_hours", 12);
    if (hours < 1) hours = 1;
    due_ctx d = {.n = 0};
    int rc = store_hotlists_each(st, collect_due, &d, err);
    if (rc) return rc;
    for (int i = 0; i < d.n; i++) {
        store_hotlist h;
        if (store_hotlist_get(st, d.ids[i], &h, NULL)) continue;
        if (now - store_hotlist_last_import(st, h.id) < hours * 3600000) continue;
        hotlist_import_opts o;
        hotlist_import_opts_init(&o);
        o.map = h.import_map[0] ? h.import_map : NULL;
        hotlist_import_report r;
        pk_err ierr;
        pk_err_clear(&ierr);
        /* a failure is in the history and the access log; the other lists still run */
        if (hotlist_import_file(st, h.id, h.import_path, &o, NULL, &r, &ierr) == PK_OK &&
            n_imported)
            (*n_imported)++;
        hotlist_import_report_fini(&r);
    }
    return PK_OK;
}
