/*
 * The hotlist file parser: delimited or fixed-width lines, a column mapping, one entry per good
 * line. It reads sequentially with a fixed line buffer, so a 1 MB line or a 100 MB file costs no
 * more memory than a short one; the only structure that grows is the duplicate set (one 12-byte
 * slot per entry, needed to find duplicates at all).
 */
#include "hotlist/hotlist_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/pattern.h"
#include "core/plate.h"

enum {
    F_NONE = 0,
    F_PLATE,
    F_STATE,
    F_TYPE,
    F_REASON,
    F_NCIC,
    F_ORI,
    F_CASE,
    F_MAKE,
    F_MODEL,
    F_YEAR,
    F_COLOR,
    F_EXPIRES,
    F_IGNORE,
    F_COUNT
};

static const char *const FIELD_NAMES[F_COUNT] = {"",     "plate", "state",   "plate_type", "reason",
                                                 "ncic", "ori",   "case",    "make",       "model",
                                                 "year", "color", "expires", "ignore"};

/* Header names (case-insensitive) and the field each means; NCIC codes first. */
static const struct {
    const char *name;
    int field;
} ALIASES[] = {
    {"LIC", F_PLATE},
    {"LIS", F_STATE},
    {"LIT", F_TYPE},
    {"NIC", F_NCIC},
    {"ORI", F_ORI},
    {"OCA", F_CASE},
    {"VMA", F_MAKE},
    {"VMO", F_MODEL},
    {"VYR", F_YEAR},
    {"VCO", F_COLOR},
    {"MKE", F_REASON},
    {"OFF", F_REASON},
    {"EXP", F_EXPIRES},
    {"plate", F_PLATE},
    {"license", F_PLATE},
    {"tag", F_PLATE},
    {"plate_number", F_PLATE},
    {"state", F_STATE},
    {"plate_state", F_STATE},
    {"plate_type", F_TYPE},
    {"type", F_TYPE},
    {"reason", F_REASON},
    {"offense", F_REASON},
    {"ncic", F_NCIC},
    {"ncic_number", F_NCIC},
    {"agency", F_ORI},
    {"case", F_CASE},
    {"case_no", F_CASE},
    {"case_number", F_CASE},
    {"make", F_MAKE},
    {"model", F_MODEL},
    {"year", F_YEAR},
    {"color", F_COLOR},
    {"colour", F_COLOR},
    {"expires", F_EXPIRES},
    {"expiry", F_EXPIRES},
    {"expiration", F_EXPIRES},
    {"ignore", F_IGNORE},
};

static int alias_field(const char *s, size_t n) {
    for (size_t i = 0; i < sizeof ALIASES / sizeof ALIASES[0]; i++)
        if (strlen(ALIASES[i].name) == n && !strncasecmp(ALIASES[i].name, s, n))
            return ALIASES[i].field;
    return F_NONE;
}

#define MAX_COLS   32  /* mapped columns */
#define MAX_FIELDS 256 /* fields looked at in a delimited line */

typedef struct colmap {
    int field;
    int col;        /* 0-based column (delimited), -1 while named */
    int start, end; /* fixed width: 0-based byte range [start, end) */
    char name[64];  /* header name given in --map, "" otherwise */
} colmap;

/* Duplicate set: open addressing over plate+state keys, value = first line. */
typedef struct dupset {
    uint64_t *keys;
    uint32_t *lines;
    size_t cap, n;
} dupset;

typedef struct parser {
    const hotlist_import_opts *o;
    hotlist_import_report *rep;
    hotlist_entry_fn fn;
    void *ctx;
    int started, fixed, header;
    char delim;
    colmap cols[MAX_COLS];
    int ncols;
    dupset dup;
    size_t errors_cap;
    int64_t reported;
    char *line, *work; /* HOTLIST_LINE_MAX + 1 bytes each */
    size_t fstart[MAX_FIELDS], flen[MAX_FIELDS];
    int nfields;
} parser;

static uint32_t dup_check(dupset *d, uint64_t key, uint32_t line) {
    if (2 * (d->n + 1) > d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 1024;
        uint64_t *k = pk_xcalloc(cap, sizeof *k);
        uint32_t *l = pk_xcalloc(cap, sizeof *l);
        for (size_t i = 0; i < d->cap; i++) {
            if (!d->keys[i]) continue;
            size_t j = hotlist__hash(d->keys[i]) & (cap - 1);
            while (k[j]) j = (j + 1) & (cap - 1);
            k[j] = d->keys[i];
            l[j] = d->lines[i];
        }
        free(d->keys);
        free(d->lines);
        d->keys = k;
        d->lines = l;
        d->cap = cap;
    }
    size_t j = hotlist__hash(key) & (d->cap - 1);
    while (d->keys[j]) {
        if (d->keys[j] == key) return d->lines[j];
        j = (j + 1) & (d->cap - 1);
    }
    d->keys[j] = key;
    d->lines[j] = line;
    d->n++;
    return 0;
}

static void report_bad(parser *p, int64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report_bad(parser *p, int64_t line, const char *fmt, ...) {
    p->rep->bad++;
    if (p->reported >= HOTLIST_REPORT_MAX) return;
    p->reported++;
    char msg[600];
    int n = snprintf(msg, sizeof msg, "%lld: ", (long long)line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = strlen(msg);
    if (p->rep->errors_len + len + 2 > p->errors_cap) {
        p->errors_cap = (p->errors_cap + len + 2) * 2;
        p->rep->errors = pk_xrealloc(p->rep->errors, p->errors_cap);
    }
    memcpy(p->rep->errors + p->rep->errors_len, msg, len);
    p->rep->errors_len += len;
    p->rep->errors[p->rep->errors_len++] = '\n';
    p->rep->errors[p->rep->errors_len] = '\0';
}

/* ---- the column mapping ---- */

static int add_col(parser *p, int field, int col, int start, int end, const char *name,
                   pk_err *err) {
    /* a later mapping of the same field replaces an earlier one (--map overrides the header) */
    for (int i = 0; i < p->ncols; i++)
        if (p->cols[i].field == field && field != F_IGNORE) {
            p->cols[i] = p->cols[--p->ncols];
            break;
        }
    if (p->ncols == MAX_COLS) return pk_err_set(err, PK_EINVAL, "--map: too many columns");
    colmap *c = &p->cols[p->ncols++];
    memset(c, 0, sizeof *c);
    c->field = field;
    c->col = col;
    c->start = start;
    c->end = end;
    if (name) snprintf(c->name, sizeof c->name, "%s", name);
    return PK_OK;
}

/* Parses --map into p->cols: numbers and ranges now, names once the header is read. */
static int parse_map(parser *p, const char *map, pk_err *err) {
    int ranges = 0, others = 0;
    const char *s = map;
    while (*s) {
        const char *end = strchr(s, ',');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        char item[128];
        if (n >= sizeof item) return pk_err_set(err, PK_EINVAL, "--map: item too long");
        memcpy(item, s, n);
        item[n] = '\0';
        s += n + (end ? 1 : 0);
        if (n == 0) continue;
        char *eq = strchr(item, '=');
        if (!eq || eq == item || !eq[1])
            return pk_err_set(err, PK_EINVAL, "--map: '%s' is not COL=FIELD", item);
        *eq = '\0';
        const char *fname = eq + 1;
        int field = F_NONE;
        for (int f = 1; f < F_COUNT; f++)
            if (!strcasecmp(fname, FIELD_NAMES[f])) field = f;
        if (!field) field = alias_field(fname, strlen(fname));
        if (!field)
            return pk_err_set(err, PK_EINVAL,
                              "--map: unknown field '%s' (plate, state, plate_type, reason, "
                              "ncic, ori, case, make, model, year, color, expires, ignore, or an "
                              "NCIC code)",
                              fname);
        int a, b, used = 0;
        if (sscanf(item, "%d-%d%n", &a, &b, &used) == 2 && used == (int)strlen(item)) {
            if (a < 1 || b < a || b > HOTLIST_LINE_MAX)
                return pk_err_set(err, PK_EINVAL, "--map: bad column range '%s'", item);
            ranges++;
            if (add_col(p, field, -1, a - 1, b, NULL, err)) return PK_EINVAL;
        } else if (sscanf(item, "%d%n", &a, &used) == 1 && used == (int)strlen(item)) {
            if (a < 1 || a > MAX_FIELDS)
                return pk_err_set(err, PK_EINVAL, "--map: column %d out of range 1-%d", a,
                                  MAX_FIELDS);
            others++;
            if (add_col(p, field, a - 1, 0, 0, NULL, err)) return PK_EINVAL;
        } else {
            others++;
            if (add_col(p, field, -1, 0, 0, item, err)) return PK_EINVAL;
        }
    }
    if (ranges && others)
        return pk_err_set(err, PK_EINVAL,
                          "--map: mixes fixed-width ranges (START-END) with columns");
    p->fixed = ranges > 0;
    return PK_OK;
}

/* ---- splitting a line ---- */

/* Splits p->line (len bytes) on p->delim into p->work, honouring "quotes" ("" is a quote).
 * Returns 0, or -1 with why set. */
static int split(parser *p, size_t len, const char **why) {
    const char *s = p->line;
    char *w = p->work;
    size_t i = 0, o = 0;
    p->nfields = 0;
    for (;;) {
        while (i < len && (s[i] == ' ' || (s[i] == '\t' && p->delim != '\t'))) i++;
        size_t start = o;
        if (i < len && s[i] == '"') {
            i++;
            for (;;) {
                if (i >= len) {
                    *why = "unterminated quoted field";
                    return -1;
                }
                if (s[i] == '"') {
                    if (i + 1 < len && s[i + 1] == '"') {
                        w[o++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                w[o++] = s[i++];
            }
            while (i < len && (s[i] == ' ' || (s[i] == '\t' && p->delim != '\t'))) i++;
            if (i < len && s[i] != p->delim) {
                *why = "text after a closing quote";
                return -1;
            }
        } else {
            while (i < len && s[i] != p->delim) w[o++] = s[i++];
            while (o > start && (w[o - 1] == ' ' || w[o - 1] == '\t')) o--;
        }
        if (p->nfields < MAX_FIELDS) {
            p->fstart[p->nfields] = start;
            p->flen[p->nfields] = o - start;
            p->nfields++;
        }
        w[o++] = '\0';
        if (i >= len) break;
        i++; /* the delimiter */
    }
    return 0;
}

static char detect_delim(const char *s, size_t len) {
    static const char cand[] = {',', ';', '\t', '|'};
    size_t best = 0;
    char d = ',';
    for (size_t c = 0; c < sizeof cand; c++) {
        size_t n = 0;
        int q = 0;
        for (size_t i = 0; i < len; i++) {
            if (s[i] == '"')
                q = !q;
            else if (!q && s[i] == cand[c])
                n++;
        }
        if (n > best) {
            best = n;
            d = cand[c];
        }
    }
    return d;
}

/* ---- the first line: format, header, mapping ---- */

static int line_is_header(parser *p) {
    if (p->fixed) {
        const char *s = p->line;
        for (size_t i = 0; s[i];) {
            while (s[i] == ' ' || s[i] == '\t') i++;
            size_t j = i;
            while (s[j] && s[j] != ' ' && s[j] != '\t') j++;
            if (j > i && alias_field(s + i, j - i) != F_NONE) return 1;
            i = j;
        }
        return 0;
    }
    for (int i = 0; i < p->nfields; i++)
        if (alias_field(p->work + p->fstart[i], p->flen[i]) != F_NONE) return 1;
    for (int c = 0; c < p->ncols; c++) /* a column named in --map */
        for (int i = 0; p->cols[c].name[0] && i < p->nfields; i++)
            if (!strcasecmp(p->cols[c].name, p->work + p->fstart[i])) return 1;
    return 0;
}

static int start(parser *p, size_t len, pk_err *err) {
    p->started = 1;
    if (!p->fixed) {
        p->delim = p->o->delimiter ? p->o->delimiter : detect_delim(p->line, len);
        const char *why = NULL;
        if (split(p, len, &why)) return pk_err_set(err, PK_EINVAL, "line 1: %s", why);
    }
    p->header = p->o->header >= 0 ? p->o->header : line_is_header(p);
    p->rep->header = p->header;
    p->rep->delimiter = p->fixed ? 0 : p->delim;
    if (p->header && !p->fixed) {
        /* the header's own names first, then --map entries by name or number on top */
        colmap given[MAX_COLS];
        int ngiven = p->ncols;
        memcpy(given, p->cols, sizeof given);
        p->ncols = 0;
        for (int i = 0; i < p->nfields; i++) {
            int f = alias_field(p->work + p->fstart[i], p->flen[i]);
            if (f && f != F_IGNORE && add_col(p, f, i, 0, 0, NULL, err)) return PK_EINVAL;
        }
        for (int g = 0; g < ngiven; g++) {
            int col = given[g].col;
            if (given[g].name[0]) {
                for (int i = 0; i < p->nfields && col < 0; i++)
                    if (!strcasecmp(given[g].name, p->work + p->fstart[i])) col = i;
                if (col < 0)
                    return pk_err_set(err, PK_EINVAL, "--map: no column named '%s' in the header",
                                      given[g].name);
            }
            for (int c = 0; c < p->ncols; c++) /* the column now means the mapped field */
                if (p->cols[c].col == col) p->cols[c] = p->cols[--p->ncols];
            if (add_col(p, given[g].field, col, 0, 0, NULL, err)) return PK_EINVAL;
        }
    } else {
        for (int c = 0; c < p->ncols; c++)
            if (p->cols[c].name[0])
                return pk_err_set(err, PK_EINVAL,
                                  "--map names column '%s' but the file has no header row",
                                  p->cols[c].name);
    }
    int have_plate = 0;
    for (int c = 0; c < p->ncols; c++) have_plate |= p->cols[c].field == F_PLATE;
    if (!have_plate) {
        if (!p->header && p->ncols == 0)
            return pk_err_set(err, PK_EINVAL,
                              "missing column: no header row naming the columns (LIC or plate, "
                              "LIS or state...) and no --map");
        return pk_err_set(err, PK_EINVAL,
                          "missing column: no column holds the plate (header LIC or plate, or "
                          "--map COL=plate)");
    }
    return PK_OK;
}

/* ---- one data line ---- */

static int utf8_valid(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        if (c < 0x80)
            k = 0;
        else if ((c & 0xE0) == 0xC0 && c >= 0xC2)
            k = 1;
        else if ((c & 0xF0) == 0xE0)
            k = 2;
        else if ((c & 0xF8) == 0xF0 && c <= 0xF4)
            k = 3;
        else
            return 0;
        if (k > n - 1 - i) return 0;
        for (size_t j = 1; j <= k; j++)
            if ((s[i + j] & 0xC0) != 0x80) return 0;
        i += k + 1;
    }
    return 1;
}

/* Copies a text field into dst (cap bytes), converting Latin-1 to UTF-8 when it is not UTF-8.
 * Returns 0, 1 when converted, or -1 when it does not fit or holds control characters. */
static int copy_text(char *dst, size_t cap, const char *src, size_t n, const char **why) {
    const unsigned char *s = (const unsigned char *)src;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] == 0x7f) {
            *why = "control character";
            return -1;
        }
    if (utf8_valid(s, n)) {
        if (n >= cap) {
            *why = "too long";
            return -1;
        }
        memcpy(dst, src, n);
        dst[n] = '\0';
        return 0;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (o + 3 > cap) {
            *why = "too long";
            return -1;
        }
        if (s[i] < 0x80) {
            dst[o++] = (char)s[i];
        } else {
            dst[o++] = (char)(0xC0 | (s[i] >> 6));
            dst[o++] = (char)(0x80 | (s[i] & 0x3F));
        }
    }
    dst[o] = '\0';
    return 1;
}

static int parse_expires(const char *v, int64_t *ms) {
    if (strlen(v) == 8 && strspn(v, "0123456789") == 8) { /* NCIC style YYYYMMDD */
        unsigned y = (unsigned)atoi((char[]){v[0], v[1], v[2], v[3], 0});
        unsigned m = (unsigned)atoi((char[]){v[4], v[5], 0});
        unsigned d = (unsigned)atoi((char[]){v[6], v[7], 0});
        if (m < 1 || m > 12 || d < 1 || d > 31) return -1;
        *ms = pk_days_from_civil(y, m, d) * PK_MS_PER_DAY;
        return 0;
    }
    return pk_time_parse(v, ms, NULL) ? -1 : 0;
}

static void data_line(parser *p, size_t len, int64_t lineno) {
    const char *why = NULL;
    if (!p->fixed && split(p, len, &why)) {
        report_bad(p, lineno, "line: %s", why);
        return;
    }
    store_hotlist_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.origin, sizeof e.origin, "import");
    char val[HOTLIST_LINE_MAX + 1];
    int latin1 = 0;
    char plate_raw[64] = "";
    int have_plate = 0;
    for (int c = 0; c < p->ncols; c++) {
        const colmap *m = &p->cols[c];
        if (m->field == F_IGNORE) continue;
        const char *fname = FIELD_NAMES[m->field];
        const char *src;
        size_t n;
        if (p->fixed) {
            if ((size_t)m->start >= len) {
                src = "";
                n = 0;
            } else {
                src = p->line + m->start;
                n = ((size_t)m->end < len ? (size_t)m->end : len) - (size_t)m->start;
            }
            while (n && (*src == ' ' || *src == '\t')) src++, n--;
            while (n && (src[n - 1] == ' ' || src[n - 1] == '\t')) n--;
        } else {
            if (m->col >= p->nfields) {
                if (m->field == F_PLATE) {
                    report_bad(p, lineno,
                               "plate: missing column (line has %d field%s, the plate "
                               "is in column %d)",
                               p->nfields, p->nfields == 1 ? "" : "s", m->col + 1);
                    return;
                }
                continue; /* a short line leaves optional fields empty */
            }
            src = p->work + p->fstart[m->col];
            n = p->flen[m->col];
        }
        char *dst;
        size_t cap;
        switch (m->field) {
        case F_PLATE:
            dst = plate_raw, cap = sizeof plate_raw;
            break;
        case F_STATE:
            dst = val, cap = 8;
            break;
        case F_TYPE:
            dst = e.plate_type, cap = sizeof e.plate_type;
            break;
        case F_REASON:
            dst = e.reason, cap = sizeof e.reason;
            break;
        case F_NCIC:
            dst = e.ncic, cap = sizeof e.ncic;
            break;
        case F_ORI:
            dst = e.ori, cap = sizeof e.ori;
            break;
        case F_CASE:
            dst = e.case_no, cap = sizeof e.case_no;
            break;
        case F_MAKE:
            dst = e.make, cap = sizeof e.make;
            break;
        case F_MODEL:
            dst = e.model, cap = sizeof e.model;
            break;
        case F_YEAR:
            dst = e.year, cap = sizeof e.year;
            break;
        case F_COLOR:
            dst = e.color, cap = sizeof e.color;
            break;
        default:
            dst = val, cap = 64;
            break; /* expires */
        }
        int r = copy_text(dst, cap, src, n, &why);
        if (r < 0) {
            if (!strcmp(why, "too long"))
                report_bad(p, lineno, "%s: longer than %zu bytes", fname, cap - 1);
            else
                report_bad(p, lineno, "%s: %s", fname, why);
            return;
        }
        latin1 |= r;
        pk_err ferr;
        pk_err_clear(&ferr);
        if (m->field == F_PLATE) {
            have_plate = 1;
        } else if (m->field == F_STATE) {
            if (hotlist_state_normalize(val, e.state, &ferr)) {
                report_bad(p, lineno, "state: %s", ferr.msg);
                return;
            }
        } else if (m->field == F_YEAR) {
            size_t yl = strlen(e.year);
            if (yl && (yl != 4 || strspn(e.year, "0123456789") != 4)) {
                report_bad(p, lineno, "year: '%s' is not a four-digit year", e.year);
                return;
            }
        } else if (m->field == F_EXPIRES && val[0]) {
            if (parse_expires(val, &e.expires)) {
                report_bad(p, lineno, "expires: '%s' is not a date (YYYY-MM-DD or YYYYMMDD)", val);
                return;
            }
        }
    }
    if (!have_plate || !plate_raw[0]) {
        report_bad(p, lineno, "plate: empty");
        return;
    }
    pk_err perr;
    pk_err_clear(&perr);
    uint64_t key;
    if (pk_pattern_has_wildcard(plate_raw)) {
        pk_pattern pat;
        if (pk_pattern_compile(plate_raw, &pat, &perr)) {
            report_bad(p, lineno, "plate: %s", perr.msg);
            return;
        }
        snprintf(e.plate, sizeof e.plate, "%s", pat.text);
        e.is_pattern = 1;
        uint64_t h = 1469598103934665603ULL; /* FNV-1a of pattern and state */
        for (const char *s = pat.text; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        for (const char *s = e.state; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        key = h | (1ULL << 63); /* packed plates stay below 2^62 */
    } else {
        if (pk_plate_normalize(plate_raw, e.plate, &perr)) {
            report_bad(p, lineno, "plate: %s", perr.msg);
            return;
        }
        key = hotlist__key_state(hotlist__pack(e.plate), e.state);
    }
    uint32_t first = dup_check(&p->dup, key, (uint32_t)lineno);
    if (first) {
        report_bad(p, lineno, "plate: duplicate of line %u (same plate and state)", first);
        return;
    }
    if (latin1) p->rep->latin1++;
    pk_err cerr;
    pk_err_clear(&cerr);
    if (p->fn && p->fn(p->ctx, &e, lineno, &cerr)) {
        report_bad(p, lineno, "%s", cerr.msg);
        return;
    }
    p->rep->loaded++;
}

/* ---- reading lines ---- */

/* Reads one line into p->line (at most HOTLIST_LINE_MAX bytes kept). Returns 0 at end of file,
 * else 1; *too_long when bytes were dropped, *nul when the line held a NUL byte. */
static int read_line(FILE *f, char *buf, size_t *len, int *too_long, int *nul, int64_t *bytes) {
    size_t n = 0;
    int c, any = 0;
    *too_long = *nul = 0;
    while ((c = getc_unlocked(f)) != EOF) {
        any = 1;
        (*bytes)++;
        if (c == '\n') break;
        if (c == 0) *nul = 1;
        if (n < HOTLIST_LINE_MAX) {
            buf[n++] = (char)c;
        } else {
            *too_long = 1;
        }
    }
    if (n && buf[n - 1] == '\r') n--;
    buf[n] = '\0';
    *len = n;
    return any;
}

void hotlist_import_opts_init(hotlist_import_opts *o) {
    memset(o, 0, sizeof *o);
    o->header = -1;
}

void hotlist_import_report_fini(hotlist_import_report *r) {
    if (!r) return;
    free(r->errors);
    memset(r, 0, sizeof *r);
}

int hotlist_parse(FILE *f, const hotlist_import_opts *o, hotlist_entry_fn fn, void *ctx,
                  hotlist_import_report *report, pk_err *err) {
    memset(report, 0, sizeof *report);
    hotlist_import_opts dflt;
    if (!o) {
        hotlist_import_opts_init(&dflt);
        o = &dflt;
    }
    int64_t max = o->max_bytes > 0 ? o->max_bytes : HOTLIST_FILE_MAX_DEFAULT;
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > max)
        return pk_err_set(err, PK_ELIMIT,
                          "file is %lld bytes, over the limit of %lld bytes (setting "
                          "hotlist.import_max_bytes)",
                          (long long)sb.st_size, (long long)max);
    parser p;
    memset(&p, 0, sizeof p);
    p.o = o;
    p.rep = report;
    p.fn = fn;
    p.ctx = ctx;
    if (o->map && *o->map && parse_map(&p, o->map, err)) return PK_EINVAL;
    p.line = pk_xmalloc(HOTLIST_LINE_MAX + 1);
    p.work = pk_xmalloc(2 * HOTLIST_LINE_MAX + 2);
    int rc = PK_OK;
    int64_t bytes = 0, lineno = 0;
    size_t len;
    int too_long, nul;
    while (read_line(f, p.line, &len, &too_long, &nul, &bytes)) {
        lineno++;
        report->lines = lineno;
        if (bytes > max) {
            rc = pk_err_set(err, PK_ELIMIT,
                            "file is over the limit of %lld bytes (setting "
                            "hotlist.import_max_bytes)",
                            (long long)max);
            break;
        }
        if (lineno == 1 && len >= 3 && !memcmp(p.line, "\xEF\xBB\xBF", 3)) { /* UTF-8 BOM */
            memmove(p.line, p.line + 3, len - 2);
            len -= 3;
        }
        if (too_long) {
            if (!p.started) {
                rc = pk_err_set(err, PK_EINVAL,
                                "line %lld: longer than %d bytes (not a hotlist "
                                "file?)",
                                (long long)lineno, HOTLIST_LINE_MAX);
                break;
            }
            report_bad(&p, lineno, "line: longer than %d bytes", HOTLIST_LINE_MAX);
            continue;
        }
        if (nul) {
            if (!p.started) {
                rc = pk_err_set(err, PK_EINVAL, "line %lld: holds a NUL byte (not a text file?)",
                                (long long)lineno);
                break;
            }
            report_bad(&p, lineno, "line: holds a NUL byte");
            continue;
        }
        if (strspn(p.line, " \t") == len || p.line[0] == '#') continue; /* blank or comment */
        if (!p.started) {
            if ((rc = start(&p, len, err))) break;
            if (p.header) continue;
        }
        data_line(&p, len, lineno);
    }
    if (!rc && ferror(f)) rc = pk_err_set(err, PK_EIO, "read error: %s", strerror(errno));
    if (!rc && !p.started)
        rc = pk_err_set(err, PK_EINVAL, "file is empty: no entries");
    else if (!rc && report->loaded == 0 && report->bad == 0)
        rc = pk_err_set(err, PK_EINVAL, "file has a header but no entries");
    free(p.line);
    free(p.work);
    free(p.dup.keys);
    free(p.dup.lines);
    return rc;
}
