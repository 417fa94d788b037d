/* The SQLite connection: open, migrations, transactions, the statement cache, settings. */
#include "store/store_int.h"

#include "core/pktime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store__dberr(store *st, pk_err *err, const char *what) {
    int ec = sqlite3_extended_errcode(st->db);
    int code = (ec & 0xff) == SQLITE_BUSY || (ec & 0xff) == SQLITE_LOCKED ? PK_EBUSY : PK_EDB;
    return pk_err_set(err, code, "%s: %s", what, sqlite3_errmsg(st->db));
}

sqlite3_stmt *store__stmt(store *st, const char *sql, pk_err *err) {
    for (int i = 0; i < st->n_cache; i++) {
        if (st->cache[i].sql == sql) {
            sqlite3_stmt *s = st->cache[i].stmt;
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
            return s;
        }
    }
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
        store__dberr(st, err, "prepare");
        return NULL;
    }
    if (st->n_cache < STORE__STMT_CACHE) {
        st->cache[st->n_cache].sql = sql;
        st->cache[st->n_cache].stmt = s;
        st->n_cache++;
        return s;
    }
    PK_ASSERT(!"statement cache full: raise STORE__STMT_CACHE");
}

int store__bind_text_or_null(sqlite3_stmt *s, int idx, const char *text) {
    if (!text || !*text) return sqlite3_bind_null(s, idx);
    return sqlite3_bind_text(s, idx, text, -1, SQLITE_STATIC);
}

void store__col_text(sqlite3_stmt *s, int col, char *buf, size_t n) {
    const unsigned char *t = sqlite3_column_text(s, col);
    snprintf(buf, n, "%s", t ? (const char *)t : "");
}

static int exec(store *st, const char *sql, pk_err *err) {
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = pk_err_set(err, PK_EDB, "%s", msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        return rc;
    }
    return PK_OK;
}

int store_begin(store *st, pk_err *err) {
    if (st->tx_depth++ > 0) return PK_OK;
    int rc = exec(st, "BEGIN IMMEDIATE", err);
    if (rc) st->tx_depth = 0;
    return rc;
}

int store_commit(store *st, pk_err *err) {
    PK_ASSERT(st->tx_depth > 0);
    if (--st->tx_depth > 0) return PK_OK;
    int rc = exec(st, "COMMIT", err);
    if (rc) {
        exec(st, "ROLLBACK", NULL);
    }
    return rc;
}

void store_rollback(store *st) {
    if (st->tx_depth == 0) return;
    st->tx_depth = 0;
    exec(st, "ROLLBACK", NULL);
    store__plate_cache_reset(st, 0);
}

int store__autotx_begin(store *st, int *started, pk_err *err) {
    *started = st->tx_depth == 0;
    return *started ? store_begin(st, err) : PK_OK;
}

int store__autotx_end(store *st, int started, int rc, pk_err *err) {
    if (!started) return rc;
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st, err);
}

/* A migration's number is the leading digits of its file name; each is applied once, in order,
 * and recorded, so a migration added later with a lower number than one applied still runs. */
static int migrate(store *st, pk_err *err) {
    int rc = exec(st,
                  "CREATE TABLE IF NOT EXISTS schema_migrations ("
                  "  number INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
                  err);
    if (rc) return rc;
    for (int i = 0; i < store__migration_count; i++) {
        int number = store__migration_numbers[i];
        sqlite3_stmt *q = NULL;
        sqlite3_prepare_v2(st->db, "SELECT 1 FROM schema_migrations WHERE number = ?", -1, &q,
                           NULL);
        sqlite3_bind_int(q, 1, number);
        int have = sqlite3_step(q) == SQLITE_ROW;
        sqlite3_finalize(q);
        if (have) continue;
        if ((rc = store_begin(st, err))) return rc;
        rc = exec(st, store__migrations[i], err);
        if (!rc) {
            char sql[160];
            snprintf(sql, sizeof sql,
                     "INSERT INTO schema_migrations VALUES (%d, %lld); PRAGMA user_version = %d",
                     number, (long long)pk_now_ms(), number);
            rc = exec(st, sql, err);
        }
        if (rc) {
            store_rollback(st);
            return pk_err_prefix(err, "migration %d: ", number);
        }
        if ((rc = store_commit(st, err))) return rc;
    }
    return PK_OK;
}

int store_open(const char *path, int flags, store **out, pk_err *err) {
    *out = NULL;
    store *st = pk_xcalloc(1, sizeof *st);
    st->path = pk_xstrdup(path);
    st->readonly = (flags & STORE_READONLY) != 0;
    int oflags = st->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (flags & STORE_CREATE) oflags |= SQLITE_OPEN_CREATE;
    oflags |= SQLITE_OPEN_NOMUTEX;
    int src = sqlite3_open_v2(path, &st->db, oflags, NULL);
    if (src != SQLITE_OK) {
        int code = src == SQLITE_CANTOPEN ? PK_ENOTFOUND : PK_EDB;
        pk_err_set(err, code, "cannot open database %s: %s", path,
                   st->db ? sqlite3_errmsg(st->db) : "out of memory");
        store_close(st);
        return code;
    }
    sqlite3_busy_timeout(st->db, 10000);
    sqlite3_extended_result_codes(st->db, 1);
    int rc = exec(st,
                  "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; "
                  "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536",
                  err);
    /* Checkpoint every 40,000 pages (160 MB of WAL) rather than SQLite's 1,000: index pages that
     * ingest dirties again and again (the (plate_id, ts) and place indexes take reads at random
     * places) are then copied to the database once per checkpoint instead of once every few
     * commits. Ingest of 1 M reads (make bench-ingest), reads/s: 4,000 pages 47,300; 10,000
     * 54,000-60,000 (17 % less CPU per read than 1,000); 40,000 67,000; 160,000 69,000. HTTP
     * ingest 47,900 -> 56,100. No higher: a WAL that is seldom checkpointed makes page lookups
     * search a long WAL index (1 M reads without a checkpoint: 32,900/s). docs/ingest.md. */
    if (!rc && !st->readonly) rc = exec(st, "PRAGMA wal_autocheckpoint = 40000", err);
    if (!rc && !st->readonly) rc = exec(st, "PRAGMA journal_mode = WAL", err);
    if (!rc && !st->readonly) rc = migrate(st, err);
    if (rc) {
        pk_err_prefix(err, "%s: ", path);
        store_close(st);
        return rc;
    }
    *out = st;
    return PK_OK;
}

void store_close(store *st) {
    if (!st) return;
    store_rollback(st);
    for (int i = 0; i < st->n_cache; i++) sqlite3_finalize(st->cache[i].stmt);
    store__plate_cache_reset(st, 1);
    free(st->scratch_cand);
    free(st->scratch_veh);
    sqlite3_close(st->db);
    free(st->path);
    free(st);
}

int store_schema_version(store *st) {
    sqlite3_stmt *q = NULL;
    int v = 0;
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return v;
}

int store_checkpoint(store *st, pk_err *err) {
    if (sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) !=
        SQLITE_OK)
        return store__dberr(st, err, "checkpoint");
    return PK_OK;
}

const char *store_path(const store *st) {
    return st->path;
}

static const char SQL_SETTING_GET[] = "SELECT value FROM settings WHERE key = ?";
static const char SQL_SETTING_SET[] =
    "INSERT INTO settings(key, value) VALUES (?, ?) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value";

int store_setting_get(store *st, const char *key, char **value, pk_err *err) {
    *value = NULL;
    sqlite3_stmt *s = store__stmt(st, SQL_SETTING_GET, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        *value = pk_xstrdup((const char *)sqlite3_column_text(s, 0));
        sqlite3_reset(s);
        return PK_OK;
    }
    sqlite3_reset(s);
    if (r == SQLITE_DONE) return pk_err_set(err, PK_ENOTFOUND, "setting %s is not set", key);
    return store__dberr(st, err, "settings");
}

int store_setting_set(store *st, const char *key, const char *value, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_SETTING_SET, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    return r == SQLITE_DONE ? PK_OK : store__dberr(st, err, "settings");
}

int64_t store_setting_int(store *st, const char *key, int64_t dflt) {
    char *v = NULL;
    if (store_setting_get(st, key, &v, NULL)) return dflt;
    char *end;
    long long n = strtoll(v, &end, 10);
    int ok = end != v && *end == '\0';
    free(v);
    return ok ? (int64_t)n : dflt;
}
