/*
 * Files for `platekeeper ingest`: JSON lines, or one JSON document (an array of items or one
 * OpenALPR message pretty-printed over many lines, as the OpenALPR documentation shows them).
 *
 * Lines are read into a buffer that never grows past line_max: a longer line is
 * skipped to its newline and rejected, so a 10 GB line costs no more memory than a short one.
 * Each line is checked for UTF-8 before JSON parsing so the reason can say where it breaks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest_int.h"

#define DOC_MAX (256 * 1024 * 1024) /* a single-document file is read whole */

/* Offset of the first byte that is not valid UTF-8 (RFC 3629: no overlongs, no surrogates,
 * nothing past U+10FFFF), or -1 when s is valid. */
static long utf8_bad(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned int cp;
        if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
        else return (long)i;
        if (i + len > n) return (long)i;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return (long)i;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return (long)i;
        i += len;
    }
    return -1;
}

typedef struct reader {
    FILE *f;
    char *buf;          /* the current line, NUL-terminated, without its newline */
    size_t len, cap;
    int64_t line_max;
    int too_long;       /* the current line was longer than line_max (buf holds its start) */
    int has_newline;    /* the current line ended with a newline (else: end of file) */
} reader;

/* Reads the next line. Returns 1 with a line, 0 at end of file, -1 on a read error. */
static int next_line(reader *r) {
    r->len = 0;
    r->too_long = 0;
    r->has_newline = 0;
    if (!r->buf) {
        r->cap = 4096;
        r->buf = pk_xmalloc(r->cap);
    }
    int c, any = 0;
    while ((c = getc_unlocked(r->f)) != EOF) {
        any = 1;
        if (c == '\n') {
            r->has_newline = 1;
            break;
        }
        if (r->too_long) continue;
        if ((int64_t)r->len >= r->line_max) {
            r->too_long = 1; /* skip to the newline without keeping the rest */
            continue;
        }
        if (r->len + 1 >= r->cap) {
            r->cap *= 2;
            if ((int64_t)r->cap > r->line_max + 1) r->cap = (size_t)r->line_max + 1;
            r->buf = pk_xrealloc(r->buf, r->cap);
        }
        r->buf[r->len++] = (char)c;
    }
    if (ferror(r->f)) return -1;
    if (!any) return 0;
    r->buf[r->len] = '\0';
    if (r->len > 0 && r->buf[r->len - 1] == '\r') r->buf[--r->len] = '\0'; /* CRLF files */
    return 1;
}

static int blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return 0;
    return 1;
}

/* The line as a batch item, or a rejected item saying why it is not one. */
static void parse_line(ingest *in, reader *r, int64_t lineno, ingest__batch *b,
                       ingest_result *res) {
    if (r->too_long) {
        ingest__reject(ingest__batch_add(b, lineno), "line", "longer than %lld bytes",
                       (long long)r->line_max);
        return;
    }
    if (memchr(r->buf, '\0', r->len)) {
        ingest__reject(ingest__batch_add(b, lineno), "line", "contains a NUL byte");
        return;
    }
    long bad = utf8_bad((const unsigned char *)r->buf, r->len);
    if (bad >= 0) {
        ingest__reject(ingest__batch_add(b, lineno), "line", "invalid UTF-8 at byte %ld",
                       bad + 1);
        return;
    }
    json_error_t je;
    json_t *v = json_loadb(r->buf, r->len, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        ingest__item *it = ingest__batch_add(b, lineno);
        if (!r->has_newline && je.position >= (int)r->len)
            ingest__reject(it, "line", "truncated: the file ends in the middle of a read");
        else
            ingest__reject(it, "line", "not valid JSON: %s (at column %d)", je.text, je.column);
        return;
    }
    ingest__parse(in, v, lineno, b, &res->ignored);
    json_decref(v);
}

/* Whether the file is one JSON document rather than JSON lines: its first line is not a whole
 * JSON value but the whole file is. OUT: *doc (a new reference) when it is. */
static int whole_document(reader *r, json_t **doc) {
    *doc = NULL;
    if (r->too_long || blank(r->buf, r->len)) return 0;
    json_t *first = json_loadb(r->buf, r->len, 0, NULL);
    if (first) {
        json_decref(first);
        return 0;
    }
    const char *p = r->buf;
    while (*p == ' ' || *p == '\t') p++;
    if (*p != '{' && *p != '[') return 0;
    long pos = ftell(r->f);
    if (pos < 0) return 0; /* a pipe: treat as JSON lines */
    if (fseek(r->f, 0, SEEK_END) != 0) return 0;
    long size = ftell(r->f);
    if (size < 0 || size > DOC_MAX || fseek(r->f, 0, SEEK_SET) != 0) {
        fseek(r->f, pos, SEEK_SET);
        return 0;
    }
    char *all = pk_xmalloc((size_t)size + 1);
    size_t got = fread(all, 1, (size_t)size, r->f);
    *doc = utf8_bad((const unsigned char *)all, got) < 0 ? json_loadb(all, got, JSON_REJECT_DUPLICATES, NULL) : NULL;
    free(all);
    if (!*doc) fseek(r->f, pos, SEEK_SET);
    return *doc != NULL;
}

/* A batch commits at o.batch lines, or earlier once its decoded images pass BATCH_IMAGE_BYTES:
 * a thousand lines of 2 MB images would otherwise hold gigabytes until the commit. */
#define BATCH_IMAGE_BYTES (64u << 20)
static int batch_full(const ingest *in, const ingest__batch *b) {
    if (b->n >= in->o.batch) return 1;
    size_t bytes = 0;
    for (size_t i = 0; i < b->n; i++) bytes += b->items[i].plate_len + b->items[i].scene_len;
    return bytes >= BATCH_IMAGE_BYTES;
}

int ingest_file(ingest *in, const char *path, ingest_reject_fn on_reject, void *ctx,
                ingest_result *res, pk_err *err) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return pk_err_set(err, PK_EIO, "%s: %s", path, strerror(errno));
    int rc = ingest_stream(in, f, path, on_reject, ctx, res, err);
    if (f != stdin) fclose(f);
    return rc;
}

int ingest_stream(ingest *in, FILE *f, const char *path, ingest_reject_fn on_reject, void *ctx,
                  ingest_result *res, pk_err *err) {
    reader r = {.f = f, .line_max = in->o.line_max};
    ingest__batch b = {0};
    int rc = PK_OK;
    int64_t lineno = 0;
    int got = next_line(&r);
    json_t *doc = NULL;
    if (got == 1 && whole_document(&r, &doc)) {
        /* one document: its items are reported against line 1 with their position */
        if (json_is_array(doc)) {
            for (size_t i = 0; i < json_array_size(doc) && !rc; i++) {
                size_t first = b.n;
                ingest__parse(in, json_array_get(doc, i), 1, &b, &res->ignored);
                for (size_t k = first; k < b.n; k++) {
                    ingest__item *it = &b.items[k];
                    if (!it->rejected) continue;
                    char f2[INGEST_FIELD_MAX];
                    snprintf(f2, sizeof f2, "[%zu].%s", i, it->rej.field);
                    snprintf(it->rej.field, sizeof it->rej.field, "%s", f2);
                }
                if (batch_full(in, &b)) {
                    rc = ingest__commit(in, &b, res, 0, on_reject, ctx, path, err);
                    ingest__batch_clear(&b);
                }
            }
        } else {
            ingest__parse(in, doc, 1, &b, &res->ignored);
        }
        json_decref(doc);
        if (!rc) rc = ingest__commit(in, &b, res, 0, on_reject, ctx, path, err);
    } else {
        for (; got == 1 && !rc; got = next_line(&r)) {
            lineno++;
            if (!r.too_long && blank(r.buf, r.len)) continue;
            parse_line(in, &r, lineno, &b, res);
            if (batch_full(in, &b)) {
                rc = ingest__commit(in, &b, res, 0, on_reject, ctx, path, err);
                ingest__batch_clear(&b);
            }
        }
        if (!rc && got < 0) rc = pk_err_set(err, PK_EIO, "%s: read error: %s", path, strerror(errno));
        if (!rc) rc = ingest__commit(in, &b, res, 0, on_reject, ctx, path, err);
    }
    ingest__batch_fini(&b);
    free(r.buf);
    return rc;
}
