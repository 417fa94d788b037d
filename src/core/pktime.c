#include "core/pktime.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t pk_days_from_civil(int64_t y, unsigned m, unsigned d) {
    /* Howard Hinnant's algorithm: exact for every Gregorian date. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

static int digits(const char **p, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) return 0;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 1;
}

static int days_in_month(int y, int m) {
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dm[m - 1];
}

int pk_time_parse(const char *s, int64_t *ms, pk_err *err) {
    if (!s || !*s) return pk_err_set(err, PK_EINVAL, "empty timestamp");
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, frac_ms = 0;
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d))
        return pk_err_set(err, PK_EINVAL, "not an ISO 8601 date-time (expected YYYY-MM-DD...)");
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return pk_err_set(err, PK_EINVAL, "no such date");
    int64_t offset_min = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
            return pk_err_set(err, PK_EINVAL, "bad time of day (expected HH:MM[:SS])");
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &sec)) return pk_err_set(err, PK_EINVAL, "bad seconds");
            if (*p == '.' || *p == ',') {
                p++;
                int nd = 0;
                while (isdigit((unsigned char)*p)) {
                    if (nd < 3) frac_ms = frac_ms * 10 + (*p - '0');
                    nd++;
                    p++;
                }
                if (nd == 0) return pk_err_set(err, PK_EINVAL, "bad fraction of a second");
                for (; nd < 3; nd++) frac_ms *= 10;
            }
        }
        if (h > 23 || mi > 59 || sec > 60) return pk_err_set(err, PK_EINVAL, "no such time of day");
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (!digits(&p, 2, &oh)) return pk_err_set(err, PK_EINVAL, "bad UTC offset");
            if (*p == ':') p++;
            if (*p && !digits(&p, 2, &om)) return pk_err_set(err, PK_EINVAL, "bad UTC offset");
            if (oh > 23 || om > 59) return pk_err_set(err, PK_EINVAL, "bad UTC offset");
            offset_min = sign * (oh * 60 + om);
        } else if (*p) {
            return pk_err_set(err, PK_EINVAL, "unexpected text after the time");
        } /* no zone: taken as UTC */
    }
    if (*p) return pk_err_set(err, PK_EINVAL, "unexpected text after the date");
    if (sec == 60) sec = 59; /* a leap second is folded into the second before it */
    int64_t days = pk_days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    *ms = secs * 1000 + frac_ms;
    return PK_OK;
}

void pk_time_format(int64_t ms, char *buf) {
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int msr = (int)(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t rem = secs - days * 86400;
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, PK_TIME_STR_MAX, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, m, d,
             (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), msr);
}

int64_t pk_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t pk_clock_now(const pk_clock *clock) {
    if (clock && clock->fn) return clock->fn(clock->ctx);
    return pk_now_ms();
}
