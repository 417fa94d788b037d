/* The access log and audit reviews in SQLite (rows only; the hash chain is src/audit's). */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

static const char SQL_LAST[] = "SELECT id, hash FROM access_log ORDER BY id DESC LIMIT 1";
static const char SQL_INSERT[] =
    "INSERT INTO access_log(id, ts, username, agency, action, query, purpose, case_no,"
    " result_count, client, outcome, detail, prev_hash, hash)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char SQL_SEQ[] = "SELECT seq FROM sqlite_sequence WHERE name = 'access_log'";
#define LOG_COLS                                                                               \
    "id, ts, username, agency, action, query, purpose, case_no, result_count, client,"         \
    " outcome, detail, prev_hash, hash"
#define LOG_WHERE                                                                              \
    " WHERE ts >= ?1 AND ts <= ?2 AND (?3 IS NULL OR username = ?3)"                           \
    " AND (?4 IS NULL OR action = ?4) AND (?5 IS NULL OR substr(action, 1, length(?5)) = ?5)" \
    " AND (?6 IS NULL OR outcome = ?6)"
static const char SQL_EACH_ASC[] =
    "SELECT " LOG_COLS " FROM access_log" LOG_WHERE " AND (?7 = 0 OR id > ?7) ORDER BY id LIMIT ?8";
static const char SQL_EACH_DESC[] = "SELECT " LOG_COLS " FROM access_log" LOG_WHERE
                                    " AND (?7 = 0 OR id < ?7) ORDER BY id DESC LIMIT ?8";
static const char SQL_GET[] = "SELECT " LOG_COLS " FROM access_log WHERE id = ?";
static const char SQL_BASE_GET[] = "SELECT first_id, prev_hash FROM access_log_base";
static const char SQL_BASE_SET[] =
    "INSERT INTO access_log_base(one, first_id, prev_hash, purged_at, purged_by)"
    " VALUES (1, ?, ?, ?, ?) ON CONFLICT(one) DO UPDATE SET first_id = excluded.first_id,"
    " prev_hash = excluded.prev_hash, purged_at = excluded.purged_at,"
    " purged_by = excluded.purged_by";
static const char SQL_PURGE_POINT[] =
    "SELECT coalesce((SELECT min(id) - 1 FROM access_log WHERE ts >= ?),"
    " (SELECT max(id) FROM access_log), 0)";
static const char SQL_DELETE_UPTO[] = "DELETE FROM access_log WHERE id <= ?";
static const char SQL_REVIEW_ADD[] =
    "INSERT INTO audit_reviews(entry_id, reviewer, finding, approved_by, reviewed_at)"
    " VALUES (?,?,?,?,?)";
static const char SQL_REVIEW_EACH[] =
    "SELECT id, entry_id, reviewer, finding, approved_by, reviewed_at FROM audit_reviews"
    " WHERE reviewed_at >= ? AND reviewed_at <= ? ORDER BY id";

void store_audit_filter_init(store_audit_filter *f) {
    memset(f, 0, sizeof *f);
    f->from = INT64_MIN;
    f->to = INT64_MAX;
}

int store_audit_last(store *st, int64_t *id, char *hash, pk_err *err) {
    *id = 0;
    hash[0] = '\0';
    sqlite3_stmt *s = store__stmt(st, SQL_LAST, err);
    if (!s) return PK_EDB;
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        store__col_text(s, 1, hash, STORE_HASH_HEX);
    }
    sqlite3_reset(s);
    if (r != SQLITE_ROW && r != SQLITE_DONE) return store__dberr(st, err, "access_log");
    return PK_OK;
}

static void bind_text(sqlite3_stmt *s, int idx, const char *t) {
    if (t)
        sqlite3_bind_text(s, idx, t, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, idx);
}

int store_audit_insert(store *st, const store_audit_row *row, pk_err *err) {
    PK_ASSERT(st->tx_depth > 0);
    sqlite3_stmt *s = store__stmt(st, SQL_INSERT, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, row->id);
    sqlite3_bind_int64(s, 2, row->ts);
    bind_text(s, 3, row->username);
    bind_text(s, 4, row->agency);
    bind_text(s, 5, row->action);
    bind_text(s, 6, row->query);
    bind_text(s, 7, row->purpose);
    bind_text(s, 8, row->case_no);
    sqlite3_bind_int64(s, 9, row->result_count);
    bind_text(s, 10, row->client);
    bind_text(s, 11, row->outcome);
    bind_text(s, 12, row->detail);
    bind_text(s, 13, row->prev_hash);
    bind_text(s, 14, row->hash);
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    return r == SQLITE_DONE ? PK_OK : store__dberr(st, err, "access_log insert");
}

int64_t store_audit_seq(store *st) {
    sqlite3_stmt *s = store__stmt(st, SQL_SEQ, NULL);
    if (!s) return 0;
    int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return v;
}

static const char *col(sqlite3_stmt *s, int i) {
    return (const char *)sqlite3_column_text(s, i);
}

static void row_from(sqlite3_stmt *s, store_audit_row *r) {
    r->id = sqlite3_column_int64(s, 0);
    r->ts = sqlite3_column_int64(s, 1);
    r->username = col(s, 2);
    r->agency = col(s, 3);
    r->action = col(s, 4);
    r->query = col(s, 5);
    r->purpose = col(s, 6);
    r->case_no = col(s, 7);
    r->result_count = sqlite3_column_int64(s, 8);
    r->client = col(s, 9);
    r->outcome = col(s, 10);
    r->detail = col(s, 11);
    r->prev_hash = col(s, 12);
    r->hash = col(s, 13);
}

/* Steps s to the end, calling fn per row. The statement may be re-entered by fn (a nested
 * store call of the same SQL would reset it), so callers must not do that. */
static int walk(store *st, sqlite3_stmt *s, int (*fn)(void *, const store_audit_row *), void *ctx,
                pk_err *err) {
    int r, rc = PK_OK;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        store_audit_row row;
        row_from(s, &row);
        if ((rc = fn(ctx, &row)) != 0) break;
    }
    if (rc == 0 && r != SQLITE_DONE) rc = store__dberr(st, err, "access_log");
    sqlite3_reset(s);
    return rc;
}

int store_audit_each(store *st, const store_audit_filter *f,
                     int (*fn)(void *ctx, const store_audit_row *r), void *ctx, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, f->newest_first ? SQL_EACH_DESC : SQL_EACH_ASC, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, f->from);
    sqlite3_bind_int64(s, 2, f->to);
    bind_text(s, 3, f->username);
    const char *a = f->action;
    size_t alen = a ? strlen(a) : 0;
    if (a && alen > 0 && a[alen - 1] == '*') {
        sqlite3_bind_null(s, 4);
        sqlite3_bind_text(s, 5, a, (int)alen - 1, SQLITE_STATIC);
    } else {
        bind_text(s, 4, a);
        sqlite3_bind_null(s, 5);
    }
    bind_text(s, 6, f->outcome);
    sqlite3_bind_int64(s, 7, f->after_id);
    sqlite3_bind_int64(s, 8, f->limit > 0 ? f->limit : -1);
    return walk(st, s, fn, ctx, err);
}

int store_audit_get(store *st, int64_t id, int (*fn)(void *ctx, const store_audit_row *r),
                    void *ctx, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_GET, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, id);
    int r = sqlite3_step(s);
    if (r != SQLITE_ROW) {
        sqlite3_reset(s);
        if (r == SQLITE_DONE)
            return pk_err_set(err, PK_ENOTFOUND, "no access-log entry %lld", (long long)id);
        return store__dberr(st, err, "access_log");
    }
    store_audit_row row;
    row_from(s, &row);
    int rc = fn(ctx, &row);
    sqlite3_reset(s);
    return rc;
}

int store_audit_base_get(store *st, int64_t *first_id, char *prev_hash, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_BASE_GET, err);
    if (!s) return PK_EDB;
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        *first_id = sqlite3_column_int64(s, 0);
        store__col_text(s, 1, prev_hash, STORE_HASH_HEX);
    }
    sqlite3_reset(s);
    if (r == SQLITE_ROW) return PK_OK;
    if (r == SQLITE_DONE) return pk_err_set(err, PK_ENOTFOUND, "the access log was never purged");
    return store__dberr(st, err, "access_log_base");
}

int store_audit_base_set(store *st, int64_t first_id, const char *prev_hash, int64_t at,
                         const char *by, pk_err *err) {
    PK_ASSERT(st->tx_depth > 0);
    sqlite3_stmt *s = store__stmt(st, SQL_BASE_SET, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, first_id);
    sqlite3_bind_text(s, 2, prev_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, at);
    sqlite3_bind_text(s, 4, by, -1, SQLITE_STATIC);
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    return r == SQLITE_DONE ? PK_OK : store__dberr(st, err, "access_log_base");
}

int store_audit_purge_point(store *st, int64_t cutoff, int64_t *id, pk_err *err) {
    *id = 0;
    sqlite3_stmt *s = store__stmt(st, SQL_PURGE_POINT, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, cutoff);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) *id = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return r == SQLITE_ROW ? PK_OK : store__dberr(st, err, "access_log");
}

int store_audit_delete_upto(store *st, int64_t upto, int64_t *n, pk_err *err) {
    PK_ASSERT(st->tx_depth > 0);
    sqlite3_stmt *s = store__stmt(st, SQL_DELETE_UPTO, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, upto);
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    if (r != SQLITE_DONE) return store__dberr(st, err, "access_log purge");
    if (n) *n = sqlite3_changes(st->db);
    return PK_OK;
}

int store_review_add(store *st, const store_review *rv, int64_t *id, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_REVIEW_ADD, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, rv->entry_id);
    bind_text(s, 2, rv->reviewer);
    bind_text(s, 3, rv->finding);
    bind_text(s, 4, rv->approved_by);
    sqlite3_bind_int64(s, 5, rv->reviewed_at);
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    if (r != SQLITE_DONE) return store__dberr(st, err, "audit_reviews");
    if (id) *id = sqlite3_last_insert_rowid(st->db);
    return PK_OK;
}

int store_review_each(store *st, int64_t from, int64_t to,
                      int (*fn)(void *ctx, const store_review *r), void *ctx, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_REVIEW_EACH, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, from);
    sqlite3_bind_int64(s, 2, to);
    int r, rc = PK_OK;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        store_review rv = {
            .id = sqlite3_column_int64(s, 0),
            .entry_id = sqlite3_column_int64(s, 1),
            .reviewer = col(s, 2),
            .finding = col(s, 3),
            .approved_by = col(s, 4),
            .reviewed_at = sqlite3_column_int64(s, 5),
        };
        if ((rc = fn(ctx, &rv)) != 0) break;
    }
    if (rc == 0 && r != SQLITE_DONE) rc = store__dberr(st, err, "audit_reviews");
    sqlite3_reset(s);
    return rc;
}
