/*
 * records.h: retention and purge, holds for cases, evidence export, data-sharing requests.
 *
 * Why this module exists: California's ALPR law and the department's policy (472.5, 472.7) say
 * how long reads are kept, when they must go, how evidence leaves on portable media and to whom
 * data may be released. Everything here is a records action by a named person (records_actor),
 * and every one of them writes an access-log entry (audit_append) in the same transaction as
 * the change it describes, or, for data that leaves (exports, fulfilments, hold selections),
 * through an access grant (ACCESS_RECORDS_EXPORT, ACCESS_RECORDS_SHARE) whose entry is written
 * before any read is copied out.
 *
 * Invariants:
 *  - Nothing is purged before retention_days (never below RECORDS_RETENTION_MIN_DAYS); a read is
 *    due when ts < now - retention, so a read exactly one retention old plus 1 ms is purged and
 *    one retention old minus 1 ms is kept. A read with a hotlist alert is kept while the alert
 *    is: alerts follow their list's hit_retention_days (hotlist_alerts_purge, run first).
 *  - A read in an approved hold is never purged, whatever its age.
 *  - The purge works in batches (RECORDS_PURGE_BATCH growing to RECORDS_PURGE_BATCH_MAX while a
 *    batch takes under 150 ms), each its own short transaction.
 *  - Sharing requests are never deleted; automatic refusals are recorded with their reason.
 *  - A sharing fulfilment releases only within the approved scope, and only while the approval
 *    has not lapsed (request_approval_days, default 90).
 *  - Bad input (unknown ids, wrong state, lapsed approval, scope outside the approval) returns a
 *    clear error naming the field and changes nothing.
 *
 * Export packages (export.c) are a directory or a ustar file holding MANIFEST.json (every other
 * file with its SHA-256 and size, who exported, when, for which case, the hold or request),
 * MANIFEST.sha256 (the manifest's own hash, also kept in the exports table), reads.json,
 * reads.csv, images/<sha>.jpg, CUSTODY.txt and, for a sharing fulfilment, request/document.
 * records_export_verify checks all of it without the database.
 */
#ifndef PK_RECORDS_RECORDS_H
#define PK_RECORDS_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "access/access.h"
#include "core/err.h"
#include "core/pktime.h"
#include "search/search.h"
#include "store/store.h"

#define RECORDS_RETENTION_MIN_DAYS 365
#define RECORDS_RETENTION_DEFAULT_DAYS 365
#define RECORDS_HOLD_REVIEW_DEFAULT_DAYS 730
#define RECORDS_APPROVAL_DEFAULT_DAYS 90
#define RECORDS_PURGE_BATCH 5000        /* first batch; batches adapt up to the max */
#define RECORDS_PURGE_BATCH_MAX 80000

/* Who acts, from where, by which clock. user NULL means the system itself (the daily purge in
 * serve). Strings borrowed for the call. */
typedef struct records_actor {
    const access_user *user;
    const char *client;    /* "cli" or the client's IP address */
    const pk_clock *clock; /* NULL: the wall clock */
} records_actor;

/* ---- retention and purge (retention.c) ---- */

/* The retention_days setting (RECORDS_RETENTION_DEFAULT_DAYS when unset). */
int64_t records_retention_get(store *st);
/* Sets retention_days; administrators only. Below RECORDS_RETENTION_MIN_DAYS is PK_EINVAL with
 * the policy named. Logged ("settings.retention"). Reads with hotlist alerts follow their
 * list's hit_retention_days (a hotlist setting). */
int records_retention_set(store *st, const records_actor *a, int64_t days, pk_err *err);

typedef struct records_purge_result {
    int64_t purge_id;      /* purge_log row */
    int64_t cutoff;
    int64_t alerts_deleted;   /* alerts past their list's hit retention */
    int64_t reads_deleted, images_deleted, held_kept, hits_kept, duration_ms;
    int64_t sweep_ms;      /* of duration_ms: the image sweep */
    int dry_run;
} records_purge_result;

/* Deletes the alerts past their list's hit retention, then purges reads past retention that
 * are neither held nor still the subject of an alert, and then the images no read references, in batches of
 * batch reads (0: adaptive, see above). Administrators and custodians, or the system (user
 * NULL). Dry run counts what would go and deletes nothing. Writes the purge log row and an
 * access-log entry "purge" (counts, never plates). OUT: *res. */
int records_purge(store *st, const records_actor *a, int dry_run, int batch,
                  records_purge_result *res, pk_err *err);
/* The daily purge for serve: runs records_purge as the system when no real purge finished in the
 * last 24 hours by a's clock. OUT: *ran (1 when it ran), *res. */
int records_purge_daily(store *st, const records_actor *a, int *ran, records_purge_result *res,
                        pk_err *err);

typedef store_purge_entry records_purge_entry;
/* The purge log, newest first (every run, dry runs included): for custodians and auditors. */
int records_purge_log_each(store *st, int (*fn)(void *ctx, const records_purge_entry *e),
                           void *ctx, pk_err *err);

/* ---- selections (a search for holds and sharing scopes) ---- */

#define RECORDS_MAX_PLATES 100

typedef struct records_query {
    size_t n_plates;
    char plates[RECORDS_MAX_PLATES][PK_PLATE_MAX + 1]; /* normalized */
    int has_from, has_to;
    int64_t from, to;      /* inclusive, UTC ms */
    int has_near;
    double lat, lon, radius_m;
} records_query;

/* Parses a selection from JSON text: {"plate": X | "plates": [...], "from", "to" (ISO 8601),
 * "near": "LAT,LON,M" or {"lat","lon","radius_m"}}. At least one element must be given.
 * PK_EINVAL naming the field. OUT: *q. */
int records_query_parse(const char *json, size_t len, records_query *q, pk_err *err);
/* The selection as JSON object text (for the access log and manifests); caller frees. */
char *records_query_json(const records_query *q);
/* 1 when inner selects nothing outside outer (plates a subset, range and area inside). */
int records_query_within(const records_query *inner, const records_query *outer);

/* ---- holds (holds.c) ---- */

typedef store_hold records_hold;

/* A search as a hold's selection, with the storage its strings point into. */
typedef struct records_search {
    search_query q;
    char plate[32], pattern[32], camera[64];
} records_search;

/* Parses a search from JSON: {"plate" | "pattern", "fuzzy", "from", "to", "near": "LAT,LON,M",
 * "camera"}; at least one element. PK_EINVAL naming the field. OUT: *s. */
int records_search_parse(const char *json, size_t len, records_search *s, pk_err *err);

#define RECORDS_HOLD_MAX_SEARCH SEARCH_LIMIT_MAX /* reads one search may put in a hold */

typedef struct records_hold_spec {
    const char *case_no, *reason, *contact; /* all required */
    const int64_t *read_ids;                /* either read ids ... */
    size_t n_read_ids;
    const search_query *search;             /* ... or a search (search_run, through the gate) */
    search_index *index;                    /* the plate dictionary the search runs on */
    const char *purpose;                    /* gate purpose; NULL: "investigation" */
    int64_t review_days;                    /* 0: RECORDS_HOLD_REVIEW_DEFAULT_DAYS */
} records_hold_spec;

/* Opens a pending hold (investigators, custodians, administrators: the ACCESS_RECORDS_EXPORT
 * grant). Unknown read ids are PK_ENOTFOUND naming the first. OUT: *id. */
int records_hold_open(store *st, const records_actor *a, const records_hold_spec *spec,
                      int64_t *id, pk_err *err);
/* Approves a pending hold (administrators). Logged. */
int records_hold_approve(store *st, const records_actor *a, int64_t id, pk_err *err);
/* Releases a hold (administrators and custodians): its reads follow retention again. Logged. */
int records_hold_release(store *st, const records_actor *a, int64_t id, const char *reason,
                         pk_err *err);
/* One hold. OUT: *h, freed with records_hold_fini. */
int records_hold_get(store *st, int64_t id, records_hold *h, pk_err *err);
void records_hold_fini(records_hold *h);
/* Calls fn for each hold with status (NULL: all), newest first. */
int records_holds_each(store *st, const char *status, int (*fn)(void *ctx, const records_hold *h),
                       void *ctx, pk_err *err);
/* Approved holds whose review date has passed by clock: for the audit report. */
int records_holds_overdue(store *st, const pk_clock *clock,
                          int (*fn)(void *ctx, const records_hold *h), void *ctx, pk_err *err);

/* ---- evidence export (export.c, tar.c) ---- */

typedef struct records_export_result {
    int64_t export_id;
    int64_t reads, images;
    char manifest_sha256[65]; /* write it on the evidence label */
} records_export_result;

/* Exports an approved hold to out: a directory (created; must not exist or be empty) or, when
 * out ends in ".tar", a ustar file (must not exist). ACCESS_RECORDS_EXPORT grant, purpose
 * "investigation", the hold's case. Logged in exports and the access log. OUT: *res. */
int records_export_hold(store *st, const records_actor *a, int64_t hold_id, const char *out,
                        records_export_result *res, pk_err *err);

typedef struct records_verify_result {
    int intact;                /* 1 when every check passed */
    int64_t files_checked;
    int64_t problems;
    char manifest_sha256[65];  /* hash of MANIFEST.json as found */
    char case_no[STORE_CASE_MAX];
} records_verify_result;

/* Checks a package (directory or .tar): the manifest against MANIFEST.sha256, every listed file
 * against its hash and size, no missing and no extra file. Calls problem (may be NULL) for each
 * finding: kind "tampered", "missing", "extra", "manifest" or "format". Returns PK_OK when the
 * check ran (res->intact says the verdict), PK_EIO/PK_ECORRUPT when the package cannot be read
 * at all. OUT: *res. */
int records_export_verify(const char *package,
                          void (*problem)(void *ctx, const char *kind, const char *path,
                                          const char *detail),
                          void *ctx, records_verify_result *res, pk_err *err);
/* The same checks over a manifest and file set already in memory (the fuzz entry point):
 * files[i] named names[i]. */
int records_export_verify_mem(const char *manifest, size_t manifest_len, const char *manifest_sha,
                              const char *const *names, const unsigned char *const *files,
                              const size_t *lens, size_t n,
                              void (*problem)(void *ctx, const char *kind, const char *path,
                                              const char *detail),
                              void *ctx, records_verify_result *res);

typedef store_export records_export;
/* One export's record (who, when, case, where the package was written, its manifest hash). */
int records_export_get(store *st, int64_t id, records_export *e, pk_err *err);

/* ---- data-sharing requests (sharing.c) ---- */

typedef store_request records_request;

typedef struct records_request_spec {
    const char *agency, *agency_type, *state, *requester, *contact, *purpose, *case_no;
    records_query scope;
    const unsigned char *document; /* the written request as received */
    size_t document_len;
} records_request_spec;

/* A spec parsed from the API's JSON, owning its strings and the decoded document. */
typedef struct records_request_in {
    records_request_spec spec;
    void *json_;                   /* internal */
    unsigned char *doc_;           /* internal */
} records_request_in;

/* Parses {"agency", "agency_type", "state", "requester", "contact", "purpose", "case",
 * "scope": {...selection...}, "document": base64}. PK_EINVAL naming the field.
 * OUT: *in, freed with records_request_in_fini. */
int records_request_parse(const char *json, size_t len, records_request_in *in, pk_err *err);
void records_request_in_fini(records_request_in *in);

/* Records a request (administrators and custodians). Refused automatically (status "denied",
 * reason recorded, decided_by "system") when the agency is private or federal, outside
 * California, or the document or purpose is missing; other public agencies are "referred".
 * Missing identity fields (agency, type, state, requester, contact) are PK_EINVAL and store
 * nothing. OUT: *id; *out (may be NULL) the stored request, freed with records_request_fini. */
int records_request_add(store *st, const records_actor *a, const records_request_spec *spec,
                        int64_t *id, records_request *out, pk_err *err);
/* decision "approve" or "deny" (administrators); deny needs a reason. Logged. */
int records_request_decide(store *st, const records_actor *a, int64_t id, const char *decision,
                           const char *reason, pk_err *err);
/* Exports the approved scope (or narrow, which must lie within it) of an approved, unlapsed
 * request to out, with the request and its document in the package; marks it fulfilled.
 * ACCESS_RECORDS_SHARE grant (custodians, administrators). OUT: *res. */
int records_request_fulfil(store *st, const records_actor *a, int64_t id,
                           const records_query *narrow, const char *out,
                           records_export_result *res, pk_err *err);
int records_request_get(store *st, int64_t id, records_request *r, pk_err *err);
void records_request_fini(records_request *r);
/* Every request (status NULL) or those with status, newest first (documents not loaded). */
int records_requests_each(store *st, const char *status,
                          int (*fn)(void *ctx, const records_request *r), void *ctx, pk_err *err);
/* The sharing report: every release (fulfilled request) ordered by agency. */
int records_sharing_report(store *st, int (*fn)(void *ctx, const records_request *r), void *ctx,
                           pk_err *err);
/* The request's scope as a selection. */
void records_request_scope(const records_request *r, records_query *q);

#endif
