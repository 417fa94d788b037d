/*
 * store_stats.h: aggregate counts for the public transparency figures (part of store.h).
 * Counts only: no plate, place or person ever leaves through these.
 */
#ifndef PK_STORE_STORE_STATS_H
#define PK_STORE_STORE_STATS_H

#include <stdint.h>

#include "core/err.h"

typedef struct store store;

/* Counts within [from, to) (UTC ms) and of all time. */
typedef struct store_stats {
    int64_t reads;               /* reads taken (ts) within the period */
    int64_t hits;                /* hotlist hits (alerts created) within the period */
    int64_t searches;            /* searches answered (access log: search, ok) within the period */
    int64_t refused;             /* refused data accesses (access log: refused) within the period */
    int64_t reads_stored;        /* reads held now, all time */
    int64_t sharing_granted;     /* sharing requests approved or fulfilled, all time */
    int64_t sharing_refused;     /* sharing requests denied, all time */
    int64_t sharing_granted_in;  /* ... decided within the period */
    int64_t sharing_refused_in;
} store_stats;

/* Fills out with the counts for [from, to). */
int store_stats_get(store *st, int64_t from, int64_t to, store_stats *out, pk_err *err);

#endif
