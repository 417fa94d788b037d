#include "core/pattern.h"

#include <string.h>

int pk_pattern_has_wildcard(const char *s) {
    return strchr(s, '?') != NULL || strchr(s, '*') != NULL;
}

int pk_pattern_compile(const char *in, pk_pattern *out, pk_err *err) {
    if (!in) return pk_err_set(err, PK_EINVAL, "missing");
    memset(out, 0, sizeof *out);
    size_t n = 0, run = 0, best = 0, best_end = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        unsigned char c = *p;
        if (c == ' ' || c == '-') continue;
        if (c >= 'a' && c <= 'z') c = (unsigned char)(c - 'a' + 'A');
        int literal = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!literal && c != '?' && c != '*') {
            if (c >= 0x80 || c < 0x20 || c == 0x7f)
                return pk_err_set(err, PK_EINVAL,
                                  "character not allowed (only A-Z, 0-9, '?' and '*')");
            return pk_err_set(err, PK_EINVAL,
                              "character '%c' not allowed (only A-Z, 0-9, '?' and '*')", c);
        }
        if (c == '*' && n > 0 && out->text[n - 1] == '*') continue; /* "**" is "*" */
        if (n == PK_PATTERN_MAX)
            return pk_err_set(err, PK_EINVAL, "longer than %d characters", PK_PATTERN_MAX);
        out->text[n++] = (char)c;
        if (c == '*') {
            out->has_star = 1;
        } else {
            out->min_len++;
        }
        run = literal ? run + 1 : 0;
        if (run > best) {
            best = run;
            best_end = n;
        }
    }
    if (n == 0) return pk_err_set(err, PK_EINVAL, "empty");
    if (out->min_len > PK_PLATE_MAX)
        return pk_err_set(err, PK_EINVAL, "matches no plate (more than %d characters)",
                          PK_PLATE_MAX);
    if (out->min_len == 0) return pk_err_set(err, PK_EINVAL, "matches every plate ('*' alone)");
    out->text[n] = '\0';
    out->len = n;
    memcpy(out->longest_literal, out->text + best_end - best, best);
    out->longest_literal[best] = '\0';
    return PK_OK;
}

/* Iterative glob with single-star backtracking: linear in practice for plate lengths. */
int pk_pattern_match(const pk_pattern *p, const char *s, size_t n) {
    if (n < p->min_len || (!p->has_star && n != p->min_len)) return 0;
    const char *t = p->text;
    size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;
    while (si < n) {
        if (pi < p->len && (t[pi] == '?' || t[pi] == s[si])) {
            pi++;
            si++;
        } else if (pi < p->len && t[pi] == '*') {
            star = pi++;
            mark = si;
        } else if (star != (size_t)-1) {
            pi = star + 1;
            si = ++mark;
        } else {
            return 0;
        }
    }
    while (pi < p->len && t[pi] == '*') pi++;
    return pi == p->len;
}
