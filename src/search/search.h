/*
 * search.h: finding reads: exact plate, wildcard pattern, misread-tolerant plate, and any of
 * those with a time range, a camera and an area; an area and time without a plate is a canvass.
 *
 * Rule 1 of DESIGN.md §4 (no back door) holds here by construction: the only public way to get
 * reads out is search_run, which takes an access_grant (only src/access makes grants) and writes
 * the access-log entry through access_grant_record (every query element, purpose, case, result
 * count) after the query and before it hands back a single read. Every search_run call records
 * exactly one entry, also when the query is malformed, a camera is unknown or the database
 * fails (result count 0); a refused request is logged by the gate in access_grant_open.
 * search_request is the one-call form for the server and the CLI: it opens the grant with the
 * query's JSON (so a refusal entry names the query too), runs, and frees the grant.
 *
 * The plate dictionary (DESIGN.md §5): a search_index holds every distinct plate in memory with
 * its own indexes (positional character bitmaps for patterns, a canonical-form hash for
 * misread tolerance), so a pattern or fuzzy search never scans the reads or the whole
 * dictionary; it finds plate ids, then fetches reads by plate id through the (plate_id, ts)
 * index. The index is loaded once at start (search_index_load), kept current by ingest
 * (search_index_add after each commit) and, as a safety net for reads written by another process,
 * catches up with the plates table at the start of every pattern or fuzzy search (one indexed
 * query, "id > last seen"). Exact searches resolve the plate through the store itself.
 *
 * Threads: one search_index is shared by all threads of a process (one writer at a time, any
 * number of readers; a writer-preferring rwlock inside). Store handles are per thread as
 * store.h says; pass each thread's own handle (through its grant).
 *
 * Order of results: newest first (ts, then id, descending); misread-tolerant results by
 * closeness first (identical, confusable, one edit, one edit after confusables), then newest.
 * A page holds at most limit reads; result.next is the opaque cursor of the next page ("" on the
 * last page) and result.total counts every matching read, across all pages.
 */
#ifndef PK_SEARCH_SEARCH_H
#define PK_SEARCH_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "access/access.h"
#include "core/err.h"
#include "core/geo.h"
#include "store/store.h"

#define SEARCH_LIMIT_DEFAULT 50
#define SEARCH_LIMIT_MAX 10000
#define SEARCH_CURSOR_MAX 64
/* A pattern matching more plates than this is refused as too broad (PK_ELIMIT). */
#define SEARCH_MAX_PLATES 200000
/* A query whose matching reads (before paging) exceed this is refused as too broad (PK_ELIMIT). */
#define SEARCH_MAX_READS 2000000

/* ---- the plate dictionary index ---- */

typedef struct search_index search_index;

/* A new, empty index; free it with search_index_free. Never fails (aborts on OOM). */
search_index *search_index_new(void);
/* Frees the index (NULL is fine). No other thread may use it any more. */
void search_index_free(search_index *idx);

/* Adds every plate of the store's dictionary (store_plates_each). Call once at start. */
int search_index_load(search_index *idx, store *st, pk_err *err);

/* Adds one plate (normalized text, its plates.id). Idempotent: a text already present is left
 * as it is. Ingest calls this after the transaction that created the plate committed (never
 * before: a rolled-back id may be handed out again to another plate). PK_EINVAL for text that is
 * not a normalized plate. Safe beside concurrent searches. */
int search_index_add(search_index *idx, int64_t plate_id, const char *text);

/* search_index_add for every read of a committed batch (read.plate_id and read.plate), under one
 * lock: what ingest's on_committed hook calls (ingest_hooks in src/ingest/ingest.h), e.g.
 *     static void committed(void *ctx, store *st, const store_read *r, size_t n) {
 *         search_index_add_reads(((app *)ctx)->index, r, n); ... }  */
void search_index_add_reads(search_index *idx, const store_read *reads, size_t n);

/* Adds the plates of the store that the index has not seen (id greater than the highest id any
 * load or sync saw). search_run calls it before pattern and fuzzy lookups. */
int search_index_sync(search_index *idx, store *st, pk_err *err);

/* Number of distinct plates held. */
size_t search_index_size(search_index *idx);

/* ---- queries ---- */

/* One search. Strings are borrowed for the call. Unset parts match everything. */
typedef struct search_query {
    const char *plate;   /* exact plate (normalized here), or NULL */
    const char *pattern; /* wildcard pattern ('?' one character, '*' any run), or NULL */
    int fuzzy;           /* with plate: misread-tolerant (confusable classes or one edit) */
    int has_from, has_to;
    int64_t from, to;    /* inclusive, UTC ms, when has_from / has_to */
    const char *camera;  /* camera name, or NULL */
    int has_near;        /* area: within radius_m metres of (lat, lon), exact distance */
    double lat, lon, radius_m;
    int has_box;         /* area: a bounding box (not with has_near) */
    pk_bbox box;
    size_t limit;        /* page size; 0 means SEARCH_LIMIT_DEFAULT; at most SEARCH_LIMIT_MAX */
    const char *cursor;  /* result.next of the previous page, or NULL/"" for the first page */
} search_query;

/* Sets q to the empty query (which search_run refuses: a search needs some element). */
void search_query_init(search_query *q);

/* The query as a JSON object (every element as given, plate and pattern normalized where
 * valid): what the access log records. Returns malloc'd text the caller frees. */
char *search_query_json(const search_query *q);

/* One read found. read.candidates and read.vehicle are owned by the result. */
typedef struct search_hit {
    store_read read;
    int closeness; /* fuzzy searches: pk_plate_closeness (0..3); otherwise 0 */
} search_hit;

typedef struct search_result {
    search_hit *hits;                /* this page, in order; owned, freed by search_result_fini */
    size_t n;                        /* hits on this page */
    int64_t total;                   /* matching reads across all pages */
    int64_t plates;                  /* distinct plates the plate part matched (-1: no plate part) */
    char next[SEARCH_CURSOR_MAX];    /* cursor of the next page, "" when this is the last */
    const char *kind;                /* "exact", "pattern", "fuzzy", "canvass" or "filter" */
    double query_ms;                 /* time spent finding and fetching (without the log write) */
    double log_ms;                   /* time spent writing the access-log entry */
} search_result;

/* Frees what the result owns and zeroes it (a zeroed result is fine). */
void search_result_fini(search_result *r);

/* Runs q under grant g (opened for ACCESS_READS_SEARCH on the store the caller's thread owns):
 * validates, finds, fetches the page, writes the access-log entry through access_grant_record,
 * and only then fills out. Exactly one entry per call: a bad query (PK_EINVAL, the field and
 * reason in err), an unknown camera (PK_ENOTFOUND), a too-broad query (PK_ELIMIT) or a database
 * error are recorded with result count 0 and their reason in the query JSON's "error". When the
 * entry cannot be written, out stays empty and the error is returned. The grant records once:
 * use a new grant per call. OUT: *out (call search_result_fini). */
int search_run(search_index *idx, access_grant *g, const search_query *q, search_result *out,
               pk_err *err);

/* The one-call form: access_grant_open(st, req, query JSON) (a refusal is logged there and
 * returned: PK_EDENIED, PK_ETRAINING, PK_EPURPOSE, PK_ECASE...), then search_run, then frees the
 * grant. req->action should be ACCESS_READS_SEARCH (set here when 0). OUT: *out. */
int search_request(search_index *idx, store *st, const access_request *req, const search_query *q,
                   search_result *out, pk_err *err);

/* One read as the JSON object --json and the API print: id, uuid, plate, state, ts (ISO 8601
 * UTC), camera, lat, lon (null without a position), confidence, and closeness for fuzzy hits
 * (when fuzzy is set). Returns malloc'd text the caller frees. */
char *search_hit_json(const search_hit *h, int fuzzy);

/* ---- one read by id (src/search/get.c; for GET /api/v1/reads/{id} and its image) ---- */

/* Fetches read id under grant g (ACCESS_READS_VIEW): records the access-log entry (the read id
 * and, for images, the kind; result count 1, or 0 when absent) and only then fills out.
 * PK_ENOTFOUND when there is no such read (logged with count 0). An operator sees only reads
 * of their own alerts (DESIGN.md §6): any other read, or an absent one, is PK_EDENIED, logged as
 * refused through access_grant_refuse. OUT: *out (out->read's
 * strings are freed by search_hit_fini). One call per grant. */
int search_read_get(access_grant *g, int64_t id, search_hit *out, pk_err *err);
void search_hit_fini(search_hit *h);

/* The read's plate or scene image (kind "plate" or "scene") under grant g, logged like
 * search_read_get. PK_ENOTFOUND when the read or its image is absent.
 * OUT: *data (malloc'd JPEG, the caller frees it), *len. */
int search_read_image(access_grant *g, int64_t id, const char *kind, unsigned char **data,
                      size_t *len, pk_err *err);

#endif
