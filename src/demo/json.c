/* A generated read as one JSON line of the ingest format. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/pktime.h"
#include "demo/demo_int.h"

char *demo_item_json(const demo_gen *g, const demo_item *it) {
    (void)g;
    const store_read *r = &it->read;
    char uuid[37], ts[PK_TIME_STR_MAX];
    const unsigned char *u = r->uuid;
    snprintf(uuid, sizeof uuid,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
             u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
             u[15]);
    pk_time_format(r->ts, ts);
    json_t *o = json_object();
    json_object_set_new(o, "uuid", json_string(uuid));
    json_object_set_new(o, "plate", json_string(r->plate));
    json_object_set_new(o, "state", json_string(r->state));
    json_object_set_new(o, "ts", json_string(ts));
    json_object_set_new(o, "camera", json_string(r->camera));
    json_object_set_new(o, "lat", json_real(r->lat));
    json_object_set_new(o, "lon", json_real(r->lon));
    if (r->heading >= 0) json_object_set_new(o, "heading", json_real(r->heading));
    json_object_set_new(o, "confidence", json_real(r->confidence));
    json_object_set_new(o, "candidates", json_loads(it->candidates, 0, NULL));
    json_object_set_new(o, "vehicle", json_loads(it->vehicle, 0, NULL));
    if (it->plate_jpeg) {
        size_t n = sodium_base64_ENCODED_LEN(it->plate_jpeg_len, sodium_base64_VARIANT_ORIGINAL);
        char *b64 = pk_xmalloc(n);
        sodium_bin2base64(b64, n, it->plate_jpeg, it->plate_jpeg_len,
                          sodium_base64_VARIANT_ORIGINAL);
        json_object_set_new(o, "plate_image", json_string(b64));
        free(b64);
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(o);
    PK_ASSERT(s);
    char *out = pk_xstrdup(s);
    free(s);
    return out;
}
