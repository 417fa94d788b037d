/*
 * The compact form of a read's candidates and vehicle in the reads table (reads.c).
 *
 * Ingest writes both as canonical JSON: candidates `[{"plate":"7ABC123","confidence":91.25},
 * ...]`, vehicle `{"color":"white","make":"Toyota","model":"Camry"}` - about 200 of a read's
 * 300 bytes, most of them the same keys again and again. The table keeps them as
 *   candidates  "~=,7A8C123:70.00,..."  ("=" is the read's own plate and confidence, "%.2f")
 *   vehicle     "~white|Toyota|Camry"   (color|make|model, empty when absent)
 * and the fetch paths turn them back into the identical JSON text, so no caller sees the
 * difference. Text that is not in the canonical shape (another writer, odd characters) is
 * stored as it came: a leading '~' tells the forms apart, JSON never starts with one (text that
 * does is stored with a second '~' in front, "~~...", which no compact form starts with).
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int expect(const char **p, const char *lit) {
    size_t n = strlen(lit);
    if (strncmp(*p, lit, n)) return 0;
    *p += n;
    return 1;
}

size_t store__cand_encode(const char *json, const char *plate, double conf, char *out,
                          size_t cap) {
    if (!json || !*json) return 0;
    const char *p = json;
    char own[32];
    snprintf(own, sizeof own, "%.2f", conf);
    size_t n = 0;
    if (!expect(&p, "[") || cap < 2) return 0;
    out[n++] = '~';
    for (int first = 1;; first = 0) {
        if (!expect(&p, "{\"plate\":\"")) return 0;
        const char *pl = p;
        while ((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) p++;
        size_t pl_n = (size_t)(p - pl);
        if (pl_n == 0 || pl_n > PK_PLATE_MAX || !expect(&p, "\",\"confidence\":")) return 0;
        const char *num = p;
        while ((*p >= '0' && *p <= '9') || *p == '.' || *p == '-') p++;
        size_t num_n = (size_t)(p - num);
        if (num_n == 0 || num_n > 24 || !expect(&p, "}")) return 0;
        if (!first) out[n++] = ',';
        if (first && pl_n == strlen(plate) && !strncmp(pl, plate, pl_n) && num_n == strlen(own) &&
            !strncmp(num, own, num_n)) {
            if (n + 1 >= cap) return 0;
            out[n++] = '=';
        } else {
            if (n + pl_n + num_n + 2 >= cap) return 0;
            memcpy(out + n, pl, pl_n);
            n += pl_n;
            out[n++] = ':';
            memcpy(out + n, num, num_n);
            n += num_n;
        }
        if (*p == ',') {
            p++;
            continue;
        }
        if (!expect(&p, "]") || *p) return 0;
        break;
    }
    out[n] = '\0';
    return n;
}

/* Makes room for n more bytes in the scratch buffer. */
static void grow(char **buf, size_t *cap, size_t need) {
    if (need <= *cap) return;
    *cap = need * 2;
    *buf = pk_xrealloc(*buf, *cap);
}

const char *store__cand_decode(const char *text, const char *plate, double conf, char **buf,
                               size_t *cap) {
    if (!text || text[0] != '~') return text;
    if (text[1] == '~') return text + 1; /* verbatim text that began with '~' */
    size_t len = strlen(text);
    /* each entry grows by the JSON around it (and "=" by the plate and confidence) */
    grow(buf, cap, len * 2 + 64 * (len / 2 + 1) + 64);
    char *o = *buf;
    size_t n = 0;
    o[n++] = '[';
    const char *p = text + 1;
    for (int i = 0; *p; i++) {
        const char *end = strchr(p, ',');
        size_t el = end ? (size_t)(end - p) : strlen(p);
        if (i) o[n++] = ',';
        if (el == 1 && *p == '=') {
            n += (size_t)sprintf(o + n, "{\"plate\":\"%s\",\"confidence\":%.2f}", plate, conf);
        } else {
            const char *colon = memchr(p, ':', el);
            if (!colon) return "[]"; /* cannot happen for text this file wrote */
            n += (size_t)sprintf(o + n, "{\"plate\":\"%.*s\",\"confidence\":%.*s}",
                                 (int)(colon - p), p, (int)(el - (size_t)(colon - p) - 1),
                                 colon + 1);
        }
        p += el;
        if (*p == ',') p++;
    }
    o[n++] = ']';
    o[n] = '\0';
    return o;
}

static const char *const vkeys[3] = {"color", "make", "model"};

size_t store__vehicle_encode(const char *json, char *out, size_t cap) {
    if (!json || !*json) return 0;
    const char *p = json;
    const char *val[3] = {NULL, NULL, NULL};
    size_t vn[3] = {0, 0, 0};
    if (!expect(&p, "{")) return 0;
    int k = 0, any = 0;
    while (*p != '}') {
        if (any && !expect(&p, ",")) return 0;
        char key[16];
        int found = -1;
        for (; k < 3 && found < 0; k++) {
            snprintf(key, sizeof key, "\"%s\":\"", vkeys[k]);
            if (expect(&p, key)) found = k;
        }
        if (found < 0) return 0;
        val[found] = p;
        while (*p && *p != '"' && *p != '\\' && *p != '|' && *p != '~' &&
               (unsigned char)*p >= 0x20)
            p++;
        vn[found] = (size_t)(p - val[found]);
        if (vn[found] == 0 || !expect(&p, "\"")) return 0;
        any = 1;
    }
    if (!any || p[1]) return 0;
    size_t n = 0;
    if (cap < 2) return 0;
    out[n++] = '~';
    for (int i = 0; i < 3; i++) {
        if (i) out[n++] = '|';
        if (n + vn[i] + 2 >= cap) return 0;
        if (val[i]) memcpy(out + n, val[i], vn[i]);
        n += vn[i];
    }
    out[n] = '\0';
    return n;
}

const char *store__vehicle_decode(const char *text, char **buf, size_t *cap) {
    if (!text || text[0] != '~') return text;
    if (text[1] == '~') return text + 1; /* verbatim text that began with '~' */
    grow(buf, cap, strlen(text) + 64);
    char *o = *buf;
    size_t n = 0;
    o[n++] = '{';
    const char *p = text + 1;
    int any = 0;
    for (int i = 0; i < 3; i++) {
        const char *end = strchr(p, '|');
        size_t el = end ? (size_t)(end - p) : strlen(p);
        if (el) {
            n += (size_t)sprintf(o + n, "%s\"%s\":\"%.*s\"", any ? "," : "", vkeys[i], (int)el, p);
            any = 1;
        }
        p += el;
        if (*p == '|') p++;
    }
    o[n++] = '}';
    o[n] = '\0';
    return o;
}
