/*
 * ingest.h: how reads get in. Validation, batch ingest, the OpenALPR adapter.
 *
 * Everything a camera, a patrol car or a bulk file sends passes through here before it touches
 * the store, and here it meets DESIGN.md §4:
 *
 *   Rule 6 (bad input gets a clear error and changes nothing). Every field of every read is
 *   checked: presence, JSON type, range (lat/lon, heading, confidence), timestamps no more than
 *   a day in the future, plate text (pk_plate_normalize), images (base64, size limit, a real
 *   JPEG header), UTF-8, line length. A rejected read is reported as (index, field, reason) and
 *   nothing of it is stored; the other reads of the batch still load ("per item" batches).
 *
 *   Rule 5 (nothing acknowledged is lost). A batch is one store transaction: its images are
 *   written and fsynced first (store_image_put), then its reads are inserted, the hooks run,
 *   and the transaction commits with synchronous=FULL. Only when ingest_* returns PK_OK may the
 *   caller acknowledge the batch. On any store error the whole batch is rolled back and the
 *   error returned; the caller acknowledges nothing and the sender retries. Reads carry a UUID
 *   and a retried read is counted as a duplicate, never stored twice.
 *
 * Formats (docs/ingest.md has the full field list):
 *   - our read object: uuid, plate, state, ts (ISO 8601 or epoch ms), camera, lat, lon,
 *     heading, confidence, candidates, plate_image, scene_image (base64 JPEG), vehicle;
 *   - OpenALPR agent messages, recognised by "data_type": alpr_group (one read), alpr_results
 *     (one read per entry of "results"), heartbeat (accepted and ignored).
 *
 * Hooks: ingest sits above search and hotlist in the module order. The caller passes an
 * ingest_hooks with the search dictionary update and the hotlist matcher (see ingest_hooks);
 * ingest calls them for the reads that were newly stored (never for duplicates or rejects).
 *
 * Threads: an ingest handle, like the store handle it wraps, belongs to one thread at a time.
 */
#ifndef PK_INGEST_INGEST_H
#define PK_INGEST_INGEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "core/pktime.h"
#include "store/store.h"

#define INGEST_IMAGE_MAX_DEFAULT (2 * 1024 * 1024) /* decoded bytes per image */
#define INGEST_LINE_MAX_DEFAULT  (8 * 1024 * 1024) /* bytes per JSON line of a file */
#define INGEST_FUTURE_MS_DEFAULT PK_MS_PER_DAY     /* how far ahead of now ts may be */
#define INGEST_BATCH_DEFAULT     1000              /* file lines per transaction */
#define INGEST_CANDIDATES_MAX    50
#define INGEST_FIELD_MAX         48
#define INGEST_REASON_MAX        200

/* Callbacks into the modules above the store that must see every new read. Any may be NULL.
 *
 * on_stored runs inside the batch's transaction, after the batch's new reads are inserted
 * (reads[i].id and plate_id are set) and before the commit: the hotlist matcher writes its
 * alerts here so that reads and their alerts commit together. A non-zero return (a PK_E* code,
 * with err set) rolls the whole batch back and ingest returns that error.
 *
 * on_committed runs after the commit succeeded, with the same reads: the search module adds new
 * plates to its in-memory dictionary here, the server fans alerts out. It cannot fail the batch
 * (the reads are durable already). The reads and their strings are valid only during the call.
 *
 * on_rolled_back runs when a batch whose on_stored ran was rolled back (by on_stored's error or
 * a failed commit), so that state prepared in on_stored (unpublished alerts) is dropped.
 *
 * ingest_links (below) is the standard set: the hotlist matcher and the search dictionary. */
typedef struct ingest_hooks {
    void *ctx;
    int (*on_stored)(void *ctx, store *st, const store_read *reads, size_t n, pk_err *err);
    void (*on_committed)(void *ctx, store *st, const store_read *reads, size_t n);
    void (*on_rolled_back)(void *ctx);
} ingest_hooks;

typedef struct ingest_opts {
    int64_t image_max;     /* decoded bytes per image; setting ingest.image_max_bytes */
    int64_t line_max;      /* bytes per file line; setting ingest.line_max_bytes */
    int64_t future_ms;     /* ts may be at most this far past now */
    int64_t oldest_ms;     /* ts before this is refused (default 2000-01-01) */
    size_t batch;          /* file lines per transaction */
    const pk_clock *clock; /* "now" for the future check; NULL for the wall clock */
    ingest_hooks hooks;
} ingest_opts;

/* Fills o with the defaults, overridden by the store's settings when st is not NULL. */
void ingest_opts_init(ingest_opts *o, store *st);

/* One rejected read: which item (batch index, or file line number), which field, why. */
typedef struct ingest_reject {
    int64_t index;
    char field[INGEST_FIELD_MAX]; /* e.g. "lat", "plate_image", "results[1].plate", "line" */
    char reason[INGEST_REASON_MAX];
} ingest_reject;

/* What a batch did. rejects is owned by the result; free with ingest_result_fini. */
typedef struct ingest_result {
    int64_t accepted;   /* reads newly stored */
    int64_t duplicates; /* reads whose uuid was stored already */
    int64_t rejected;   /* reads refused (one ingest_reject each) */
    int64_t ignored;    /* messages that carry no read (OpenALPR heartbeats) */
    ingest_reject *rejects;
    size_t n_rejects, cap_rejects;
} ingest_result;

void ingest_result_init(ingest_result *r);
void ingest_result_fini(ingest_result *r);

typedef struct ingest ingest;

/* An ingest handle on st (borrowed; it must outlive the handle) with options o (copied).
 * It caches camera ids across batches. Free with ingest_free. */
ingest *ingest_new(store *st, const ingest_opts *o);
void ingest_free(ingest *in);

/* A read already in structured form (from the recognizer, the demo generator or a benchmark):
 * read.camera names the camera (created on first use; read.camera_id is ignored), images are
 * raw JPEG bytes (NULL when none). read.plate is normalized here. */
typedef struct ingest_read {
    store_read read;
    const unsigned char *plate_jpeg;
    size_t plate_jpeg_len;
    const unsigned char *scene_jpeg;
    size_t scene_jpeg_len;
} ingest_read;

/* Validates and stores n structured reads in one transaction (rule 5), reporting per read
 * (index = position in reads). OUT: res (counts and rejects added to what it holds), and on
 * the accepted reads read.id and read.plate_id. Returns PK_OK once the batch is committed;
 * an error means nothing of the batch was stored. */
int ingest_reads(ingest *in, ingest_read *reads, size_t n, ingest_result *res, pk_err *err);

/* Ingests a JSON batch in one transaction: body is an object {"reads": [items]}, an array of
 * items, or a single item; an item is our read object or an OpenALPR message. Rejects carry
 * the item's index in the array (0 for a single item). */
int ingest_json(ingest *in, json_t *body, ingest_result *res, pk_err *err);

/* ingest_json in two steps, for a server whose batches take turns on one writing handle: the
 * parsing and checking (base64, JPEG headers, every field) runs on the caller's own handle in
 * parallel with other batches, only the storing on the shared one.
 *
 * ingest_json_prepare parses and checks body's items with in's limits and clock and touches no
 * store; ignored items and a non-array "reads" are counted in res. Returns the batch (caller
 * owns: ingest_batch_free). body must outlive it. ingest_batch_commit stores the batch's valid
 * reads through in (any handle; its store and hooks) in one transaction exactly as ingest_json
 * does, adding counts and rejects to res; call it once per batch. */
typedef struct ingest_batch ingest_batch;
ingest_batch *ingest_json_prepare(ingest *in, json_t *body, ingest_result *res);
int ingest_batch_commit(ingest *in, ingest_batch *b, ingest_result *res, pk_err *err);
void ingest_batch_free(ingest_batch *b);

/* Ingests one JSON text (e.g. an HTTP request body of len bytes) like ingest_json; a body that
 * is not JSON is one reject with index -1 and field "body". */
int ingest_json_text(ingest *in, const char *text, size_t len, ingest_result *res, pk_err *err);

/* Called for each rejected line of a file (line numbers from 1). */
typedef void (*ingest_reject_fn)(void *ctx, const char *path, const ingest_reject *rej);

/* Ingests a file (path "-" is standard input): JSON lines (one item per line), or one JSON
 * document (an array of items or a single message, possibly spread over many lines). Lines are
 * committed o.batch at a time; each rejected line goes to on_reject (may be NULL) with its line
 * number and is counted in res (res->rejects stays empty: files can be large). Lines longer
 * than line_max, invalid UTF-8 and a truncated last line are rejected with field "line".
 * PK_EIO when the file cannot be read; a store error stops the file (the batches committed
 * before it stay stored). */
int ingest_file(ingest *in, const char *path, ingest_reject_fn on_reject, void *ctx,
                ingest_result *res, pk_err *err);

/* ingest_file on an open stream (not closed); name is the path used in rejects. A stream that
 * cannot seek (a pipe) is read as JSON lines only. */
int ingest_stream(ingest *in, FILE *f, const char *name, ingest_reject_fn on_reject, void *ctx,
                  ingest_result *res, pk_err *err);

/* The per-line error format of the CLI and the tests: "PATH:LINE: FIELD: reason" (no newline).
 * OUT: buf (size n). */
void ingest_reject_format(const char *path, const ingest_reject *rej, char *buf, size_t n);

/* ---- the standard hooks: hotlist matching and the search dictionary ---- */

typedef struct search_index search_index;
typedef struct hotlist_engine hotlist_engine;
typedef struct hotlist_alert_batch hotlist_alert_batch;

/* What every production ingest is linked to. Inside each batch's transaction the reads are
 * matched against the hotlists (hotlist_alerts_record writes the alerts with the reads); after
 * the commit the alerts are published (the engine's publish callback: the server's live
 * stream) and new plates are added to the search dictionary. Either pointer may be NULL.
 * One ingest_links per ingest handle (per thread). */
typedef struct ingest_links {
    search_index *index;          /* borrowed, or NULL */
    hotlist_engine *hotlists;     /* borrowed, or NULL */
    hotlist_alert_batch *pending; /* alerts of the open batch, published after its commit */
    json_t *alerts;               /* alert objects of the batches committed since the last
                                     ingest_links_take_alerts (JSON array, owned) */
    int64_t n_alerts;             /* alerts committed through these links, all batches */
} ingest_links;

void ingest_links_init(ingest_links *l, search_index *index, hotlist_engine *hotlists);
void ingest_links_fini(ingest_links *l);
/* The hooks to put in ingest_opts.hooks; l must outlive the ingest handle. */
ingest_hooks ingest_links_hooks(ingest_links *l);
/* The alerts committed since the last call, as a JSON array the caller owns (POST /reads
 * answers with them). Never NULL. */
json_t *ingest_links_take_alerts(ingest_links *l);

#endif
