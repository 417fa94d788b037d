#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pk_err_clear(pk_err *err) {
    if (!err) return;
    err->code = PK_OK;
    err->msg[0] = '\0';
}

int pk_err_set(pk_err *err, int code, const char *fmt, ...) {
    if (!err) return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

int pk_err_prefix(pk_err *err, const char *fmt, ...) {
    if (!err) return PK_EINVAL;
    char prefix[PK_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char joined[PK_ERR_MSG_MAX];
    snprintf(joined, sizeof joined, "%s%s", prefix, err->msg);
    memcpy(err->msg, joined, sizeof err->msg);
    return err->code;
}

const char *pk_err_code_name(int code) {
    switch (code) {
#define PK__ERR_NAME(name, value, c, msg)                                               \
    case value:                                                                         \
        return c;
        PK_ERRORS(PK__ERR_NAME)
#undef PK__ERR_NAME
    }
    return "error";
}

const char *pk_err_default_msg(int code) {
    switch (code) {
#define PK__ERR_MSG(name, value, c, msg)                                                \
    case value:                                                                         \
        return msg;
        PK_ERRORS(PK__ERR_MSG)
#undef PK__ERR_MSG
    }
    return "unknown error";
}

static _Noreturn void oom(size_t n) {
    fprintf(stderr, "platekeeper: out of memory allocating %zu bytes\n", n);
    abort();
}

void *pk_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *pk_xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom(n * size);
    return p;
}

void *pk_xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *pk_xstrdup(const char *s) {
    return pk_xstrndup(s, strlen(s));
}

char *pk_xstrndup(const char *s, size_t n) {
    size_t len = strnlen(s, n);
    char *p = pk_xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void pk__assert_fail(const char *cond, const char *file, int line) {
    fprintf(stderr, "platekeeper: assertion failed: %s (%s:%d)\n", cond, file, line);
    abort();
}
