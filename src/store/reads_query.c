/* The query side of reads for src/search: light keys by plate, by geographic cell, by time. */
#include "store/store_int.h"

#include <math.h>

static const char SQL_KEYS_PLATE[] =
    "SELECT id, ts FROM reads WHERE plate_id = ?1 AND ts BETWEEN ?2 AND ?3";
static const char SQL_KEYS_PLATE_POS[] =
    "SELECT id, ts, camera_id, lat, lon FROM reads WHERE plate_id = ?1 AND ts BETWEEN ?2 AND ?3";
/* The slot and cell expressions are the ones reads_slot_cell indexes (migration 0012),
 * character for character, so that SQLite matches them to the index, which then covers the whole
 * query. INDEXED BY: the planner would otherwise weigh reads_ts for short time ranges, which
 * reads every read of the range instead of the few in the strip. */
#define CELL_EXPR                                                                                  \
    "(CAST((lat + 90.0) * 500.0 AS INTEGER) * 180001 + CAST((lon + 180.0) * 500.0 AS INTEGER))"
static const char SQL_KEYS_STRIP[] =
    "SELECT id, ts, camera_id, lat, lon FROM reads INDEXED BY reads_slot_cell"
    " WHERE (ts / 21600000) = ?1 AND " CELL_EXPR " BETWEEN ?2 AND ?3 AND ts BETWEEN ?4 AND ?5";
static const char SQL_KEYS_TIME[] =
    "SELECT id, ts, camera_id, lat, lon, plate_id FROM reads WHERE ts BETWEEN ?1 AND ?2";
static const char SQL_KEYS_TIME_CAM[] = "SELECT id, ts, camera_id, lat, lon, plate_id FROM reads"
                                        " WHERE ts BETWEEN ?1 AND ?2 AND camera_id = ?3";
static const char SQL_PLATES_AFTER[] = "SELECT id, text FROM plates WHERE id > ? ORDER BY id";
static const char SQL_PLATE_FIND_Q[] = "SELECT id FROM plates WHERE text = ?";

int64_t store_geo_lat_cell(double lat) {
    return (int64_t)((lat + 90.0) * STORE_CELL_PER_DEG);
}

int64_t store_geo_lon_cell(double lon) {
    return (int64_t)((lon + 180.0) * STORE_CELL_PER_DEG);
}

int64_t store_geo_cell(double lat, double lon) {
    return store_geo_lat_cell(lat) * STORE_CELL_LON_SPAN + store_geo_lon_cell(lon);
}

/* Steps s to the end, handing each row to fn; columns: id, ts[, camera_id, lat, lon[, plate]]. */
static int run_keys(store *st, sqlite3_stmt *s, int ncols, int64_t plate_id,
                    int (*fn)(void *ctx, const store_read_key *k), void *ctx, pk_err *err) {
    int r, rc = 0;
    store_read_key k = {0};
    k.plate_id = plate_id;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        k.id = sqlite3_column_int64(s, 0);
        k.ts = sqlite3_column_int64(s, 1);
        if (ncols >= 5) {
            k.camera_id = sqlite3_column_int64(s, 2);
            k.has_pos = sqlite3_column_type(s, 3) != SQLITE_NULL &&
                        sqlite3_column_type(s, 4) != SQLITE_NULL;
            k.lat = k.has_pos ? sqlite3_column_double(s, 3) : NAN;
            k.lon = k.has_pos ? sqlite3_column_double(s, 4) : NAN;
        }
        if (ncols >= 6) k.plate_id = sqlite3_column_int64(s, 5);
        if ((rc = fn(ctx, &k))) break;
    }
    if (!rc && r != SQLITE_DONE) rc = store__dberr(st, err, "reads query");
    sqlite3_reset(s);
    return rc;
}

int store_read_keys_by_plate(store *st, int64_t plate_id, int64_t from, int64_t to, int with_pos,
                             int (*fn)(void *ctx, const store_read_key *k), void *ctx,
                             pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, with_pos ? SQL_KEYS_PLATE_POS : SQL_KEYS_PLATE, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, plate_id);
    sqlite3_bind_int64(s, 2, from);
    sqlite3_bind_int64(s, 3, to);
    return run_keys(st, s, with_pos ? 5 : 2, plate_id, fn, ctx, err);
}

int store_read_keys_in_cells(store *st, int64_t cell_lo, int64_t cell_hi, int64_t from, int64_t to,
                             int (*fn)(void *ctx, const store_read_key *k), void *ctx,
                             pk_err *err) {
    if (from > to) return PK_OK;
    sqlite3_stmt *s = store__stmt(st, SQL_KEYS_STRIP, err);
    if (!s) return PK_EDB;
    /* C's division truncates as SQLite's does, so these are the slots the index holds. */
    for (int64_t slot = from / STORE_SLOT_MS; slot <= to / STORE_SLOT_MS; slot++) {
        sqlite3_bind_int64(s, 1, slot);
        sqlite3_bind_int64(s, 2, cell_lo);
        sqlite3_bind_int64(s, 3, cell_hi);
        sqlite3_bind_int64(s, 4, from);
        sqlite3_bind_int64(s, 5, to);
        int rc = run_keys(st, s, 5, 0, fn, ctx, err);
        if (rc) return rc;
    }
    return PK_OK;
}

int store_read_keys_by_time(store *st, int64_t from, int64_t to, int64_t camera_id,
                            int (*fn)(void *ctx, const store_read_key *k), void *ctx, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, camera_id ? SQL_KEYS_TIME_CAM : SQL_KEYS_TIME, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, from);
    sqlite3_bind_int64(s, 2, to);
    if (camera_id) sqlite3_bind_int64(s, 3, camera_id);
    return run_keys(st, s, 6, 0, fn, ctx, err);
}

int store_plates_after(store *st, int64_t after_id,
                       int (*fn)(void *ctx, int64_t id, const char *text), void *ctx, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_PLATES_AFTER, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, after_id);
    int r, rc = 0;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        rc = fn(ctx, sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1));
        if (rc) break;
    }
    if (!rc && r != SQLITE_DONE) rc = store__dberr(st, err, "plates");
    sqlite3_reset(s);
    return rc;
}

int store_plate_find(store *st, const char *text, int64_t *id, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_PLATE_FIND_Q, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) *id = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (r == SQLITE_ROW) return PK_OK;
    if (r == SQLITE_DONE) return pk_err_set(err, PK_ENOTFOUND, "no plate '%s'", text);
    return store__dberr(st, err, "plates");
}
