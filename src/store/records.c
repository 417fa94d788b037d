/* Holds, exports and data-sharing requests in SQLite (the purge is in records_purge.c). */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- holds ---- */

static const char SQL_HOLD_ADD[] =
    "INSERT INTO holds(case_no, reason, contact, status, query, opened_by, opened_at, review_at)"
    " VALUES (?,?,?,?,?,?,?,?)";
static const char SQL_HOLD_ITEM_ADD[] =
    "INSERT INTO hold_items(hold_id, read_id) VALUES (?, ?) ON CONFLICT DO NOTHING";
#define HOLD_COLS                                                                           \
    "h.id, h.case_no, h.reason, h.contact, h.status, h.query, h.opened_by, h.opened_at,"   \
    " h.review_at, h.approved_by, h.approved_at, h.released_by, h.released_at,"            \
    " h.release_reason, (SELECT count(*) FROM hold_items i WHERE i.hold_id = h.id)"
static const char SQL_HOLD_GET[] = "SELECT " HOLD_COLS " FROM holds h WHERE h.id = ?";
static const char SQL_HOLDS_ALL[] = "SELECT " HOLD_COLS " FROM holds h ORDER BY h.id DESC";
static const char SQL_HOLDS_STATUS[] =
    "SELECT " HOLD_COLS " FROM holds h WHERE h.status = ? ORDER BY h.id DESC";
static const char SQL_HOLDS_OVERDUE[] =
    "SELECT " HOLD_COLS " FROM holds h WHERE h.status = 'approved' AND h.review_at < ?"
    " ORDER BY h.review_at, h.id";
static const char SQL_HOLD_APPROVE[] =
    "UPDATE holds SET status = 'approved', approved_by = ?, approved_at = ?"
    " WHERE id = ? AND status = 'pending'";
static const char SQL_HOLD_RELEASE[] =
    "UPDATE holds SET status = 'released', released_by = ?, released_at = ?, release_reason = ?"
    " WHERE id = ? AND status IN ('pending', 'approved')";
static const char SQL_HOLD_ITEMS[] =
    "SELECT read_id FROM hold_items WHERE hold_id = ? ORDER BY read_id";
static const char SQL_READ_EXISTS[] = "SELECT 1 FROM reads WHERE id = ?";
static const char SQL_PLATE_ID[] = "SELECT id FROM plates WHERE text = ?";

int store_hold_add(store *st, const store_hold *h, const int64_t *read_ids, size_t n, int64_t *id,
                   pk_err *err) {
    int started, rc = store__autotx_begin(st, &started, err);
    if (rc) return rc;
    sqlite3_stmt *s = store__stmt(st, SQL_HOLD_ADD, err);
    if (!s) return store__autotx_end(st, started, PK_EDB, err);
    sqlite3_bind_text(s, 1, h->case_no, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, h->reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, h->contact, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, h->status[0] ? h->status : "pending", -1, SQLITE_STATIC);
    store__bind_text_or_null(s, 5, h->query);
    sqlite3_bind_text(s, 6, h->opened_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, h->opened_at);
    sqlite3_bind_int64(s, 8, h->review_at);
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    if (r != SQLITE_DONE) return store__autotx_end(st, started, store__dberr(st, err, "holds"), err);
    int64_t hid = sqlite3_last_insert_rowid(st->db);
    for (size_t i = 0; i < n && !rc; i++) {
        s = store__stmt(st, SQL_HOLD_ITEM_ADD, err);
        if (!s) {
            rc = PK_EDB;
            break;
        }
        sqlite3_bind_int64(s, 1, hid);
        sqlite3_bind_int64(s, 2, read_ids[i]);
        r = sqlite3_step(s);
        sqlite3_reset(s);
        if (r != SQLITE_DONE) rc = store__dberr(st, err, "hold_items");
    }
    rc = store__autotx_end(st, started, rc, err);
    if (!rc && id) *id = hid;
    return rc;
}

static void row_to_hold(sqlite3_stmt *s, store_hold *h) {
    memset(h, 0, sizeof *h);
    h->id = sqlite3_column_int64(s, 0);
    store__col_text(s, 1, h->case_no, sizeof h->case_no);
    store__col_text(s, 2, h->reason, sizeof h->reason);
    store__col_text(s, 3, h->contact, sizeof h->contact);
    store__col_text(s, 4, h->status, sizeof h->status);
    h->query = (char *)sqlite3_column_text(s, 5);
    store__col_text(s, 6, h->opened_by, sizeof h->opened_by);
    h->opened_at = sqlite3_column_int64(s, 7);
    h->review_at = sqlite3_column_int64(s, 8);
    store__col_text(s, 9, h->approved_by, sizeof h->approved_by);
    h->approved_at = sqlite3_column_int64(s, 10);
    store__col_text(s, 11, h->released_by, sizeof h->released_by);
    h->released_at = sqlite3_column_int64(s, 12);
    store__col_text(s, 13, h->release_reason, sizeof h->release_reason);
    h->n_reads = sqlite3_column_int64(s, 14);
}

int store_hold_get(store *st, int64_t id, store_hold *h, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_HOLD_GET, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, id);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        row_to_hold(s, h);
        h->query = h->query ? pk_xstrdup(h->query) : NULL;
        sqlite3_reset(s);
        return PK_OK;
    }
    sqlite3_reset(s);
    if (r == SQLITE_DONE) return pk_err_set(err, PK_ENOTFOUND, "hold: no hold with id %lld", (long long)id);
    return store__dberr(st, err, "holds");
}

void store_hold_fini(store_hold *h) {
    free(h->query);
    h->query = NULL;
}

/* After an UPDATE that matched nothing: why (unknown id, or the status it is in). */
static int hold_state_err(store *st, int64_t id, const char *want, pk_err *err) {
    store_hold h;
    int rc = store_hold_get(st, id, &h, err);
    if (rc) return rc;
    store_hold_fini(&h);
    return pk_err_set(err, PK_ECONFLICT, "hold %lld is %s, not %s", (long long)id, h.status, want);
}

int store_hold_approve(store *st, int64_t id, const char *by, int64_t at, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_HOLD_APPROVE, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, at);
    sqlite3_bind_int64(s, 3, id);
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    if (r != SQLITE_DONE) return store__dberr(st, err, "holds");
    return sqlite3_changes(st->db) ? PK_OK : hold_state_err(st, id, "pending", err);
}

int store_hold_release(store *st, int64_t id, const char *by, int64_t at, const char *reason,
                       pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_HOLD_RELEASE, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, at);
    store__bind_text_or_null(s, 3, reason);
    sqlite3_bind_int64(s, 4, id);
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    if (r != SQLITE_DONE) return store__dberr(st, err, "holds");
    return sqlite3_changes(st->db) ? PK_OK : hold_state_err(st, id, "pending or approved", err);
}

int store_holds_each(store *st, const char *status, int64_t overdue_at,
                     int (*fn)(void *ctx, const store_hold *h), void *ctx, pk_err *err) {
    const char *sql = overdue_at ? SQL_HOLDS_OVERDUE : status ? SQL_HOLDS_STATUS : SQL_HOLDS_ALL;
    sqlite3_stmt *s = NULL;
    /* Not cached: fn may call other store functions that use the cached statements, and a
     * walk must not be reset under its feet by a nested call of itself. */
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store__dberr(st, err, "holds");
    if (overdue_at)
        sqlite3_bind_int64(s, 1, overdue_at);
    else if (status)
        sqlite3_bind_text(s, 1, status, -1, SQLITE_STATIC);
    int r, rc = 0;
    store_hold h;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        row_to_hold(s, &h);
        if ((rc = fn(ctx, &h))) break;
    }
    if (!rc && r != SQLITE_DONE) rc = store__dberr(st, err, "holds");
    sqlite3_finalize(s);
    return rc;
}

int store_hold_items_each(store *st, int64_t hold_id, int (*fn)(void *ctx, int64_t read_id),
                          void *ctx, pk_err *err) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, SQL_HOLD_ITEMS, -1, &s, NULL) != SQLITE_OK)
        return store__dberr(st, err, "hold_items");
    sqlite3_bind_int64(s, 1, hold_id);
    int r, rc = 0;
    while ((r = sqlite3_step(s)) == SQLITE_ROW)
        if ((rc = fn(ctx, sqlite3_column_int64(s, 0)))) break;
    if (!rc && r != SQLITE_DONE) rc = store__dberr(st, err, "hold_items");
    sqlite3_finalize(s);
    return rc;
}

int store_records_read_exists(store *st, int64_t read_id, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_READ_EXISTS, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, read_id);
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    if (r == SQLITE_ROW) return 1;
    if (r == SQLITE_DONE) return 0;
    return store__dberr(st, err, "reads");
}

int store_records_plate_find(store *st, const char *text, int64_t *id, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_PLATE_ID, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) *id = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (r == SQLITE_ROW) return PK_OK;
    if (r == SQLITE_DONE) return pk_err_set(err, PK_ENOTFOUND, "plate %s: never read", text);
    return store__dberr(st, err, "plates");
}

/* ---- exports ---- */

static const char SQL_EXPORT_ADD[] =
    "INSERT INTO exports(kind, hold_id, request_id, case_no, exported_by, exported_at, path,"
    " manifest_sha256, reads, images) VALUES (?,?,?,?,?,?,?,?,?,?)";
#define EXPORT_COLS                                                                         \
    "SELECT id, kind, hold_id, request_id, case_no, exported_by, exported_at, path,"         \
    " manifest_sha256, reads, images FROM exports"
static const char SQL_EXPORT_BY_MANIFEST[] =
    EXPORT_COLS " WHERE manifest_sha256 = ? ORDER BY id LIMIT 1";
static const char SQL_EXPORT_BY_ID[] = EXPORT_COLS " WHERE id = ?";

static void bind_id_or_null(sqlite3_stmt *s, int idx, int64_t v) {
    if (v)
        sqlite3_bind_int64(s, idx, v);
    else
        sqlite3_bind_null(s, idx);
}

int store_export_add(store *st, const store_export *e, int64_t *id, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_EXPORT_ADD, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, e->kind, -1, SQLITE_STATIC);
    bind_id_or_null(s, 2, e->hold_id);
    bind_id_or_null(s, 3, e->request_id);
    sqlite3_bind_text(s, 4, e->case_no, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, e->exported_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, e->exported_at);
    sqlite3_bind_text(s, 7, e->path, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, e->manifest_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 9, e->reads);
    sqlite3_bind_int64(s, 10, e->images);
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    if (r != SQLITE_DONE) return store__dberr(st, err, "exports");
    if (id) *id = sqlite3_last_insert_rowid(st->db);
    return PK_OK;
}

static int export_one(store *st, sqlite3_stmt *s, store_export *e, pk_err *err) {
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        memset(e, 0, sizeof *e);
        e->id = sqlite3_column_int64(s, 0);
        store__col_text(s, 1, e->kind, sizeof e->kind);
        e->hold_id = sqlite3_column_int64(s, 2);
        e->request_id = sqlite3_column_int64(s, 3);
        store__col_text(s, 4, e->case_no, sizeof e->case_no);
        store__col_text(s, 5, e->exported_by, sizeof e->exported_by);
        e->exported_at = sqlite3_column_int64(s, 6);
        store__col_text(s, 7, e->path, sizeof e->path);
        store__col_text(s, 8, e->manifest_sha256, sizeof e->manifest_sha256);
        e->reads = sqlite3_column_int64(s, 9);
        e->images = sqlite3_column_int64(s, 10);
    }
    sqlite3_reset(s);
    if (r == SQLITE_ROW) return PK_OK;
    if (r == SQLITE_DONE) return pk_err_set(err, PK_ENOTFOUND, "export: not found");
    return store__dberr(st, err, "exports");
}

int store_export_find_manifest(store *st, const char *sha_hex, store_export *e, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_EXPORT_BY_MANIFEST, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, sha_hex, -1, SQLITE_STATIC);
    return export_one(st, s, e, err);
}

int store_export_get(store *st, int64_t id, store_export *e, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_EXPORT_BY_ID, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, id);
    return export_one(st, s, e, err);
}

/* ---- data-sharing requests ---- */

static const char SQL_REQ_ADD[] =
    "INSERT INTO sharing_requests(agency, agency_type, state, requester, contact, purpose,"
    " case_no, scope_plates, scope_from, scope_to, scope_lat, scope_lon, scope_radius_m,"
    " document, document_sha256, status, reason, received_by, received_at, decided_by,"
    " decided_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
#define REQ_COLS                                                                          \
    "id, agency, agency_type, state, requester, contact, purpose, case_no, scope_plates,"  \
    " scope_from, scope_to, scope_lat, scope_lon, scope_radius_m, document_sha256, status," \
    " reason, received_by, received_at, decided_by, decided_at, approval_expires,"        \
    " fulfilled_by, fulfilled_at, export_id"
static const char SQL_REQ_GET[] = "SELECT " REQ_COLS ", document FROM sharing_requests WHERE id = ?";
static const char SQL_REQ_ALL[] = "SELECT " REQ_COLS " FROM sharing_requests ORDER BY id DESC";
static const char SQL_REQ_STATUS[] =
    "SELECT " REQ_COLS " FROM sharing_requests WHERE status = ? ORDER BY id DESC";
static const char SQL_REQ_RELEASED[] =
    "SELECT " REQ_COLS " FROM sharing_requests WHERE status = 'fulfilled' ORDER BY agency, id";
static const char SQL_REQ_DECIDE[] =
    "UPDATE sharing_requests SET status = ?, reason = ?, decided_by = ?, decided_at = ?,"
    " approval_expires = ? WHERE id = ? AND status = 'pending'";
static const char SQL_REQ_FULFILLED[] =
    "UPDATE sharing_requests SET status = 'fulfilled', fulfilled_by = ?, fulfilled_at = ?,"
    " export_id = ? WHERE id = ? AND status = 'approved'";

int store_request_add(store *st, const store_request *r, int64_t *id, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_REQ_ADD, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, r->agency, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, r->agency_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, r->state, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, r->requester, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, r->contact, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, r->purpose, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, r->case_no, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, r->scope_plates ? r->scope_plates : "[]", -1, SQLITE_STATIC);
    if (r->has_from) sqlite3_bind_int64(s, 9, r->scope_from);
    if (r->has_to) sqlite3_bind_int64(s, 10, r->scope_to);
    if (r->has_near) {
        sqlite3_bind_double(s, 11, r->scope_lat);
        sqlite3_bind_double(s, 12, r->scope_lon);
        sqlite3_bind_double(s, 13, r->scope_radius_m);
    }
    if (r->document && r->document_len) {
        sqlite3_bind_blob64(s, 14, r->document, r->document_len, SQLITE_STATIC);
        sqlite3_bind_text(s, 15, r->document_sha256, -1, SQLITE_STATIC);
    }
    sqlite3_bind_text(s, 16, r->status, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 17, r->reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 18, r->received_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 19, r->received_at);
    store__bind_text_or_null(s, 20, r->decided_by);
    if (r->decided_at) sqlite3_bind_int64(s, 21, r->decided_at);
    int x = sqlite3_step(s);
    sqlite3_reset(s);
    if (x != SQLITE_DONE) return store__dberr(st, err, "sharing_requests");
    if (id) *id = sqlite3_last_insert_rowid(st->db);
    return PK_OK;
}

static void row_to_request(sqlite3_stmt *s, store_request *r) {
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(s, 0);
    store__col_text(s, 1, r->agency, sizeof r->agency);
    store__col_text(s, 2, r->agency_type, sizeof r->agency_type);
    store__col_text(s, 3, r->state, sizeof r->state);
    store__col_text(s, 4, r->requester, sizeof r->requester);
    store__col_text(s, 5, r->contact, sizeof r->contact);
    store__col_text(s, 6, r->purpose, sizeof r->purpose);
    store__col_text(s, 7, r->case_no, sizeof r->case_no);
    r->scope_plates = (char *)sqlite3_column_text(s, 8);
    r->has_from = sqlite3_column_type(s, 9) != SQLITE_NULL;
    r->scope_from = sqlite3_column_int64(s, 9);
    r->has_to = sqlite3_column_type(s, 10) != SQLITE_NULL;
    r->scope_to = sqlite3_column_int64(s, 10);
    r->has_near = sqlite3_column_type(s, 11) != SQLITE_NULL;
    r->scope_lat = sqlite3_column_double(s, 11);
    r->scope_lon = sqlite3_column_double(s, 12);
    r->scope_radius_m = sqlite3_column_double(s, 13);
    store__col_text(s, 14, r->document_sha256, sizeof r->document_sha256);
    store__col_text(s, 15, r->status, sizeof r->status);
    store__col_text(s, 16, r->reason, sizeof r->reason);
    store__col_text(s, 17, r->received_by, sizeof r->received_by);
    r->received_at = sqlite3_column_int64(s, 18);
    store__col_text(s, 19, r->decided_by, sizeof r->decided_by);
    r->decided_at = sqlite3_column_int64(s, 20);
    r->approval_expires = sqlite3_column_int64(s, 21);
    store__col_text(s, 22, r->fulfilled_by, sizeof r->fulfilled_by);
    r->fulfilled_at = sqlite3_column_int64(s, 23);
    r->export_id = sqlite3_column_int64(s, 24);
}

int store_request_get(store *st, int64_t id, store_request *r, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_REQ_GET, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, id);
    int x = sqlite3_step(s);
    if (x == SQLITE_ROW) {
        row_to_request(s, r);
        r->scope_plates = pk_xstrdup(r->scope_plates ? r->scope_plates : "[]");
        size_t n = (size_t)sqlite3_column_bytes(s, 25);
        if (n) {
            r->document = pk_xmalloc(n);
            memcpy(r->document, sqlite3_column_blob(s, 25), n);
            r->document_len = n;
        }
        sqlite3_reset(s);
        return PK_OK;
    }
    sqlite3_reset(s);
    if (x == SQLITE_DONE)
        return pk_err_set(err, PK_ENOTFOUND, "request: no request with id %lld", (long long)id);
    return store__dberr(st, err, "sharing_requests");
}

void store_request_fini(store_request *r) {
    free(r->scope_plates);
    free(r->document);
    r->scope_plates = NULL;
    r->document = NULL;
    r->document_len = 0;
}

static int request_state_err(store *st, int64_t id, const char *want, pk_err *err) {
    store_request r;
    int rc = store_request_get(st, id, &r, err);
    if (rc) return rc;
    store_request_fini(&r);
    return pk_err_set(err, PK_ECONFLICT, "request %lld is %s, not %s", (long long)id, r.status,
                      want);
}

int store_request_decide(store *st, int64_t id, const char *status, const char *reason,
                         const char *by, int64_t at, int64_t approval_expires, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_REQ_DECIDE, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, reason ? reason : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, at);
    if (approval_expires) sqlite3_bind_int64(s, 5, approval_expires);
    sqlite3_bind_int64(s, 6, id);
    int x = sqlite3_step(s);
    sqlite3_reset(s);
    if (x != SQLITE_DONE) return store__dberr(st, err, "sharing_requests");
    return sqlite3_changes(st->db) ? PK_OK : request_state_err(st, id, "pending", err);
}

int store_request_fulfilled(store *st, int64_t id, const char *by, int64_t at, int64_t export_id,
                            pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_REQ_FULFILLED, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, at);
    sqlite3_bind_int64(s, 3, export_id);
    sqlite3_bind_int64(s, 4, id);
    int x = sqlite3_step(s);
    sqlite3_reset(s);
    if (x != SQLITE_DONE) return store__dberr(st, err, "sharing_requests");
    return sqlite3_changes(st->db) ? PK_OK : request_state_err(st, id, "approved", err);
}

int store_requests_each(store *st, const char *status, int fulfilled_only,
                        int (*fn)(void *ctx, const store_request *r), void *ctx, pk_err *err) {
    const char *sql = fulfilled_only ? SQL_REQ_RELEASED : status ? SQL_REQ_STATUS : SQL_REQ_ALL;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store__dberr(st, err, "sharing_requests");
    if (!fulfilled_only && status) sqlite3_bind_text(s, 1, status, -1, SQLITE_STATIC);
    int x, rc = 0;
    store_request r;
    while ((x = sqlite3_step(s)) == SQLITE_ROW) {
        row_to_request(s, &r);
        if ((rc = fn(ctx, &r))) break;
    }
    if (!rc && x != SQLITE_DONE) rc = store__dberr(st, err, "sharing_requests");
    sqlite3_finalize(s);
    return rc;
}
