/*
 * audit.h: the access log (Civil Code §1798.90.52; DESIGN.md §4 rules 1 and 2).
 *
 * Every data access, refused attempt, login, logout, account, training, setting, hotlist, hold,
 * export, purge and sharing change is one entry. Entries are only ever appended: nothing in the
 * product updates or deletes them. Each entry stores hash = SHA-256(previous entry's hash ||
 * canonical form of this entry), so audit_verify finds an edited, deleted, inserted or reordered
 * row as the first entry whose stored hash or link does not match.
 *
 * IMPLEMENTATION STATUS: interface fixed by the lead; src/audit/*.c is written by the server /
 * access work (issue 3). The store side lives in store/store_audit.h.
 */
#ifndef PK_AUDIT_AUDIT_H
#define PK_AUDIT_AUDIT_H

#include <stdint.h>

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

#endif
