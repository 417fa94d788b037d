/*
 * pktime.h: time as platekeeper stores it: int64 milliseconds since the Unix epoch, UTC.
 *
 * Parsing accepts the ISO 8601 forms people and cameras send ("2026-12-04T21:01:11Z", with
 * fractional seconds, with a "+02:00" offset, or a bare "2026-12-04" meaning midnight UTC).
 * Formatting always writes UTC with milliseconds ("2026-12-04T21:01:11.000Z").
 *
 * pk_clock lets retention and session code take "now" from a test instead of the wall clock.
 */
#ifndef PK_CORE_PKTIME_H
#define PK_CORE_PKTIME_H

#include <stdint.h>

#include "core/err.h"

#define PK_TIME_STR_MAX 32
#define PK_MS_PER_DAY INT64_C(86400000)

/* Parses ISO 8601 into epoch milliseconds (OUT: ms). PK_EINVAL with the reason otherwise. */
int pk_time_parse(const char *s, int64_t *ms, pk_err *err);

/* Formats epoch milliseconds as ISO 8601 UTC into buf (at least PK_TIME_STR_MAX bytes). */
void pk_time_format(int64_t ms, char *buf);

/* Days since 1970-01-01 for a civil date (proleptic Gregorian). */
int64_t pk_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Wall clock now, epoch milliseconds. */
int64_t pk_now_ms(void);

/* A source of "now": tests set fn to a function of their own. ctx is passed through. */
typedef struct pk_clock {
    int64_t (*fn)(void *ctx);
    void *ctx;
} pk_clock;

/* Now according to clock, or the wall clock when clock or clock->fn is NULL. */
int64_t pk_clock_now(const pk_clock *clock);

#endif
