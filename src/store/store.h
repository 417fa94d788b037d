/*
 * store.h: the storage interface, and the only place in platekeeper that speaks SQL.
 *
 * A store is one database (SQLite by default: DIR/platekeeper.db in WAL mode with foreign keys on)
 * plus the content-addressed image directory beside it. store_open applies the numbered migrations
 * of src/store/schema/ that the database has not seen yet, each in its own transaction, and
 * records their names in schema_migrations; PRAGMA user_version holds the highest number applied.
 *
 * Transactions and durability: every store_* write function works inside the caller's
 * transaction when one is open (store_begin ... store_commit) and in its own otherwise. A commit
 * returns only once SQLite has made the transaction durable (synchronous=FULL in WAL mode), so a
 * caller may acknowledge data as soon as store_commit returns PK_OK (DESIGN.md §4 rule 5).
 *
 * Threads: a store handle belongs to one thread at a time. A server opens one handle per worker
 * thread on the same file; SQLite's WAL lets readers run beside the single writer, and writers
 * wait up to the busy timeout for each other. Heavy writers do better on one handle of their own
 * that they take in turn (the server's ingest does): SQLite empties a handle's page cache
 * whenever another handle has written.
 *
 * Who may call what: read data (reads, images, alerts) is handed out by the domain modules only
 * under an access grant (src/access); server/, agent/ and cmd/ never call store_ themselves.
 *
 * The interface is split by domain into store_*.h headers, all included here: this file is the
 * store's whole public face.
 */
#ifndef PK_STORE_STORE_H
#define PK_STORE_STORE_H

#include <stdint.h>

#include "core/err.h"

typedef struct store store;

/* Flags for store_open. */
enum {
    STORE_CREATE = 1,   /* create the database file if missing (else missing is PK_ENOTFOUND) */
    STORE_READONLY = 2, /* open read-only (no migrations are applied) */
};

/* Opens (and with STORE_CREATE creates) the database at path and brings its schema up to date.
 * OUT: *out, the handle; close it with store_close. On failure *out is NULL and err says why. */
int store_open(const char *path, int flags, store **out, pk_err *err);

/* Closes the handle (NULL is fine). Uncommitted work is rolled back. */
void store_close(store *st);

/* Transactions. store_begin takes the write lock at once (BEGIN IMMEDIATE) so that two writers
 * never deadlock half way; nested calls are counted and only the outermost commits. */
int store_begin(store *st, pk_err *err);
int store_commit(store *st, pk_err *err);
void store_rollback(store *st);

/* Highest migration number applied. */
int store_schema_version(store *st);

/* Writes the WAL into the database file (used at shutdown and after purges). */
int store_checkpoint(store *st, pk_err *err);

/* Runs SQLite's full integrity check (PRAGMA integrity_check). PK_OK when the database is
 * intact, PK_ECORRUPT with the first problem in err otherwise. (src/store/maint.c) */
int store_integrity_check(store *st, pk_err *err);

/* Path of the database file this handle opened; owned by the handle. */
const char *store_path(const store *st);

/* Settings: string values by key. store_setting_get returns PK_ENOTFOUND when the key is unset.
 * OUT: *value, malloc'd, the caller frees it. */
int store_setting_get(store *st, const char *key, char **value, pk_err *err);
int store_setting_set(store *st, const char *key, const char *value, pk_err *err);
/* Integer setting with a default for unset keys. */
int64_t store_setting_int(store *st, const char *key, int64_t dflt);

#include "store/store_access.h"
#include "store/store_audit.h"
#include "store/store_reads.h"
#include "store/store_hotlist.h"
#include "store/store_records.h"
#include "store/store_images.h"
#include "store/store_stats.h"

#endif
