/* Parsing of request input that needs no connection: JSON bodies and their validation, route
 * patterns, cookies, integers. Everything here sees bytes from outside, so it is the part the
 * fuzzer (fuzz/fuzz_http_json.c) drives. */
#include "server/server_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int perr(server_perr *e, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int perr(server_perr *e, const char *code, const char *fmt, ...) {
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* Jansson refuses nesting only past 2048 levels; a body nested deeper than any of our shapes
 * needs is refused before parsing, by counting brackets outside strings. */
static int depth_ok(const char *buf, size_t len, unsigned max_depth, size_t *where) {
    unsigned depth = 0;
    int in_str = 0, esc = 0;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_str) {
            if (esc) esc = 0;
            else if (c == '\\') esc = 1;
            else if (c == '"') in_str = 0;
            continue;
        }
        if (c == '"') in_str = 1;
        else if (c == '{' || c == '[') {
            if (++depth > max_depth) {
                *where = i;
                return 0;
            }
        } else if ((c == '}' || c == ']') && depth > 0) depth--;
    }
    return 1;
}

int server__json_parse(const char *buf, size_t len, unsigned max_depth, json_t **out,
                       server_perr *e) {
    int rc = server__json_parse_any(buf, len, max_depth, out, e);
    if (rc) return rc;
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return perr(e, "invalid_json", "the body must be a JSON object");
    }
    return 0;
}

int server__json_parse_any(const char *buf, size_t len, unsigned max_depth, json_t **out,
                           server_perr *e) {
    *out = NULL;
    if (len == 0) return perr(e, "invalid_json", "request body is empty; a JSON object is expected");
    size_t where = 0;
    if (!depth_ok(buf, len, max_depth, &where))
        return perr(e, "too_deep", "JSON nested deeper than %u levels (at byte %zu)", max_depth,
                    where);
    json_error_t je;
    /* No JSON_ALLOW_NUL: a "\u0000" inside a string is refused, so C strings stay whole. */
    json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!v)
        return perr(e, "invalid_json", "malformed JSON at line %d column %d: %s", je.line,
                    je.column, je.text);
    *out = v;
    return 0;
}

static const char *type_name(server_ftype t) {
    switch (t) {
    case SF_STRING: return "a string";
    case SF_INT: return "an integer";
    case SF_NUMBER: return "a number";
    case SF_BOOL: return "true or false";
    case SF_ARRAY: return "an array";
    case SF_OBJECT: return "an object";
    case SF_ANY: return "any value";
    }
    return "?";
}

static int type_ok(json_t *v, server_ftype t) {
    switch (t) {
    case SF_STRING: return json_is_string(v);
    case SF_INT: return json_is_integer(v);
    case SF_NUMBER: return json_is_number(v);
    case SF_BOOL: return json_is_boolean(v);
    case SF_ARRAY: return json_is_array(v);
    case SF_OBJECT: return json_is_object(v);
    case SF_ANY: return 1;
    }
    return 0;
}

int server__json_check(json_t *obj, const server_field *spec, server_perr *e) {
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        const server_field *f = spec;
        while (f->name && strcmp(f->name, key)) f++;
        if (!f->name) {
            char shown[80];
            snprintf(shown, sizeof shown, "%.64s", key);
            return perr(e, "unknown_field", "%s: unknown field", shown);
        }
        if (json_is_null(v)) { /* null = not given */
            if (f->required) return perr(e, "missing_field", "%s: required", f->name);
            continue;
        }
        if (!type_ok(v, f->type))
            return perr(e, "wrong_type", "%s: must be %s", f->name, type_name(f->type));
        if (f->type == SF_STRING) {
            size_t max = f->max_len ? f->max_len : 1024;
            if (json_string_length(v) > max)
                return perr(e, "too_long", "%s: longer than %zu bytes", f->name, max);
        }
    }
    for (const server_field *f = spec; f->name; f++) {
        if (!f->required) continue;
        json_t *got = json_object_get(obj, f->name);
        if (!got || json_is_null(got)) return perr(e, "missing_field", "%s: required", f->name);
        if (f->type == SF_STRING && json_string_length(got) == 0)
            return perr(e, "missing_field", "%s: must not be empty", f->name);
    }
    return 0;
}

int server__path_match(const char *pattern, const char *path, server_params *p) {
    p->n = 0;
    const char *a = pattern, *b = path;
    while (*a && *b) {
        if (*a != '/' || *b != '/') return 0;
        a++, b++;
        size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
        if (la > 2 && a[0] == '{' && a[la - 1] == '}') {
            if (lb == 0 || lb >= SERVER__PARAM_MAX || p->n >= SERVER__MAX_PARAMS) return 0;
            size_t ln = la - 2 < sizeof p->name[0] - 1 ? la - 2 : sizeof p->name[0] - 1;
            memcpy(p->name[p->n], a + 1, ln);
            p->name[p->n][ln] = '\0';
            memcpy(p->value[p->n], b, lb);
            p->value[p->n][lb] = '\0';
            p->n++;
        } else if (la != lb || memcmp(a, b, la)) {
            return 0;
        }
        a += la, b += lb;
    }
    return *a == '\0' && *b == '\0';
}

int server__cookie_get(const char *header, const char *name, char *out, size_t n) {
    size_t nl = strlen(name);
    const char *s = header;
    while (s && *s) {
        while (*s == ' ' || *s == ';') s++;
        size_t len = strcspn(s, ";");
        if (len > nl && !memcmp(s, name, nl) && s[nl] == '=') {
            size_t vl = len - nl - 1;
            if (vl + 1 > n) return 0;
            memcpy(out, s + nl + 1, vl);
            out[vl] = '\0';
            return 1;
        }
        s += len;
    }
    return 0;
}

int server__parse_i64(const char *s, int64_t min, int64_t max, int64_t *out) {
    if (!s || !*s || (*s != '-' && (*s < '0' || *s > '9'))) return -1;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno || !end || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}
