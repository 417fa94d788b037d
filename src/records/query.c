/* Selections for holds and sharing scopes: parse from JSON, print as JSON, compare, run. */
#include "records/records_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/geo.h"

static int add_plate(records_query *q, const char *text, pk_err *err) {
    if (q->n_plates >= RECORDS_MAX_PLATES)
        return pk_err_set(err, PK_ELIMIT, "plates: more than %d plates", RECORDS_MAX_PLATES);
    char norm[PK_PLATE_MAX + 1];
    int rc = pk_plate_normalize(text, norm, err);
    if (rc) return pk_err_prefix(err, "plates: ");
    for (size_t i = 0; i < q->n_plates; i++)
        if (!strcmp(q->plates[i], norm)) return PK_OK;
    memcpy(q->plates[q->n_plates++], norm, sizeof norm);
    return PK_OK;
}

static int parse_time(json_t *v, const char *field, int64_t *out, pk_err *err) {
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return PK_OK;
    }
    if (!json_is_string(v))
        return pk_err_set(err, PK_EINVAL, "%s: expected an ISO 8601 time", field);
    if (pk_time_parse(json_string_value(v), out, err)) return pk_err_prefix(err, "%s: ", field);
    return PK_OK;
}

/* Fills q from a JSON object (already parsed). */
static int query_from_obj(json_t *o, records_query *q, pk_err *err) {
    memset(q, 0, sizeof *q);
    if (!json_is_object(o)) return pk_err_set(err, PK_EINVAL, "query: expected a JSON object");
    const char *key;
    json_t *v;
    int rc = PK_OK;
    json_object_foreach(o, key, v) {
        if (!strcmp(key, "plate")) {
            if (!json_is_string(v)) return pk_err_set(err, PK_EINVAL, "plate: expected text");
            rc = add_plate(q, json_string_value(v), err);
        } else if (!strcmp(key, "plates")) {
            if (!json_is_array(v)) return pk_err_set(err, PK_EINVAL, "plates: expected an array");
            size_t i;
            json_t *p;
            json_array_foreach(v, i, p) {
                if (!json_is_string(p))
                    return pk_err_set(err, PK_EINVAL, "plates[%zu]: expected text", i);
                if ((rc = add_plate(q, json_string_value(p), err))) return rc;
            }
        } else if (!strcmp(key, "from")) {
            if (json_is_null(v)) continue;
            rc = parse_time(v, "from", &q->from, err);
            q->has_from = 1;
        } else if (!strcmp(key, "to")) {
            if (json_is_null(v)) continue;
            rc = parse_time(v, "to", &q->to, err);
            q->has_to = 1;
        } else if (!strcmp(key, "near")) {
            if (json_is_null(v)) continue;
            if (json_is_string(v)) {
                rc = pk_geo_parse_near(json_string_value(v), &q->lat, &q->lon, &q->radius_m, err);
                if (rc) return pk_err_prefix(err, "near: ");
            } else if (json_is_object(v)) {
                json_t *la = json_object_get(v, "lat"), *lo = json_object_get(v, "lon"),
                       *ra = json_object_get(v, "radius_m");
                if (!json_is_number(la) || !json_is_number(lo) || !json_is_number(ra))
                    return pk_err_set(err, PK_EINVAL, "near: expected lat, lon and radius_m");
                q->lat = json_number_value(la);
                q->lon = json_number_value(lo);
                q->radius_m = json_number_value(ra);
                if (!pk_geo_valid(q->lat, q->lon) || !(q->radius_m > 0) || q->radius_m > 1e6)
                    return pk_err_set(err, PK_EINVAL, "near: position or radius out of range");
            } else {
                return pk_err_set(err, PK_EINVAL, "near: expected \"LAT,LON,M\"");
            }
            q->has_near = 1;
        } else {
            return pk_err_set(err, PK_EINVAL, "%s: unknown selection field", key);
        }
        if (rc) return rc;
    }
    if (q->has_from && q->has_to && q->from > q->to)
        return pk_err_set(err, PK_EINVAL, "from: after to");
    if (!q->n_plates && !q->has_from && !q->has_to && !q->has_near)
        return pk_err_set(err, PK_EINVAL,
                          "query: give at least one of plate(s), from, to, near (a selection of "
                          "everything is never allowed)");
    return PK_OK;
}

int records__query_from_json(json_t *o, records_query *q, pk_err *err) {
    return query_from_obj(o, q, err);
}

int records_query_parse(const char *json, size_t len, records_query *q, pk_err *err) {
    json_error_t je;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!o) return pk_err_set(err, PK_EINVAL, "query: invalid JSON at %d: %s", je.position, je.text);
    int rc = query_from_obj(o, q, err);
    json_decref(o);
    return rc;
}

char *records_query_json(const records_query *q) {
    json_t *o = json_object();
    if (q->n_plates) {
        json_t *a = json_array();
        for (size_t i = 0; i < q->n_plates; i++) json_array_append_new(a, json_string(q->plates[i]));
        json_object_set_new(o, "plates", a);
    }
    char t[PK_TIME_STR_MAX];
    if (q->has_from) {
        pk_time_format(q->from, t);
        json_object_set_new(o, "from", json_string(t));
    }
    if (q->has_to) {
        pk_time_format(q->to, t);
        json_object_set_new(o, "to", json_string(t));
    }
    if (q->has_near) {
        json_t *n = json_object();
        json_object_set_new(n, "lat", json_real(q->lat));
        json_object_set_new(n, "lon", json_real(q->lon));
        json_object_set_new(n, "radius_m", json_real(q->radius_m));
        json_object_set_new(o, "near", n);
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    PK_ASSERT(s);
    char *out = pk_xstrdup(s);
    free(s);
    return out;
}

int records_query_within(const records_query *in, const records_query *out) {
    if (out->n_plates) {
        if (!in->n_plates) return 0;
        for (size_t i = 0; i < in->n_plates; i++) {
            int found = 0;
            for (size_t j = 0; j < out->n_plates && !found; j++)
                found = !strcmp(in->plates[i], out->plates[j]);
            if (!found) return 0;
        }
    }
    if (out->has_from && (!in->has_from || in->from < out->from)) return 0;
    if (out->has_to && (!in->has_to || in->to > out->to)) return 0;
    if (out->has_near) {
        if (!in->has_near) return 0;
        double d = pk_geo_distance_m(in->lat, in->lon, out->lat, out->lon);
        if (d + in->radius_m > out->radius_m + 0.001) return 0;
    }
    return 1;
}

typedef struct collect {
    const records_query *q;
    int64_t *ids;
    size_t n, cap;
} collect;

static int collect_fn(void *ctx, const store_read *r) {
    collect *c = ctx;
    if (c->q->has_near) {
        if (!r->has_pos) return 0;
        if (pk_geo_distance_m(r->lat, r->lon, c->q->lat, c->q->lon) > c->q->radius_m) return 0;
    }
    if (c->n == c->cap) c->ids = pk_xrealloc(c->ids, (c->cap = c->cap ? c->cap * 2 : 64) * sizeof *c->ids);
    c->ids[c->n++] = r->id;
    return 0;
}

int records__query_ids(store *st, const records_query *q, int64_t **ids, size_t *n, pk_err *err) {
    *ids = NULL;
    *n = 0;
    store_read_filter f;
    store_read_filter_init(&f);
    int64_t pids[RECORDS_MAX_PLATES];
    size_t np = 0;
    for (size_t i = 0; i < q->n_plates; i++) {
        int rc = store_records_plate_find(st, q->plates[i], &pids[np], err);
        if (rc == PK_OK)
            np++;
        else if (rc != PK_ENOTFOUND)
            return rc;
    }
    if (q->n_plates && !np) return PK_OK; /* none of the plates was ever read */
    if (np) {
        f.plate_ids = pids;
        f.n_plate_ids = np;
    }
    if (q->has_from) f.from = q->from;
    if (q->has_to) f.to = q->to;
    if (q->has_near) {
        f.has_box = 1;
        f.box = pk_geo_bbox_around(q->lat, q->lon, q->radius_m);
    }
    collect c = {q, NULL, 0, 0};
    int rc = store_reads_each(st, &f, collect_fn, &c, err);
    if (rc) {
        free(c.ids);
        return rc;
    }
    *ids = c.ids;
    *n = c.n;
    return PK_OK;
}

/* ---- a search as a hold's selection ---- */

static int copy_text(json_t *v, const char *field, char *buf, size_t n, pk_err *err) {
    if (!json_is_string(v)) return pk_err_set(err, PK_EINVAL, "%s: expected text", field);
    if (json_string_length(v) >= n || !json_string_length(v))
        return pk_err_set(err, PK_EINVAL, "%s: 1 to %zu characters", field, n - 1);
    memcpy(buf, json_string_value(v), json_string_length(v) + 1);
    return PK_OK;
}

int records_search_parse(const char *json, size_t len, records_search *s, pk_err *err) {
    memset(s, 0, sizeof *s);
    search_query_init(&s->q);
    json_error_t je;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!o) return pk_err_set(err, PK_EINVAL, "query: invalid JSON at %d: %s", je.position, je.text);
    int rc = PK_OK, any = 0;
    if (!json_is_object(o)) rc = pk_err_set(err, PK_EINVAL, "query: expected a JSON object");
    const char *key;
    json_t *v;
    if (!rc) json_object_foreach(o, key, v) {
        if (rc) break;
        any = 1;
        if (!strcmp(key, "plate")) {
            if (!(rc = copy_text(v, "plate", s->plate, sizeof s->plate, err))) s->q.plate = s->plate;
        } else if (!strcmp(key, "pattern")) {
            if (!(rc = copy_text(v, "pattern", s->pattern, sizeof s->pattern, err)))
                s->q.pattern = s->pattern;
        } else if (!strcmp(key, "camera")) {
            if (!(rc = copy_text(v, "camera", s->camera, sizeof s->camera, err)))
                s->q.camera = s->camera;
        } else if (!strcmp(key, "fuzzy")) {
            if (!json_is_boolean(v)) rc = pk_err_set(err, PK_EINVAL, "fuzzy: expected true or false");
            s->q.fuzzy = json_is_true(v);
        } else if (!strcmp(key, "from")) {
            s->q.has_from = 1;
            rc = parse_time(v, "from", &s->q.from, err);
        } else if (!strcmp(key, "to")) {
            s->q.has_to = 1;
            rc = parse_time(v, "to", &s->q.to, err);
        } else if (!strcmp(key, "near")) {
            s->q.has_near = 1;
            if (!json_is_string(v))
                rc = pk_err_set(err, PK_EINVAL, "near: expected \"LAT,LON,METRES\"");
            else if (pk_geo_parse_near(json_string_value(v), &s->q.lat, &s->q.lon, &s->q.radius_m, err))
                rc = pk_err_prefix(err, "near: ");
        } else {
            rc = pk_err_set(err, PK_EINVAL, "%s: unknown query field (plate, pattern, fuzzy, from, "
                            "to, near, camera)", key);
        }
    }
    if (!rc && !any)
        rc = pk_err_set(err, PK_EINVAL, "query: give at least one of plate, pattern, from, to, "
                        "near, camera");
    if (!rc && s->q.plate && s->q.pattern)
        rc = pk_err_set(err, PK_EINVAL, "pattern: give plate or pattern, not both");
    json_decref(o);
    return rc;
}
