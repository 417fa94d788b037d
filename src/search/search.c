/* Query validation, planning and execution; the gate-side entry points search_run and
 * search_request (the order of the steps is the point: find, fetch, log, then hand out). */
#include "search/search_int.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/pattern.h"
#include "core/plate.h"
#include "core/pktime.h"

/* A canvass that would read more index ranges than this (one per row of cells per six-hour
 * slot: a 1 km x 24 h canvass reads about 55, a 5 km one 250, 1 km over 30 days 1,300) reads the
 * (ts) index instead: past that, thousands of index seeks cost more than the window's reads. */
#define MAX_RANGES 2500

enum kind { K_EXACT, K_PATTERN, K_FUZZY, K_CANVASS, K_FILTER };
static const char *const KIND_NAMES[] = {"exact", "pattern", "fuzzy", "canvass", "filter"};

enum area { A_NONE, A_NEAR, A_BOX };

/* A validated query. */
typedef struct plan {
    enum kind kind;
    char plate[PK_PLATE_MAX + 1];
    pk_pattern pat;
    int64_t from, to;
    int64_t camera_id;
    enum area area;
    double lat, lon, radius_m;
    pk_bbox box; /* the box itself, or the box around the circle */
    size_t limit;
    int has_cursor;
    int cur_rank;
    int64_t cur_ts, cur_id;
} plan;

/* One matching read before the page is fetched. */
typedef struct key {
    int64_t ts, id;
    int rank;
} key;

typedef struct keys {
    key *items;
    size_t n, cap;
    const plan *p;
    int rank; /* closeness of the plate being collected */
} keys;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

void search_query_init(search_query *q) {
    memset(q, 0, sizeof *q);
}

void search_result_fini(search_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) store_read_fini(&r->hits[i].read);
    free(r->hits);
    memset(r, 0, sizeof *r);
}

/* ---- cursor ---- */

static void cursor_format(const key *k, char *out) {
    snprintf(out, SEARCH_CURSOR_MAX, "c1.%x.%llx.%llx", (unsigned)k->rank,
             (unsigned long long)k->ts, (unsigned long long)k->id);
}

static int cursor_parse(const char *s, plan *p, pk_err *err) {
    unsigned rank;
    unsigned long long ts, id;
    int used = 0;
    if (strlen(s) >= SEARCH_CURSOR_MAX ||
        sscanf(s, "c1.%x.%llx.%llx%n", &rank, &ts, &id, &used) != 3 || s[used] != '\0' || rank > 3)
        return pk_err_set(err, PK_EINVAL, "cursor: not a cursor this search handed out");
    p->has_cursor = 1;
    p->cur_rank = (int)rank;
    p->cur_ts = (int64_t)ts;
    p->cur_id = (int64_t)id;
    return PK_OK;
}

/* ---- validation ---- */

static int compile(const search_query *q, plan *p, pk_err *err) {
    memset(p, 0, sizeof *p);
    pk_err e;
    int have_plate = q->plate && q->plate[0], have_pat = q->pattern && q->pattern[0];
    if (have_plate && have_pat)
        return pk_err_set(err, PK_EINVAL, "plate: give a plate or a pattern, not both");
    if (q->fuzzy && !have_plate)
        return pk_err_set(err, PK_EINVAL, "fuzzy: needs a plate (not a pattern)");
    if (have_plate) {
        if (pk_plate_normalize(q->plate, p->plate, &e))
            return pk_err_set(err, PK_EINVAL, "plate: %s", e.msg);
        p->kind = q->fuzzy ? K_FUZZY : K_EXACT;
    } else if (have_pat) {
        if (pk_pattern_compile(q->pattern, &p->pat, &e))
            return pk_err_set(err, PK_EINVAL, "pattern: %s", e.msg);
        if (pk_pattern_has_wildcard(p->pat.text)) {
            p->kind = K_PATTERN;
        } else { /* no wildcard: one plate */
            memcpy(p->plate, p->pat.text, p->pat.len + 1);
            p->kind = K_EXACT;
        }
    }
    if (q->has_near && q->has_box)
        return pk_err_set(err, PK_EINVAL, "near: give an area as near or as a box, not both");
    if (q->has_near) {
        if (!pk_geo_valid(q->lat, q->lon))
            return pk_err_set(err, PK_EINVAL, "near: latitude or longitude out of range");
        if (!(q->radius_m > 0) || q->radius_m > 1e6)
            return pk_err_set(err, PK_EINVAL,
                              "near: radius must be more than 0 and at most "
                              "1000000 metres");
        p->area = A_NEAR;
        p->lat = q->lat;
        p->lon = q->lon;
        p->radius_m = q->radius_m;
        /* The box around the circle, widened by 0.1 % + 1 m: pk_geo_bbox_around's longitude
         * span is a flat-earth figure, a few metres short at 100 km. It only narrows what
         * the exact distance check then decides. */
        p->box = pk_geo_bbox_around(q->lat, q->lon, q->radius_m * 1.001 + 1.0);
    } else if (q->has_box) {
        const pk_bbox *b = &q->box;
        if (!pk_geo_valid(b->min_lat, b->min_lon) || !pk_geo_valid(b->max_lat, b->max_lon))
            return pk_err_set(err, PK_EINVAL, "box: latitude or longitude out of range");
        if (b->min_lat > b->max_lat || b->min_lon > b->max_lon)
            return pk_err_set(err, PK_EINVAL, "box: minimum above maximum");
        p->area = A_BOX;
        p->box = *b;
    }
    p->from = q->has_from ? q->from : INT64_MIN;
    p->to = q->has_to ? q->to : INT64_MAX;
    if (p->from > p->to) return pk_err_set(err, PK_EINVAL, "from: after to");
    if (!have_plate && !have_pat) {
        if (p->area != A_NONE) {
            p->kind = K_CANVASS;
        } else if (q->has_from || q->has_to || (q->camera && q->camera[0])) {
            p->kind = K_FILTER;
        } else {
            return pk_err_set(err, PK_EINVAL,
                              "query: give a plate, a pattern, an area, a time range or a camera");
        }
    }
    if (q->limit > SEARCH_LIMIT_MAX)
        return pk_err_set(err, PK_EINVAL, "limit: at most %d", SEARCH_LIMIT_MAX);
    p->limit = q->limit ? q->limit : SEARCH_LIMIT_DEFAULT;
    if (q->cursor && q->cursor[0] && cursor_parse(q->cursor, p, err)) return PK_EINVAL;
    return PK_OK;
}

/* ---- the query as the access log records it ---- */

/* JSON string of outside text: printable ASCII kept, anything else as '?', at most 200 bytes
 * (jansson refuses invalid UTF-8, and the log entry must be written whatever came in). */
static json_t *jtext(const char *s) {
    char buf[201];
    size_t n = 0;
    for (; s[n] && n < sizeof buf - 1; n++) buf[n] = (s[n] >= 0x20 && s[n] < 0x7f) ? s[n] : '?';
    buf[n] = '\0';
    return json_string(buf);
}

static json_t *jtime(int64_t ms) {
    char buf[PK_TIME_STR_MAX];
    pk_time_format(ms, buf);
    return json_string(buf);
}

static json_t *query_obj(const search_query *q) {
    json_t *o = json_object();
    char norm[PK_PLATE_MAX + 1];
    if (q->plate && q->plate[0])
        json_object_set_new(o, "plate",
                            pk_plate_normalize(q->plate, norm, NULL) == PK_OK ? json_string(norm)
                                                                              : jtext(q->plate));
    if (q->pattern && q->pattern[0]) {
        pk_pattern pat;
        json_object_set_new(o, "pattern",
                            pk_pattern_compile(q->pattern, &pat, NULL) == PK_OK
                                ? json_string(pat.text)
                                : jtext(q->pattern));
    }
    if (q->fuzzy) json_object_set_new(o, "fuzzy", json_true());
    if (q->has_from) json_object_set_new(o, "from", jtime(q->from));
    if (q->has_to) json_object_set_new(o, "to", jtime(q->to));
    if (q->camera && q->camera[0]) json_object_set_new(o, "camera", jtext(q->camera));
    if (q->has_near)
        json_object_set_new(
            o, "near",
            json_pack("{s:f,s:f,s:f}", "lat", q->lat, "lon", q->lon, "radius_m", q->radius_m));
    if (q->has_box)
        json_object_set_new(o, "box",
                            json_pack("{s:f,s:f,s:f,s:f}", "min_lat", q->box.min_lat, "min_lon",
                                      q->box.min_lon, "max_lat", q->box.max_lat, "max_lon",
                                      q->box.max_lon));
    if (q->limit) json_object_set_new(o, "limit", json_integer((json_int_t)q->limit));
    if (q->cursor && q->cursor[0]) json_object_set_new(o, "cursor", jtext(q->cursor));
    return o;
}

static char *dump(json_t *o) {
    char *s = json_dumps(o, JSON_COMPACT);
    PK_ASSERT(s);
    json_decref(o);
    return s;
}

char *search_query_json(const search_query *q) {
    return dump(query_obj(q));
}

char *search__log_json(const search_query *q, const char *kind, const char *error) {
    json_t *o = query_obj(q);
    if (kind) json_object_set_new(o, "kind", json_string(kind));
    if (error) json_object_set_new(o, "error", jtext(error));
    return dump(o);
}

double search__now_ms(void) {
    return now_ms();
}

/* ---- execution ---- */

static int in_area(const plan *p, const store_read_key *k) {
    if (p->area == A_NONE) return 1;
    if (!k->has_pos) return 0;
    /* the box first: it is the whole test for a box, and saves most haversines for a circle */
    if (!(k->lat >= p->box.min_lat && k->lat <= p->box.max_lat && k->lon >= p->box.min_lon &&
          k->lon <= p->box.max_lon))
        return 0;
    return p->area == A_BOX || pk_geo_distance_m(p->lat, p->lon, k->lat, k->lon) <= p->radius_m;
}

static int collect(void *ctx, const store_read_key *k) {
    keys *ks = ctx;
    const plan *p = ks->p;
    if (k->ts < p->from || k->ts > p->to) return 0;
    if (p->camera_id && k->camera_id != p->camera_id) return 0;
    if (!in_area(p, k)) return 0;
    if (ks->n == ks->cap) {
        if (ks->n >= SEARCH_MAX_READS) return PK_ELIMIT;
        ks->cap = ks->cap ? ks->cap * 2 : 256;
        ks->items = pk_xrealloc(ks->items, ks->cap * sizeof *ks->items);
    }
    ks->items[ks->n++] = (key){k->ts, k->id, ks->rank};
    return 0;
}

/* Closeness first (fuzzy), then newest first. */
static int key_cmp(const key *a, const key *b) {
    if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
    if (a->ts != b->ts) return a->ts > b->ts ? -1 : 1;
    if (a->id != b->id) return a->id > b->id ? -1 : 1;
    return 0;
}

#define SWAP_KEYS(x, y)                                                                            \
    do {                                                                                           \
        key t_ = (x);                                                                              \
        (x) = (y);                                                                                 \
        (y) = t_;                                                                                  \
    } while (0)

static int key_qcmp(const void *a, const void *b) {
    return key_cmp(a, b);
}

/* Reorders a[0..n) so that its k smallest keys (k < n) come first, in no order (Hoare's
 * quickselect with a median-of-three pivot). */
static void select_smallest(key *a, size_t n, size_t k) {
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (key_cmp(&a[mid], &a[lo]) < 0) SWAP_KEYS(a[mid], a[lo]);
        if (key_cmp(&a[hi], &a[lo]) < 0) SWAP_KEYS(a[hi], a[lo]);
        if (key_cmp(&a[hi], &a[mid]) < 0) SWAP_KEYS(a[hi], a[mid]);
        key pivot = a[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (key_cmp(&a[i], &pivot) < 0) i++;
            while (key_cmp(&a[j], &pivot) > 0) j--;
            if (i <= j) {
                SWAP_KEYS(a[i], a[j]);
                i++;
                if (j == 0) break;
                j--;
            }
        }
        /* now a[lo..j] <= pivot <= a[i..hi] */
        if (k <= j) {
            hi = j;
        } else if (k >= i) {
            lo = i;
        } else {
            return;
        }
    }
}

static int collect_plates(store *st, const plan *p, const search__plates *pl, keys *ks,
                          pk_err *err) {
    int with_pos = p->area != A_NONE || p->camera_id != 0;
    for (size_t i = 0; i < pl->n; i++) {
        ks->rank = pl->items[i].closeness;
        int rc = store_read_keys_by_plate(st, pl->items[i].id, p->from, p->to, with_pos, collect,
                                          ks, err);
        if (rc) return rc;
    }
    return PK_OK;
}

/* Whether cell (la, lo) lies wholly outside the circle (its nearest point to the centre is too
 * far). The cell is widened by a hundredth of its size on every side so that rounding at its
 * edges can only keep it, which the per-read test then settles. */
static int cell_outside_circle(const plan *p, int64_t la, int64_t lo) {
    double pad = 0.01 / STORE_CELL_PER_DEG;
    double lat0 = (double)la / STORE_CELL_PER_DEG - 90.0 - pad;
    double lat1 = (double)(la + 1) / STORE_CELL_PER_DEG - 90.0 + pad;
    double lon0 = (double)lo / STORE_CELL_PER_DEG - 180.0 - pad;
    double lon1 = (double)(lo + 1) / STORE_CELL_PER_DEG - 180.0 + pad;
    double nlat = p->lat < lat0 ? lat0 : p->lat > lat1 ? lat1 : p->lat;
    double nlon = p->lon < lon0 ? lon0 : p->lon > lon1 ? lon1 : p->lon;
    return pk_geo_distance_m(p->lat, p->lon, nlat, nlon) > p->radius_m * 1.001 + 1.0;
}

static int collect_area(store *st, const plan *p, keys *ks, pk_err *err) {
    int64_t la0 = store_geo_lat_cell(p->box.min_lat), la1 = store_geo_lat_cell(p->box.max_lat);
    int64_t lo0 = store_geo_lon_cell(p->box.min_lon), lo1 = store_geo_lon_cell(p->box.max_lon);
    int64_t slots = p->to / STORE_SLOT_MS - p->from / STORE_SLOT_MS + 1;
    if ((la1 - la0 + 1) * slots > MAX_RANGES)
        return store_read_keys_by_time(st, p->from, p->to, p->camera_id, collect, ks, err);
    /* Each row of cells is read as one range (per slot) from its first to its last cell that is
     * not wholly outside the area: a circle crosses a row in one stretch. Every read found is
     * tested against the area itself. */
    for (int64_t la = la0; la <= la1; la++) {
        int64_t first = lo0, last = lo1;
        if (p->area == A_NEAR) {
            while (first <= lo1 && cell_outside_circle(p, la, first)) first++;
            while (last >= first && cell_outside_circle(p, la, last)) last--;
            if (first > last) continue;
        }
        int rc = store_read_keys_in_cells(st, la * STORE_CELL_LON_SPAN + first,
                                          la * STORE_CELL_LON_SPAN + last, p->from, p->to, collect,
                                          ks, err);
        if (rc) return rc;
    }
    return PK_OK;
}

static int find_keys(search_index *idx, store *st, const plan *p, keys *ks, int64_t *nplates,
                     pk_err *err) {
    search__plates pl = {0};
    int rc = PK_OK;
    *nplates = -1;
    switch (p->kind) {
    case K_EXACT: {
        int64_t id;
        rc = store_plate_find(st, p->plate, &id, err);
        if (rc == PK_ENOTFOUND) {
            *nplates = 0;
            return PK_OK;
        }
        if (rc) return rc;
        search__plate one = {id, 0};
        pl.items = &one;
        pl.n = 1;
        *nplates = 1;
        return collect_plates(st, p, &pl, ks, err);
    }
    case K_PATTERN:
    case K_FUZZY:
        if ((rc = search_index_sync(idx, st, err))) return rc;
        if (p->kind == K_PATTERN) {
            rc = search__index_pattern(idx, &p->pat, SEARCH_MAX_PLATES, &pl, err);
        } else {
            search__index_fuzzy(idx, p->plate, &pl);
        }
        if (!rc) {
            *nplates = (int64_t)pl.n;
            rc = collect_plates(st, p, &pl, ks, err);
        }
        free(pl.items);
        return rc;
    case K_CANVASS:
        return collect_area(st, p, ks, err);
    case K_FILTER:
        return store_read_keys_by_time(st, p->from, p->to, p->camera_id, collect, ks, err);
    }
    return PK_OK;
}

int search__execute(search_index *idx, store *st, const search_query *q, search_result *out,
                    pk_err *err) {
    double t0 = now_ms();
    memset(out, 0, sizeof *out);
    plan p;
    int rc = compile(q, &p, err);
    if (rc) return rc;
    out->kind = KIND_NAMES[p.kind];
    if (q->camera && q->camera[0]) {
        rc = store_camera_find(st, q->camera, &p.camera_id, err);
        if (rc == PK_ENOTFOUND)
            return pk_err_set(err, PK_ENOTFOUND, "camera: no camera named '%s'", q->camera);
        if (rc) return rc;
    }
    keys ks = {.p = &p};
    rc = find_keys(idx, st, &p, &ks, &out->plates, err);
    if (rc == PK_ELIMIT && err && err->code != PK_ELIMIT)
        pk_err_set(err, PK_ELIMIT, "query: more than %d reads match; narrow it", SEARCH_MAX_READS);
    if (rc) {
        free(ks.items);
        return rc;
    }
    out->total = (int64_t)ks.n;
    /* Only the page is ordered: the keys after the cursor move to the front, the page's worth
     * of the smallest of them is selected (quickselect, linear) and only those are sorted. */
    size_t m = ks.n;
    if (p.has_cursor) {
        key c = {p.cur_ts, p.cur_id, p.cur_rank};
        m = 0;
        for (size_t i = 0; i < ks.n; i++)
            if (key_cmp(&ks.items[i], &c) > 0) ks.items[m++] = ks.items[i];
    }
    size_t n = m < p.limit ? m : p.limit;
    if (m > n) select_smallest(ks.items, m, n);
    if (n > 1) qsort(ks.items, n, sizeof *ks.items, key_qcmp);
    size_t start = 0;
    out->hits = n ? pk_xcalloc(n, sizeof *out->hits) : NULL;
    for (size_t i = 0; i < n; i++) {
        const key *k = &ks.items[start + i];
        rc = store_read_get(st, k->id, &out->hits[i].read, err);
        if (rc) { /* a read purged between the two steps is as much a failure as a DB error */
            out->n = i;
            search_result_fini(out);
            free(ks.items);
            return rc;
        }
        out->hits[i].closeness = k->rank;
        out->n = i + 1;
    }
    if (n < m) cursor_format(&ks.items[n - 1], out->next);
    free(ks.items);
    out->query_ms = now_ms() - t0;
    return PK_OK;
}

char *search_hit_json(const search_hit *h, int fuzzy) {
    const store_read *r = &h->read;
    char uuid[37];
    const unsigned char *u = r->uuid;
    snprintf(uuid, sizeof uuid,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
             u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
             u[15]);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "uuid", json_string(uuid));
    json_object_set_new(o, "plate", json_string(r->plate));
    json_object_set_new(o, "state", jtext(r->state));
    json_object_set_new(o, "ts", jtime(r->ts));
    json_object_set_new(o, "camera", jtext(r->camera));
    json_object_set_new(o, "lat", r->has_pos ? json_real(r->lat) : json_null());
    json_object_set_new(o, "lon", r->has_pos ? json_real(r->lon) : json_null());
    json_object_set_new(o, "confidence", json_real(r->confidence));
    if (fuzzy) json_object_set_new(o, "closeness", json_integer(h->closeness));
    return dump(o);
}
