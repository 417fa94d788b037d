/*
 * search_int.h: shared only inside src/search (and its own unit test and benchmark).
 *
 * The plate dictionary index (plate_index.c) answers "which plates" for exact, pattern and
 * misread-tolerant queries from memory; search.c turns the plate set plus the other filters into
 * reads through the store and the access gate.
 *
 * Layout of the index, all guarded by one rwlock (writers: search_index_add/_sync/_load; readers:
 * every lookup, which copies out what it found before unlocking):
 *
 *   plates[gi]     global index gi (uint32, append-only) -> {plate id, packed text}
 *   exact hash     packed text -> gi                    (open addressing, power-of-two size)
 *   canon hash     packed canonical text -> first gi, canon_next[gi] chains the rest
 *   buckets[L]     plates of length L in chunks of 16384; per chunk, one bitmap per
 *                  (position, character) and one per character "anywhere in the plate";
 *                  a bitmap that would be all zeros is never allocated (NULL).
 *
 * Packed text: a plate of 1..10 characters of A-Z 0-9 is a uint64 with 6 bits per character
 * (codes 1..36, 0 = end), so equality and hashing are one integer operation.
 */
#ifndef PK_SEARCH_SEARCH_INT_H
#define PK_SEARCH_SEARCH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/pattern.h"
#include "search/search.h"

/* A plate the index found: its id and, for misread-tolerant lookups, pk_plate_closeness. */
typedef struct search__plate {
    int64_t id;
    int closeness;
} search__plate;

/* A growable list of found plates; the caller frees items with free(). */
typedef struct search__plates {
    search__plate *items;
    size_t n, cap;
} search__plates;

/* Plates matching p (compiled), in no particular order. Stops with PK_ELIMIT once more than max
 * plates matched. OUT: out (appended). */
int search__index_pattern(search_index *idx, const pk_pattern *p, size_t max, search__plates *out,
                          pk_err *err);

/* Plates equal to plate under the confusable classes or one edit away from it (on canonical
 * forms), each with its pk_plate_closeness. OUT: out (appended). */
void search__index_fuzzy(search_index *idx, const char *plate, search__plates *out);

/* Runs the query without the access gate: only search_run (after the grant) and this module's
 * own unit test and benchmark call it. The result is filled as search_run fills it. */
int search__execute(search_index *idx, store *st, const search_query *q, search_result *out,
                    pk_err *err);

/* The access-log JSON of q: query elements plus kind (when not NULL) and error (when not NULL).
 * Returns malloc'd text the caller frees. */
char *search__log_json(const search_query *q, const char *kind, const char *error);

/* Bytes the index holds (for the benchmark's memory figure). */
size_t search__index_bytes(search_index *idx);

/* Monotonic clock in milliseconds, for the timings in search_result. */
double search__now_ms(void);

#endif
