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

static int reads_search(server_req *r) {
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

const server_route server__reads_routes[] = {
    {"GET", "/api/v1/reads", SR_INVESTIGATOR | SR_ADMIN, reads_search, 0},
    {0},
};
