/* Cameras, the plate dictionary and reads in SQLite. */
#include "store/store_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pktime.h"

static const char SQL_CAMERA_FIND[] = "SELECT id FROM cameras WHERE name = ?";
static const char SQL_CAMERA_ADD[] =
    "INSERT INTO cameras(name, kind, lat, lon, created_at) VALUES (?, ?, ?, ?, ?)";
static const char SQL_CAMERA_UPDATE[] = "UPDATE cameras SET kind = ?, lat = ?, lon = ? WHERE id = ?";
static const char SQL_PLATE_FIND[] = "SELECT id FROM plates WHERE text = ?";
static const char SQL_PLATE_ADD[] = "INSERT INTO plates(text) VALUES (?)";
static const char SQL_PLATES_ALL[] = "SELECT id, text FROM plates ORDER BY id";
static const char SQL_READ_ADD[] =
    "INSERT INTO reads(uuid, plate_id, state, ts, camera_id, lat, lon, heading, confidence,"
    " candidates, plate_image, scene_image, vehicle, ingested_at)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING";
static const char SQL_READS_COUNT[] = "SELECT count(*) FROM reads";
#define READ_COLS                                                                          \
    "r.id, r.uuid, r.plate_id, p.text, r.state, r.ts, r.camera_id, c.name, r.lat, r.lon,"  \
    " r.heading, r.confidence, r.candidates, r.plate_image, r.scene_image, r.vehicle,"     \
    " r.ingested_at"
static const char SQL_READ_GET[] = "SELECT " READ_COLS " FROM reads r"
                                   " JOIN plates p ON p.id = r.plate_id"
                                   " JOIN cameras c ON c.id = r.camera_id WHERE r.id = ?";

static void bind_pos(sqlite3_stmt *s, int idx, double v) {
    if (isnan(v)) {
        sqlite3_bind_null(s, idx);
    } else {
        sqlite3_bind_double(s, idx, v);
    }
}

int store_camera_find(store *st, const char *name, int64_t *id, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_CAMERA_FIND, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
        return PK_OK;
    }
    sqlite3_reset(s);
    if (r == SQLITE_DONE) return pk_err_set(err, PK_ENOTFOUND, "no camera named '%s'", name);
    return store__dberr(st, err, "cameras");
}

int store_camera_put(store *st, const char *name, const char *kind, double lat, double lon,
                     int64_t *id, pk_err *err) {
    int rc = store_camera_find(st, name, id, NULL);
    if (rc == PK_OK) {
        sqlite3_stmt *s = store__stmt(st, SQL_CAMERA_UPDATE, err);
        if (!s) return PK_EDB;
        sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
        bind_pos(s, 2, lat);
        bind_pos(s, 3, lon);
        sqlite3_bind_int64(s, 4, *id);
        int r = sqlite3_step(s);
        sqlite3_reset(s);
        return r == SQLITE_DONE ? PK_OK : store__dberr(st, err, "cameras");
    }
    sqlite3_stmt *s = store__stmt(st, SQL_CAMERA_ADD, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
    bind_pos(s, 3, lat);
    bind_pos(s, 4, lon);
    sqlite3_bind_int64(s, 5, pk_now_ms());
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    if (r != SQLITE_DONE) return store__dberr(st, err, "cameras");
    *id = sqlite3_last_insert_rowid(st->db);
    return PK_OK;
}

int store_camera_ensure(store *st, const char *name, double lat, double lon, int64_t *id,
                        pk_err *err) {
    int rc = store_camera_find(st, name, id, err);
    if (rc != PK_ENOTFOUND) return rc;
    return store_camera_put(st, name, "fixed", lat, lon, id, err);
}

/* The plate id cache: plate text -> plates.id for the plates this connection has seen, so that
 * ingest finds the id of a known plate without a query (most reads are of plates seen before).
 * A plate of up to 10 characters of A-Z 0-9 packs into a 64-bit key (base 37, 0 = end), so an
 * entry is 16 bytes. Open addressing with linear probing; when the table is 3/4 full it is
 * emptied and refilled from the reads that follow (plates seen once a year drop out, regulars
 * come straight back). Plates are never deleted, so a cached id stays right; the only stale
 * entries would be plates inserted by a transaction that was rolled back, hence the reset. */
#define PLATE_CACHE_SLOTS (1u << 21) /* 32 MiB per connection */

struct store__plate_cache {
    uint64_t *keys; /* 0 = empty slot */
    int64_t *ids;
    size_t used;
};

static uint64_t plate_key(const char *text) {
    uint64_t k = 0;
    size_t n = 0;
    for (; text[n]; n++) {
        char c = text[n];
        unsigned v = c >= 'A' && c <= 'Z' ? (unsigned)(c - 'A' + 1)
                     : c >= '0' && c <= '9' ? (unsigned)(c - '0' + 27) : 0;
        if (!v || n == PK_PLATE_MAX) return 0; /* not a normalized plate: not cached */
        k = k * 37 + v;
    }
    return k;
}

static size_t plate_slot(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)(k & (PLATE_CACHE_SLOTS - 1));
}

void store__plate_cache_reset(store *st, int free_it) {
    struct store__plate_cache *pc = st->plates;
    if (!pc) return;
    if (free_it) {
        free(pc->keys);
        free(pc->ids);
        free(pc);
        st->plates = NULL;
        return;
    }
    if (pc->used) memset(pc->keys, 0, PLATE_CACHE_SLOTS * sizeof *pc->keys);
    pc->used = 0;
}

static int plate_cache_get(store *st, uint64_t k, int64_t *id) {
    struct store__plate_cache *pc = st->plates;
    if (!pc || !k) return 0;
    for (size_t i = plate_slot(k);; i = (i + 1) & (PLATE_CACHE_SLOTS - 1)) {
        if (pc->keys[i] == k) {
            *id = pc->ids[i];
            return 1;
        }
        if (!pc->keys[i]) return 0;
    }
}

static void plate_cache_put(store *st, uint64_t k, int64_t id) {
    if (!k) return;
    struct store__plate_cache *pc = st->plates;
    if (!pc) {
        pc = st->plates = pk_xcalloc(1, sizeof *pc);
        pc->keys = pk_xcalloc(PLATE_CACHE_SLOTS, sizeof *pc->keys);
        pc->ids = pk_xmalloc(PLATE_CACHE_SLOTS * sizeof *pc->ids);
    }
    if (pc->used >= PLATE_CACHE_SLOTS / 4 * 3) store__plate_cache_reset(st, 0);
    size_t i = plate_slot(k);
    while (pc->keys[i] && pc->keys[i] != k) i = (i + 1) & (PLATE_CACHE_SLOTS - 1);
    if (!pc->keys[i]) pc->used++;
    pc->keys[i] = k;
    pc->ids[i] = id;
}

int store_plate_ensure(store *st, const char *text, int64_t *id, pk_err *err) {
    uint64_t key = plate_key(text);
    if (plate_cache_get(st, key, id)) return PK_OK;
    sqlite3_stmt *s = store__stmt(st, SQL_PLATE_FIND, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
        plate_cache_put(st, key, *id);
        return PK_OK;
    }
    sqlite3_reset(s);
    if (r != SQLITE_DONE) return store__dberr(st, err, "plates");
    s = store__stmt(st, SQL_PLATE_ADD, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
    r = sqlite3_step(s);
    sqlite3_reset(s);
    if (r != SQLITE_DONE) return store__dberr(st, err, "plates");
    *id = sqlite3_last_insert_rowid(st->db);
    plate_cache_put(st, key, *id);
    return PK_OK;
}

int store_plates_each(store *st, int (*fn)(void *ctx, int64_t id, const char *text), void *ctx,
                      pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_PLATES_ALL, err);
    if (!s) return PK_EDB;
    int r, rc = 0;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        rc = fn(ctx, sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1));
        if (rc) break;
    }
    sqlite3_reset(s);
    if (!rc && r != SQLITE_DONE) return store__dberr(st, err, "plates");
    return rc;
}

/* Text kept as it came; one that starts with the compact form's '~' gets another in front,
 * which the decoder takes off again (reads_codec.c). */
static void bind_verbatim(sqlite3_stmt *s, int idx, const char *text) {
    if (text && text[0] == '~') {
        size_t n = strlen(text);
        char *esc = pk_xmalloc(n + 2);
        esc[0] = '~';
        memcpy(esc + 1, text, n + 1);
        sqlite3_bind_text(s, idx, esc, (int)(n + 1), free);
        return;
    }
    store__bind_text_or_null(s, idx, text);
}

static int insert_one(store *st, store_read *rd, int64_t now, int *dup, pk_err *err) {
    int rc = store_plate_ensure(st, rd->plate, &rd->plate_id, err);
    if (rc) return rc;
    sqlite3_stmt *s = store__stmt(st, SQL_READ_ADD, err);
    if (!s) return PK_EDB;
    sqlite3_bind_blob(s, 1, rd->uuid, 16, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, rd->plate_id);
    sqlite3_bind_text(s, 3, rd->state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, rd->ts);
    sqlite3_bind_int64(s, 5, rd->camera_id);
    if (rd->has_pos) {
        sqlite3_bind_double(s, 6, rd->lat);
        sqlite3_bind_double(s, 7, rd->lon);
    }
    if (rd->heading >= 0) sqlite3_bind_double(s, 8, rd->heading);
    sqlite3_bind_double(s, 9, rd->confidence);
    char cand[1024], veh[256];
    if (store__cand_encode(rd->candidates, rd->plate, rd->confidence, cand, sizeof cand))
        sqlite3_bind_text(s, 10, cand, -1, SQLITE_STATIC);
    else
        bind_verbatim(s, 10, rd->candidates);
    store__bind_text_or_null(s, 11, rd->plate_image);
    store__bind_text_or_null(s, 12, rd->scene_image);
    if (store__vehicle_encode(rd->vehicle, veh, sizeof veh))
        sqlite3_bind_text(s, 13, veh, -1, SQLITE_STATIC);
    else
        bind_verbatim(s, 13, rd->vehicle);
    sqlite3_bind_int64(s, 14, now);
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    if (r != SQLITE_DONE) return store__dberr(st, err, "reads");
    if (sqlite3_changes(st->db) == 0) {
        *dup = 1;
        rd->id = 0;
    } else {
        *dup = 0;
        rd->id = sqlite3_last_insert_rowid(st->db);
    }
    rd->ingested_at = now;
    return PK_OK;
}

int store_reads_insert(store *st, store_read *reads, size_t n, int *dup, pk_err *err) {
    int started, rc = store__autotx_begin(st, &started, err);
    if (rc) return rc;
    int64_t now = pk_now_ms();
    for (size_t i = 0; i < n && !rc; i++) {
        int d = 0;
        rc = insert_one(st, &reads[i], now, &d, err);
        if (dup) dup[i] = d;
    }
    return store__autotx_end(st, started, rc, err);
}

void store_read_filter_init(store_read_filter *f) {
    memset(f, 0, sizeof *f);
    f->from = INT64_MIN;
    f->to = INT64_MAX;
}

/* Fills r from a row laid out as READ_COLS; strings point into the statement's row, or (for
 * candidates and vehicle kept in compact form, reads_codec.c) into the handle's scratch
 * buffers: either way valid until the next row. */
static void row_to_read(store *st, sqlite3_stmt *s, store_read *r) {
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(s, 0);
    if (sqlite3_column_bytes(s, 1) == 16) memcpy(r->uuid, sqlite3_column_blob(s, 1), 16);
    r->plate_id = sqlite3_column_int64(s, 2);
    store__col_text(s, 3, r->plate, sizeof r->plate);
    store__col_text(s, 4, r->state, sizeof r->state);
    r->ts = sqlite3_column_int64(s, 5);
    r->camera_id = sqlite3_column_int64(s, 6);
    store__col_text(s, 7, r->camera, sizeof r->camera);
    r->has_pos = sqlite3_column_type(s, 8) != SQLITE_NULL;
    r->lat = r->has_pos ? sqlite3_column_double(s, 8) : NAN;
    r->lon = r->has_pos ? sqlite3_column_double(s, 9) : NAN;
    r->heading = sqlite3_column_type(s, 10) == SQLITE_NULL ? -1 : sqlite3_column_double(s, 10);
    r->confidence = sqlite3_column_double(s, 11);
    r->candidates = store__cand_decode((const char *)sqlite3_column_text(s, 12), r->plate,
                                       r->confidence, &st->scratch_cand, &st->cap_cand);
    store__col_text(s, 13, r->plate_image, sizeof r->plate_image);
    store__col_text(s, 14, r->scene_image, sizeof r->scene_image);
    r->vehicle = store__vehicle_decode((const char *)sqlite3_column_text(s, 15), &st->scratch_veh,
                                       &st->cap_veh);
    r->ingested_at = sqlite3_column_int64(s, 16);
}

int store_read_get(store *st, int64_t id, store_read *r, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_READ_GET, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, id);
    int x = sqlite3_step(s);
    if (x == SQLITE_ROW) {
        row_to_read(st, s, r);
        r->candidates = r->candidates ? pk_xstrdup(r->candidates) : NULL;
        r->vehicle = r->vehicle ? pk_xstrdup(r->vehicle) : NULL;
        sqlite3_reset(s);
        return PK_OK;
    }
    sqlite3_reset(s);
    if (x == SQLITE_DONE) return pk_err_set(err, PK_ENOTFOUND, "no read with id %lld", (long long)id);
    return store__dberr(st, err, "reads");
}

void store_read_fini(store_read *r) {
    free((char *)r->candidates);
    free((char *)r->vehicle);
    r->candidates = r->vehicle = NULL;
}

int64_t store_reads_count(store *st) {
    sqlite3_stmt *s = store__stmt(st, SQL_READS_COUNT, NULL);
    if (!s) return -1;
    int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_reset(s);
    return n;
}

/* The filter's SQL is built from fixed fragments only (never from values, which are bound), so
 * the shape of the query depends on which filters are set, and one plate id list of any length
 * goes through carray-free "IN (SELECT value FROM json_each(?))". */
int store_reads_each(store *st, const store_read_filter *f,
                     int (*fn)(void *ctx, const store_read *r), void *ctx, pk_err *err) {
    char sql[1024];
    size_t n = 0;
    n += (size_t)snprintf(sql + n, sizeof sql - n,
                          "SELECT " READ_COLS " FROM reads r"
                          " JOIN plates p ON p.id = r.plate_id"
                          " JOIN cameras c ON c.id = r.camera_id WHERE r.ts BETWEEN ?1 AND ?2");
    if (f->plate_ids)
        n += (size_t)snprintf(sql + n, sizeof sql - n,
                              " AND r.plate_id IN (SELECT value FROM json_each(?3))");
    if (f->camera_id) n += (size_t)snprintf(sql + n, sizeof sql - n, " AND r.camera_id = ?4");
    if (f->has_box)
        n += (size_t)snprintf(sql + n, sizeof sql - n,
                              " AND r.lat BETWEEN ?5 AND ?6 AND r.lon BETWEEN ?7 AND ?8");
    if (f->has_cursor)
        n += (size_t)snprintf(sql + n, sizeof sql - n,
                              " AND (r.ts < ?9 OR (r.ts = ?9 AND r.id < ?10))");
    snprintf(sql + n, sizeof sql - n, " ORDER BY r.ts DESC, r.id DESC");

    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store__dberr(st, err, "reads query");
    sqlite3_bind_int64(s, 1, f->from);
    sqlite3_bind_int64(s, 2, f->to);
    char *ids = NULL;
    if (f->plate_ids) {
        size_t cap = f->n_plate_ids * 21 + 3, k = 0;
        ids = pk_xmalloc(cap);
        ids[k++] = '[';
        for (size_t i = 0; i < f->n_plate_ids; i++)
            k += (size_t)snprintf(ids + k, cap - k, "%s%lld", i ? "," : "",
                                  (long long)f->plate_ids[i]);
        ids[k++] = ']';
        ids[k] = '\0';
        sqlite3_bind_text(s, 3, ids, (int)k, SQLITE_STATIC);
    }
    sqlite3_bind_int64(s, 4, f->camera_id);
    sqlite3_bind_double(s, 5, f->box.min_lat);
    sqlite3_bind_double(s, 6, f->box.max_lat);
    sqlite3_bind_double(s, 7, f->box.min_lon);
    sqlite3_bind_double(s, 8, f->box.max_lon);
    sqlite3_bind_int64(s, 9, f->after_ts);
    sqlite3_bind_int64(s, 10, f->after_id);
    int r, rc = 0;
    store_read rd;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        row_to_read(st, s, &rd);
        if ((rc = fn(ctx, &rd))) break;
    }
    if (!rc && r != SQLITE_DONE) rc = store__dberr(st, err, "reads query");
    sqlite3_finalize(s);
    free(ids);
    return rc;
}
