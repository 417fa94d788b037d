/* Reads: GET /api/v1/reads (search). Read data, so every answer goes through the access gate:
 * search_request opens the grant for the caller with the stated purpose and case, runs the
 * query and writes the access-log entry before this handler sees a single read. */
#include "server/server_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pktime.h"

/* Parses "LAT,LON,M". 0 on success. */
static int parse_near(const char *s, double *lat, double *lon, double *m) {
    double v[3];
    const char *p = s;
    for (int i = 0; i < 3; i++) {
        char *end;
        errno = 0;
        v[i] = strtod(p, &end);
        if (end == p || errno || !isfinite(v[i])) return -1;
        if (i < 2 && *end != ',') return -1;
        if (i == 2 && *end) return -1;
        p = end + 1;
    }
    if (v[0] < -90 || v[0] > 90 || v[1] < -180 || v[1] > 180 || v[2] <= 0 || v[2] > 100000)
        return -1;
    *lat = v[0], *lon = v[1], *m = v[2];
    return 0;
}

static int parse_bool(const char *s, int *out) {
    if (!s) return *out = 0, 0;
    if (!strcmp(s, "1") || !strcmp(s, "true")) return *out = 1, 0;
    if (!strcmp(s, "0") || !strcmp(s, "false") || !*s) return *out = 0, 0;
    return -1;
}

/* Appends text to a growing buffer. */
static void put(char **buf, size_t *len, size_t *cap, const char *text) {
    size_t n = strlen(text);
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = pk_xrealloc(*buf, *cap);
    }
    memcpy(*buf + *len, text, n + 1);
    *len += n;
}

static int reads_search_do(server_req *r) {
    static const char *const allowed[] = {"plate", "pattern", "fuzzy", "from", "to", "near",
                                          "camera", "limit", "cursor", "purpose", "case", NULL};
    if (server__query_only(r, allowed)) return 0;
    search_query q;
    search_query_init(&q);
    q.plate = server__query(r, "plate");
    q.pattern = server__query(r, "pattern");
    q.camera = server__query(r, "camera");
    q.cursor = server__query(r, "cursor");
    if (q.plate && !*q.plate) q.plate = NULL;
    if (q.pattern && !*q.pattern) q.pattern = NULL;
    if (q.camera && !*q.camera) q.camera = NULL;
    if (q.plate && q.pattern)
        return server__reply_error(r, 400, "invalid", "plate and pattern: give one, not both");
    if (parse_bool(server__query(r, "fuzzy"), &q.fuzzy))
        return server__reply_error(r, 400, "invalid", "fuzzy: must be 1, 0, true or false");
    pk_err err;
    pk_err_clear(&err);
    const char *from = server__query(r, "from"), *to = server__query(r, "to");
    if (from && *from) {
        if (pk_time_parse(from, &q.from, &err))
            return server__reply_error(r, 400, "invalid", "from: %s", err.msg);
        q.has_from = 1;
    }
    if (to && *to) {
        if (pk_time_parse(to, &q.to, &err))
            return server__reply_error(r, 400, "invalid", "to: %s", err.msg);
        q.has_to = 1;
    }
    const char *near = server__query(r, "near");
    if (near && *near) {
        if (parse_near(near, &q.lat, &q.lon, &q.radius_m))
            return server__reply_error(r, 400, "invalid",
                                       "near: must be LAT,LON,METRES (radius up to 100000)");
        q.has_near = 1;
    }
    int64_t limit;
    if (server__query_i64(r, "limit", 1, SEARCH_LIMIT_MAX, SEARCH_LIMIT_DEFAULT, &limit)) return 0;
    q.limit = (size_t)limit;

    const char *purpose = server__query(r, "purpose"), *case_no = server__query(r, "case");
    if (case_no && !*case_no) case_no = NULL;
    access_request req = {
        .user = &r->user,
        .action = ACCESS_READS_SEARCH,
        .purpose = purpose,
        .case_no = case_no,
        .client = r->client,
        .clock = &r->srv->clock,
    };
    search_result res = {0};
    r->gated = 1;
    int rc = search_request(r->srv->index, r->st, &req, &q, &res, &err);
    if (rc == PK_ENOTFOUND) return server__reply_error(r, 400, "invalid", "%s", err.msg);
    if (rc == PK_ELIMIT) return server__reply_error(r, 400, "too_broad", "%s", err.msg);
    if (rc) return server__reply_pkerr(r, rc, &err);

    /* The page as JSON text, built directly (search_hit_json gives each read's object). */
    size_t len = 0, cap = 256 + res.n * 256;
    char *out = pk_xmalloc(cap);
    out[0] = '\0';
    put(&out, &len, &cap, "{\"reads\":[");
    for (size_t i = 0; i < res.n; i++) {
        char *hit = search_hit_json(&res.hits[i], q.fuzzy);
        if (i) put(&out, &len, &cap, ",");
        put(&out, &len, &cap, hit);
        free(hit);
    }
    json_t *tail = json_pack("{s:I, s:s, s:s}", "total", (json_int_t)res.total, "next", res.next,
                             "kind", res.kind ? res.kind : "");
    char *t = json_dumps(tail, JSON_COMPACT);
    json_decref(tail);
    put(&out, &len, &cap, "],");
    put(&out, &len, &cap, t + 1); /* the tail object without its opening brace */
    free(t);
    search_result_fini(&res);
    server__reply_bytes(r, 200, "application/json", out, len);
    free(out);
    return 0;
}

/* A JSON text field of a read (candidates, vehicle) as a value; null when absent or bad. */
static json_t *json_field(const char *text) {
    if (!text || !*text) return json_null();
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v ? v : json_null();
}

static int read_get_do(server_req *r) {
    static const char *const allowed[] = {"purpose", "case", NULL};
    if (server__query_only(r, allowed)) return 0;
    int64_t id;
    if (server__param_id(r, "id", &id)) return 0;
    char q[64];
    snprintf(q, sizeof q, "{\"read_id\": %lld}", (long long)id);
    access_grant *g;
    if (server__grant_open(r, ACCESS_READS_VIEW, NULL, q, &g)) return 0;
    search_hit hit;
    pk_err err;
    pk_err_clear(&err);
    int rc = search_read_get(g, id, &hit, &err);
    access_grant_free(g);
    if (rc == PK_ENOTFOUND) return server__reply_error(r, 404, "not_found", "read %lld: no such read", (long long)id);
    if (rc) return server__reply_pkerr(r, rc, &err);
    char *text = search_hit_json(&hit, 0);
    json_t *o = json_loads(text, 0, NULL);
    free(text);
    const store_read *rd = &hit.read;
    json_object_set_new(o, "heading", rd->heading >= 0 ? json_real(rd->heading) : json_null());
    json_object_set_new(o, "candidates", json_field(rd->candidates));
    json_object_set_new(o, "vehicle", json_field(rd->vehicle));
    char url[96];
    snprintf(url, sizeof url, "/api/v1/reads/%lld/image?kind=plate", (long long)id);
    json_object_set_new(o, "plate_image", rd->plate_image[0] ? json_string(url) : json_null());
    snprintf(url, sizeof url, "/api/v1/reads/%lld/image?kind=scene", (long long)id);
    json_object_set_new(o, "scene_image", rd->scene_image[0] ? json_string(url) : json_null());
    search_hit_fini(&hit);
    return server__reply_json(r, 200, json_pack("{s:o}", "read", o));
}

static int read_image_do(server_req *r) {
    static const char *const allowed[] = {"kind", "purpose", "case", NULL};
    if (server__query_only(r, allowed)) return 0;
    int64_t id;
    if (server__param_id(r, "id", &id)) return 0;
    const char *kind = server__query(r, "kind");
    if (!kind || !*kind) kind = "plate";
    if (strcmp(kind, "plate") && strcmp(kind, "scene"))
        return server__reply_error(r, 400, "invalid", "kind: must be plate or scene");
    char q[96];
    snprintf(q, sizeof q, "{\"read_id\": %lld, \"image\": \"%s\"}", (long long)id, kind);
    access_grant *g;
    if (server__grant_open(r, ACCESS_READS_VIEW, NULL, q, &g)) return 0;
    unsigned char *data = NULL;
    size_t len = 0;
    pk_err err;
    pk_err_clear(&err);
    int rc = search_read_image(g, id, kind, &data, &len, &err);
    access_grant_free(g);
    if (rc == PK_ENOTFOUND) return server__reply_error(r, 404, "not_found", "%s", err.msg);
    if (rc) return server__reply_pkerr(r, rc, &err);
    server__reply_bytes(r, 200, "image/jpeg", data, len);
    free(data);
    return 0;
}

/* Every answer of these routes is logged: the gate logs what reaches it, and a request refused
 * before (bad parameters, a bad id) is logged by server__data_route. */
static int reads_search(server_req *r) {
    return server__data_route(r, ACCESS_READS_SEARCH, reads_search_do);
}
static int read_get(server_req *r) {
    return server__data_route(r, ACCESS_READS_VIEW, read_get_do);
}
static int read_image(server_req *r) {
    return server__data_route(r, ACCESS_READS_VIEW, read_image_do);
}

const server_route server__reads_routes[] = {
    {"GET", "/api/v1/reads", SR_INVESTIGATOR | SR_ADMIN, reads_search, 0},
    {"GET", "/api/v1/reads/{id}", SR_INVESTIGATOR | SR_ADMIN | SR_OPERATOR, read_get, 0},
    {"GET", "/api/v1/reads/{id}/image", SR_INVESTIGATOR | SR_ADMIN | SR_OPERATOR, read_image, 0},
    {0},
};
