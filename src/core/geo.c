#include "core/geo.h"

#include <math.h>
#include <stdlib.h>

#define EARTH_RADIUS_M 6371008.8
#define DEG2RAD (M_PI / 180.0)

double pk_geo_distance_m(double lat1, double lon1, double lat2, double lon2) {
    double dlat = (lat2 - lat1) * DEG2RAD, dlon = (lon2 - lon1) * DEG2RAD;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * DEG2RAD) * cos(lat2 * DEG2RAD) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * EARTH_RADIUS_M * asin(fmin(1.0, sqrt(a)));
}

pk_bbox pk_geo_bbox_around(double lat, double lon, double radius_m) {
    double dlat = radius_m / EARTH_RADIUS_M / DEG2RAD;
    double c = cos(lat * DEG2RAD);
    double dlon = c > 1e-9 ? dlat / c : 180.0;
    pk_bbox b = {lat - dlat, lon - dlon, lat + dlat, lon + dlon};
    if (b.min_lat < -90) b.min_lat = -90;
    if (b.max_lat > 90) b.max_lat = 90;
    if (dlon >= 180.0 || b.min_lon < -180 || b.max_lon > 180) {
        b.min_lon = -180; /* near the poles or across the antimeridian: take every longitude */
        b.max_lon = 180;
    }
    return b;
}

int pk_geo_valid(double lat, double lon) {
    return isfinite(lat) && isfinite(lon) && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180;
}

static int parse_numbers(const char *s, double *v, int n, pk_err *err, const char *shape) {
    const char *p = s;
    for (int i = 0; i < n; i++) {
        char *end;
        v[i] = strtod(p, &end);
        if (end == p || !isfinite(v[i]))
            return pk_err_set(err, PK_EINVAL, "expected %s", shape);
        p = end;
        if (i < n - 1) {
            if (*p != ',') return pk_err_set(err, PK_EINVAL, "expected %s", shape);
            p++;
        }
    }
    if (*p) return pk_err_set(err, PK_EINVAL, "expected %s", shape);
    return PK_OK;
}

int pk_geo_parse_near(const char *s, double *lat, double *lon, double *radius_m, pk_err *err) {
    double v[3];
    if (!s) return pk_err_set(err, PK_EINVAL, "missing");
    int rc = parse_numbers(s, v, 3, err, "LAT,LON,METRES");
    if (rc) return rc;
    if (!pk_geo_valid(v[0], v[1]))
        return pk_err_set(err, PK_EINVAL, "latitude or longitude out of range");
    if (v[2] <= 0 || v[2] > 100000)
        return pk_err_set(err, PK_EINVAL, "radius must be between 0 and 100000 metres");
    *lat = v[0];
    *lon = v[1];
    *radius_m = v[2];
    return PK_OK;
}

int pk_geo_parse_bbox(const char *s, pk_bbox *box, pk_err *err) {
    double v[4];
    if (!s) return pk_err_set(err, PK_EINVAL, "missing");
    int rc = parse_numbers(s, v, 4, err, "MINLAT,MINLON,MAXLAT,MAXLON");
    if (rc) return rc;
    if (!pk_geo_valid(v[0], v[1]) || !pk_geo_valid(v[2], v[3]))
        return pk_err_set(err, PK_EINVAL, "latitude or longitude out of range");
    if (v[0] > v[2] || v[1] > v[3])
        return pk_err_set(err, PK_EINVAL, "minimum corner is above or right of the maximum");
    *box = (pk_bbox){v[0], v[1], v[2], v[3]};
    return PK_OK;
}
