/*
 * hotlist_int.h: shared only inside src/hotlist.
 *
 * Plate keys: a normalized plate (1..10 of A-Z 0-9) packs exactly into a uint64 in base 37
 * ('0'..'9' -> 1..10, 'A'..'Z' -> 11..36, most significant first), so the matcher's hashes and
 * the import's duplicate check compare one integer instead of a string. 37^10 < 2^53, which
 * leaves room to fold a state code in (hotlist__key_state) without collisions.
 */
#ifndef PK_HOTLIST_HOTLIST_INT_H
#define PK_HOTLIST_HOTLIST_INT_H

#include "hotlist/hotlist.h"

static inline uint64_t hotlist__pack(const char *p) {
    uint64_t k = 0;
    for (; *p; p++) {
        unsigned c = (unsigned char)*p;
        k = k * 37 + (c <= '9' ? c - '0' + 1 : c - 'A' + 11);
    }
    return k;
}

/* A plate key with a state folded in ("" -> 0; two letters -> 1..728). */
static inline uint64_t hotlist__key_state(uint64_t plate_key, const char *state) {
    unsigned s = state[0] ? (unsigned)(state[0] - 'A' + 1) * 27 + (unsigned)(state[1] - 'A' + 1)
                          : 0;
    return plate_key * 729 + s;
}

static inline uint64_t hotlist__hash(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

/* Ends a transaction opened with store_begin: commit when rc is PK_OK, else roll back. */
static inline int hotlist__tx_end(store *st, int rc, pk_err *err) {
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st, err);
}

/* Bumps the generation counter other processes' engines poll (setting hotlist.generation),
 * inside the caller's transaction. */
int hotlist__touch(store *st, pk_err *err);

/* The publish callback as set now. */
void hotlist__engine_publisher(hotlist_engine *e, hotlist_publish_fn *fn, void **ctx);

/* Remembers that alert id is published by its ingest (the poller skips it). */
void hotlist__engine_mark(hotlist_engine *e, int64_t id);
/* The API's alert object for a stored alert; new reference. */
json_t *hotlist__alert_json(const store_alert *a);
/* Publishes a stored alert through fn (owners looked up for covert lists). */
void hotlist__publish_stored(hotlist_publish_fn fn, void *ctx, store *st, const store_alert *a);

/* PK_OK when u is an active administrator or investigator (who manage hotlists). */
int hotlist__may_manage(const access_user *u, pk_err *err);

/* Writes an audit entry for a hotlist change by user (NULL: the system, i.e. the schedule or
 * a retention job) from client (NULL: "local"). */
int hotlist__audit(store *st, const access_user *user, const char *action, const char *query,
                   const char *outcome, const char *detail, const char *client, pk_err *err);

#endif
