/*
 * store_reads.h: cameras, the plate dictionary and the reads themselves (part of store.h).
 *
 * Only src/search, src/ingest, src/hotlist and src/records call these: they hold the access grant
 * or are the ingest path itself.
 */
#ifndef PK_STORE_STORE_READS_H
#define PK_STORE_STORE_READS_H

#include <stddef.h>
#include <stdint.h>

#include "core/geo.h"
#include "core/plate.h"

typedef struct store store;

#define STORE_STATE_MAX 3 /* two-letter US state or Canadian province, or "" unknown */
#define STORE_SHA_HEX   64

/* One plate read. Text fields that point outside the struct (candidates, vehicle) are borrowed
 * on insert; on reads returned by store_reads_*, they are owned by the result set. */
typedef struct store_read {
    int64_t id;                      /* assigned on insert */
    unsigned char uuid[16];          /* the unit's identifier for this read */
    int64_t plate_id;                /* assigned on insert from plate */
    char plate[PK_PLATE_MAX + 1];    /* normalized plate text */
    char state[STORE_STATE_MAX + 1]; /* "" when unknown */
    int64_t ts;                      /* UTC milliseconds */
    int64_t camera_id;               /* cameras.id */
    char camera[64];                 /* camera name (filled on fetch) */
    int has_pos;                     /* whether lat/lon hold a position */
    double lat, lon;
    double heading;                      /* degrees 0..360, or -1 when unknown */
    double confidence;                   /* 0..100 */
    const char *candidates;              /* JSON array text or NULL */
    char plate_image[STORE_SHA_HEX + 1]; /* "" when none */
    char scene_image[STORE_SHA_HEX + 1];
    const char *vehicle; /* JSON object text or NULL */
    int64_t ingested_at; /* UTC milliseconds */
} store_read;

/* Cameras: finds the camera by name or creates it (kind "fixed", position given or NAN).
 * OUT: *id. */
int store_camera_ensure(store *st, const char *name, double lat, double lon, int64_t *id,
                        pk_err *err);
/* Looks a camera up by name without creating it (PK_ENOTFOUND when absent). OUT: *id. */
int store_camera_find(store *st, const char *name, int64_t *id, pk_err *err);
/* Creates or updates a camera with its kind ("fixed" or "mobile") and position. OUT: *id. */
int store_camera_put(store *st, const char *name, const char *kind, double lat, double lon,
                     int64_t *id, pk_err *err);

/* Plate dictionary. store_plate_ensure finds or adds text (a normalized plate). OUT: *id. */
int store_plate_ensure(store *st, const char *text, int64_t *id, pk_err *err);
/* Calls fn for every plate in id order; fn returning non-zero stops the walk (that value is
 * returned). */
int store_plates_each(store *st, int (*fn)(void *ctx, int64_t id, const char *text), void *ctx,
                      pk_err *err);

/* Inserts n reads (plate_id, id and ingested_at are filled in). A read whose uuid is already
 * stored with the same ts (a retried upload: migration 0009) is skipped and marked in
 * dup[i] = 1 (dup may be NULL). Runs inside the caller's
 * transaction when one is open. OUT: reads[i].id, reads[i].plate_id, dup[i]. */
int store_reads_insert(store *st, store_read *reads, size_t n, int *dup, pk_err *err);

/* A filter over reads. Unset fields match everything: plate_ids NULL (any plate), from
 * INT64_MIN, to INT64_MAX, camera_id 0, has_box 0. Results come newest first (ts, then id,
 * descending); the cursor (after_ts, after_id) continues after the last read of the previous
 * page. */
typedef struct store_read_filter {
    const int64_t *plate_ids;
    size_t n_plate_ids;
    int64_t from, to; /* inclusive bounds, UTC ms */
    int64_t camera_id;
    int has_box;
    pk_bbox box;
    int has_cursor;
    int64_t after_ts, after_id;
} store_read_filter;

/* Sets f to match every read. */
void store_read_filter_init(store_read_filter *f);

/* Calls fn for each read matching f, newest first, until fn returns non-zero (that value is
 * returned) or the reads run out. The store_read passed to fn and its strings are valid only
 * during the call. */
int store_reads_each(store *st, const store_read_filter *f,
                     int (*fn)(void *ctx, const store_read *r), void *ctx, pk_err *err);

/* Fetches one read by id (PK_ENOTFOUND when absent). OUT: *r; r->candidates and r->vehicle are
 * malloc'd and freed by store_read_fini. */
int store_read_get(store *st, int64_t id, store_read *r, pk_err *err);
void store_read_fini(store_read *r);

/* The id of the read with this uuid and timestamp (PK_ENOTFOUND when there is none): how a
 * sender's retry, a crash test or an audit checks that an acknowledged read is stored. OUT: *id. */
int store_read_find(store *st, const unsigned char uuid[16], int64_t ts, int64_t *id, pk_err *err);

/* Number of reads stored. */
int64_t store_reads_count(store *st);

/* ---- query side for src/search (src/store/reads_query.c) ---- */

/* The geographic cell of a position (0.002 degree x 0.002 degree): the expression the
 * reads_slot_cell index of migration 0012 is built on, computed the same way in C. */
#define STORE_CELL_PER_DEG  500.0
#define STORE_CELL_LON_SPAN 180001
/* That index's first key: the read's six-hour slot, ts / STORE_SLOT_MS. */
#define STORE_SLOT_MS 21600000
int64_t store_geo_cell(double lat, double lon);
/* The latitude and longitude cell numbers of a position (cell = lat_cell * STORE_CELL_LON_SPAN +
 * lon_cell). */
int64_t store_geo_lat_cell(double lat);
int64_t store_geo_lon_cell(double lon);

/* The light part of a read a query plan filters and orders on before it fetches whole reads. */
typedef struct store_read_key {
    int64_t id, ts, plate_id, camera_id;
    int has_pos; /* whether lat/lon hold a position */
    double lat, lon;
} store_read_key;

/* Calls fn for every read of one plate with from <= ts <= to, in no particular order, until fn
 * returns non-zero (that value is returned). With with_pos 0 only id, ts and plate_id are
 * filled (answered from the (plate_id, ts) index alone). */
int store_read_keys_by_plate(store *st, int64_t plate_id, int64_t from, int64_t to, int with_pos,
                             int (*fn)(void *ctx, const store_read_key *k), void *ctx, pk_err *err);

/* The same for every read in the cells cell_lo..cell_hi (store_geo_cell; one row of cells:
 * the same latitude cell), from the reads_slot_cell index alone (it covers the query), one range
 * per six-hour slot of from..to; plate_id is not filled (0). */
int store_read_keys_in_cells(store *st, int64_t cell_lo, int64_t cell_hi, int64_t from, int64_t to,
                             int (*fn)(void *ctx, const store_read_key *k), void *ctx, pk_err *err);

/* The same for every read with from <= ts <= to (and of camera_id when it is not 0), through the
 * (ts) index; for canvasses too wide for cells and camera/time-only queries. */
int store_read_keys_by_time(store *st, int64_t from, int64_t to, int64_t camera_id,
                            int (*fn)(void *ctx, const store_read_key *k), void *ctx, pk_err *err);

/* Calls fn for every plate with id > after_id, in id order (for keeping an in-memory
 * dictionary current); fn returning non-zero stops the walk (that value is returned). */
int store_plates_after(store *st, int64_t after_id,
                       int (*fn)(void *ctx, int64_t id, const char *text), void *ctx, pk_err *err);

/* The id of a plate text (PK_ENOTFOUND when no read ever had it). OUT: *id. */
int store_plate_find(store *st, const char *text, int64_t *id, pk_err *err);

#endif
