/*
 * demo.h: realistic synthetic ALPR data, deterministic per seed.
 *
 * The generator models a city's plate reads the way an ALPR administrator would recognise them:
 * about forty fixed and mobile cameras on downtown Sacramento's street grid (and on the freeways
 * around it), California plate formats (1ABC234 passenger, 12345A1 commercial, 1AB2345 trailer,
 * the older 123ABC / ABC123 / 1234AB styles, a few personalised plates) plus a share of other
 * states, realistic recurrence (a few commuters seen every day, a middle class seen a handful of
 * times, most vehicles seen once: at 10 M reads there are about 2 M distinct plates), a year of
 * timestamps shaped like day and night traffic, GPS near the camera, confidences and OCR
 * alternative readings with realistic confusions (0/O, 8/B, 1/I, 5/S, 2/Z, 6/G), and plate-crop
 * JPEGs for a sample of reads.
 *
 * Determinism: read i depends only on (seed, i, n_reads), never on what the caller did in
 * between, so benchmarks and tests can regenerate the same data set and know its contents.
 * Timestamps grow with i (reads arrive in time order, as they do from real cameras).
 *
 * The generator writes nothing: it yields store_read values (for benchmarks that insert them
 * directly) and can render each one as a JSON line in the ingest format (for files and the HTTP
 * API). demo_fill (src/demo/fill.c) is the part that fills a data directory.
 */
#ifndef PK_DEMO_DEMO_H
#define PK_DEMO_DEMO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "store/store.h"

typedef struct demo_config {
    uint64_t seed;      /* same seed, same data */
    int64_t n_reads;    /* how many reads demo_gen_next yields; shapes recurrence and spacing */
    int64_t start_ms;   /* first timestamp (UTC ms); 0 means 2025-12-01T00:00:00Z */
    int64_t span_ms;    /* time covered; 0 means 365 days */
    int image_every;    /* a plate-crop JPEG for every Nth read (0: none) */
} demo_config;

typedef struct demo_camera {
    char name[64];     /* unique camera name, e.g. "J St & 16th St" or "Patrol 3A12" */
    const char *kind;  /* "fixed" or "mobile" (static string) */
    double lat, lon;   /* fixed: its position; mobile: the centre of its beat */
    double heading;    /* direction of traffic a fixed camera faces, degrees */
    int64_t id;        /* cameras.id once demo_gen_put_cameras ran, else index + 1 */
} demo_camera;

/* One generated read. Everything points into the item itself or into the generator, and stays
 * valid until the next demo_gen_next on the same generator. */
typedef struct demo_item {
    store_read read;                    /* read.candidates and read.vehicle point at the buffers below */
    char true_plate[PK_PLATE_MAX + 1];  /* the vehicle's real plate (read.plate may be a misread) */
    char candidates[512];               /* JSON array of {"plate", "confidence"} */
    char vehicle[160];                  /* JSON object {"make", "model", "color"} */
    const unsigned char *plate_jpeg;    /* plate-crop JPEG or NULL; owned by the generator */
    size_t plate_jpeg_len;
    int64_t index;                      /* i, 0-based */
} demo_item;

typedef struct demo_gen demo_gen;

/* A generator for cfg (copied). Free with demo_gen_free. Never fails (OOM aborts). */
demo_gen *demo_gen_new(const demo_config *cfg);
void demo_gen_free(demo_gen *g);

/* The cameras (fixed set for every seed: same names, same positions). */
size_t demo_gen_camera_count(const demo_gen *g);
const demo_camera *demo_gen_camera(const demo_gen *g, size_t i);

/* Creates or updates every camera in st (store_camera_put) and records their ids, so that the
 * reads yielded afterwards carry real camera_id values. */
int demo_gen_put_cameras(demo_gen *g, store *st, pk_err *err);

/* Yields the next read into *out. Returns 1 when a read was produced, 0 after n_reads. */
int demo_gen_next(demo_gen *g, demo_item *out);

/* Yields read i (0 <= i < n_reads) without moving the sequence: the same item demo_gen_next
 * gives at position i. */
void demo_gen_at(demo_gen *g, int64_t i, demo_item *out);

/* The item as one JSON line in the ingest format (uuid, plate, state, ts ISO 8601, camera, lat,
 * lon, heading, confidence, candidates, vehicle, plate_image as base64), without newline.
 * OUT: malloc'd text, the caller frees it. */
char *demo_item_json(const demo_gen *g, const demo_item *it);

/* Renders a plate-like crop (white plate, dark blocky glyphs from a built-in 5x7 font) as a
 * grey-scale JPEG. OUT: *jpg (free with free()), *len. PK_EINVAL when text is not a plate. */
int demo_plate_jpeg(const char *text, unsigned char **jpg, size_t *len, pk_err *err);

/* ---- filling a data directory (src/demo/fill.c) ---- */

typedef struct access_user access_user;

typedef struct demo_fill_opts {
    uint64_t seed;
    int64_t n_reads;          /* reads to generate (the demo default is 100,000) */
    int image_every;          /* a plate-crop JPEG for every Nth read (0: none) */
    int64_t now;              /* the year of reads ends an hour before now (0: wall clock) */
    const access_user *admin; /* the administrator doing it (approves users, owns the list) */
    FILE *credentials;        /* where the new users' generated passwords go (NULL: nowhere) */
} demo_fill_opts;

typedef struct demo_fill_report {
    int64_t cameras, users, hotlist_entries;
    int64_t accepted, duplicates, alerts, images;
} demo_fill_report;

/* Fills st with the demo data set: the cameras, a few users of each role (training recorded;
 * existing usernames are left alone), a small hotlist whose entries some demo vehicles carry,
 * and n_reads reads ingested through src/ingest (validated, matched against the hotlist, plate
 * crops in the image store). Running it again with the same seed adds no reads (uuids).
 * OUT: *report. */
int demo_fill(store *st, const demo_fill_opts *o, demo_fill_report *report, pk_err *err);

#endif
