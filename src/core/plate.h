/*
 * plate.h: plate text as the whole system sees it.
 *
 * A plate is 1 to PK_PLATE_MAX characters of A-Z and 0-9. Everything that takes plate text from
 * outside (reads, hotlist files, search terms) goes through pk_plate_normalize so that "7 abc-123"
 * and "7ABC123" are one plate everywhere.
 *
 * Misread tolerance: cameras confuse some characters (0/O/D/Q, 1/I/L/T, 2/Z, 5/S, 8/B, 6/G).
 * pk_plate_canon maps every character to its class representative; two plates that canonicalize
 * to the same string are "equal under the confusable classes". pk_plate_closeness ranks a
 * candidate against a query for misread-tolerant search and hotlist matching.
 */
#ifndef PK_CORE_PLATE_H
#define PK_CORE_PLATE_H

#include <stddef.h>

#include "core/err.h"

#define PK_PLATE_MAX 10

/* Normalizes plate text: upper case, spaces and dashes dropped, then A-Z 0-9 only, 1..10 chars.
 * On success writes the NUL-terminated plate into out and returns PK_OK; otherwise returns
 * PK_EINVAL with the reason in err (field name not included: the caller prefixes it). */
int pk_plate_normalize(const char *in, char out[PK_PLATE_MAX + 1], pk_err *err);

/* True when s is already a normalized plate. */
int pk_plate_valid(const char *s);

/* Class representative of one plate character (e.g. 'O' -> '0', 'B' -> '8'). */
char pk_plate_canon_char(char c);

/* Writes the canonical form of plate (length n) into out (n + 1 bytes). */
void pk_plate_canon(const char *plate, size_t n, char *out);

/* How close cand is to query, smaller is closer:
 *   0 identical, 1 equal under confusable classes, 2 one edit away,
 *   3 one edit away after canonicalizing both; -1 when none of these holds. */
int pk_plate_closeness(const char *query, size_t qn, const char *cand, size_t cn);

/* True when a and b (lengths an, bn) are at most one insertion, deletion or substitution apart. */
int pk_plate_one_edit(const char *a, size_t an, const char *b, size_t bn);

#endif
