/* The key = value configuration file (see conf.h for the format). */
#include "core/conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONF_LINE_MAX 4096
#define CONF_KEYS_MAX 256
#define CONF_FILE_MAX (1 << 20)

struct pk_conf {
    size_t n;
    char *key[CONF_KEYS_MAX];
    char *value[CONF_KEYS_MAX];
};

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

void pk_conf_free(pk_conf *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->key[i]);
        free(c->value[i]);
    }
    free(c);
}

int pk_conf_parse(const char *text, size_t len, pk_conf **out, pk_err *err) {
    *out = NULL;
    pk_conf *c = pk_xcalloc(1, sizeof *c);
    size_t pos = 0;
    int rc = PK_OK;
    int line = 0;
    while (pos < len) {
        line++;
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - start) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (n > CONF_LINE_MAX) goto toolong;
        if (memchr(start, '\0', n)) {
            rc = pk_err_set(err, PK_EINVAL, "line %d: NUL byte", line);
            goto fail;
        }
        const char *b = start, *e = start + n;
        while (b < e && is_space(*b)) b++;
        while (e > b && is_space(e[-1])) e--;
        if (b == e || *b == '#') continue;
        const char *eq = memchr(b, '=', (size_t)(e - b));
        if (!eq) {
            rc = pk_err_set(err, PK_EINVAL, "line %d: expected key = value", line);
            goto fail;
        }
        const char *ke = eq;
        while (ke > b && is_space(ke[-1])) ke--;
        if (ke == b) {
            rc = pk_err_set(err, PK_EINVAL, "line %d: empty key", line);
            goto fail;
        }
        for (const char *p = b; p < ke; p++) {
            char ch = *p;
            if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.')) {
                rc = pk_err_set(err, PK_EINVAL,
                           "line %d: key may hold only a-z, 0-9, '_' and '.'", line);
                goto fail;
            }
        }
        const char *vb = eq + 1;
        while (vb < e && is_space(*vb)) vb++;
        char *key = pk_xstrndup(b, (size_t)(ke - b));
        for (size_t i = 0; i < c->n; i++) {
            if (!strcmp(c->key[i], key)) {
                rc = pk_err_set(err, PK_EINVAL, "line %d: key '%s' given twice", line, key);
                free(key);
                goto fail;
            }
        }
        if (c->n == CONF_KEYS_MAX) {
            free(key);
            rc = pk_err_set(err, PK_ELIMIT, "line %d: more than %d keys", line, CONF_KEYS_MAX);
            goto fail;
        }
        c->key[c->n] = key;
        c->value[c->n] = pk_xstrndup(vb, (size_t)(e - vb));
        c->n++;
    }
    *out = c;
    return PK_OK;
toolong:
    rc = pk_err_set(err, PK_ELIMIT, "line %d: longer than %d bytes", line, CONF_LINE_MAX);
fail:
    pk_conf_free(c);
    return rc;
}

int pk_conf_load(const char *path, pk_conf **out, pk_err *err) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int code = errno == ENOENT ? PK_ENOTFOUND : PK_EIO;
        return pk_err_set(err, code, "%s: %s", path, strerror(errno));
    }
    char *buf = pk_xmalloc(CONF_FILE_MAX + 1);
    size_t n = fread(buf, 1, CONF_FILE_MAX + 1, f);
    int bad = ferror(f);
    fclose(f);
    int rc;
    if (bad) {
        rc = pk_err_set(err, PK_EIO, "%s: read error", path);
    } else if (n > CONF_FILE_MAX) {
        rc = pk_err_set(err, PK_ELIMIT, "%s: larger than 1 MiB", path);
    } else {
        rc = pk_conf_parse(buf, n, out, err);
        if (rc) pk_err_prefix(err, "%s: ", path);
    }
    free(buf);
    return rc;
}

const char *pk_conf_get(const pk_conf *c, const char *key) {
    for (size_t i = 0; c && i < c->n; i++)
        if (!strcmp(c->key[i], key)) return c->value[i];
    return NULL;
}

size_t pk_conf_count(const pk_conf *c) {
    return c ? c->n : 0;
}
const char *pk_conf_key(const pk_conf *c, size_t i) {
    return i < c->n ? c->key[i] : NULL;
}
const char *pk_conf_value(const pk_conf *c, size_t i) {
    return i < c->n ? c->value[i] : NULL;
}
