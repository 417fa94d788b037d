/*
 * store_audit.h: rows of the access log and of audit reviews (part of store.h).
 *
 * Only src/audit calls these. The hash chain is computed by src/audit; the store keeps the rows
 * and never updates or deletes them (the schema's triggers refuse it).
 */
#ifndef PK_STORE_STORE_AUDIT_H
#define PK_STORE_STORE_AUDIT_H

#include <stdint.h>

typedef struct store store;

#define STORE_HASH_HEX 65 /* 64 hex digits and the NUL */

/* One access-log row. Strings are borrowed (on insert: from the caller; from store_audit_each:
 * valid only during the callback). NULL means SQL NULL. */
typedef struct store_audit_row {
    int64_t id;
    int64_t ts;
    const char *username;
    const char *agency;
    const char *action;
    const char *query;
    const char *purpose;
    const char *case_no;
    int64_t result_count;
    const char *client;
    const char *outcome;
    const char *detail;
    const char *prev_hash;
    const char *hash;
} store_audit_row;

/* The last row's id and hash (OUT: *id = 0 and hash "" when the log is empty; hash is at least
 * STORE_HASH_HEX bytes). Call inside a write transaction so nobody appends in between. */
int store_audit_last(store *st, int64_t *id, char *hash, pk_err *err);

/* Inserts row with its given id, prev_hash and hash (a caller's transaction must be open). */
int store_audit_insert(store *st, const store_audit_row *row, pk_err *err);

/* The highest id ever handed out (sqlite_sequence), 0 when none. */
int64_t store_audit_seq(store *st);

/* A filter over the log; unset fields match everything: from INT64_MIN, to INT64_MAX,
 * username/action/outcome NULL, after_id 0, limit 0 (no limit). action ending in '*' matches by
 * prefix ("user.*"). Rows come in id order (descending when newest_first). */
typedef struct store_audit_filter {
    int64_t from, to;
    const char *username;
    const char *action;
    const char *outcome;
    int64_t after_id;  /* cursor: only ids > after_id (< when newest_first); 0 for none */
    int64_t limit;
    int newest_first;
} store_audit_filter;

void store_audit_filter_init(store_audit_filter *f);

/* Calls fn for each matching row until fn returns non-zero (that value is returned). */
int store_audit_each(store *st, const store_audit_filter *f,
                     int (*fn)(void *ctx, const store_audit_row *r), void *ctx, pk_err *err);

/* Fetches the row with that id into fn (PK_ENOTFOUND when absent). */
int store_audit_get(store *st, int64_t id, int (*fn)(void *ctx, const store_audit_row *r),
                    void *ctx, pk_err *err);

/* Retention. The chain's base after a purge: the first kept id and the hash of the entry
 * before it (PK_ENOTFOUND when nothing was ever purged). OUT: *first_id, prev_hash. */
int store_audit_base_get(store *st, int64_t *first_id, char *prev_hash, pk_err *err);
/* Records a new base (inside the caller's transaction). */
int store_audit_base_set(store *st, int64_t first_id, const char *prev_hash, int64_t at,
                         const char *by, pk_err *err);
/* The id just before the first entry with ts >= cutoff (the last id when none is that new);
 * 0 when the log is empty or its first entry is that new. */
int store_audit_purge_point(store *st, int64_t cutoff, int64_t *id, pk_err *err);
/* Deletes entries with id <= upto (only below the base: set it first). OUT: *n deleted. */
int store_audit_delete_upto(store *st, int64_t upto, int64_t *n, pk_err *err);

/* Audit reviews. */
typedef struct store_review {
    int64_t id;
    int64_t entry_id;
    const char *reviewer;
    const char *finding;
    const char *approved_by;
    int64_t reviewed_at;
} store_review;

/* OUT: *id. */
int store_review_add(store *st, const store_review *r, int64_t *id, pk_err *err);
/* Reviews whose reviewed_at lies in [from, to], oldest first. */
int store_review_each(store *st, int64_t from, int64_t to,
                      int (*fn)(void *ctx, const store_review *r), void *ctx, pk_err *err);

#endif
