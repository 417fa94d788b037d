/*
 * OpenALPR agent messages, as the OpenALPR / Rekor Scout agent documentation gives them, so an
 * existing OpenALPR camera can post to platekeeper unchanged:
 *
 *   alpr_group    one vehicle pass: uuid or best_uuid, camera_id, site_id, epoch_start (ms),
 *                 best_plate_number, best_confidence, best_region ("us-ca" or "ca"),
 *                 candidates (or best_plate.candidates), best_plate {plate_crop_jpeg,
 *                 coordinates...}, gps_latitude, gps_longitude, travel_direction, vehicle
 *                 {color: [{name, confidence}], make: [...], make_model: [...]},
 *                 vehicle_crop_jpeg or best_image (base64 JPEG of the scene),
 *                 web_server_config {camera_label}.
 *   alpr_results  one frame: uuid, camera_id, site_id, epoch_time (seconds in agent version 1,
 *                 milliseconds later; told apart by size), results [{plate, confidence, region,
 *                 candidates, plate_crop_jpeg, epoch_time}] - one read per result.
 *   heartbeat     agent health: accepted and ignored.
 *
 * OpenALPR identifiers are free text ("site-cam1414799424-1448326208789"), not 16-byte UUIDs:
 * a read's uuid is the first 16 bytes of SHA-256("openalpr:" + the identifier) (plus "#N" for
 * the Nth result of an alpr_results), so a re-sent message is recognised as a duplicate.
 * Agents without a GPS fix send 0,0: that is taken as "no position".
 */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "ingest/ingest_int.h"

static const ingest__names group_names = {
    .uuid = "best_uuid", .plate = "best_plate_number", .state = "best_region",
    .ts = "epoch_start", .camera = "camera_id", .lat = "gps_latitude", .lon = "gps_longitude",
    .heading = "travel_direction", .confidence = "best_confidence", .candidates = "candidates",
    .plate_image = "best_plate.plate_crop_jpeg", .scene_image = "vehicle_crop_jpeg",
    .vehicle = "vehicle",
};

static const ingest__names result_names = {
    .uuid = "uuid", .plate = "plate", .state = "region", .ts = "epoch_time",
    .camera = "camera_id", .lat = "gps_latitude", .lon = "gps_longitude",
    .heading = "travel_direction", .confidence = "confidence", .candidates = "candidates",
    .plate_image = "plate_crop_jpeg", .scene_image = "scene_image", .vehicle = "vehicle",
};

static void derive_uuid(const char *id, int n, unsigned char out[16]) {
    char buf[300];
    if (n >= 0) snprintf(buf, sizeof buf, "openalpr:%s#%d", id, n);
    else snprintf(buf, sizeof buf, "openalpr:%s", id);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)buf, strlen(buf));
    memcpy(out, h, 16);
}

/* "us-ca" -> "CA", "ca" -> "CA", "mx-nle" -> "NLE"; "" stays "". */
static int region(ingest__item *it, const char *field, json_t *v) {
    if (!v || json_is_null(v)) return PK_OK;
    char buf[32];
    if (ingest__text(it, field, v, buf, sizeof buf)) return PK_EINVAL;
    const char *dash = strrchr(buf, '-');
    const char *code = dash ? dash + 1 : buf;
    if (strlen(code) > STORE_STATE_MAX)
        return ingest__reject(it, field, "not a region code (expected e.g. us-ca)");
    snprintf(it->read.state, sizeof it->read.state, "%s", code);
    return PK_OK;
}

/* The camera name: the label the web server knows it by, else SITE/CAMERA_ID. */
static int camera(ingest__item *it, json_t *o) {
    json_t *cfg = json_object_get(o, "web_server_config");
    json_t *label = json_is_object(cfg) ? json_object_get(cfg, "camera_label") : NULL;
    if (json_is_string(label) && json_string_length(label) > 0)
        return ingest__text(it, "web_server_config.camera_label", label, it->read.camera,
                            sizeof it->read.camera);
    json_t *cam = json_object_get(o, "camera_id");
    if (!cam || json_is_null(cam)) return ingest__reject(it, "camera_id", "missing");
    char id[48];
    if (json_is_integer(cam)) {
        snprintf(id, sizeof id, "%lld", (long long)json_integer_value(cam));
    } else if (json_is_string(cam)) {
        if (ingest__text(it, "camera_id", cam, id, sizeof id)) return PK_EINVAL;
    } else {
        return ingest__reject(it, "camera_id", "must be an integer or a string");
    }
    json_t *site = json_object_get(o, "site_id");
    if (!site || json_is_null(site)) site = json_object_get(o, "agent_uid");
    char sname[48] = "openalpr";
    if (site && !json_is_null(site) && ingest__text(it, "site_id", site, sname, sizeof sname))
        return PK_EINVAL;
    if (strlen(sname) + 1 + strlen(id) >= sizeof it->read.camera)
        return ingest__reject(it, "camera_id", "site and camera id longer than %zu bytes",
                              sizeof it->read.camera - 1);
    snprintf(it->read.camera, sizeof it->read.camera, "%s/%s", sname, id);
    return PK_OK;
}

static int number(ingest__item *it, const char *field, json_t *v, double *out, int required) {
    if (!v || json_is_null(v)) return required ? ingest__reject(it, field, "missing") : PK_OK;
    if (!json_is_number(v)) return ingest__reject(it, field, "must be a number");
    *out = json_number_value(v);
    return PK_OK;
}

/* gps_latitude / gps_longitude, where 0,0 means "no fix". */
static int position(ingest__item *it, json_t *o) {
    double lat = 0, lon = 0;
    json_t *la = json_object_get(o, "gps_latitude"), *lo = json_object_get(o, "gps_longitude");
    if (number(it, "gps_latitude", la, &lat, 0) || number(it, "gps_longitude", lo, &lon, 0))
        return PK_EINVAL;
    it->has_lat = la && !json_is_null(la);
    it->has_lon = lo && !json_is_null(lo);
    if (it->has_lat && it->has_lon && lat == 0 && lon == 0) it->has_lat = it->has_lon = 0;
    it->read.lat = lat;
    it->read.lon = lon;
    return PK_OK;
}

/* The first name of a [{name, confidence}] list, or a plain string. */
static const char *top_name(json_t *v) {
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_array(v)) v = json_object_get(json_array_get(v, 0), "name");
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int vehicle(ingest__item *it, json_t *o) {
    json_t *v = json_object_get(o, "vehicle");
    if (!v || json_is_null(v)) return PK_OK;
    if (!json_is_object(v)) return ingest__reject(it, "vehicle", "must be an object");
    const char *make = top_name(json_object_get(v, "make"));
    const char *model = top_name(json_object_get(v, "make_model"));
    const char *color = top_name(json_object_get(v, "color"));
    if (make && model) { /* make_model is "toyota_camry": keep the model part */
        size_t ml = strlen(make);
        if (!strncmp(model, make, ml) && model[ml] == '_') model += ml + 1;
    }
    json_t *out = json_object();
    const char *keys[] = {"make", "model", "color"}, *vals[] = {make, model, color};
    for (int k = 0; k < 3; k++) {
        if (!vals[k] || !*vals[k]) continue;
        json_t *s = json_string(vals[k]);
        char buf[65], f[32];
        snprintf(f, sizeof f, "vehicle.%s", k == 1 ? "make_model" : keys[k]);
        if (ingest__text(it, f, s, buf, sizeof buf)) {
            json_decref(s);
            json_decref(out);
            return PK_EINVAL;
        }
        json_decref(s);
        json_object_set_new(out, keys[k], json_string(buf));
    }
    if (json_object_size(out) > 0) it->vehicle = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(out);
    return PK_OK;
}

static int image(ingest *in, ingest__item *it, const char *field, json_t *v, unsigned char **out,
                 size_t *len) {
    if (!v || json_is_null(v)) return PK_OK;
    return ingest__image_from_json(in, it, field, v, out, len);
}

static int plate_text(ingest__item *it, const char *field, json_t *v) {
    if (!v || json_is_null(v)) return ingest__reject(it, field, "missing");
    if (!json_is_string(v)) return ingest__reject(it, field, "must be a string");
    pk_err e;
    pk_err_clear(&e);
    if (pk_plate_normalize(json_string_value(v), it->read.plate, &e))
        return ingest__reject(it, field, "%s", e.msg);
    return PK_OK;
}

static void group(ingest *in, json_t *o, ingest__item *it) {
    it->names = &group_names;
    it->read.heading = -1;
    json_t *id = json_object_get(o, "uuid");
    const char *idf = "uuid";
    if (!id || json_is_null(id)) {
        id = json_object_get(o, "best_uuid");
        idf = "best_uuid";
    }
    if (!id || json_is_null(id)) {
        json_t *uuids = json_object_get(o, "uuids");
        id = json_is_array(uuids) ? json_array_get(uuids, 0) : NULL;
        idf = "uuids";
    }
    char idbuf[200];
    if (!id) {
        ingest__reject(it, "best_uuid", "missing");
        return;
    }
    if (ingest__text(it, idf, id, idbuf, sizeof idbuf)) return;
    if (!idbuf[0]) {
        ingest__reject(it, idf, "empty");
        return;
    }
    derive_uuid(idbuf, -1, it->read.uuid);
    if (plate_text(it, "best_plate_number", json_object_get(o, "best_plate_number"))) return;
    if (region(it, "best_region", json_object_get(o, "best_region"))) return;
    json_t *ts = json_object_get(o, "epoch_start");
    if (!ts || json_is_null(ts)) {
        ingest__reject(it, "epoch_start", "missing");
        return;
    }
    if (!json_is_integer(ts)) {
        ingest__reject(it, "epoch_start", "must be integer epoch milliseconds");
        return;
    }
    it->read.ts = (int64_t)json_integer_value(ts);
    if (camera(it, o) || position(it, o)) return;
    if (number(it, "best_confidence", json_object_get(o, "best_confidence"), &it->read.confidence, 1))
        return;
    if (number(it, "travel_direction", json_object_get(o, "travel_direction"), &it->read.heading, 0))
        return;
    json_t *best = json_object_get(o, "best_plate");
    if (best && !json_is_null(best) && !json_is_object(best)) {
        ingest__reject(it, "best_plate", "must be an object");
        return;
    }
    json_t *cands = json_object_get(o, "candidates");
    const char *cf = "candidates";
    if ((!cands || json_is_null(cands)) && best) {
        cands = json_object_get(best, "candidates");
        cf = "best_plate.candidates";
    }
    if (cands && !json_is_null(cands) && ingest__candidates_from_json(it, cf, cands)) return;
    if (vehicle(it, o)) return;
    if (best && image(in, it, "best_plate.plate_crop_jpeg", json_object_get(best, "plate_crop_jpeg"),
                      &it->plate_jpeg, &it->plate_len))
        return;
    json_t *scene = json_object_get(o, "vehicle_crop_jpeg");
    const char *sf = "vehicle_crop_jpeg";
    if (!scene || json_is_null(scene)) {
        scene = json_object_get(o, "best_image");
        sf = "best_image";
    }
    if (image(in, it, sf, scene, &it->scene_jpeg, &it->scene_len)) return;
    ingest__check(in, it);
}

static void results(ingest *in, json_t *o, int64_t index, ingest__batch *b, int64_t *ignored) {
    json_t *rs = json_object_get(o, "results");
    if (!json_is_array(rs)) {
        ingest__reject(ingest__batch_add(b, index), "results", rs ? "must be an array" : "missing");
        return;
    }
    if (json_array_size(rs) == 0) { /* a frame without plates carries no read */
        (*ignored)++;
        return;
    }
    for (size_t i = 0; i < json_array_size(rs); i++) {
        ingest__item *it = ingest__batch_add(b, index);
        it->names = &result_names;
        it->read.heading = -1;
        json_t *r = json_array_get(rs, i);
        if (!json_is_object(r)) {
            ingest__reject(it, "results[]", "must be an object");
            continue;
        }
        char idbuf[200];
        json_t *id = json_object_get(o, "uuid");
        if (!id || json_is_null(id)) {
            ingest__reject(it, "uuid", "missing");
            continue;
        }
        if (ingest__text(it, "uuid", id, idbuf, sizeof idbuf)) continue;
        if (!idbuf[0]) {
            ingest__reject(it, "uuid", "empty");
            continue;
        }
        json_t *pi = json_object_get(r, "plate_index");
        derive_uuid(idbuf, json_is_integer(pi) ? (int)json_integer_value(pi) : (int)i,
                    it->read.uuid);
        if (camera(it, o) || position(it, o)) continue;
        snprintf(it->prefix, sizeof it->prefix, "results[%zu].", i);
        json_t *ts = json_object_get(r, "epoch_time");
        if (!ts || json_is_null(ts)) {
            ts = json_object_get(o, "epoch_time");
            it->prefix[0] = '\0';
        }
        if (!ts || json_is_null(ts)) {
            ingest__reject(it, "epoch_time", "missing");
            continue;
        }
        if (!json_is_integer(ts)) {
            ingest__reject(it, "epoch_time", "must be an integer (epoch seconds or milliseconds)");
            continue;
        }
        int64_t t = (int64_t)json_integer_value(ts);
        it->read.ts = t < INT64_C(100000000000) ? t * 1000 : t; /* seconds before 5138 AD */
        snprintf(it->prefix, sizeof it->prefix, "results[%zu].", i);
        if (plate_text(it, "plate", json_object_get(r, "plate"))) continue;
        if (region(it, "region", json_object_get(r, "region"))) continue;
        if (number(it, "confidence", json_object_get(r, "confidence"), &it->read.confidence, 1))
            continue;
        json_t *c = json_object_get(r, "candidates");
        if (c && !json_is_null(c) && ingest__candidates_from_json(it, "candidates", c)) continue;
        if (image(in, it, "plate_crop_jpeg", json_object_get(r, "plate_crop_jpeg"), &it->plate_jpeg,
                  &it->plate_len))
            continue;
        it->prefix[0] = '\0';
        if (vehicle(it, o)) continue;
        snprintf(it->prefix, sizeof it->prefix, "results[%zu].", i);
        ingest__check(in, it);
    }
}

void ingest__parse_openalpr(ingest *in, json_t *o, const char *type, int64_t index,
                            ingest__batch *b, int64_t *ignored) {
    if (!strcmp(type, "heartbeat")) {
        (*ignored)++;
        return;
    }
    if (!strcmp(type, "alpr_group")) {
        group(in, o, ingest__batch_add(b, index));
        return;
    }
    if (!strcmp(type, "alpr_results")) {
        results(in, o, index, b, ignored);
        return;
    }
    ingest__item *it = ingest__batch_add(b, index);
    ingest__reject(it, "data_type", "unknown message type (expected alpr_group, alpr_results or heartbeat)");
}
