/*
 * store_hotlist.h: hotlists, entries, import history and alerts (part of store.h).
 *
 * Only src/hotlist calls these: it validates what goes in, keeps the matcher in step, writes the
 * audit entries, and hands alerts out only under an access grant. Every write joins the caller's
 * transaction when one is open, so an import (clear + insert of every line) is one transaction.
 */
#ifndef PK_STORE_STORE_HOTLIST_H
#define PK_STORE_STORE_HOTLIST_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct store store;

#define STORE_HL_NAME_MAX 64
#define STORE_HL_TEXT_MAX 256

/* A hotlist. Strings are inline; a row returned by the store is the caller's copy. */
typedef struct store_hotlist {
    int64_t id;
    char name[STORE_HL_NAME_MAX];
    char source[16];       /* "import" or "local" */
    int priority;          /* 0 highest */
    char alert_level[16];  /* "high", "medium", "low", "silent" */
    int covert;            /* hits notify the owners only */
    int default_expiry_days;
    int hit_retention_days;
    char import_path[STORE_HL_TEXT_MAX]; /* "" when no scheduled re-import */
    char import_map[STORE_HL_TEXT_MAX];  /* "" for the file's own header */
    char created_by[64];
    int64_t created_at, updated_at;
    int64_t n_entries;     /* filled by store_hotlists_each; -1 from get/find (not counted) */
    int64_t active_gen;    /* the live import generation (read only; see store_hotlist_gen_*) */
} store_hotlist;

/* Inserts h (id, created_at, updated_at filled in). PK_EEXIST when the name is taken. */
int store_hotlist_add(store *st, store_hotlist *h, pk_err *err);
/* Updates every settable field of h->id. PK_ENOTFOUND when absent. */
int store_hotlist_update(store *st, const store_hotlist *h, pk_err *err);
/* By id or by name. PK_ENOTFOUND when absent. OUT: *h. */
int store_hotlist_get(store *st, int64_t id, store_hotlist *h, pk_err *err);
int store_hotlist_find(store *st, const char *name, store_hotlist *h, pk_err *err);
/* Every list by priority then name; fn returning non-zero stops the walk (and is returned). */
int store_hotlists_each(store *st, int (*fn)(void *ctx, const store_hotlist *h), void *ctx,
                        pk_err *err);
/* Owners (usernames) of a list: covert hits go to them alone. */
int store_hotlist_owner_add(store *st, int64_t hotlist_id, const char *username, pk_err *err);
int store_hotlist_owner_remove(store *st, int64_t hotlist_id, const char *username, pk_err *err);
/* Calls fn for each owner of the list (hotlist_id 0: of every list, with its id). */
int store_hotlist_owners_each(store *st, int64_t hotlist_id,
                              int (*fn)(void *ctx, int64_t hotlist_id, const char *username),
                              void *ctx, pk_err *err);

/* One entry. plate is a normalized plate or pattern; state "" is any state. */
typedef struct store_hotlist_entry {
    int64_t id;
    int64_t hotlist_id;
    char plate[40];
    int is_pattern;
    char state[4];
    char plate_type[16];
    char reason[STORE_HL_TEXT_MAX];
    char ncic[32];
    char ori[32];
    char case_no[64];
    char make[64];
    char model[64];
    char year[8];
    char color[32];
    int64_t expires;       /* UTC ms; 0 = never */
    char origin[8];        /* "import" or "hand" */
    int64_t gen;           /* import generation (hotlists.active_gen shows which is live) */
    char entered_by[64];
    int64_t created_at, updated_at;
} store_hotlist_entry;

/* Inserts e (id and times filled in; created_at kept when set). */
int store_hotlist_entry_add(store *st, store_hotlist_entry *e, pk_err *err);
/* Rewrites the editable fields of e->id (plate, state, reason, case, vehicle, expires...). */
int store_hotlist_entry_update(store *st, const store_hotlist_entry *e, pk_err *err);
int store_hotlist_entry_get(store *st, int64_t id, store_hotlist_entry *e, pk_err *err);
int store_hotlist_entry_remove(store *st, int64_t id, pk_err *err);
/* Import generations. An import reserves a new generation (OUT: *gen), stages its entries with
 * it (e.gen) in as many transactions as it likes (invisible meanwhile), then activates it in one
 * small transaction: PK_ECONFLICT when a newer generation is active already. OUT: *replaced,
 * the imported entries that were visible before. store_hotlist_gen_delete removes up to limit
 * imported entries of generation gen (a refused or superseded import), or with gen 0 of every
 * generation older than the active one; OUT: *n, how many. */
int store_hotlist_gen_reserve(store *st, int64_t hotlist_id, int64_t *gen, pk_err *err);
int store_hotlist_gen_activate(store *st, int64_t hotlist_id, int64_t gen, int64_t *replaced,
                               pk_err *err);
int store_hotlist_gen_delete(store *st, int64_t hotlist_id, int64_t gen, int limit, int64_t *n,
                             pk_err *err);
/* Deletes the list's imported entries (hand entries stay). OUT: *n (may be NULL). */
int store_hotlist_entries_clear_imported(store *st, int64_t hotlist_id, int64_t *n, pk_err *err);
/* Calls fn for the entries of a list (hotlist_id 0: every list) that have not expired at now
 * (now 0: expired ones too), in id order. The entry is valid only during the call. */
int store_hotlist_entries_each(store *st, int64_t hotlist_id, int64_t now,
                               int (*fn)(void *ctx, const store_hotlist_entry *e), void *ctx,
                               pk_err *err);
/* What the matcher needs of an entry (strings valid only during the callback). */
typedef struct store_hotlist_key {
    int64_t id, hotlist_id;
    const char *plate;
    int is_pattern;
    const char *state;
    int64_t expires; /* 0 = never */
} store_hotlist_key;
/* Calls fn for every entry of every list not expired at now (0: all), in no particular order:
 * the narrow walk the matcher is built from. */
int store_hotlist_entry_keys_each(store *st, int64_t now,
                                  int (*fn)(void *ctx, const store_hotlist_key *k), void *ctx,
                                  pk_err *err);
/* Number of entries of a list (0: all lists) not expired at now (0: counting expired ones). */
int64_t store_hotlist_entries_count(store *st, int64_t hotlist_id, int64_t now);

/* One import attempt, kept for the history whatever its outcome. OUT: *id (may be NULL). */
typedef struct store_hotlist_import {
    int64_t id, hotlist_id;
    int64_t started_at, finished_at;
    const char *file, *by, *outcome, *detail; /* borrowed */
    int64_t lines, loaded, bad;
} store_hotlist_import;
int store_hotlist_import_log(store *st, const store_hotlist_import *imp, int64_t *id,
                             pk_err *err);

/* Start time of the list's latest import attempt (0 when none). */
int64_t store_hotlist_last_import(store *st, int64_t hotlist_id);
/* Calls fn with the latest import attempts of a list, newest first (at most limit). */
int store_hotlist_imports_each(store *st, int64_t hotlist_id, int limit,
                               int (*fn)(void *ctx, const store_hotlist_import *imp), void *ctx,
                               pk_err *err);

/* An alert as stored. read_json and entry_json are JSON object text. */
typedef struct store_alert {
    int64_t id, read_id, entry_id, hotlist_id;
    char match[8];         /* exact, misread, pattern */
    int state_mismatch;
    int covert;
    int priority;
    const char *read_json;  /* borrowed on insert; owned by the walk on reads */
    const char *entry_json;
    char status[20];
    char note[STORE_HL_TEXT_MAX * 2];
    int64_t created_at;
    int64_t acknowledged_at; /* 0 when not yet */
    char acknowledged_by[64];
    int64_t verified_at;     /* 0 when not yet */
    char verified_by[64];
} store_alert;

/* Inserts a; PK_EEXIST when this read already hit this entry (the alert is not doubled). */
int store_alert_add(store *st, store_alert *a, pk_err *err);

/* What to list. Zero/empty fields match everything. */
typedef struct store_alert_filter {
    int64_t id;              /* one alert */
    int64_t hotlist_id;
    const char *status;      /* one status */
    int64_t since, until;    /* created_at bounds, inclusive; 0 = open */
    int64_t after_id;        /* page: alerts with smaller id (newest first) */
    int covert;              /* -1 any, 0 only non-covert, 1 only covert */
    int all_covert;          /* 1: every covert list is visible (administrators) */
    const int64_t *covert_visible; /* else only these covert lists are (the caller's own) */
    size_t n_covert_visible;
    int limit;               /* 0 = no limit */
} store_alert_filter;
void store_alert_filter_init(store_alert_filter *f);
/* Calls fn per alert newest first; a and its strings are valid only during the call. */
int store_alerts_each(store *st, const store_alert_filter *f,
                      int (*fn)(void *ctx, const store_alert *a), void *ctx, pk_err *err);
/* Calls fn for alerts with id > after_id in id order (at most limit), for publishing alerts
 * that another process wrote. */
int store_alerts_after(store *st, int64_t after_id, int limit,
                       int (*fn)(void *ctx, const store_alert *a), void *ctx, pk_err *err);
/* Whether username may see read_id through an alert: some alert of the read is on a list that is
 * not covert, or on a covert list username owns. OUT: *visible (0 or 1). */
int store_read_alert_visible(store *st, int64_t read_id, const char *username, int *visible,
                             pk_err *err);
/* The highest alert id (0 when none). */
int64_t store_alerts_max_id(store *st);
/* Records the verification outcome (also the acknowledgement when not yet acknowledged).
 * PK_ECONFLICT when already verified, PK_ENOTFOUND when absent. */
int store_alert_verify(store *st, int64_t id, const char *status, const char *note,
                       const char *by, int64_t at, pk_err *err);
/* Marks the alert seen (first acknowledgement wins; later ones are no-ops). */
int store_alert_ack(store *st, int64_t id, const char *by, int64_t at, pk_err *err);
/* Deletes the alerts older than their list's hit retention at now. OUT: *n. */
int store_alerts_purge(store *st, int64_t now, int64_t *n, pk_err *err);

#endif
