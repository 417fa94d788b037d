/*
 * audit.h: the access log (Civil Code §1798.90.52; DESIGN.md §4 rules 1 and 2).
 *
 * Every data access, refused attempt, login, logout, account, training, setting, hotlist, hold,
 * export, purge and sharing change is one entry. Entries are only ever appended: nothing in the
 * product updates or deletes them. Each entry stores hash = SHA-256(previous entry's hash ||
 * canonical form of this entry), so audit_verify finds an edited, deleted, inserted or reordered
 * row as the first entry whose stored hash or link does not match.
 *
 * The canonical form (src/audit/audit.c, version "pk-audit-v1") writes every field, in a fixed
 * order, as name=LEN:BYTES or name=- for NULL, one per line, so no two different entries share a
 * form. The first entry's previous hash is 64 zeros. Appends run inside BEGIN IMMEDIATE, so
 * writers in several processes and threads still make one chain.
 *
 * A chain alone cannot show a rewrite of the whole tail by someone who also recomputes every
 * hash, nor the loss of the newest entries: audit_head gives the last id and hash so that an
 * auditor can write them down (or print them) and later check them with audit_verify_head.
 */
#ifndef PK_AUDIT_AUDIT_H
#define PK_AUDIT_AUDIT_H

#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "store/store.h"

/* One entry as the caller describes it. Strings are borrowed; NULL means "none". */
typedef struct audit_entry {
    int64_t ts;               /* UTC ms; 0 = now */
    const char *username;     /* who acted ("" or NULL for an unknown user) */
    const char *agency;
    const char *action;       /* "search", "read.get", "login", "login.failed", "user.add"... */
    const char *query;        /* JSON object text of every query element, or NULL */
    const char *purpose;      /* purpose code, or NULL */
    const char *case_no;      /* case or incident number, or NULL */
    int64_t result_count;     /* records returned; -1 when not a data access */
    const char *client;       /* "cli" or the client's IP address */
    const char *outcome;      /* "ok", "refused", "failed" */
    const char *detail;       /* reason for a refusal or failure, or NULL */
} audit_entry;

/* Appends e inside its own transaction (or the caller's). OUT: *id (may be NULL). */
int audit_append(store *st, const audit_entry *e, int64_t *id, pk_err *err);

typedef struct audit_verify_result {
    int intact;          /* 1 when every entry checks out */
    int64_t checked;     /* entries examined */
    int64_t first_bad;   /* id of the first entry that does not check out, 0 when intact */
    char reason[160];    /* why first_bad is bad */
} audit_verify_result;

/* Walks the whole log and checks every hash and link. OUT: *res. */
int audit_verify(store *st, audit_verify_result *res, pk_err *err);

/* ---- added by the access work ---- */

/* Retention of the log itself: deletes the entries older than audit.log_retention_days
 * (default 1825; never less than 365 nor the reads' retention_days), oldest first, records the
 * new start of the chain (first kept id, hash of the last deleted entry) and appends a
 * "log.purge" entry carrying the same, which audit_verify checks the start against. Meant for
 * the daily retention job. OUT: *purged (may be NULL), entries deleted. */
int audit_purge(store *st, int64_t now, const char *by, int64_t *purged, pk_err *err);

/* The newest entry: OUT: *id (0 when the log is empty) and hash (STORE_HASH_HEX bytes). */
int audit_head(store *st, int64_t *id, char *hash, pk_err *err);

/* Checks that entry id still carries hash (an anchor written down earlier). PK_ECORRUPT with
 * the reason when it does not or is gone. */
int audit_verify_head(store *st, int64_t id, const char *hash, pk_err *err);

/* Reading the log: a stored entry and a filter (see store/store_audit.h for the fields). */
typedef store_audit_row audit_record;
typedef store_audit_filter audit_filter;
void audit_filter_init(audit_filter *f);
/* Calls fn for each entry matching f; fn returning non-zero stops the walk. The record and its
 * strings are valid only during the call. */
int audit_log_each(store *st, const audit_filter *f,
                   int (*fn)(void *ctx, const audit_record *r), void *ctx, pk_err *err);
/* The entry as a JSON object (id, ts as ISO 8601, username, agency, action, query as an object
 * when it parses, purpose, case, result_count, client, outcome, detail, hash). Caller
 * json_decref's it. */
json_t *audit_record_json(const audit_record *r);

/* The audit report of issue 3 item 7 for entries in [from, to] (UTC ms): totals, per user
 * (searches, by purpose, without a case, with no results, outside working hours, refused
 * attempts, logins, failed logins), account / training / setting changes, users with overdue
 * training at `now`, and the reviews recorded in the period. Settings used:
 * audit.work_start / audit.work_end ("HH:MM", default 07:00 / 19:00), audit.work_days ("1-5",
 * ISO weekdays, Monday = 1), audit.utc_offset_minutes (default -480, Pacific standard time),
 * access.training_refresher_days (730). OUT: *out, caller json_decref's it. */
int audit_report(store *st, int64_t from, int64_t to, int64_t now, json_t **out, pk_err *err);

/* A random sample of up to n successful searches in [from, to] for review (seed 0: random).
 * OUT: *out, a JSON array of entries (audit_record_json), caller json_decref's it. */
int audit_sample(store *st, int64_t from, int64_t to, int n, uint64_t seed, json_t **out,
                 pk_err *err);

/* Records the review of entry_id (policy 472.6 c): reviewer, finding, approved_by are names
 * (approved_by must differ from reviewer); also appends an "audit.review" log entry.
 * OUT: *id (may be NULL). */
int audit_review_add(store *st, int64_t entry_id, const char *reviewer, const char *finding,
                     const char *approved_by, const char *client, int64_t now, int64_t *id,
                     pk_err *err);

/* The public transparency figures (GET /api/v1/transparency): aggregate counts only, never a
 * plate, place or person. The month is the calendar month (UTC) holding now: "month" (YYYY-MM),
 * reads_stored, reads_this_month, hits_this_month, searches_this_month, refused_this_month,
 * sharing_requests_granted / _refused (all time) and ..._this_month (decided this month).
 * OUT: *out, a new JSON object (flat: every value a count or the month). */
int audit_transparency(store *st, int64_t now, json_t **out, pk_err *err);

#endif
