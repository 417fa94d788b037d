/*
 * pattern.h: partial plates with wildcards, as investigators and hotlist entries write them.
 *
 * '?' stands for exactly one plate character, '*' for any run of characters (including none).
 * A pattern is normalized like a plate (upper case, spaces and dashes dropped) and holds at most
 * PK_PLATE_MAX literal or '?' characters. Matching is against normalized plates.
 */
#ifndef PK_CORE_PATTERN_H
#define PK_CORE_PATTERN_H

#include <stddef.h>

#include "core/err.h"
#include "core/plate.h"

#define PK_PATTERN_MAX 32

typedef struct pk_pattern {
    char text[PK_PATTERN_MAX + 1]; /* normalized pattern, NUL-terminated */
    size_t len;                    /* strlen(text) */
    size_t min_len;                /* characters a matching plate has at least (literals and '?') */
    int has_star;                  /* whether any '*' occurs (else the plate length is min_len) */
    char longest_literal[PK_PLATE_MAX + 1]; /* longest run without wildcards, for prefilters */
} pk_pattern;

/* Normalizes and checks a pattern. Returns PK_OK, or PK_EINVAL with the reason in err. A pattern
 * with no wildcard is still a valid pattern (it matches one plate). */
int pk_pattern_compile(const char *in, pk_pattern *out, pk_err *err);

/* True when the plate (length n) matches the compiled pattern. */
int pk_pattern_match(const pk_pattern *p, const char *plate, size_t n);

/* True when s contains '?' or '*'. */
int pk_pattern_has_wildcard(const char *s);

#endif
