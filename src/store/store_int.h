/*
 * store_int.h: shared only inside src/store.
 *
 * struct store wraps one sqlite3 connection. Prepared statements are cached by the address of
 * their SQL text (every statement is a string constant in some store .c file), so each is
 * compiled once per connection; store__stmt hands it back reset and with bindings cleared.
 */
#ifndef PK_STORE_STORE_INT_H
#define PK_STORE_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

#define STORE__STMT_CACHE 128

struct store {
    sqlite3 *db;       /* the connection, owned */
    char *path;        /* database file path, owned */
    int tx_depth;      /* nesting of store_begin; 0 when no transaction is open */
    int readonly;      /* opened with STORE_READONLY */
    struct {
        const char *sql;   /* key: the address of the SQL constant */
        sqlite3_stmt *stmt;
    } cache[STORE__STMT_CACHE];
    int n_cache;
    struct store__plate_cache *plates; /* plate text -> id, see reads.c; NULL until first use */
    char *scratch_cand, *scratch_veh;  /* decoded candidates / vehicle of the last fetched row */
    size_t cap_cand, cap_veh;
};

/* The compact column forms of candidates and vehicle (reads_codec.c). The encoders write into
 * out (cap bytes) and return the length, or 0 when the text is not in the canonical JSON shape
 * (then the JSON is stored as it is). The decoders return text itself when it is not compact,
 * else the JSON in *buf (grown as needed; valid until the next decode into it). */
size_t store__cand_encode(const char *json, const char *plate, double conf, char *out,
                          size_t cap);
const char *store__cand_decode(const char *text, const char *plate, double conf, char **buf,
                               size_t *cap);
size_t store__vehicle_encode(const char *json, char *out, size_t cap);
const char *store__vehicle_decode(const char *text, char **buf, size_t *cap);

/* Forgets cached plate ids: called when a transaction is rolled back, since ids of plates
 * inserted in it no longer exist (reads.c). Frees the cache when free_it. */
void store__plate_cache_reset(store *st, int free_it);

/* The cached statement for sql, reset with bindings cleared, or NULL with err set. The handle
 * keeps ownership; do not finalize it. */
sqlite3_stmt *store__stmt(store *st, const char *sql, pk_err *err);

/* Fills err from the connection's last error, prefixed with what; returns PK_EDB (or PK_EBUSY
 * when the database stayed locked past the busy timeout). */
int store__dberr(store *st, pk_err *err, const char *what);

/* Binds text or NULL when s is NULL or empty. */
int store__bind_text_or_null(sqlite3_stmt *s, int idx, const char *s_text);

/* Copies a text column into buf (size n), "" for NULL. */
void store__col_text(sqlite3_stmt *s, int col, char *buf, size_t n);

/* Runs fn inside a transaction unless one is open already: begin, fn, commit (rollback on error). */
int store__autotx_begin(store *st, int *started, pk_err *err);
int store__autotx_end(store *st, int started, int rc, pk_err *err);

extern const char *const store__migrations[];
extern const int store__migration_numbers[];
extern const int store__migration_count;

#endif
