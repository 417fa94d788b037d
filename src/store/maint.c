/* Maintenance checks on the database: integrity, and finding a read by its identity. */
#include "store/store_int.h"

#include <string.h>

static const char SQL_READ_FIND[] = "SELECT id FROM reads WHERE ts = ? AND uuid = ?";

int store_integrity_check(store *st, pk_err *err) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK)
        return store__dberr(st, err, "integrity check");
    int r = sqlite3_step(s);
    int rc = PK_OK;
    if (r == SQLITE_ROW) {
        const char *msg = (const char *)sqlite3_column_text(s, 0);
        if (!msg || strcmp(msg, "ok") != 0)
            rc = pk_err_set(err, PK_ECORRUPT, "integrity check: %s", msg ? msg : "no answer");
    } else {
        rc = store__dberr(st, err, "integrity check");
    }
    sqlite3_finalize(s);
    return rc;
}

int store_read_find(store *st, const unsigned char uuid[16], int64_t ts, int64_t *id, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_READ_FIND, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, ts);
    sqlite3_bind_blob(s, 2, uuid, 16, SQLITE_STATIC);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
        return PK_OK;
    }
    sqlite3_reset(s);
    if (r == SQLITE_DONE) return pk_err_set(err, PK_ENOTFOUND, "no such read");
    return store__dberr(st, err, "reads");
}
