/* Aggregate counts for the transparency figures: one indexed count per figure. */
#include "store/store_int.h"

#include <string.h>

/* reads: (ts, uuid) index; alerts: counted by created_at (few rows: hits only); access_log:
 * access_log_ts index; sharing requests are few. */
static const char SQL_READS_IN[] = "SELECT count(*) FROM reads WHERE ts >= ?1 AND ts < ?2";
static const char SQL_HITS_IN[] =
    "SELECT count(*) FROM alerts WHERE created_at >= ?1 AND created_at < ?2";
static const char SQL_SEARCHES_IN[] =
    "SELECT count(*) FROM access_log WHERE ts >= ?1 AND ts < ?2"
    " AND action = 'search' AND outcome = 'ok'";
static const char SQL_REFUSED_IN[] =
    "SELECT count(*) FROM access_log WHERE ts >= ?1 AND ts < ?2 AND outcome = 'refused'";
static const char SQL_READS_ALL[] = "SELECT count(*) FROM reads WHERE ?1 = ?1 AND ?2 = ?2";
static const char SQL_SHARING[] =
    "SELECT"
    " coalesce(sum(status IN ('approved', 'fulfilled')), 0),"
    " coalesce(sum(status = 'denied'), 0),"
    " coalesce(sum(status IN ('approved', 'fulfilled') AND decided_at >= ?1 AND decided_at < ?2), 0),"
    " coalesce(sum(status = 'denied' AND decided_at >= ?1 AND decided_at < ?2), 0)"
    " FROM sharing_requests";

static int count(store *st, const char *sql, int64_t from, int64_t to, int64_t *out, int ncol,
                 pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, sql, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, from);
    sqlite3_bind_int64(s, 2, to);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW)
        for (int i = 0; i < ncol; i++) out[i] = sqlite3_column_int64(s, i);
    sqlite3_reset(s);
    if (r != SQLITE_ROW) return store__dberr(st, err, "stats");
    return PK_OK;
}

int store_stats_get(store *st, int64_t from, int64_t to, store_stats *out, pk_err *err) {
    memset(out, 0, sizeof *out);
    int64_t sh[4] = {0};
    int rc = count(st, SQL_READS_IN, from, to, &out->reads, 1, err);
    if (!rc) rc = count(st, SQL_HITS_IN, from, to, &out->hits, 1, err);
    if (!rc) rc = count(st, SQL_SEARCHES_IN, from, to, &out->searches, 1, err);
    if (!rc) rc = count(st, SQL_REFUSED_IN, from, to, &out->refused, 1, err);
    if (!rc) rc = count(st, SQL_READS_ALL, from, to, &out->reads_stored, 1, err);
    if (!rc) rc = count(st, SQL_SHARING, from, to, sh, 4, err);
    if (rc) return rc;
    out->sharing_granted = sh[0];
    out->sharing_refused = sh[1];
    out->sharing_granted_in = sh[2];
    out->sharing_refused_in = sh[3];
    return PK_OK;
}
