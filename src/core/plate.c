#include "core/plate.h"

#include <string.h>

int pk_plate_normalize(const char *in, char out[PK_PLATE_MAX + 1], pk_err *err) {
    if (!in) return pk_err_set(err, PK_EINVAL, "missing");
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        unsigned char c = *p;
        if (c == ' ' || c == '-') continue;
        if (c >= 'a' && c <= 'z') c = (unsigned char)(c - 'a' + 'A');
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
            if (c >= 0x80)
                return pk_err_set(err, PK_EINVAL, "non-ASCII character (only A-Z and 0-9 allowed)");
            if (c < 0x20 || c == 0x7f)
                return pk_err_set(err, PK_EINVAL, "control character (only A-Z and 0-9 allowed)");
            return pk_err_set(err, PK_EINVAL, "character '%c' not allowed (only A-Z and 0-9)", c);
        }
        if (n == PK_PLATE_MAX)
            return pk_err_set(err, PK_EINVAL, "longer than %d characters", PK_PLATE_MAX);
        out[n++] = (char)c;
    }
    if (n == 0) return pk_err_set(err, PK_EINVAL, "empty");
    out[n] = '\0';
    return PK_OK;
}

int pk_plate_valid(const char *s) {
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return 0;
        if (n >= PK_PLATE_MAX) return 0;
    }
    return n > 0;
}

char pk_plate_canon_char(char c) {
    switch (c) {
    case 'O': case 'D': case 'Q': return '0';
    case 'I': case 'L': case 'T': return '1';
    case 'Z': return '2';
    case 'S': return '5';
    case 'B': return '8';
    case 'G': return '6';
    default: return c;
    }
}

void pk_plate_canon(const char *plate, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) out[i] = pk_plate_canon_char(plate[i]);
    out[n] = '\0';
}

int pk_plate_one_edit(const char *a, size_t an, const char *b, size_t bn) {
    if (an > bn + 1 || bn > an + 1) return 0;
    size_t i = 0;
    while (i < an && i < bn && a[i] == b[i]) i++;
    if (an == bn) { /* one substitution: the tails after i must match */
        return i == an || memcmp(a + i + 1, b + i + 1, an - i - 1) == 0;
    }
    if (an > bn) return memcmp(a + i + 1, b + i, an - i - 1) == 0; /* deletion from a */
    return memcmp(a + i, b + i + 1, bn - i - 1) == 0;                /* insertion into a */
}

int pk_plate_closeness(const char *query, size_t qn, const char *cand, size_t cn) {
    if (qn == cn && memcmp(query, cand, qn) == 0) return 0;
    char qc[PK_PLATE_MAX + 2], cc[PK_PLATE_MAX + 2];
    if (qn > PK_PLATE_MAX + 1 || cn > PK_PLATE_MAX + 1) return -1;
    pk_plate_canon(query, qn, qc);
    pk_plate_canon(cand, cn, cc);
    if (qn == cn && memcmp(qc, cc, qn) == 0) return 1;
    if (pk_plate_one_edit(query, qn, cand, cn)) return 2;
    if (pk_plate_one_edit(qc, qn, cc, cn)) return 3;
    return -1;
}
