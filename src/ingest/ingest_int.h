/*
 * ingest_int.h: shared only inside src/ingest.
 *
 * A batch goes through three steps:
 *   1. parse (json.c for our read objects, openalpr.c for OpenALPR messages): JSON types are
 *      checked and values copied into ingest__item, which owns its strings and decoded images;
 *   2. check (check.c): the checks both the JSON and the structured path share: plate
 *      normalization, ranges, timestamps, camera names, JPEG images. The field names in the
 *      reasons come from an ingest__names table, so an OpenALPR message is told about
 *      "gps_latitude" and our format about "lat";
 *   3. commit (batch.c): images to the image store, reads to the store, hooks, one commit.
 * A rejected item keeps its place in the batch with rejected = 1 and is skipped by step 3.
 */
#ifndef PK_INGEST_INGEST_INT_H
#define PK_INGEST_INGEST_INT_H

#include <turbojpeg.h>

#include "ingest/ingest.h"

/* The names a format uses for the fields the common checks look at. */
typedef struct ingest__names {
    const char *uuid, *plate, *state, *ts, *camera, *lat, *lon, *heading, *confidence;
    const char *candidates, *plate_image, *scene_image, *vehicle;
} ingest__names;

extern const ingest__names ingest__our_names;

typedef struct ingest__item {
    store_read read;            /* read.candidates / read.vehicle point at the owned copies */
    char *candidates;           /* normalized JSON array text, owned, or NULL */
    char *vehicle;              /* normalized JSON object text, owned, or NULL */
    unsigned char *plate_jpeg;  /* decoded image bytes, owned, or NULL */
    size_t plate_len;
    unsigned char *scene_jpeg;
    size_t scene_len;
    int has_lat, has_lon;       /* which of the position fields were given */
    int borrowed;               /* images and strings belong to the caller (ingest_reads) */
    const ingest__names *names; /* field names for the reasons */
    char prefix[24];            /* field prefix, e.g. "results[1]." */
    int64_t index;              /* batch index or file line */
    int rejected;
    ingest_reject rej;
} ingest__item;

typedef struct ingest__batch {
    ingest__item *items;
    size_t n, cap;
} ingest__batch;

struct ingest {
    store *st;               /* borrowed */
    ingest_opts o;
    tjhandle tj;             /* JPEG header reader */
    struct {
        char name[64];
        int64_t id;
    } *cams;                 /* camera name -> id cache, sorted by name */
    size_t n_cams, cap_cams;
};

/* A fresh item at the end of b (zeroed, index set, our names). */
ingest__item *ingest__batch_add(ingest__batch *b, int64_t index);
/* Frees every item's owned data and empties the batch (keeps its array). */
void ingest__batch_clear(ingest__batch *b);
void ingest__batch_fini(ingest__batch *b);

/* Marks the item rejected with field (prefixed) and a printf-style reason; returns PK_EINVAL. */
int ingest__reject(ingest__item *it, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parses one JSON item of a batch (ours or OpenALPR) into b: adds one item per read it
 * carries (rejected ones included); heartbeats add nothing and count in *ignored. */
void ingest__parse(ingest *in, json_t *item, int64_t index, ingest__batch *b, int64_t *ignored);

/* Our read object (json.c). */
void ingest__parse_ours(ingest *in, json_t *o, ingest__item *it);
/* OpenALPR messages (openalpr.c); type is the data_type. */
void ingest__parse_openalpr(ingest *in, json_t *o, const char *type, int64_t index,
                            ingest__batch *b, int64_t *ignored);

/* Helpers for the parsers (json.c). */
int ingest__uuid_parse(const char *s, unsigned char out[16]);
/* A timestamp from JSON: ISO 8601 text or integer epoch milliseconds. */
int ingest__ts_from_json(ingest__item *it, const char *field, json_t *v);
/* Base64 JPEG text into owned bytes (size limit checked before decoding). */
int ingest__image_from_json(ingest *in, ingest__item *it, const char *field, json_t *v,
                            unsigned char **out, size_t *len);
/* Candidates array [{"plate", "confidence"}] into normalized JSON text. */
int ingest__candidates_from_json(ingest__item *it, const char *field, json_t *v);
/* Copies a JSON string into buf with a length limit and no control characters. */
int ingest__text(ingest__item *it, const char *field, json_t *v, char *buf, size_t n);

/* The checks shared by every path (check.c). */
int ingest__check(ingest *in, ingest__item *it);

/* Stores the non-rejected items of b in one transaction and fills res (batch.c). Rejected items
 * go to res->rejects when keep_rejects, else to on_reject. */
int ingest__commit(ingest *in, ingest__batch *b, ingest_result *res, int keep_rejects,
                   ingest_reject_fn on_reject, void *ctx, const char *path, pk_err *err);

#endif
