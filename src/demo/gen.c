/* The synthetic data generator: cameras, vehicles, plates, reads (see demo.h). */
#include "demo/demo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pktime.h"
#include "demo/demo_int.h"

/* Downtown Sacramento's grid: numbered streets run roughly north-south, lettered streets
 * east-west, both tilted; these vectors step one block from 10th St & J St. */
#define GRID_LAT 38.5795
#define GRID_LON -121.4942
#define NUM_DLAT -0.00050
#define NUM_DLON 0.00140
#define LET_DLAT -0.00120
#define LET_DLON -0.00050

static const char *const grid_letters[] = {"H", "J", "L", "N", "P", "T"};
static const int grid_numbers[] = {5, 10, 16, 21, 29};

static const struct {
    const char *name;
    double lat, lon, heading;
} freeway_cams[] = {
    {"I-5 at Richards Blvd", 38.5985, -121.5035, 0},
    {"US-50 at 65th St", 38.5560, -121.4275, 90},
    {"I-80 at Watt Ave", 38.6405, -121.3830, 60},
    {"SR-99 at Florin Rd", 38.4960, -121.4480, 170},
};

static const struct {
    const char *name;
    double lat, lon;
} patrol_cams[] = {
    {"Patrol 1A11", 38.5800, -121.4960}, {"Patrol 1A12", 38.5720, -121.4780},
    {"Patrol 2A21", 38.5450, -121.4650}, {"Patrol 2A22", 38.5400, -121.5000},
    {"Patrol 3A31", 38.6420, -121.5070}, {"Patrol 3A32", 38.5700, -121.4500},
    {"Patrol 4A41", 38.6050, -121.4000}, {"Patrol 4A42", 38.5000, -121.4400},
};

/* Relative traffic by local hour (Pacific), midnight first. */
static const double hour_weight[24] = {0.6, 0.4, 0.3, 0.3, 0.4, 0.9, 2.2, 3.6, 3.4, 2.6, 2.4, 2.6,
                                       2.8, 2.7, 2.9, 3.4, 3.8, 3.9, 3.0, 2.2, 1.7, 1.4, 1.1, 0.8};
#define LOCAL_OFFSET_MS (8 * INT64_C(3600000)) /* Pacific standard time is UTC-8 */

static const struct {
    const char *make, *model;
} vehicles[] = {
    {"Toyota", "Camry"},    {"Toyota", "Corolla"},   {"Toyota", "RAV4"},     {"Toyota", "Tacoma"},
    {"Honda", "Civic"},     {"Honda", "Accord"},     {"Honda", "CR-V"},      {"Ford", "F-150"},
    {"Ford", "Explorer"},   {"Ford", "Transit"},     {"Chevrolet", "Silverado"},
    {"Chevrolet", "Malibu"}, {"Nissan", "Altima"},   {"Nissan", "Sentra"},   {"Tesla", "Model 3"},
    {"Tesla", "Model Y"},   {"Hyundai", "Elantra"},  {"Kia", "Soul"},        {"Subaru", "Outback"},
    {"BMW", "3 Series"},    {"Dodge", "Ram 1500"},   {"Jeep", "Wrangler"},   {"Volkswagen", "Jetta"},
    {"Mazda", "CX-5"},
};
static const char *const colors[] = {"white", "black", "silver", "gray", "blue",
                                     "red",   "green", "tan",    "gold", "brown"};

static const struct {
    const char *state;
    const char *fmt; /* D digit 0-9, N digit 1-9, L letter, per position */
    double share;    /* cumulative shares are built at start */
} formats[] = {
    {"CA", "NLLLDDD", 0.62},  /* current passenger 8ABC123 */
    {"CA", "DDDDDLD", 0.06},  /* commercial 12345A1 */
    {"CA", "NLLDDDD", 0.03},  /* trailer 1AB2345 */
    {"CA", "DDDLLL", 0.04},   /* older 123ABC */
    {"CA", "LLLDDD", 0.04},   /* older ABC123 */
    {"CA", "DDDDLL", 0.02},   /* older 1234AB */
    {"CA", "*", 0.04},        /* personalised, 2-7 characters */
    {"NV", "DDDLDD", 0.035},  /* 123A45 */
    {"OR", "DDDLLL", 0.025},
    {"AZ", "LLLDDDD", 0.02},
    {"WA", "LLLDDDD", 0.015},
    {"TX", "LLLDDDD", 0.015},
    {"NY", "LLLDDDD", 0.01},
    {"FL", "LLLLDD", 0.01},
    {"OR", "LLLDDD", 0.01},
    {"UT", "LDDDLL", 0.01},
};
#define N_FORMATS (sizeof formats / sizeof formats[0])

/* Sequential plates skip I, O and Q (California's practice); personalised ones use all. */
static const char seq_letters[] = "ABCDEFGHJKLMNPRSTUVWXYZ";
static const char all_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

uint64_t demo__mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

uint64_t demo__next(uint64_t *s) {
    *s += 0x9E3779B97F4A7C15ULL;
    uint64_t x = *s;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

double demo__unit(uint64_t *s) {
    return (double)(demo__next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t below(uint64_t *s, uint64_t n) {
    return n ? demo__next(s) % n : 0;
}

static void build_cameras(demo_gen *g) {
    size_t n = 0;
    for (size_t l = 0; l < sizeof grid_letters / sizeof grid_letters[0]; l++) {
        for (size_t k = 0; k < sizeof grid_numbers / sizeof grid_numbers[0]; k++) {
            demo_camera *c = &g->cams[n++];
            int num = grid_numbers[k];
            const char *suf = num % 10 == 1 && num != 11 ? "st" : num % 10 == 2 ? "nd" : "th";
            snprintf(c->name, sizeof c->name, "%s St & %d%s St", grid_letters[l], num, suf);
            int li = grid_letters[l][0] - 'J';
            c->kind = "fixed";
            c->lat = GRID_LAT + (num - 10) * NUM_DLAT + li * LET_DLAT;
            c->lon = GRID_LON + (num - 10) * NUM_DLON + li * LET_DLON;
            c->heading = (double)((l * 5 + k) % 4) * 90.0 + 20.0; /* along one of the streets */
        }
    }
    for (size_t i = 0; i < sizeof freeway_cams / sizeof freeway_cams[0]; i++) {
        demo_camera *c = &g->cams[n++];
        snprintf(c->name, sizeof c->name, "%s", freeway_cams[i].name);
        c->kind = "fixed";
        c->lat = freeway_cams[i].lat;
        c->lon = freeway_cams[i].lon;
        c->heading = freeway_cams[i].heading;
    }
    for (size_t i = 0; i < sizeof patrol_cams / sizeof patrol_cams[0]; i++) {
        demo_camera *c = &g->cams[n++];
        snprintf(c->name, sizeof c->name, "%s", patrol_cams[i].name);
        c->kind = "mobile";
        c->lat = patrol_cams[i].lat;
        c->lon = patrol_cams[i].lon;
        c->heading = -1;
    }
    PK_ASSERT(n == DEMO__N_CAMS);
    for (size_t i = 0; i < n; i++) g->cams[i].id = (int64_t)i + 1;
}

demo_gen *demo_gen_new(const demo_config *cfg) {
    demo_gen *g = pk_xcalloc(1, sizeof *g);
    g->cfg = *cfg;
    if (g->cfg.n_reads < 0) g->cfg.n_reads = 0;
    if (!g->cfg.start_ms) g->cfg.start_ms = pk_days_from_civil(2025, 12, 1) * PK_MS_PER_DAY;
    if (g->cfg.span_ms <= 0) g->cfg.span_ms = 365 * PK_MS_PER_DAY;
    build_cameras(g);
    /* recurrence tiers, scaled with the data set (see demo.h) */
    int64_t n = g->cfg.n_reads;
    g->n_regular = n / 100 > 20 ? n / 100 : 20;
    g->n_occasional = n / 25 > 50 ? n / 25 : 50;
    /* time: cumulative weights over days (weekends are quieter) */
    g->n_days = g->cfg.span_ms / PK_MS_PER_DAY;
    if (g->n_days < 1) g->n_days = 1;
    g->day_cum = pk_xmalloc((size_t)(g->n_days + 1) * sizeof *g->day_cum);
    g->day_cum[0] = 0;
    int64_t day0 = g->cfg.start_ms / PK_MS_PER_DAY;
    for (int64_t d = 0; d < g->n_days; d++) {
        int dow = (int)((day0 + d + 4) % 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
        double w = dow == 0 || dow == 6 ? 0.8 : 1.0;
        g->day_cum[d + 1] = g->day_cum[d] + w;
    }
    g->hour_cum[0] = 0;
    for (int h = 0; h < 24; h++) g->hour_cum[h + 1] = g->hour_cum[h] + hour_weight[h];
    double acc = 0;
    for (size_t i = 0; i < N_FORMATS; i++) {
        acc += formats[i].share;
        g->format_cum[i] = acc;
    }
    return g;
}

void demo_gen_free(demo_gen *g) {
    if (!g) return;
    free(g->day_cum);
    free(g->jpeg);
    free(g);
}

size_t demo_gen_camera_count(const demo_gen *g) {
    (void)g;
    return DEMO__N_CAMS;
}

const demo_camera *demo_gen_camera(const demo_gen *g, size_t i) {
    return i < DEMO__N_CAMS ? &g->cams[i] : NULL;
}

int demo_gen_put_cameras(demo_gen *g, store *st, pk_err *err) {
    for (size_t i = 0; i < DEMO__N_CAMS; i++) {
        demo_camera *c = &g->cams[i];
        int rc = store_camera_put(st, c->name, c->kind, c->lat, c->lon, &c->id, err);
        if (rc) return rc;
    }
    return PK_OK;
}

/* The plate of vehicle v: its state and text follow from (seed, v) alone. */
void demo__vehicle_plate(const demo_gen *g, uint64_t v, char *plate, char *state) {
    uint64_t s = demo__mix(g->cfg.seed ^ demo__mix(v * 0x632BE59BD9B4E019ULL + 1));
    double u = demo__unit(&s) * g->format_cum[N_FORMATS - 1];
    size_t f = 0;
    while (f + 1 < N_FORMATS && u >= g->format_cum[f]) f++;
    snprintf(state, STORE_STATE_MAX + 1, "%s", formats[f].state);
    const char *fmt = formats[f].fmt;
    size_t n = 0;
    if (fmt[0] == '*') {
        size_t len = 2 + below(&s, 6);
        for (; n < len; n++) plate[n] = all_chars[below(&s, 26 + (n % 3 == 2 ? 10 : 0))];
    } else {
        for (; fmt[n]; n++) {
            switch (fmt[n]) {
            case 'N': plate[n] = (char)('1' + below(&s, 9)); break;
            case 'D': plate[n] = (char)('0' + below(&s, 10)); break;
            default: plate[n] = seq_letters[below(&s, sizeof seq_letters - 1)]; break;
            }
        }
    }
    plate[n] = '\0';
}

/* Which vehicle read i sees: regulars (65 % of reads, a skewed few seen daily), occasional
 * vehicles (20 %, a handful of times each) and vehicles seen once (15 %). */
static uint64_t pick_vehicle(const demo_gen *g, int64_t i, uint64_t *s, int *tier) {
    double u = demo__unit(s);
    if (u < 0.65) {
        *tier = 0;
        double x = pow(demo__unit(s), 1.5);
        return (uint64_t)(x * (double)g->n_regular);
    }
    if (u < 0.85) {
        *tier = 1;
        return (uint64_t)g->n_regular + below(s, (uint64_t)g->n_occasional);
    }
    *tier = 2;
    return (uint64_t)(g->n_regular + g->n_occasional + i);
}

/* The timestamp of read i: i/n of the way through the weighted year, so time grows with i and
 * the density follows the day and night shape. */
static int64_t read_ts(const demo_gen *g, int64_t i) {
    int64_t n = g->cfg.n_reads > 0 ? g->cfg.n_reads : 1;
    double x = ((double)i + 0.5) / (double)n * g->day_cum[g->n_days];
    int64_t lo = 0, hi = g->n_days; /* day_cum[lo] <= x < day_cum[hi] */
    while (hi - lo > 1) {
        int64_t mid = (lo + hi) / 2;
        if (g->day_cum[mid] <= x) lo = mid; else hi = mid;
    }
    double in_day = (x - g->day_cum[lo]) / (g->day_cum[lo + 1] - g->day_cum[lo]) * g->hour_cum[24];
    int h = 0;
    while (h < 23 && g->hour_cum[h + 1] <= in_day) h++;
    double frac = (in_day - g->hour_cum[h]) / hour_weight[h];
    if (frac < 0) frac = 0;
    if (frac >= 1) frac = 0.999999;
    int64_t day_start = g->cfg.start_ms - g->cfg.start_ms % PK_MS_PER_DAY + lo * PK_MS_PER_DAY;
    return day_start + LOCAL_OFFSET_MS + (int64_t)((h + frac) * 3600000.0);
}

void demo_gen_at(demo_gen *g, int64_t i, demo_item *out) {
    memset(out, 0, sizeof *out);
    out->index = i;
    store_read *r = &out->read;
    uint64_t s = demo__mix(g->cfg.seed * 0xD1B54A32D192ED03ULL ^ demo__mix((uint64_t)i));
    for (int k = 0; k < 2; k++) {
        uint64_t x = demo__next(&s);
        memcpy(r->uuid + 8 * k, &x, 8);
    }
    r->uuid[6] = (unsigned char)((r->uuid[6] & 0x0f) | 0x40); /* version 4 */
    r->uuid[8] = (unsigned char)((r->uuid[8] & 0x3f) | 0x80); /* RFC 4122 variant */

    int tier;
    uint64_t v = pick_vehicle(g, i, &s, &tier);
    demo__vehicle_plate(g, v, out->true_plate, r->state);
    r->ts = read_ts(g, i);

    /* camera: a regular's usual route covers three cameras; others pass anywhere */
    uint64_t vs = demo__mix(v ^ g->cfg.seed ^ 0xA5A5A5A5ULL);
    size_t ci = tier < 2 && demo__unit(&s) < 0.7 ? (size_t)(demo__mix(vs + below(&s, 3)) % DEMO__N_CAMS)
                                                 : (size_t)below(&s, DEMO__N_CAMS);
    const demo_camera *c = &g->cams[ci];
    r->camera_id = c->id;
    snprintf(r->camera, sizeof r->camera, "%s", c->name);
    r->has_pos = 1;
    if (!strcmp(c->kind, "fixed")) {
        r->lat = c->lat + (demo__unit(&s) - 0.5) * 0.00015;
        r->lon = c->lon + (demo__unit(&s) - 0.5) * 0.00015;
        r->heading = fmod(c->heading + (demo__unit(&s) < 0.5 ? 0 : 180) + (demo__unit(&s) - 0.5) * 8,
                          360.0);
        if (r->heading < 0) r->heading += 360;
    } else {
        double dist = 1500.0 * sqrt(demo__unit(&s)), th = demo__unit(&s) * 2 * M_PI;
        r->lat = c->lat + dist * cos(th) / 111320.0;
        r->lon = c->lon + dist * sin(th) / (111320.0 * cos(c->lat * M_PI / 180.0));
        r->heading = floor(demo__unit(&s) * 3600) / 10;
    }
    r->lat = round(r->lat * 1e6) / 1e6;
    r->lon = round(r->lon * 1e6) / 1e6;
    r->heading = round(r->heading * 10) / 10;

    demo__ocr(g, out, &s);
    r->candidates = out->candidates;

    uint64_t ms = demo__mix(v ^ g->cfg.seed ^ 0x5EEDULL);
    size_t vi = (size_t)below(&ms, sizeof vehicles / sizeof vehicles[0]);
    snprintf(out->vehicle, sizeof out->vehicle, "{\"make\":\"%s\",\"model\":\"%s\",\"color\":\"%s\"}",
             vehicles[vi].make, vehicles[vi].model,
             colors[below(&ms, sizeof colors / sizeof colors[0])]);
    r->vehicle = out->vehicle;

    if (g->cfg.image_every > 0 && i % g->cfg.image_every == 0) {
        free(g->jpeg);
        g->jpeg = NULL;
        if (demo_plate_jpeg(r->plate, &g->jpeg, &g->jpeg_len, NULL) == PK_OK) {
            out->plate_jpeg = g->jpeg;
            out->plate_jpeg_len = g->jpeg_len;
        }
    }
}

int demo_gen_next(demo_gen *g, demo_item *out) {
    if (g->pos >= g->cfg.n_reads) return 0;
    demo_gen_at(g, g->pos++, out);
    return 1;
}
