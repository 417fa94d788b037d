/*
 * hotlist.h: hotlists, their import, entries by hand, the matcher every read goes through, and
 * the alerts it raises (issue 4; docs/hotlists.md).
 *
 * Lists. A hotlist is a named set of entries with a source ("import": a state or NCIC file;
 * "local": entered by hand), a priority (0 highest), an alert level, a covert flag (hits go to
 * the list's owners only, never to patrol), a default expiry for entries made by hand (30 days;
 * only an administrator extends it) and a hit retention (how long its alerts are kept).
 *
 * Import. hotlist_import_file replaces a list's imported entries with a file's lines in ONE
 * transaction: entries cleared upstream disappear, and a file with any bad line is refused whole
 * (the list stays as it was) with a report of line numbers and reasons, unless skip_bad is set,
 * in which case the good lines load and the report lists the bad ones. Delimited (comma,
 * semicolon, tab, pipe; autodetected; "quoted" fields; header row or not) and fixed-width files
 * are read with a column mapping (see hotlist_import_opts.map); NCIC field codes (LIC LIS LIT NIC
 * ORI OCA VMA VMO VYR VCO) are understood as header names. Memory stays bounded whatever the
 * file: lines are read one at a time (HOTLIST_LINE_MAX), files over the size limit are refused
 * before reading, and only a bounded number of error lines is kept.
 *
 * Matching. A hotlist_matcher is an immutable snapshot of every active entry: a hash of exact
 * plates, a hash of canonical forms (pk_plate_canon: misread-tolerant), and the patterns bucketed
 * by a two-character literal of each (so a read looks at a handful of patterns, not all of them).
 * The engine holds the current matcher behind a pointer that a rebuild swaps; a caller takes a
 * reference (hotlist_matcher_current) for as long as it matches, so a rebuild never stops or
 * races ingest. A rebuild runs in the engine's background thread when lists change (in this
 * process through hotlist_engine_changed, in another through the generation counter that every
 * change bumps in the database).
 *
 * Alerts. One per hit (read x entry), holding snapshots of the read and the entry side by side
 * (plate, state, vehicle) and how it matched: exact, misread (equal only under the confusable
 * classes) or pattern; a state mismatch is still a hit, flagged. An alert is "unverified" until an
 * officer records the CLETS verification outcome; only "confirmed" is actionable. Alerts are read
 * data: they are listed only under an access grant (ACCESS_ALERTS_VIEW) that records the access
 * first; covert lists' alerts are visible to their owners (and administrators) only.
 *
 * For ingest (the contract):
 *     hotlist_alert_batch *b = NULL;
 *     store_begin(st);  store_reads_insert(st, reads, n, dup);
 *     hotlist_alerts_record(engine, st, reads, dup, n, &b, &err);   // inside the same transaction
 *     if (store_commit(st) == PK_OK) hotlist_alert_batch_publish(engine, b);  // after commit
 *     else hotlist_alert_batch_free(b);
 * hotlist_alerts_record matches every read that is not a duplicate and writes one alert per hit
 * in the caller's transaction; publishing after the commit calls the engine's publish callback
 * (the server's SSE broadcaster) once per alert.
 *
 * Threads: an engine is shared by every thread; the matcher is immutable; a store handle stays
 * with its thread as store.h says. Every change function takes the caller's store handle.
 */
#ifndef PK_HOTLIST_HOTLIST_H
#define PK_HOTLIST_HOTLIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "access/access.h"
#include "core/err.h"
#include "core/pktime.h"
#include "store/store.h"

#define HOTLIST_LINE_MAX         4096          /* longest line an import accepts, bytes */
#define HOTLIST_FILE_MAX_DEFAULT (512LL << 20) /* setting hotlist.import_max_bytes */
#define HOTLIST_REPORT_MAX       200           /* bad lines kept in a report (the rest counted) */
#define HOTLIST_MAX_HITS         16            /* hits reported per read */

/* ---- states ---- */

/* True for a two-letter US state, DC, US territory or Canadian province/territory code
 * (upper case). */
int hotlist_state_valid(const char *code);
/* Normalizes a state field: trims, upper-cases; "", "ANY", "*" and "**" mean any state ("").
 * OUT: out (4 bytes). PK_EINVAL with the reason when it is none of those codes. */
int hotlist_state_normalize(const char *in, char out[4], pk_err *err);

/* ---- lists ---- */

/* Validates and creates a list (h->name, source, priority, alert_level, covert, default expiry,
 * hit retention; zero days take the defaults 30 and 365); the creator becomes an owner; logged as
 * "hotlist.create". by is the acting user. OUT: h->id. */
int hotlist_create(store *st, store_hotlist *h, const access_user *by, pk_err *err);
/* Changes a list's settings (logged "hotlist.update"). Raising default_expiry_days above 30 and
 * changing covert or owners is for administrators only (PK_EDENIED otherwise). */
int hotlist_update(store *st, const store_hotlist *h, const access_user *by, pk_err *err);
/* Adds or removes an owner (administrators and owners only; logged). */
int hotlist_owner_set(store *st, int64_t hotlist_id, const char *username, int add,
                      const access_user *by, pk_err *err);
/* Resolves "NAME" or "ID" to a list. OUT: *h. */
int hotlist_lookup(store *st, const char *name_or_id, store_hotlist *h, pk_err *err);
/* Lists as a JSON array of objects (the API's shape); new reference, the caller decrefs. */
json_t *hotlist_lists_json(store *st, pk_err *err);
json_t *hotlist_list_json(const store_hotlist *h);

/* ---- import ---- */

typedef struct hotlist_import_opts {
    const char *map;   /* "COL=FIELD,..." or NULL (the header names the columns). COL is a
                          header name, a 1-based column number, or START-END (1-based,
                          inclusive byte columns: fixed width). FIELD is one of plate, state,
                          plate_type, reason, ncic, ori, case, make, model, year, color,
                          expires, ignore, or an NCIC code. */
    char delimiter;    /* 0: autodetect among , ; TAB | */
    int header;        /* -1 autodetect (what _init sets), 0 no header row, 1 a header row */
    int skip_bad;      /* load the good lines and report the bad ones */
    int64_t max_bytes; /* refuse larger files; 0: the setting or HOTLIST_FILE_MAX_DEFAULT */
    int64_t now;       /* for expiry checks; 0: the wall clock */
} hotlist_import_opts;
void hotlist_import_opts_init(hotlist_import_opts *o);

typedef struct hotlist_import_report {
    int64_t lines;    /* lines read, blank lines and the header included */
    int64_t loaded;   /* entries written */
    int64_t bad;      /* bad lines (all of them, even past HOTLIST_REPORT_MAX) */
    int64_t replaced; /* imported entries the import removed */
    int64_t latin1;   /* lines whose text fields were Latin-1 and were converted to UTF-8 */
    char delimiter;   /* the delimiter used, 0 for fixed width */
    int header;       /* whether a header row was found */
    char *errors;     /* "LINE: FIELD: reason\n" for the first bad lines; malloc'd */
    size_t errors_len;
    int refused; /* 1 when the file was refused whole */
} hotlist_import_report;
void hotlist_import_report_fini(hotlist_import_report *r);

/* Called once per good line by hotlist_parse; a non-zero return stops the parse and is
 * returned (with err set). */
typedef int (*hotlist_entry_fn)(void *ctx, store_hotlist_entry *e, int64_t line, pk_err *err);

/* Parses a hotlist file from f (read sequentially, bounded memory), calling fn per good line.
 * Bad lines are counted and described in report; the return value is PK_OK even when lines were
 * bad (the caller decides), or an error for the file as a whole (no plate column, bad --map,
 * unreadable). OUT: *report (fini it). This is the fuzzed entry point. */
int hotlist_parse(FILE *f, const hotlist_import_opts *o, hotlist_entry_fn fn, void *ctx,
                  hotlist_import_report *report, pk_err *err);

/* Imports path into the list (atomic replacement, see above), records the attempt in the
 * import history and the access log ("hotlist.import") as by (NULL: the schedule). Returns
 * PK_EINVAL when the file was refused (report->refused, report->errors say why).
 * OUT: *report (fini it). */
int hotlist_import_file(store *st, int64_t hotlist_id, const char *path,
                        const hotlist_import_opts *o, const access_user *by,
                        hotlist_import_report *report, pk_err *err);

/* The scheduled re-import: every list with an import_path whose last import is older than the
 * setting hotlist.import_interval_hours (default 12: twice a day) is imported again with its
 * import_map. Meant to be called from serve every minute or so; cheap when nothing is due.
 * OUT: *n_imported (may be NULL). Failures are logged and do not stop the other lists. */
int hotlist_scheduled_imports(store *st, int64_t now, int *n_imported, pk_err *err);

/* ---- entries by hand ---- */

/* Adds an entry by hand: plate (full, or partial with ? and *), state ("" or "any" for any),
 * reason, case, expires (0: the list's default expiry from now; later than the default only for
 * administrators). entered_by is set from by. Logged ("hotlist.entry.add"). OUT: e->id. */
int hotlist_entry_add(store *st, store_hotlist_entry *e, const access_user *by, pk_err *err);
/* Changes an entry (logged "hotlist.entry.update" with the old and new values). */
int hotlist_entry_update(store *st, const store_hotlist_entry *e, const access_user *by,
                         pk_err *err);
/* Removes an entry (logged "hotlist.entry.remove"). */
int hotlist_entry_remove(store *st, int64_t entry_id, const access_user *by, const char *reason,
                         pk_err *err);
/* Sets an entry's expiry (0: now, i.e. expire it at once); logged "hotlist.entry.expire". */
int hotlist_entry_expire(store *st, int64_t entry_id, int64_t expires, const access_user *by,
                         pk_err *err);
/* An entry as the API shows it; new reference. */
json_t *hotlist_entry_json(const store_hotlist_entry *e);
/* The entries of a list, active at now (0: all), at most limit (0: all): JSON array. */
json_t *hotlist_entries_json(store *st, int64_t hotlist_id, int64_t now, int limit, pk_err *err);

/* ---- the matcher ---- */

typedef enum hotlist_match_kind {
    HOTLIST_MATCH_EXACT = 1,   /* the same plate text */
    HOTLIST_MATCH_MISREAD = 2, /* equal only under the confusable classes: possible misread */
    HOTLIST_MATCH_PATTERN = 3, /* a partial-plate entry with ? and * */
} hotlist_match_kind;
const char *hotlist_match_kind_name(hotlist_match_kind k); /* "exact", "misread", "pattern" */

typedef struct hotlist_hit {
    int64_t entry_id;
    int64_t hotlist_id;
    hotlist_match_kind kind;
    int state_mismatch; /* the entry names a state, the read has one, and they differ */
    int covert;
    int priority;
} hotlist_hit;

typedef struct hotlist_matcher hotlist_matcher;

/* Builds a matcher from every entry active at now (0: the wall clock). OUT: *out, with one
 * reference; release it with hotlist_matcher_release. */
int hotlist_matcher_build(store *st, int64_t now, hotlist_matcher **out, pk_err *err);
/* Matches one read's plate (normalized) and state ("" unknown) at now (entries expired by then
 * do not hit). Writes up to max hits, best first (exact, misread, pattern; then priority), one per
 * entry. Returns the number of hits written. Thread-safe; allocates nothing. */
size_t hotlist_match(const hotlist_matcher *m, const char *plate, const char *state, int64_t now,
                     hotlist_hit *hits, size_t max);
/* Entries (exact + patterns) in the matcher. */
size_t hotlist_matcher_size(const hotlist_matcher *m);
size_t hotlist_matcher_patterns(const hotlist_matcher *m);
void hotlist_matcher_retain(hotlist_matcher *m);
void hotlist_matcher_release(hotlist_matcher *m); /* NULL is fine */

/* ---- the engine: the current matcher, its background rebuild, alert publication ---- */

typedef struct hotlist_engine hotlist_engine;

/* One alert as published: its JSON (the API's alert object), and who may see it. */
typedef struct hotlist_alert_note {
    int64_t id;
    int64_t hotlist_id;
    int covert;                /* 1: deliver to owners (and administrators) only */
    const char *const *owners; /* usernames owning the list */
    size_t n_owners;
    const char *json; /* the alert object, NUL-terminated JSON text */
} hotlist_alert_note;
typedef void (*hotlist_publish_fn)(void *ctx, const hotlist_alert_note *note);

/* Creates an engine for the database at db_path and builds the first matcher (on a store
 * handle of its own). OUT: *out; free with hotlist_engine_free. */
int hotlist_engine_new(const char *db_path, hotlist_engine **out, pk_err *err);
/* Starts the background rebuild thread (rebuilds on hotlist_engine_changed, when another process
 * changed the lists, and hourly to drop expired entries). Without it, changed() rebuilds at once.
 */
int hotlist_engine_start(hotlist_engine *e, pk_err *err);
void hotlist_engine_free(hotlist_engine *e); /* stops the thread; NULL is fine */
/* The publish callback (the server's SSE broadcaster); called after commit, from the thread
 * that publishes. */
void hotlist_engine_set_publish(hotlist_engine *e, hotlist_publish_fn fn, void *ctx);
/* The current matcher with a reference taken: release it with hotlist_matcher_release. */
hotlist_matcher *hotlist_matcher_current(hotlist_engine *e);
/* Lists changed: rebuild (in the background thread when started, else now), and return once
 * the matcher includes the change (or after 10 s), so reads ingested afterwards are matched
 * against the changed lists. */
void hotlist_engine_changed(hotlist_engine *e);
/* Rebuilds now, on the engine's own store handle. */
int hotlist_engine_rebuild(hotlist_engine *e, pk_err *err);
/* How many rebuilds have completed (tests wait on it). */
uint64_t hotlist_engine_generation(hotlist_engine *e);

/* ---- alerts ---- */

typedef struct hotlist_alert_batch hotlist_alert_batch;

/* Matches reads[0..n) (inserted: ids set; dup[i] != 0 skips read i; dup may be NULL) and writes
 * one alert per hit in the caller's transaction. OUT: *out (NULL when there were no hits):
 * publish it after the commit, or free it after a rollback. */
int hotlist_alerts_record(hotlist_engine *e, store *st, const store_read *reads, const int *dup,
                          size_t n, hotlist_alert_batch **out, pk_err *err);
/* Number of alerts in the batch, and the i-th as JSON (borrowed; valid until publish/free). */
size_t hotlist_alert_batch_count(const hotlist_alert_batch *b);
const json_t *hotlist_alert_batch_get(const hotlist_alert_batch *b, size_t i, int *covert);
/* Calls the publish callback for every alert, then frees the batch (NULL is fine). */
void hotlist_alert_batch_publish(hotlist_engine *e, hotlist_alert_batch *b);
void hotlist_alert_batch_free(hotlist_alert_batch *b);

/* Glue for ingest's hooks (ingest_hooks.on_stored / on_committed): one per ingest handle (one
 * thread). on_stored records the alerts of the new reads in the batch's transaction; on_committed
 * publishes them and, when collect is set, appends the non-covert ones to alerts (a JSON array
 * the caller takes and decrefs; POST /reads answers with it). A batch that was rolled back is
 * dropped at the next on_stored or at fini. */
typedef struct hotlist_ingest_hook {
    hotlist_engine *engine;
    int collect;
    json_t *alerts;
    hotlist_alert_batch *pending;
} hotlist_ingest_hook;
int hotlist_hook_stored(void *hook, store *st, const store_read *reads, size_t n, pk_err *err);
void hotlist_hook_committed(void *hook, store *st, const store_read *reads, size_t n);
void hotlist_ingest_hook_fini(hotlist_ingest_hook *h);

/* Which alerts to list. */
typedef struct hotlist_alert_query {
    int64_t id;           /* one alert (0: any) */
    int64_t hotlist_id;   /* 0: any */
    const char *status;   /* NULL: any; else one of the statuses */
    int64_t since, until; /* created_at bounds (0: open) */
    int64_t before_id;    /* paging: older than this id */
    int limit;            /* 0: 100 */
} hotlist_alert_query;

/* Lists alerts under the grant (ACCESS_ALERTS_VIEW): covert lists' alerts only for their
 * owners and administrators. Writes the access-log entry (every query element and the count)
 * before returning. OUT: *out, a JSON array of alert objects (the caller decrefs). */
int hotlist_alerts_list(access_grant *g, const hotlist_alert_query *q, json_t **out, pk_err *err);

/* The verification outcomes; "unverified" is only the initial status. */
int hotlist_outcome_valid(const char *outcome);
/* Records the CLETS verification of an alert by user (operator, investigator, admin; covert
 * alerts only by owners and administrators). The outcome must be one of confirmed,
 * not_confirmed, misread, state_mismatch, vehicle_mismatch, entry_cleared; a note is required for
 * every outcome but confirmed. An alert is verified once (PK_ECONFLICT after). Logged
 * ("alert.verify"). */
int hotlist_alert_verify(store *st, int64_t alert_id, const char *outcome, const char *note,
                         const access_user *user, const char *client, pk_err *err);
/* Records that the user saw the alert (the first acknowledgement counts).
 * Both: an alert the user may not see (covert, not theirs) answers PK_ENOTFOUND like an absent
 * one, and the attempt is logged as "refused" (client: "cli" or an address). */
int hotlist_alert_ack(store *st, int64_t alert_id, const access_user *user, const char *client,
                      pk_err *err);
/* Deletes alerts past their list's hit retention (logged with the count). OUT: *n. */
int hotlist_alerts_purge(store *st, int64_t now, int64_t *n, pk_err *err);

#endif
