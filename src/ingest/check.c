/* The checks every read passes whatever its format (DESIGN.md §4 rule 6). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ingest/ingest_int.h"

static int check_image(ingest *in, ingest__item *it, const char *field, const unsigned char *p,
                       size_t n) {
    if ((int64_t)n > in->o.image_max)
        return ingest__reject(it, field, "larger than %lld bytes", (long long)in->o.image_max);
    int w = 0, h = 0, sub, cs;
    /* a JPEG starts with SOI and a marker; libturbojpeg then has to find a frame header in it */
    if (n < 4 || p[0] != 0xFF || p[1] != 0xD8 || p[2] != 0xFF ||
        tjDecompressHeader3(in->tj, p, (unsigned long)n, &w, &h, &sub, &cs) != 0 || w <= 0 ||
        h <= 0) /* a truncated header can "succeed" without a frame: no size means no image */
        return ingest__reject(it, field, "not a JPEG image");
    if (w > 16384 || h > 16384)
        return ingest__reject(it, field, "JPEG of %dx%d pixels is out of range", w, h);
    return PK_OK;
}

int ingest__check(ingest *in, ingest__item *it) {
    const ingest__names *nm = it->names;
    store_read *r = &it->read;
    if (it->rejected) return PK_EINVAL;
    char plate[PK_PLATE_MAX + 1];
    pk_err e;
    pk_err_clear(&e);
    if (pk_plate_normalize(r->plate, plate, &e)) return ingest__reject(it, nm->plate, "%s", e.msg);
    memcpy(r->plate, plate, sizeof plate);

    /* state: a two-letter US state or Canadian province (three for some other countries'
     * regions), or empty when the camera could not tell */
    size_t sl = strnlen(r->state, sizeof r->state);
    if (sl == sizeof r->state) return ingest__reject(it, nm->state, "longer than 3 letters");
    for (size_t i = 0; i < sl; i++) {
        if (!isalpha((unsigned char)r->state[i]))
            return ingest__reject(it, nm->state, "must be 2 or 3 letters (e.g. CA)");
        r->state[i] = (char)toupper((unsigned char)r->state[i]);
    }
    if (sl == 1) return ingest__reject(it, nm->state, "must be 2 or 3 letters (e.g. CA)");

    int64_t now = pk_clock_now(in->o.clock);
    if (r->ts > now + in->o.future_ms)
        return ingest__reject(it, nm->ts, "more than %lld hours in the future",
                              (long long)(in->o.future_ms / 3600000));
    if (r->ts < in->o.oldest_ms) {
        char when[PK_TIME_STR_MAX];
        pk_time_format(in->o.oldest_ms, when);
        return ingest__reject(it, nm->ts, "before %.10s", when);
    }

    size_t cl = strnlen(r->camera, sizeof r->camera);
    if (cl == 0) return ingest__reject(it, nm->camera, "empty");
    if (cl == sizeof r->camera)
        return ingest__reject(it, nm->camera, "longer than %zu bytes", sizeof r->camera - 1);

    if (it->has_lat != it->has_lon)
        return ingest__reject(it, it->has_lat ? nm->lon : nm->lat,
                              "missing (a position needs both %s and %s)", nm->lat, nm->lon);
    r->has_pos = it->has_lat && it->has_lon;
    if (r->has_pos) {
        if (!isfinite(r->lat) || r->lat < -90 || r->lat > 90)
            return ingest__reject(it, nm->lat, "must be between -90 and 90");
        if (!isfinite(r->lon) || r->lon < -180 || r->lon > 180)
            return ingest__reject(it, nm->lon, "must be between -180 and 180");
    } else {
        r->lat = r->lon = NAN;
    }
    if (r->heading != -1 && !(r->heading >= 0 && r->heading <= 360))
        return ingest__reject(it, nm->heading, "must be between 0 and 360 degrees");
    if (r->heading == 360) r->heading = 0;
    if (!(r->confidence >= 0 && r->confidence <= 100))
        return ingest__reject(it, nm->confidence, "must be between 0 and 100");

    if (it->plate_jpeg && check_image(in, it, nm->plate_image, it->plate_jpeg, it->plate_len))
        return PK_EINVAL;
    if (it->scene_jpeg && check_image(in, it, nm->scene_image, it->scene_jpeg, it->scene_len))
        return PK_EINVAL;
    r->candidates = it->candidates;
    r->vehicle = it->vehicle;
    return PK_OK;
}
