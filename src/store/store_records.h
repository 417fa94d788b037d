/*
 * store_records.h: holds, exports, data-sharing requests, the purge and its log (part of store.h).
 *
 * Only src/records calls these. The purge works in bounded batches, each its own transaction,
 * so that ingest and search (other handles on the same file) wait at most one batch for the
 * write lock. A read under an approved hold is never deleted: the check is part of the batch
 * query, inside the same transaction as the delete, so a hold approved between batches is seen
 * by the next batch.
 *
 * Images: reads name their JPEGs by SHA-256 (DIR/images/ab/cd/<sha>.jpg). When a batch deletes
 * reads, their image hashes go into purge_image_queue (same transaction). store_purge_image_sweep
 * then deletes the files that no remaining read references: one scan of the reads without the
 * write lock, then, under the write lock, a look at the reads added since the scan began and
 * the unlinks. A writer that stores an image file and its read inside one write transaction
 * (store_begin before writing the file) can therefore never lose its image to the sweep.
 *
 * Reads with hotlist alerts: when the hotlist schema has a table alerts(read_id), those reads
 * follow their own cutoff; deleting one deletes its alerts first.
 */
#ifndef PK_STORE_STORE_RECORDS_H
#define PK_STORE_STORE_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct store store;

#define STORE_USER_MAX 64
#define STORE_CASE_MAX 64
#define STORE_TEXT_MAX 512

/* ---- holds ---- */

typedef struct store_hold {
    int64_t id;
    char case_no[STORE_CASE_MAX];
    char reason[STORE_TEXT_MAX];
    char contact[256];
    char status[16];             /* "pending", "approved", "released" */
    char *query;                 /* JSON text or NULL; owned by the struct after a get (fini) */
    char opened_by[STORE_USER_MAX];
    int64_t opened_at;
    int64_t review_at;
    char approved_by[STORE_USER_MAX]; /* "" until approved */
    int64_t approved_at;
    char released_by[STORE_USER_MAX];
    int64_t released_at;
    char release_reason[STORE_TEXT_MAX];
    int64_t n_reads;             /* hold_items rows (filled on get/each) */
} store_hold;

/* Inserts a hold (status from h->status, normally "pending") and its n read ids (duplicates are
 * ignored). h->query is borrowed. OUT: *id. */
int store_hold_add(store *st, const store_hold *h, const int64_t *read_ids, size_t n, int64_t *id,
                   pk_err *err);
/* Fetches a hold (PK_ENOTFOUND when absent). OUT: *h; free h->query with store_hold_fini. */
int store_hold_get(store *st, int64_t id, store_hold *h, pk_err *err);
void store_hold_fini(store_hold *h);
/* pending -> approved. PK_ECONFLICT (with the current status) from any other status. */
int store_hold_approve(store *st, int64_t id, const char *by, int64_t at, pk_err *err);
/* pending or approved -> released. PK_ECONFLICT when already released. */
int store_hold_release(store *st, int64_t id, const char *by, int64_t at, const char *reason,
                       pk_err *err);
/* Calls fn for each hold with the given status (NULL: all), newest first; with overdue_at != 0
 * only approved holds whose review date is before overdue_at. The hold (query included) is
 * valid during the call only. fn returning non-zero stops the walk (that value is returned). */
int store_holds_each(store *st, const char *status, int64_t overdue_at,
                     int (*fn)(void *ctx, const store_hold *h), void *ctx, pk_err *err);
/* Calls fn with each read id of the hold, ascending. */
int store_hold_items_each(store *st, int64_t hold_id, int (*fn)(void *ctx, int64_t read_id),
                          void *ctx, pk_err *err);
/* 1 when a read with that id exists, 0 when not, negative on error. */
int store_records_read_exists(store *st, int64_t read_id, pk_err *err);
/* Looks up a plate's dictionary id without adding it (PK_ENOTFOUND when unknown). OUT: *id. */
int store_records_plate_find(store *st, const char *text, int64_t *id, pk_err *err);

/* ---- purge ---- */

/* The cursor and counters of one purge run, carried from batch to batch. */
typedef struct store_purge_state {
    int64_t cutoff;       /* reads with ts < cutoff are due (no alerts) */
    int64_t hit_cutoff;   /* reads with alerts: due when ts < hit_cutoff */
    int dry_run;          /* count only: delete nothing, queue nothing */
    int64_t after_ts, after_id; /* cursor: last row examined (start: INT64_MIN, 0) */
    int done;             /* set when no due rows remain after the cursor */
    int64_t reads_deleted, held_kept, hits_kept, image_refs;
} store_purge_state;

/* Initializes a run's state. */
void store_purge_init(store_purge_state *ps, int64_t cutoff, int64_t hit_cutoff, int dry_run);
/* Examines up to limit due reads after the cursor in one transaction: deletes those not under an
 * approved hold (and not a hit within its own retention), queues their images, advances the
 * cursor and the counters, sets ps->done at the end. */
int store_purge_batch(store *st, store_purge_state *ps, int limit, pk_err *err);
/* Deletes the queued image files that no read references any more, under images_dir
 * (DIR/images). OUT: *deleted (files removed), *kept (queued images still referenced). */
int store_purge_image_sweep(store *st, const char *images_dir, int64_t *deleted, int64_t *kept,
                            pk_err *err);

/* Relaxed durability for this handle while a purge runs (on: PRAGMA synchronous=NORMAL; off:
 * back to FULL). Safe because WAL keeps commits in order: a crash can lose only the latest
 * batches, which are still due and go on the next run, and the purge log row is written after
 * the handle is back to FULL, so a logged purge is a durable one. */
int store_purge_relax_sync(store *st, int on, pk_err *err);

typedef struct store_purge_entry {
    int64_t id;
    int64_t started_at, finished_at, cutoff, hit_cutoff;
    int64_t reads_deleted, images_deleted, held_kept, hits_kept, duration_ms;
    int dry_run;
    char run_by[STORE_USER_MAX];
} store_purge_entry;

/* Appends a purge log row. OUT: *id (may be NULL). */
int store_purge_log_add(store *st, const store_purge_entry *e, int64_t *id, pk_err *err);
/* The latest real (not dry-run) purge, PK_ENOTFOUND when none ran yet. OUT: *e. */
int store_purge_log_last(store *st, store_purge_entry *e, pk_err *err);
/* Calls fn for each purge log row, newest first. */
int store_purge_log_each(store *st, int (*fn)(void *ctx, const store_purge_entry *e), void *ctx,
                         pk_err *err);

/* ---- exports ---- */

typedef struct store_export {
    int64_t id;
    char kind[16];               /* "hold" or "request" */
    int64_t hold_id, request_id; /* 0 when not applicable */
    char case_no[STORE_CASE_MAX];
    char exported_by[STORE_USER_MAX];
    int64_t exported_at;
    char path[1024];
    char manifest_sha256[65];
    int64_t reads, images;
} store_export;

int store_export_add(store *st, const store_export *e, int64_t *id, pk_err *err);
/* One export by id (PK_ENOTFOUND when absent). OUT: *e. */
int store_export_get(store *st, int64_t id, store_export *e, pk_err *err);
/* The export whose manifest has this SHA-256 (PK_ENOTFOUND when none). OUT: *e. */
int store_export_find_manifest(store *st, const char *sha_hex, store_export *e, pk_err *err);

/* ---- data-sharing requests ---- */

typedef struct store_request {
    int64_t id;
    char agency[256];
    char agency_type[24];
    char state[8];
    char requester[256];
    char contact[256];
    char purpose[STORE_TEXT_MAX];
    char case_no[STORE_CASE_MAX];
    char *scope_plates;          /* JSON array text; owned after a get (fini), borrowed on add */
    int has_from, has_to;
    int64_t scope_from, scope_to;
    int has_near;
    double scope_lat, scope_lon, scope_radius_m;
    unsigned char *document;     /* owned after a get with documents (fini), borrowed on add */
    size_t document_len;
    char document_sha256[65];
    char status[16];
    char reason[STORE_TEXT_MAX];
    char received_by[STORE_USER_MAX];
    int64_t received_at;
    char decided_by[STORE_USER_MAX];
    int64_t decided_at, approval_expires;
    char fulfilled_by[STORE_USER_MAX];
    int64_t fulfilled_at, export_id;
} store_request;

int store_request_add(store *st, const store_request *r, int64_t *id, pk_err *err);
/* Fetches a request with its document. OUT: *r; free with store_request_fini. */
int store_request_get(store *st, int64_t id, store_request *r, pk_err *err);
void store_request_fini(store_request *r);
/* pending -> approved or denied. PK_ECONFLICT (with the current status) otherwise. */
int store_request_decide(store *st, int64_t id, const char *status, const char *reason,
                         const char *by, int64_t at, int64_t approval_expires, pk_err *err);
/* approved -> fulfilled, with the export that carried it. PK_ECONFLICT otherwise. */
int store_request_fulfilled(store *st, int64_t id, const char *by, int64_t at, int64_t export_id,
                            pk_err *err);
/* Calls fn for each request (without its document) with that status (NULL: all), or, with
 * fulfilled_only, each fulfilled request ordered by agency then id (the sharing report). */
int store_requests_each(store *st, const char *status, int fulfilled_only,
                        int (*fn)(void *ctx, const store_request *r), void *ctx, pk_err *err);

#endif
