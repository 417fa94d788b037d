/* Hotlists, entries, import history and alerts in SQLite. */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

#include "core/pktime.h"

static const char SQL_HL_ADD[] =
    "INSERT INTO hotlists(name, source, priority, alert_level, covert, default_expiry_days,"
    " hit_retention_days, import_path, import_map, created_by, created_at, updated_at)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)";
static const char SQL_HL_UPDATE[] =
    "UPDATE hotlists SET name = ?, source = ?, priority = ?, alert_level = ?, covert = ?,"
    " default_expiry_days = ?, hit_retention_days = ?, import_path = ?, import_map = ?,"
    " updated_at = ? WHERE id = ?";
#define HL_COLS                                                                               \
    "h.id, h.name, h.source, h.priority, h.alert_level, h.covert, h.default_expiry_days,"     \
    " h.hit_retention_days, h.import_path, h.import_map, h.created_by, h.created_at,"         \
    " h.updated_at, (SELECT count(*) FROM hotlist_entries e WHERE e.hotlist_id = h.id"        \
    " AND (e.origin = 'hand' OR e.gen = h.active_gen)), h.active_gen"
/* one list by id or name: without the entry count, which walks the list (alerts fetch lists) */
#define HL_COLS_1                                                                             \
    "h.id, h.name, h.source, h.priority, h.alert_level, h.covert, h.default_expiry_days,"     \
    " h.hit_retention_days, h.import_path, h.import_map, h.created_by, h.created_at,"         \
    " h.updated_at, -1, h.active_gen"
static const char SQL_HL_GET[] = "SELECT " HL_COLS_1 " FROM hotlists h WHERE h.id = ?";
static const char SQL_HL_FIND[] = "SELECT " HL_COLS_1 " FROM hotlists h WHERE h.name = ?";
static const char SQL_HL_ALL[] = "SELECT " HL_COLS " FROM hotlists h ORDER BY h.priority, h.name";
static const char SQL_OWNER_ADD[] =
    "INSERT INTO hotlist_owners(hotlist_id, username) VALUES (?, ?) ON CONFLICT DO NOTHING";
static const char SQL_OWNER_DEL[] =
    "DELETE FROM hotlist_owners WHERE hotlist_id = ? AND username = ?";
static const char SQL_OWNERS[] = "SELECT hotlist_id, username FROM hotlist_owners"
                                 " WHERE ?1 = 0 OR hotlist_id = ?1 ORDER BY hotlist_id, username";

#define ENTRY_COLS                                                                            \
    "id, hotlist_id, plate, is_pattern, state, plate_type, reason, ncic, ori, case_no, make,"  \
    " model, year, color, expires, origin, entered_by, created_at, updated_at, gen"
static const char SQL_ENTRY_ADD[] =
    "INSERT INTO hotlist_entries(hotlist_id, plate, is_pattern, state, plate_type, reason, ncic,"
    " ori, case_no, make, model, year, color, expires, origin, entered_by, created_at,"
    " updated_at, gen) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char SQL_ENTRY_UPDATE[] =
    "UPDATE hotlist_entries SET plate = ?, is_pattern = ?, state = ?, plate_type = ?,"
    " reason = ?, ncic = ?, ori = ?, case_no = ?, make = ?, model = ?, year = ?, color = ?,"
    " expires = ?, updated_at = ? WHERE id = ?";
static const char SQL_ENTRY_GET[] = "SELECT " ENTRY_COLS " FROM hotlist_entries WHERE id = ?";
static const char SQL_ENTRY_DEL[] = "DELETE FROM hotlist_entries WHERE id = ?";
static const char SQL_ENTRY_CLEAR[] =
    "DELETE FROM hotlist_entries WHERE hotlist_id = ? AND origin = 'import'";
/* Visible entries: by hand, or of the list's active import generation. */
#define VISIBLE "(e.origin = 'hand' OR e.gen = h.active_gen)"
static const char SQL_ENTRIES[] =
    "SELECT e.id, e.hotlist_id, e.plate, e.is_pattern, e.state, e.plate_type, e.reason, e.ncic,"
    " e.ori, e.case_no, e.make, e.model, e.year, e.color, e.expires, e.origin, e.entered_by,"
    " e.created_at, e.updated_at, e.gen FROM hotlist_entries e JOIN hotlists h ON h.id = e.hotlist_id"
    " WHERE (?1 = 0 OR e.hotlist_id = ?1) AND " VISIBLE
    " AND (?2 = 0 OR e.expires IS NULL OR e.expires > ?2) ORDER BY e.id";
static const char SQL_ENTRIES_COUNT[] =
    "SELECT count(*) FROM hotlist_entries e JOIN hotlists h ON h.id = e.hotlist_id"
    " WHERE (?1 = 0 OR e.hotlist_id = ?1) AND " VISIBLE
    " AND (?2 = 0 OR e.expires IS NULL OR e.expires > ?2)";
static const char SQL_GEN_RESERVE[] =
    "UPDATE hotlists SET last_gen = max(last_gen, active_gen) + 1 WHERE id = ?";
static const char SQL_GEN_LAST[] = "SELECT last_gen, active_gen FROM hotlists WHERE id = ?";
static const char SQL_GEN_ACTIVATE[] =
    "UPDATE hotlists SET active_gen = ?2, updated_at = ?3 WHERE id = ?1 AND active_gen < ?2";
static const char SQL_GEN_COUNT[] =
    "SELECT count(*) FROM hotlist_entries e JOIN hotlists h ON h.id = e.hotlist_id"
    " WHERE e.hotlist_id = ? AND e.origin = 'import' AND e.gen = h.active_gen";
static const char SQL_GEN_DELETE_ONE[] =
    "DELETE FROM hotlist_entries WHERE id IN (SELECT id FROM hotlist_entries"
    " WHERE hotlist_id = ?1 AND gen = ?2 AND origin = 'import' LIMIT ?3)";
static const char SQL_GEN_DELETE_OLD[] =
    "DELETE FROM hotlist_entries WHERE id IN (SELECT e.id FROM hotlist_entries e"
    " JOIN hotlists h ON h.id = e.hotlist_id WHERE e.hotlist_id = ?1 AND e.gen < h.active_gen"
    " AND e.origin = 'import' LIMIT ?3)";
static const char SQL_IMPORT_LOG[] =
    "INSERT INTO hotlist_imports(hotlist_id, started_at, finished_at, file, by, outcome, lines,"
    " loaded, bad, detail) VALUES (?,?,?,?,?,?,?,?,?,?)";

static const char SQL_ALERT_ADD[] =
    "INSERT INTO alerts(read_id, entry_id, hotlist_id, match, state_mismatch, covert, priority,"
    " read_json, entry_json, status, note, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
    " ON CONFLICT(read_id, entry_id) DO NOTHING";
static const char SQL_ALERT_VERIFY[] =
    "UPDATE alerts SET status = ?, note = ?, verified_at = ?5, verified_by = ?4,"
    " acknowledged_at = coalesce(acknowledged_at, ?5),"
    " acknowledged_by = coalesce(acknowledged_by, ?4) WHERE id = ?6 AND status = 'unverified'";
static const char SQL_ALERT_STATUS[] =
    "SELECT status, verified_by, verified_at FROM alerts WHERE id = ?";
static const char SQL_ALERT_ACK[] =
    "UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ?"
    " AND acknowledged_at IS NULL";
static const char SQL_ALERT_EXISTS[] = "SELECT 1 FROM alerts WHERE id = ?";
static const char SQL_ALERTS_PURGE[] =
    "DELETE FROM alerts WHERE created_at < ?1 - 86400000 * coalesce((SELECT"
    " hit_retention_days FROM hotlists h WHERE h.id = alerts.hotlist_id), 365)";

static int step_done(store *st, sqlite3_stmt *s, const char *what, pk_err *err) {
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    return r == SQLITE_DONE ? PK_OK : store__dberr(st, err, what);
}

/* ---- hotlists ---- */

static void bind_hotlist(sqlite3_stmt *s, const store_hotlist *h) {
    sqlite3_bind_text(s, 1, h->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, h->source[0] ? h->source : "local", -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, h->priority);
    sqlite3_bind_text(s, 4, h->alert_level[0] ? h->alert_level : "high", -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 5, h->covert != 0);
    sqlite3_bind_int(s, 6, h->default_expiry_days);
    sqlite3_bind_int(s, 7, h->hit_retention_days);
    store__bind_text_or_null(s, 8, h->import_path);
    store__bind_text_or_null(s, 9, h->import_map);
}

int store_hotlist_add(store *st, store_hotlist *h, pk_err *err) {
    store_hotlist other;
    if (store_hotlist_find(st, h->name, &other, NULL) == PK_OK)
        return pk_err_set(err, PK_EEXIST, "name: a hotlist named '%s' exists", h->name);
    sqlite3_stmt *s = store__stmt(st, SQL_HL_ADD, err);
    if (!s) return PK_EDB;
    int64_t now = pk_now_ms();
    bind_hotlist(s, h);
    sqlite3_bind_text(s, 10, h->created_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 11, now);
    sqlite3_bind_int64(s, 12, now);
    int rc = step_done(st, s, "hotlists", err);
    if (rc) return rc;
    h->id = sqlite3_last_insert_rowid(st->db);
    h->created_at = h->updated_at = now;
    return PK_OK;
}

int store_hotlist_update(store *st, const store_hotlist *h, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_HL_UPDATE, err);
    if (!s) return PK_EDB;
    bind_hotlist(s, h);
    sqlite3_bind_int64(s, 10, pk_now_ms());
    sqlite3_bind_int64(s, 11, h->id);
    int rc = step_done(st, s, "hotlists", err);
    if (rc) return rc;
    if (sqlite3_changes(st->db) == 0)
        return pk_err_set(err, PK_ENOTFOUND, "no hotlist with id %lld", (long long)h->id);
    return PK_OK;
}

static void row_to_hotlist(sqlite3_stmt *s, store_hotlist *h) {
    memset(h, 0, sizeof *h);
    h->id = sqlite3_column_int64(s, 0);
    store__col_text(s, 1, h->name, sizeof h->name);
    store__col_text(s, 2, h->source, sizeof h->source);
    h->priority = sqlite3_column_int(s, 3);
    store__col_text(s, 4, h->alert_level, sizeof h->alert_level);
    h->covert = sqlite3_column_int(s, 5);
    h->default_expiry_days = sqlite3_column_int(s, 6);
    h->hit_retention_days = sqlite3_column_int(s, 7);
    store__col_text(s, 8, h->import_path, sizeof h->import_path);
    store__col_text(s, 9, h->import_map, sizeof h->import_map);
    store__col_text(s, 10, h->created_by, sizeof h->created_by);
    h->created_at = sqlite3_column_int64(s, 11);
    h->updated_at = sqlite3_column_int64(s, 12);
    h->n_entries = sqlite3_column_int64(s, 13);
    h->active_gen = sqlite3_column_int64(s, 14);
}

static int get_one(store *st, const char *sql, int64_t id, const char *name, store_hotlist *h,
                   pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, sql, err);
    if (!s) return PK_EDB;
    if (name) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_int64(s, 1, id);
    }
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) row_to_hotlist(s, h);
    sqlite3_reset(s);
    if (r == SQLITE_ROW) return PK_OK;
    if (r != SQLITE_DONE) return store__dberr(st, err, "hotlists");
    if (name) return pk_err_set(err, PK_ENOTFOUND, "no hotlist named '%s'", name);
    return pk_err_set(err, PK_ENOTFOUND, "no hotlist with id %lld", (long long)id);
}

int store_hotlist_get(store *st, int64_t id, store_hotlist *h, pk_err *err) {
    return get_one(st, SQL_HL_GET, id, NULL, h, err);
}

int store_hotlist_find(store *st, const char *name, store_hotlist *h, pk_err *err) {
    return get_one(st, SQL_HL_FIND, 0, name, h, err);
}

int store_hotlists_each(store *st, int (*fn)(void *ctx, const store_hotlist *h), void *ctx,
                        pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_HL_ALL, err);
    if (!s) return PK_EDB;
    int r, rc = 0;
    store_hotlist h;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        row_to_hotlist(s, &h);
        if ((rc = fn(ctx, &h))) break;
    }
    sqlite3_reset(s);
    if (!rc && r != SQLITE_DONE) return store__dberr(st, err, "hotlists");
    return rc;
}

int store_hotlist_owner_add(store *st, int64_t hotlist_id, const char *username, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_OWNER_ADD, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, hotlist_id);
    sqlite3_bind_text(s, 2, username, -1, SQLITE_STATIC);
    return step_done(st, s, "hotlist_owners", err);
}

int store_hotlist_owner_remove(store *st, int64_t hotlist_id, const char *username, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_OWNER_DEL, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, hotlist_id);
    sqlite3_bind_text(s, 2, username, -1, SQLITE_STATIC);
    return step_done(st, s, "hotlist_owners", err);
}

int store_hotlist_owners_each(store *st, int64_t hotlist_id,
                              int (*fn)(void *ctx, int64_t hotlist_id, const char *username),
                              void *ctx, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_OWNERS, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, hotlist_id);
    int r, rc = 0;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        rc = fn(ctx, sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1));
        if (rc) break;
    }
    sqlite3_reset(s);
    if (!rc && r != SQLITE_DONE) return store__dberr(st, err, "hotlist_owners");
    return rc;
}

/* ---- entries ---- */

/* Binds the editable fields from index i on: plate .. expires (14 values for add, 13 here). */
static int bind_entry_fields(sqlite3_stmt *s, int i, const store_hotlist_entry *e) {
    sqlite3_bind_text(s, i++, e->plate, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, i++, e->is_pattern != 0);
    sqlite3_bind_text(s, i++, e->state, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, e->plate_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, e->reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, e->ncic, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, e->ori, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, e->case_no, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, e->make, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, e->model, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, e->year, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, e->color, -1, SQLITE_STATIC);
    if (e->expires) sqlite3_bind_int64(s, i, e->expires);
    return i + 1;
}

int store_hotlist_entry_add(store *st, store_hotlist_entry *e, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_ENTRY_ADD, err);
    if (!s) return PK_EDB;
    int64_t now = pk_now_ms();
    if (!e->created_at) e->created_at = now;
    e->updated_at = now;
    sqlite3_bind_int64(s, 1, e->hotlist_id);
    int i = bind_entry_fields(s, 2, e);
    sqlite3_bind_text(s, i++, e->origin[0] ? e->origin : "import", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, e->entered_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, i++, e->created_at);
    sqlite3_bind_int64(s, i++, e->updated_at);
    sqlite3_bind_int64(s, i, e->gen);
    int rc = step_done(st, s, "hotlist_entries", err);
    if (rc) return rc;
    e->id = sqlite3_last_insert_rowid(st->db);
    return PK_OK;
}

int store_hotlist_entry_update(store *st, const store_hotlist_entry *e, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_ENTRY_UPDATE, err);
    if (!s) return PK_EDB;
    int i = bind_entry_fields(s, 1, e);
    sqlite3_bind_int64(s, i++, pk_now_ms());
    sqlite3_bind_int64(s, i, e->id);
    int rc = step_done(st, s, "hotlist_entries", err);
    if (rc) return rc;
    if (sqlite3_changes(st->db) == 0)
        return pk_err_set(err, PK_ENOTFOUND, "no hotlist entry with id %lld", (long long)e->id);
    return PK_OK;
}

static void row_to_entry(sqlite3_stmt *s, store_hotlist_entry *e) {
    memset(e, 0, sizeof *e);
    e->id = sqlite3_column_int64(s, 0);
    e->hotlist_id = sqlite3_column_int64(s, 1);
    store__col_text(s, 2, e->plate, sizeof e->plate);
    e->is_pattern = sqlite3_column_int(s, 3);
    store__col_text(s, 4, e->state, sizeof e->state);
    store__col_text(s, 5, e->plate_type, sizeof e->plate_type);
    store__col_text(s, 6, e->reason, sizeof e->reason);
    store__col_text(s, 7, e->ncic, sizeof e->ncic);
    store__col_text(s, 8, e->ori, sizeof e->ori);
    store__col_text(s, 9, e->case_no, sizeof e->case_no);
    store__col_text(s, 10, e->make, sizeof e->make);
    store__col_text(s, 11, e->model, sizeof e->model);
    store__col_text(s, 12, e->year, sizeof e->year);
    store__col_text(s, 13, e->color, sizeof e->color);
    e->expires = sqlite3_column_int64(s, 14); /* NULL reads as 0: never */
    store__col_text(s, 15, e->origin, sizeof e->origin);
    store__col_text(s, 16, e->entered_by, sizeof e->entered_by);
    e->created_at = sqlite3_column_int64(s, 17);
    e->updated_at = sqlite3_column_int64(s, 18);
    e->gen = sqlite3_column_int64(s, 19);
}

int store_hotlist_entry_get(store *st, int64_t id, store_hotlist_entry *e, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_ENTRY_GET, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, id);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) row_to_entry(s, e);
    sqlite3_reset(s);
    if (r == SQLITE_ROW) return PK_OK;
    if (r != SQLITE_DONE) return store__dberr(st, err, "hotlist_entries");
    return pk_err_set(err, PK_ENOTFOUND, "no hotlist entry with id %lld", (long long)id);
}

int store_hotlist_entry_remove(store *st, int64_t id, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_ENTRY_DEL, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, id);
    int rc = step_done(st, s, "hotlist_entries", err);
    if (rc) return rc;
    if (sqlite3_changes(st->db) == 0)
        return pk_err_set(err, PK_ENOTFOUND, "no hotlist entry with id %lld", (long long)id);
    return PK_OK;
}

int store_hotlist_entries_clear_imported(store *st, int64_t hotlist_id, int64_t *n, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_ENTRY_CLEAR, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, hotlist_id);
    int rc = step_done(st, s, "hotlist_entries", err);
    if (!rc && n) *n = sqlite3_changes(st->db);
    return rc;
}

int store_hotlist_gen_reserve(store *st, int64_t hotlist_id, int64_t *gen, pk_err *err) {
    int started, rc = store__autotx_begin(st, &started, err);
    if (rc) return rc;
    sqlite3_stmt *s = store__stmt(st, SQL_GEN_RESERVE, err);
    if (!s) return store__autotx_end(st, started, PK_EDB, err);
    sqlite3_bind_int64(s, 1, hotlist_id);
    rc = step_done(st, s, "hotlists", err);
    if (!rc && sqlite3_changes(st->db) == 0)
        rc = pk_err_set(err, PK_ENOTFOUND, "no hotlist with id %lld", (long long)hotlist_id);
    if (!rc) {
        s = store__stmt(st, SQL_GEN_LAST, err);
        if (!s) return store__autotx_end(st, started, PK_EDB, err);
        sqlite3_bind_int64(s, 1, hotlist_id);
        if (sqlite3_step(s) == SQLITE_ROW) *gen = sqlite3_column_int64(s, 0);
        else rc = store__dberr(st, err, "hotlists");
        sqlite3_reset(s);
    }
    return store__autotx_end(st, started, rc, err);
}

int store_hotlist_gen_activate(store *st, int64_t hotlist_id, int64_t gen, int64_t *replaced,
                               pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_GEN_COUNT, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, hotlist_id);
    int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    s = store__stmt(st, SQL_GEN_ACTIVATE, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, hotlist_id);
    sqlite3_bind_int64(s, 2, gen);
    sqlite3_bind_int64(s, 3, pk_now_ms());
    int rc = step_done(st, s, "hotlists", err);
    if (rc) return rc;
    if (sqlite3_changes(st->db) == 0)
        return pk_err_set(err, PK_ECONFLICT, "a newer import of this list finished first");
    if (replaced) *replaced = n;
    return PK_OK;
}

int store_hotlist_gen_delete(store *st, int64_t hotlist_id, int64_t gen, int limit, int64_t *n,
                             pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, gen ? SQL_GEN_DELETE_ONE : SQL_GEN_DELETE_OLD, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, hotlist_id);
    if (gen) sqlite3_bind_int64(s, 2, gen);
    sqlite3_bind_int(s, 3, limit > 0 ? limit : -1);
    int rc = step_done(st, s, "hotlist_entries", err);
    if (!rc && n) *n = sqlite3_changes(st->db);
    return rc;
}

int store_hotlist_entries_each(store *st, int64_t hotlist_id, int64_t now,
                               int (*fn)(void *ctx, const store_hotlist_entry *e), void *ctx,
                               pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_ENTRIES, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, hotlist_id);
    sqlite3_bind_int64(s, 2, now);
    int r, rc = 0;
    store_hotlist_entry e;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        row_to_entry(s, &e);
        if ((rc = fn(ctx, &e))) break;
    }
    sqlite3_reset(s);
    if (!rc && r != SQLITE_DONE) return store__dberr(st, err, "hotlist_entries");
    return rc;
}

static const char SQL_ENTRY_KEYS[] =
    "SELECT e.id, e.hotlist_id, e.plate, e.is_pattern, e.state, e.expires FROM hotlist_entries e"
    " CROSS JOIN hotlists h ON h.id = e.hotlist_id WHERE " VISIBLE /* scan e in table order */
    " AND (?1 = 0 OR e.expires IS NULL OR e.expires > ?1)";

int store_hotlist_entry_keys_each(store *st, int64_t now,
                                  int (*fn)(void *ctx, const store_hotlist_key *k), void *ctx,
                                  pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_ENTRY_KEYS, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, now);
    int r, rc = 0;
    store_hotlist_key k;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        k.id = sqlite3_column_int64(s, 0);
        k.hotlist_id = sqlite3_column_int64(s, 1);
        k.plate = (const char *)sqlite3_column_text(s, 2);
        k.is_pattern = sqlite3_column_int(s, 3);
        k.state = (const char *)sqlite3_column_text(s, 4);
        k.expires = sqlite3_column_int64(s, 5);
        if (!k.plate || !k.state) continue;
        if ((rc = fn(ctx, &k))) break;
    }
    sqlite3_reset(s);
    if (!rc && r != SQLITE_DONE) return store__dberr(st, err, "hotlist_entries");
    return rc;
}

int64_t store_hotlist_entries_count(store *st, int64_t hotlist_id, int64_t now) {
    sqlite3_stmt *s = store__stmt(st, SQL_ENTRIES_COUNT, NULL);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, hotlist_id);
    sqlite3_bind_int64(s, 2, now);
    int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_reset(s);
    return n;
}

int store_hotlist_import_log(store *st, const store_hotlist_import *imp, int64_t *id,
                             pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_IMPORT_LOG, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, imp->hotlist_id);
    sqlite3_bind_int64(s, 2, imp->started_at);
    sqlite3_bind_int64(s, 3, imp->finished_at);
    sqlite3_bind_text(s, 4, imp->file ? imp->file : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, imp->by ? imp->by : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, imp->outcome ? imp->outcome : "failed", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, imp->lines);
    sqlite3_bind_int64(s, 8, imp->loaded);
    sqlite3_bind_int64(s, 9, imp->bad);
    store__bind_text_or_null(s, 10, imp->detail);
    int rc = step_done(st, s, "hotlist_imports", err);
    if (!rc && id) *id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

static const char SQL_IMPORT_LAST[] =
    "SELECT coalesce(max(started_at), 0) FROM hotlist_imports WHERE hotlist_id = ?";
static const char SQL_IMPORTS[] =
    "SELECT id, hotlist_id, started_at, finished_at, file, by, outcome, lines, loaded, bad,"
    " detail FROM hotlist_imports WHERE hotlist_id = ? ORDER BY id DESC LIMIT ?";

int64_t store_hotlist_last_import(store *st, int64_t hotlist_id) {
    sqlite3_stmt *s = store__stmt(st, SQL_IMPORT_LAST, NULL);
    if (!s) return 0;
    sqlite3_bind_int64(s, 1, hotlist_id);
    int64_t t = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return t;
}

int store_hotlist_imports_each(store *st, int64_t hotlist_id, int limit,
                               int (*fn)(void *ctx, const store_hotlist_import *imp), void *ctx,
                               pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_IMPORTS, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, hotlist_id);
    sqlite3_bind_int(s, 2, limit > 0 ? limit : -1);
    int r, rc = 0;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        store_hotlist_import imp = {
            .id = sqlite3_column_int64(s, 0),
            .hotlist_id = sqlite3_column_int64(s, 1),
            .started_at = sqlite3_column_int64(s, 2),
            .finished_at = sqlite3_column_int64(s, 3),
            .file = (const char *)sqlite3_column_text(s, 4),
            .by = (const char *)sqlite3_column_text(s, 5),
            .outcome = (const char *)sqlite3_column_text(s, 6),
            .lines = sqlite3_column_int64(s, 7),
            .loaded = sqlite3_column_int64(s, 8),
            .bad = sqlite3_column_int64(s, 9),
            .detail = (const char *)sqlite3_column_text(s, 10),
        };
        if ((rc = fn(ctx, &imp))) break;
    }
    sqlite3_reset(s);
    if (!rc && r != SQLITE_DONE) return store__dberr(st, err, "hotlist_imports");
    return rc;
}

/* ---- alerts ---- */

int store_alert_add(store *st, store_alert *a, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_ALERT_ADD, err);
    if (!s) return PK_EDB;
    if (!a->created_at) a->created_at = pk_now_ms();
    sqlite3_bind_int64(s, 1, a->read_id);
    sqlite3_bind_int64(s, 2, a->entry_id);
    sqlite3_bind_int64(s, 3, a->hotlist_id);
    sqlite3_bind_text(s, 4, a->match, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 5, a->state_mismatch != 0);
    sqlite3_bind_int(s, 6, a->covert != 0);
    sqlite3_bind_int(s, 7, a->priority);
    sqlite3_bind_text(s, 8, a->read_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, a->entry_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 10, a->status[0] ? a->status : "unverified", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 11, a->note, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 12, a->created_at);
    int rc = step_done(st, s, "alerts", err);
    if (rc) return rc;
    if (sqlite3_changes(st->db) == 0)
        return pk_err_set(err, PK_EEXIST, "read %lld already hit entry %lld",
                          (long long)a->read_id, (long long)a->entry_id);
    a->id = sqlite3_last_insert_rowid(st->db);
    return PK_OK;
}

void store_alert_filter_init(store_alert_filter *f) {
    memset(f, 0, sizeof *f);
    f->covert = -1;
}

#define ALERT_COLS                                                                            \
    "id, read_id, entry_id, hotlist_id, match, state_mismatch, covert, priority, read_json,"   \
    " entry_json, status, note, created_at, acknowledged_at, acknowledged_by, verified_at,"   \
    " verified_by"
static const char SQL_ALERTS_AFTER[] =
    "SELECT " ALERT_COLS " FROM alerts WHERE id > ? ORDER BY id LIMIT ?";
static const char SQL_ALERTS_MAX[] = "SELECT coalesce(max(id), 0) FROM alerts";

/* Fills a from a row laid out as ALERT_COLS; strings point into the statement's row. */
static void row_to_alert(sqlite3_stmt *s, store_alert *a) {
    memset(a, 0, sizeof *a);
    a->id = sqlite3_column_int64(s, 0);
    a->read_id = sqlite3_column_int64(s, 1);
    a->entry_id = sqlite3_column_int64(s, 2);
    a->hotlist_id = sqlite3_column_int64(s, 3);
    store__col_text(s, 4, a->match, sizeof a->match);
    a->state_mismatch = sqlite3_column_int(s, 5);
    a->covert = sqlite3_column_int(s, 6);
    a->priority = sqlite3_column_int(s, 7);
    a->read_json = (const char *)sqlite3_column_text(s, 8);
    a->entry_json = (const char *)sqlite3_column_text(s, 9);
    store__col_text(s, 10, a->status, sizeof a->status);
    store__col_text(s, 11, a->note, sizeof a->note);
    a->created_at = sqlite3_column_int64(s, 12);
    a->acknowledged_at = sqlite3_column_int64(s, 13);
    store__col_text(s, 14, a->acknowledged_by, sizeof a->acknowledged_by);
    a->verified_at = sqlite3_column_int64(s, 15);
    store__col_text(s, 16, a->verified_by, sizeof a->verified_by);
}

int store_alerts_after(store *st, int64_t after_id, int limit,
                       int (*fn)(void *ctx, const store_alert *a), void *ctx, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_ALERTS_AFTER, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, after_id);
    sqlite3_bind_int(s, 2, limit > 0 ? limit : -1);
    int r, rc = 0;
    store_alert a;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        row_to_alert(s, &a);
        if ((rc = fn(ctx, &a))) break;
    }
    sqlite3_reset(s);
    if (!rc && r != SQLITE_DONE) return store__dberr(st, err, "alerts");
    return rc;
}

int64_t store_alerts_max_id(store *st) {
    sqlite3_stmt *s = store__stmt(st, SQL_ALERTS_MAX, NULL);
    if (!s) return 0;
    int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return n;
}

/* An operator may see a read only through an alert delivered to them: any alert on a list that
 * is not covert, or on a covert list they own (DESIGN.md §6). Uses the (read_id, entry_id) key. */
static const char SQL_READ_ALERT_VISIBLE[] =
    "SELECT 1 FROM alerts a WHERE a.read_id = ?1 AND (a.covert = 0 OR EXISTS ("
    "SELECT 1 FROM hotlist_owners o WHERE o.hotlist_id = a.hotlist_id AND o.username = ?2))"
    " LIMIT 1";

int store_read_alert_visible(store *st, int64_t read_id, const char *username, int *visible,
                             pk_err *err) {
    *visible = 0;
    sqlite3_stmt *s = store__stmt(st, SQL_READ_ALERT_VISIBLE, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, read_id);
    sqlite3_bind_text(s, 2, username ? username : "", -1, SQLITE_STATIC);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) *visible = 1;
    sqlite3_reset(s);
    if (r != SQLITE_ROW && r != SQLITE_DONE) return store__dberr(st, err, "alerts");
    return PK_OK;
}

int store_alerts_each(store *st, const store_alert_filter *f,
                      int (*fn)(void *ctx, const store_alert *a), void *ctx, pk_err *err) {
    /* Built per call from fixed fragments only; every value is a bound parameter. */
    char sql[1024];
    int n = snprintf(sql, sizeof sql,
                     "SELECT " ALERT_COLS " FROM alerts"
                     " WHERE (?1 = 0 OR id = ?1) AND (?2 = 0 OR hotlist_id = ?2)"
                     " AND (?3 IS NULL OR status = ?3) AND (?4 = 0 OR created_at >= ?4)"
                     " AND (?5 = 0 OR created_at <= ?5) AND (?6 = 0 OR id < ?6)"
                     " AND (?7 < 0 OR covert = ?7)");
    if (!f->all_covert) {
        n += snprintf(sql + n, sizeof sql - (size_t)n,
                      " AND (covert = 0 OR hotlist_id IN (SELECT value FROM json_each(?8)))");
    }
    snprintf(sql + n, sizeof sql - (size_t)n, " ORDER BY id DESC LIMIT ?9");
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store__dberr(st, err, "alerts");
    sqlite3_bind_int64(s, 1, f->id);
    sqlite3_bind_int64(s, 2, f->hotlist_id);
    if (f->status) sqlite3_bind_text(s, 3, f->status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, f->since);
    sqlite3_bind_int64(s, 5, f->until);
    sqlite3_bind_int64(s, 6, f->after_id);
    sqlite3_bind_int(s, 7, f->covert);
    char ids[4096] = "[";
    size_t m = 1;
    for (size_t i = 0; i < f->n_covert_visible && m + 24 < sizeof ids; i++)
        m += (size_t)snprintf(ids + m, sizeof ids - m, "%s%lld", i ? "," : "",
                              (long long)f->covert_visible[i]);
    snprintf(ids + m, sizeof ids - m, "]");
    sqlite3_bind_text(s, 8, ids, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 9, f->limit > 0 ? f->limit : -1);
    int r, rc = 0;
    store_alert a;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        row_to_alert(s, &a);
        if ((rc = fn(ctx, &a))) break;
    }
    if (!rc && r != SQLITE_DONE) rc = store__dberr(st, err, "alerts");
    sqlite3_finalize(s);
    return rc;
}

int store_alert_verify(store *st, int64_t id, const char *status, const char *note,
                       const char *by, int64_t at, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_ALERT_VERIFY, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, note ? note : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, at);
    sqlite3_bind_int64(s, 6, id);
    int rc = step_done(st, s, "alerts", err);
    if (rc) return rc;
    if (sqlite3_changes(st->db) == 1) return PK_OK;
    s = store__stmt(st, SQL_ALERT_STATUS, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_reset(s);
        return pk_err_set(err, PK_ENOTFOUND, "no alert with id %lld", (long long)id);
    }
    char was[20], who[64], when[PK_TIME_STR_MAX];
    store__col_text(s, 0, was, sizeof was);
    store__col_text(s, 1, who, sizeof who);
    pk_time_format(sqlite3_column_int64(s, 2), when);
    sqlite3_reset(s);
    return pk_err_set(err, PK_ECONFLICT, "alert %lld was already verified as %s by %s at %s",
                      (long long)id, was, who, when);
}

int store_alert_ack(store *st, int64_t id, const char *by, int64_t at, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_ALERT_EXISTS, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, id);
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    if (r != SQLITE_ROW) return pk_err_set(err, PK_ENOTFOUND, "no alert with id %lld", (long long)id);
    s = store__stmt(st, SQL_ALERT_ACK, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, at);
    sqlite3_bind_text(s, 2, by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, id);
    return step_done(st, s, "alerts", err);
}

int store_alerts_purge(store *st, int64_t now, int64_t *n, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_ALERTS_PURGE, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, now);
    int rc = step_done(st, s, "alerts", err);
    if (!rc && n) *n = sqlite3_changes(st->db);
    return rc;
}
