/* Our read object (the JSON lines format and POST /reads items) and the JSON helpers the
 * OpenALPR adapter shares. Types are checked here; ranges in check.c. */
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest_int.h"

const ingest__names ingest__our_names = {
    .uuid = "uuid", .plate = "plate", .state = "state", .ts = "ts", .camera = "camera",
    .lat = "lat", .lon = "lon", .heading = "heading", .confidence = "confidence",
    .candidates = "candidates", .plate_image = "plate_image", .scene_image = "scene_image",
    .vehicle = "vehicle",
};

int ingest__reject(ingest__item *it, const char *field, const char *fmt, ...) {
    if (it->rejected) return PK_EINVAL; /* the first reason wins */
    it->rejected = 1;
    it->rej.index = it->index;
    snprintf(it->rej.field, sizeof it->rej.field, "%s%s", it->prefix, field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->rej.reason, sizeof it->rej.reason, fmt, ap);
    va_end(ap);
    return PK_EINVAL;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Canonical 8-4-4-4-12 form, or 32 hex digits without dashes. */
int ingest__uuid_parse(const char *s, unsigned char out[16]) {
    size_t n = strlen(s);
    int dashed = n == 36;
    if (!dashed && n != 32) return -1;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        if (dashed && (i == 8 || i == 13 || i == 18 || i == 23)) {
            if (s[i] != '-') return -1;
            i++;
            continue;
        }
        int hi = hexval(s[i]), lo = i + 1 < n ? hexval(s[i + 1]) : -1;
        if (hi < 0 || lo < 0) return -1;
        out[k++] = (unsigned char)(hi << 4 | lo);
        i += 2;
    }
    return k == 16 ? 0 : -1;
}

int ingest__text(ingest__item *it, const char *field, json_t *v, char *buf, size_t n) {
    if (!json_is_string(v)) return ingest__reject(it, field, "must be a string");
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len >= n) return ingest__reject(it, field, "longer than %zu bytes", n - 1);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return ingest__reject(it, field, "contains a control character");
    memcpy(buf, s, len + 1);
    return PK_OK;
}

int ingest__ts_from_json(ingest__item *it, const char *field, json_t *v) {
    if (json_is_integer(v)) {
        it->read.ts = (int64_t)json_integer_value(v);
        return PK_OK;
    }
    if (json_is_string(v)) {
        pk_err e;
        pk_err_clear(&e);
        if (pk_time_parse(json_string_value(v), &it->read.ts, &e))
            return ingest__reject(it, field, "%s", e.msg);
        return PK_OK;
    }
    return ingest__reject(it, field, "must be ISO 8601 text or integer epoch milliseconds");
}

int ingest__image_from_json(ingest *in, ingest__item *it, const char *field, json_t *v,
                            unsigned char **out, size_t *len) {
    if (!json_is_string(v)) return ingest__reject(it, field, "must be a base64 string");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (!strncmp(s, "data:image/jpeg;base64,", 23)) { /* a data URL is fine too */
        s += 23;
        n -= 23;
    }
    if (n == 0) return ingest__reject(it, field, "empty");
    /* refuse oversize images before decoding them: base64 is 4 characters per 3 bytes */
    if ((int64_t)(n / 4 * 3) > in->o.image_max + 3)
        return ingest__reject(it, field, "larger than %lld bytes", (long long)in->o.image_max);
    size_t cap = n / 4 * 3 + 3;
    unsigned char *buf = pk_xmalloc(cap);
    size_t got = 0;
    const char *end = NULL;
    if (sodium_base642bin(buf, cap, s, n, "\r\n ", &got, &end, sodium_base64_VARIANT_ORIGINAL) !=
            0 ||
        end != s + n) {
        free(buf);
        return ingest__reject(it, field, "not valid base64");
    }
    *out = buf;
    *len = got;
    return PK_OK;
}

int ingest__candidates_from_json(ingest__item *it, const char *field, json_t *v) {
    if (!json_is_array(v)) return ingest__reject(it, field, "must be an array");
    size_t n = json_array_size(v);
    if (n > INGEST_CANDIDATES_MAX)
        return ingest__reject(it, field, "more than %d entries", INGEST_CANDIDATES_MAX);
    if (n == 0) return PK_OK;
    char *txt = pk_xmalloc(n * 48 + 3);
    size_t len = 0;
    txt[len++] = '[';
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(v, i);
        char f[48];
        if (!json_is_object(c)) {
            free(txt);
            snprintf(f, sizeof f, "%s[%zu]", field, i);
            return ingest__reject(it, f, "must be an object {plate, confidence}");
        }
        char plate[PK_PLATE_MAX + 1];
        pk_err e;
        pk_err_clear(&e);
        json_t *p = json_object_get(c, "plate");
        snprintf(f, sizeof f, "%s[%zu].plate", field, i);
        if (!json_is_string(p)) {
            free(txt);
            return ingest__reject(it, f, p ? "must be a string" : "missing");
        }
        if (pk_plate_normalize(json_string_value(p), plate, &e)) {
            free(txt);
            return ingest__reject(it, f, "%s", e.msg);
        }
        json_t *cf = json_object_get(c, "confidence");
        double conf = 0;
        snprintf(f, sizeof f, "%s[%zu].confidence", field, i);
        if (cf && !json_is_number(cf)) {
            free(txt);
            return ingest__reject(it, f, "must be a number");
        }
        if (cf) conf = json_number_value(cf);
        if (!(conf >= 0 && conf <= 100)) {
            free(txt);
            return ingest__reject(it, f, "must be between 0 and 100");
        }
        len += (size_t)snprintf(txt + len, 48, "%s{\"plate\":\"%s\",\"confidence\":%.2f}",
                                i ? "," : "", plate, conf);
    }
    txt[len++] = ']';
    txt[len] = '\0';
    it->candidates = txt;
    return PK_OK;
}

/* vehicle {make, model, color}: each an optional short string; other keys are dropped. */
static int vehicle_from_json(ingest__item *it, json_t *v) {
    const char *field = it->names->vehicle;
    if (!json_is_object(v)) return ingest__reject(it, field, "must be an object {make, model, color}");
    static const char *const keys[] = {"make", "model", "color"};
    json_t *out = json_object();
    for (size_t k = 0; k < 3; k++) {
        json_t *x = json_object_get(v, keys[k]);
        if (!x || json_is_null(x)) continue;
        char f[48], buf[65];
        snprintf(f, sizeof f, "%s.%s", field, keys[k]);
        if (ingest__text(it, f, x, buf, sizeof buf)) {
            json_decref(out);
            return PK_EINVAL;
        }
        if (buf[0]) json_object_set_new(out, keys[k], json_string(buf));
    }
    if (json_object_size(out) > 0) {
        char *s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
        PK_ASSERT(s);
        it->vehicle = s;
    }
    json_decref(out);
    return PK_OK;
}

static json_t *need(ingest__item *it, json_t *o, const char *field) {
    json_t *v = json_object_get(o, field);
    if (!v || json_is_null(v)) {
        ingest__reject(it, field, "missing");
        return NULL;
    }
    return v;
}

void ingest__parse_ours(ingest *in, json_t *o, ingest__item *it) {
    const ingest__names *nm = &ingest__our_names;
    it->names = nm;
    json_t *v;
    if (!(v = need(it, o, nm->uuid))) return;
    if (!json_is_string(v) || ingest__uuid_parse(json_string_value(v), it->read.uuid)) {
        ingest__reject(it, nm->uuid, "not a UUID (expected 8-4-4-4-12 hex digits)");
        return;
    }
    if (!(v = need(it, o, nm->plate))) return;
    if (!json_is_string(v)) {
        ingest__reject(it, nm->plate, "must be a string");
        return;
    }
    pk_err e;
    pk_err_clear(&e);
    if (pk_plate_normalize(json_string_value(v), it->read.plate, &e)) {
        ingest__reject(it, nm->plate, "%s", e.msg);
        return;
    }
    v = json_object_get(o, nm->state);
    if (v && !json_is_null(v) && ingest__text(it, nm->state, v, it->read.state, sizeof it->read.state))
        return;
    if (!(v = need(it, o, nm->ts)) || ingest__ts_from_json(it, nm->ts, v)) return;
    if (!(v = need(it, o, nm->camera)) ||
        ingest__text(it, nm->camera, v, it->read.camera, sizeof it->read.camera))
        return;
    const char *numf[] = {nm->lat, nm->lon, nm->heading, nm->confidence};
    double *dst[] = {&it->read.lat, &it->read.lon, &it->read.heading, &it->read.confidence};
    int *has[] = {&it->has_lat, &it->has_lon, NULL, NULL};
    it->read.heading = -1;
    for (size_t k = 0; k < 4; k++) {
        v = json_object_get(o, numf[k]);
        if (!v || json_is_null(v)) {
            if (k == 3) {
                ingest__reject(it, numf[k], "missing");
                return;
            }
            continue;
        }
        if (!json_is_number(v)) {
            ingest__reject(it, numf[k], "must be a number");
            return;
        }
        *dst[k] = json_number_value(v);
        if (has[k]) *has[k] = 1;
    }
    if ((v = json_object_get(o, nm->candidates)) && !json_is_null(v) &&
        ingest__candidates_from_json(it, nm->candidates, v))
        return;
    if ((v = json_object_get(o, nm->vehicle)) && !json_is_null(v) && vehicle_from_json(it, v))
        return;
    if ((v = json_object_get(o, nm->plate_image)) && !json_is_null(v) &&
        ingest__image_from_json(in, it, nm->plate_image, v, &it->plate_jpeg, &it->plate_len))
        return;
    if ((v = json_object_get(o, nm->scene_image)) && !json_is_null(v) &&
        ingest__image_from_json(in, it, nm->scene_image, v, &it->scene_jpeg, &it->scene_len))
        return;
    ingest__check(in, it);
}

void ingest__parse(ingest *in, json_t *item, int64_t index, ingest__batch *b, int64_t *ignored) {
    if (!json_is_object(item)) {
        ingest__item *it = ingest__batch_add(b, index);
        ingest__reject(it, "read", "must be a JSON object");
        return;
    }
    json_t *type = json_object_get(item, "data_type");
    if (type) {
        if (!json_is_string(type)) {
            ingest__item *it = ingest__batch_add(b, index);
            ingest__reject(it, "data_type", "must be a string");
            return;
        }
        ingest__parse_openalpr(in, item, json_string_value(type), index, b, ignored);
        return;
    }
    ingest__parse_ours(in, item, ingest__batch_add(b, index));
}
